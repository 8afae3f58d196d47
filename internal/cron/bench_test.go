package cron

import (
	"testing"
	"time"

	"github.com/reugn/go-quartz/quartz"
	robfig "github.com/robfig/cron/v3"
)

// benchSchedules are the schedules compared against robfig/cron and
// go-quartz. robfig has no L, W or #, so it cannot express three of them.
var benchSchedules = []struct {
	name   string
	quartz string // ours and go-quartz
	robfig string // "" when robfig/cron cannot express it
}{
	{"every15min", "0 0/15 * * * ?", "0 */15 * * * *"},
	{"dailyNoon", "0 0 12 * * ?", "0 0 12 * * *"},
	{"weekdays9to17", "0 0 9-17 ? * MON-FRI", "0 0 9-17 * * MON-FRI"},
	{"thirdFriday", "0 0 12 ? * 6#3", ""},
	{"lastDayOfMonth", "0 0 12 L * ?", ""},
	{"feb29", "0 0 0 29 2 ?", "0 0 0 29 2 *"},
	{"nearestWeekday", "0 0 12 15W * ?", ""},
}

// benchStarts spreads the start instants over a year in a zone with
// daylight saving, so no library profits from one lucky instant.
func benchStarts(b *testing.B) []time.Time {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		b.Fatal(err)
	}
	var starts []time.Time
	for m := time.January; m <= time.December; m++ {
		starts = append(starts, time.Date(2026, m, 7+int(m), int(m)*2-1, 7*int(m), 13, 0, ny))
	}
	return starts
}

func BenchmarkNext(b *testing.B) {
	starts := benchStarts(b)
	loc := starts[0].Location()
	robfigParser := robfig.NewParser(robfig.Second | robfig.Minute | robfig.Hour | robfig.Dom | robfig.Month | robfig.Dow | robfig.Descriptor)
	for _, s := range benchSchedules {
		b.Run(s.name+"/sourcedesk", func(b *testing.B) {
			e := MustParse(s.quartz)
			b.ReportAllocs()
			var sink time.Time
			for i := 0; b.Loop(); i++ {
				sink = e.Next(starts[i%len(starts)])
			}
			_ = sink
		})
		if s.robfig != "" {
			b.Run(s.name+"/robfig", func(b *testing.B) {
				sched, err := robfigParser.Parse(s.robfig)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				var sink time.Time
				for i := 0; b.Loop(); i++ {
					sink = sched.Next(starts[i%len(starts)])
				}
				_ = sink
			})
		}
		b.Run(s.name+"/go-quartz", func(b *testing.B) {
			tr, err := quartz.NewCronTriggerWithLoc(s.quartz, loc)
			if err != nil {
				b.Skip("go-quartz rejects it:", err)
			}
			nanos := make([]int64, len(starts))
			for i, t := range starts {
				nanos[i] = t.UnixNano()
			}
			b.ReportAllocs()
			var sink int64
			for i := 0; b.Loop(); i++ {
				sink, _ = tr.NextFireTime(nanos[i%len(nanos)])
			}
			_ = sink
		})
	}
}
