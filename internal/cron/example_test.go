package cron_test

import (
	"fmt"
	"time"

	"sourcedesk/internal/cron"
)

func Example() {
	e, err := cron.Parse("0 0 12 ? * FRI#3")
	if err != nil {
		panic(err)
	}
	fmt.Println(e.Describe())
	for _, t := range e.Upcoming(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 3) {
		fmt.Println(t.Format(time.RFC3339))
	}

	q, ok := cron.FromUnix("*/15 * * * *")
	fmt.Println(q, ok)

	_, err = cron.Parse("0 0 12 ? * 8")
	fmt.Println(err)
	// Output:
	// At 12:00 PM, on the third Friday of the month
	// 2026-01-16T12:00:00Z
	// 2026-02-20T12:00:00Z
	// 2026-03-20T12:00:00Z
	// 0 0/15 * * * ? true
	// day-of-week: 8 is out of range 1-7 (SUN-SAT)
}
