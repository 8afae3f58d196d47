package cron

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name  string
		expr  string
		field string
		pos   int
		msg   string
	}{
		{"dow out of range", "0 0 12 ? * 8", "day-of-week", 11, "8 is out of range 1-7 (SUN-SAT)"},
		{"dow range end out of range", "0 0 12 ? * 1-8", "day-of-week", 11, "8 is out of range 1-7 (SUN-SAT)"},
		{"second 60", "60 0 12 * * ?", "seconds", 0, "60 is out of range 0-59"},
		{"day 0", "0 0 12 0 * ?", "day-of-month", 7, "0 is out of range 1-31"},
		{"month 13 in range", "0 0 12 1 1-13 ?", "month", 9, "13 is out of range 1-12 (JAN-DEC)"},
		{"both day fields", "0 0 12 * * *", "expression", 7, "exactly one of day-of-month and day-of-week must be '?'"},
		{"neither day field", "0 0 12 ? 1 ?", "day-of-week", 11, "'?' cannot be used in both day-of-month and day-of-week"},
		{"question in hours", "0 0 ? * * ?", "hours", 4, "'?' is only allowed in day-of-month or day-of-week"},
		{"five fields", "0 12 * * *", "expression", 10, "too few fields: 5, need 6 or 7 (sec min hour day-of-month month day-of-week [year])"},
		{"eight fields", "1 2 3 4 5 ? 2026 8", "expression", 17, "too many fields: 8, at most 7"},
		{"empty", "", "expression", 0, "too few fields: 0, need 6 or 7 (sec min hour day-of-month month day-of-week [year])"},
		{"step too big", "0 0 0/24 * * ?", "hours", 6, "step 24 is larger than the field's range 0-23"},
		{"nth too big", "0 0 12 ? * 6#6", "day-of-week", 13, "'#' must be followed by a number 1-5, got \"6\""},
		{"L in hours", "0 0 L * * ?", "hours", 4, "'L' is not allowed here"},
		{"W in day-of-week", "0 0 12 ? * 1W", "day-of-week", 12, "'W' is only allowed in day-of-month"},
		{"unknown month", "0 0 12 * FOO ?", "month", 9, "unknown name \"FOO\""},
		{"name in minutes", "0 MON 12 * * ?", "minutes", 2, "names are only allowed in month and day-of-week, got \"MON\""},
		{"unexpected character", "@daily", "seconds", 0, "unexpected character '@'"},
		{"dangling range", "0 0 12 1- * ?", "day-of-month", 9, "'-' must be followed by a number"},
		{"years backwards", "0 0 12 * * ? 2026-2020", "year", 13, "range 2026-2020 ends before it starts"},
		{"L with other weekdays", "0 0 12 ? * 6L,2", "day-of-week", 11, "'L' cannot be combined with other days of the week"},
		{"two nth", "0 0 12 ? * 6#3,2#1", "day-of-week", 11, "only one '#' (nth day of the week) is supported"},
		{"L offset too big", "0 0 12 L-31 * ?", "day-of-month", 9, "offset from the last day must be at most 30"},
		{"second item position", "0 0 12 1,32 * ?", "day-of-month", 9, "32 is out of range 1-31"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.expr)
			var pe *ParseError
			require.True(t, errors.As(err, &pe), "Parse(%q) error = %v, want *ParseError", tt.expr, err)
			assert.Equal(t, tt.field, pe.Field)
			assert.Equal(t, tt.pos, pe.Pos)
			assert.Equal(t, tt.msg, pe.Msg)
			assert.Equal(t, tt.field+": "+tt.msg, err.Error())
		})
	}
}

// TestParseLenient pins expressions Quartz 2.5.2 accepts although they look
// wrong; a previewer that rejected them would contradict ISC.
func TestParseLenient(t *testing.T) {
	tests := []struct{ name, expr, str string }{
		{"99 is star", "99 * * * * ?", "99 * * * * ?"},
		{"98 is question mark", "0 0 12 98 * MON", "0 0 12 98 * MON"},
		{"tail after number ignored", "0 0 12 1.5 * ?", "0 0 12 1.5 * ?"},
		{"long names read by first three letters", "0 0 12 ? * monday", "0 0 12 ? * MONDAY"},
		{"empty list items skipped", "0 0 12 1,,2 * ?", "0 0 12 1,,2 * ?"},
		{"range step not checked", "0 1-10/60 * * * ?", "0 1-10/60 * * * ?"},
		{"tabs and padding", "\t 0 0 12 * * ?  ", "0 0 12 * * ?"},
		{"L in year never matches", "0 0 12 * * ? L", "0 0 12 * * ? L"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.expr)
			require.NoError(t, err)
			assert.Equal(t, tt.str, e.String())
		})
	}
}

func TestDescribeQuirks(t *testing.T) {
	tests := []struct{ name, expr, want string }{
		{"third friday", "0 0 12 ? * 6#3", "At 12:00 PM, on the third Friday of the month"},
		{"W list", "0 0 12 1W,15W * ?", "At 12:00 PM, on the weekdays nearest days 1 and 15 of the month"},
		{"W mixed with plain day", "0 0 12 15W,1 * ?", "At 12:00 PM, on day 1 of the month and on the weekday nearest day 15 of the month"},
		{"W days Quartz can skip", "0 0 12 15W,29W * ?", "At 12:00 PM, on the weekdays nearest days 15 and 29 of the month (Quartz skips some of these days: see the fire times)"},
		{"W with two times a day", "0 0 12,14 15W * ?", "At 12:00 PM and 02:00 PM, on the weekday nearest day 15 of the month (Quartz skips some of these days: see the fire times)"},
		{"plain day hiding an L day", "0 0 12 28,L-1 * ?", "At 12:00 PM, on day 28 of the month and 1 day before the last day of the month (Quartz skips some of these days: see the fire times)"},
		{"0W names no day", "0 0 12 0W * ?", "Never: the day-of-month field names no day that exists (there is no day 0)"},
		{"L-3", "0 0 12 L-3 * ?", "At 12:00 PM, 3 days before the last day of the month"},
		{"L-3 and L", "0 0 12 L-3,L * ?", "At 12:00 PM, on the last day of the month and 3 days before the last day of the month"},
		{"last weekday", "0 0 12 LW * ?", "At 12:00 PM, on the last weekday of the month"},
		{"MON/2 is every Monday", "0 0 12 ? * MON/2", "At 12:00 PM, only on Monday"},
		{"2#1,3 is the first Monday only", "0 0 12 ? * 2#1,3", "At 12:00 PM, on the first Monday of the month"},
		{"0#1 is the first Saturday", "0 0 12 ? * 0#1", "At 12:00 PM, on the first Saturday of the month"},
		{"year step open", "0 0 12 1 1 ? 2028/4", "At 12:00 PM, on day 1 of the month, only in January, every 4 years from 2028"},
		{"year step closed", "0 0 12 1 1 ? 2026-2040/5", "At 12:00 PM, on day 1 of the month, only in January, every 5 years from 2026 through 2036"},
		{"year list", "0 0 12 1 1 ? 2026,2028", "At 12:00 PM, on day 1 of the month, only in January, in 2026 and 2028"},
		{"wrap-around hours", "0 0 22-2 * * ?", "At 12:00 AM, 01:00 AM, 02:00 AM, 10:00 PM and 11:00 PM"},
		{"weekdays 9-17", "0 0 9-17 ? * MON-FRI", "Every hour from 09:00 AM through 05:00 PM, Monday through Friday"},
		{"every 15 minutes", "0 0/15 * * * ?", "Every 15 minutes"},
		{"last friday", "0 0 12 ? * 6L", "At 12:00 PM, on the last Friday of the month"},
		{"L in day-of-week is Saturday", "0 0 12 ? * L", "At 12:00 PM, only on Saturday"},
		{"year L", "0 0 12 * * ? L", "Never: the year field holds no value"},
		{"empty seconds", "0,0 , 12 * * ?", "Never: the minutes field holds no value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, MustParse(tt.expr).Describe())
		})
	}
}

func TestFromUnix(t *testing.T) {
	tests := []struct {
		name, unix, want string
		ok               bool
	}{
		{"every 15 minutes", "*/15 * * * *", "0 0/15 * * * ?", true},
		{"daily at noon", "0 12 * * *", "0 0 12 * * ?", true},
		{"weekdays", "30 9 * * 1-5", "0 30 9 ? * 2-6", true},
		{"sunday as 0", "0 0 * * 0", "0 0 0 ? * 1", true},
		{"sunday as 7 ends a range", "0 0 * * 5-7", "0 0 0 ? * 6-1", true},
		{"whole week", "0 0 * * 0-7", "0 0 0 ? * 1-7", true},
		{"names", "0 0 * JAN MON,FRI", "0 0 0 ? JAN MON,FRI", true},
		{"day of month", "0 3 1 * *", "0 0 3 1 * ?", true},
		{"macro", "@daily", "0 0 0 * * ?", true},
		{"both day fields", "0 0 1 * 1", "", false},
		{"six fields", "0 0 12 * * ?", "", false},
		{"bad value", "0 0 * * 9", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := FromUnix(tt.unix)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestNext(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	tests := []struct {
		name, expr string
		from       time.Time
		want       []string // RFC 3339; fewer than 3 means no more fire times
	}{
		{"spring-forward gap is skipped", "0 30 2 * * ?", time.Date(2026, 3, 7, 12, 0, 0, 0, ny),
			[]string{"2026-03-09T02:30:00-04:00", "2026-03-10T02:30:00-04:00", "2026-03-11T02:30:00-04:00"}},
		{"fall-back fires once, on the second pass", "0 30 1 * * ?", time.Date(2026, 10, 31, 12, 0, 0, 0, ny),
			[]string{"2026-11-01T01:30:00-05:00", "2026-11-02T01:30:00-05:00", "2026-11-03T01:30:00-05:00"}},
		{"fraction of a second is dropped", "* * * * * ?", time.Date(2026, 1, 1, 0, 0, 0, 500_000_000, time.UTC),
			[]string{"2026-01-01T00:00:01Z", "2026-01-01T00:00:02Z", "2026-01-01T00:00:03Z"}},
		{"February 30 never fires", "0 0 0 30 2 ?", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), nil},
		{"leap day", "0 0 0 29 2 ?", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
			[]string{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z", "2036-02-29T00:00:00Z"}},
		{"gives up 100 years on", "0 0 0 1 1 ? 2126,2127", time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC),
			[]string{"2126-01-01T00:00:00Z"}},
		{"fifth Sunday of February, to the horizon", "0 0 0 ? 2 1#5", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
			[]string{"2032-02-29T00:00:00Z", "2060-02-29T00:00:00Z", "2088-02-29T00:00:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ParseAt(tt.expr, quartzClock)
			require.NoError(t, err)
			var got []string
			for _, at := range e.Upcoming(tt.from, 3) {
				assert.Equal(t, tt.from.Location(), at.Location())
				got = append(got, at.Format(time.RFC3339))
			}
			assert.Equal(t, tt.want, got)
			if len(tt.want) > 0 {
				assert.Equal(t, tt.want[0], e.Next(tt.from).Format(time.RFC3339))
			}
		})
	}
}

func TestNextAllocFree(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	for _, expr := range []string{"0 0 12 ? * 6#3", "0 0 12,14 15W,LW * ?", "0 0 12 28,L-1 * ?"} {
		e := MustParse(expr)
		from := time.Date(2026, 3, 1, 0, 0, 0, 0, ny)
		allocs := testing.AllocsPerRun(100, func() { from = e.Next(from) })
		assert.Zero(t, allocs, expr)
	}
}

// TestCivilDays checks the calendar arithmetic against package time over
// both the fast 32-bit path and the general one.
func TestCivilDays(t *testing.T) {
	for _, start := range []int64{-800_000, -719_470, 0, 2_000_000_000} {
		for z := start; z < start+3000; z++ {
			want := time.Unix(z*86400, 0).UTC()
			y, m, d := civilFromDays(z)
			require.Equal(t, [3]int{want.Year(), int(want.Month()), want.Day()}, [3]int{y, m, d}, "day %d", z)
			require.Equal(t, z, daysFromCivil(y, m, d))
			require.Equal(t, int(want.Weekday()), weekday(y, m, d))
		}
	}
}

// TestParseYearHorizon: like Quartz, an open-ended year step may not start
// beyond its 100-year horizon, while a single far year is accepted and
// simply never fires.
func TestParseYearHorizon(t *testing.T) {
	_, err := ParseAt("0 0 12 1 1 ? 3000/5", quartzClock)
	var pe *ParseError
	require.True(t, errors.As(err, &pe))
	assert.Equal(t, "year", pe.Field)
	assert.Equal(t, 13, pe.Pos)

	e, err := ParseAt("0 0 12 1 1 ? 3000", quartzClock)
	require.NoError(t, err)
	assert.Equal(t, 2126, e.LastYear())
	assert.True(t, e.Next(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero())
}

// TestParseTracksTheClock: Parse is ParseAt with today's clock, so its
// horizon moves with the calendar as Quartz's does.
func TestParseTracksTheClock(t *testing.T) {
	before := time.Now().Year()
	e := MustParse("0 0 12 * * ?")
	after := time.Now().Year()
	assert.Contains(t, []int{before + 100, after + 100}, e.LastYear())
}

// TestParseErrorPositionBeyondASCII: upper-casing can change the length of
// non-ASCII text (ß becomes SS); an error still points into the input.
func TestParseErrorPositionBeyondASCII(t *testing.T) {
	_, err := ParseAt("0 0 12 ß ? * ?", quartzClock)
	var pe *ParseError
	require.True(t, errors.As(err, &pe))
	assert.Equal(t, "day-of-month", pe.Field)
	assert.Equal(t, 7, pe.Pos)
	_, err = ParseAt("0 0 ﬃ 1 * ?", quartzClock)
	require.True(t, errors.As(err, &pe))
	assert.Equal(t, "hours", pe.Field)
	assert.Equal(t, 4, pe.Pos)
}

func TestDescribeHours(t *testing.T) {
	assert.Equal(t, "Every hour from 12:00 AM through 08:00 AM and at 10:00 PM",
		MustParse("0 0 0-8,22 * * ?").Describe())
	assert.Equal(t, "Every 3 hours from 02:30 AM through 11:30 PM",
		MustParse("0 30 2/3 * * ?").Describe())
}
