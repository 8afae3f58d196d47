package cron

import (
	"testing"
	"time"
)

// fuzzSeeds are corpus expressions covering every syntax form, plus a few
// rejected ones.
var fuzzSeeds = []string{
	"0 0/15 * * * ?",
	"0 0 9-17 ? * MON-FRI",
	"0 0 12 ? * 6#3",
	"0 0 12 L-3,L * ?",
	"0 0 12 1W,15W * ?",
	"0 0 12 LW 2 ?",
	"0 0 12 ? * FRIL 2026-2027",
	"0 0 22-2/2 * * ?",
	"0 0 0 1 NOV-FEB ?",
	"0 0 12 1 1 ? 2028/4",
	"0 0 12 ? * 2#1,3",
	"99 * * * * ?",
	"0 0 12 98 * MON",
	"*/30 * 1 * * ?",
	"0 0 0 30 2 ?",
	"0 0 12 * * ? L",
	"0 0 12 ? * 8",
	"0 0/x * * * ?",
	"0 0 12 1 1 ? 2026 extra",
	"0 0 12,14 15W,29W * ?",
	"0 30 0 LW,L-3W,0W 4 ?",
	"0 0 12 28,L-1 2 ?",
	"0 0 12 , * ?",
	"0 0 12 ? * ſun",
	"0 0 12 99-40/13 * ?",
}

var fuzzZones = []string{"UTC", "America/New_York", "Europe/London", "Asia/Kolkata", "Australia/Sydney", "America/Santiago", "Australia/Lord_Howe", "Africa/Cairo"}

// FuzzParse: Parse never panics, and what it accepts re-parses from its
// String form.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		e, err := Parse(expr)
		if err != nil {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("Parse(%q) error %T, want *ParseError", expr, err)
			}
			return
		}
		again, err := Parse(e.String())
		if err != nil {
			t.Fatalf("Parse(%q) ok but its String %q fails: %v", expr, e.String(), err)
		}
		if again.String() != e.String() {
			t.Fatalf("String not stable: %q then %q", e.String(), again.String())
		}
	})
}

// FuzzNext: successive Next calls strictly increase, stay in the caller's
// location, land on matching wall times, never pass the horizon, and each
// returns quickly.
func FuzzNext(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add(s, int64(1767225600+i*86400*37), uint8(i))
	}
	locs := make([]*time.Location, len(fuzzZones))
	for i, z := range fuzzZones {
		loc, err := time.LoadLocation(z)
		if err != nil {
			f.Fatal(err)
		}
		locs[i] = loc
	}
	f.Fuzz(func(t *testing.T, expr string, unix int64, zone uint8) {
		e, err := Parse(expr)
		if err != nil {
			return
		}
		// Keep the start between 1900 and 2400.
		unix = -2208988800 + (unix%(500*365*86400)+500*365*86400)%(500*365*86400)
		loc := locs[int(zone)%len(locs)]
		at := time.Unix(unix, 0).In(loc)
		for range 5 {
			began := time.Now()
			next := e.Next(at)
			if d := time.Since(began); d > time.Second {
				t.Fatalf("%q: Next(%v) took %v", expr, at, d)
			}
			if next.IsZero() {
				return
			}
			if !next.After(at) {
				t.Fatalf("%q: Next(%v) = %v, not after", expr, at, next)
			}
			if next.Location() != loc {
				t.Fatalf("%q: Next in %v, want %v", expr, next.Location(), loc)
			}
			if next.Year() > e.LastYear() {
				t.Fatalf("%q: Next(%v) = %v, beyond the horizon %d", expr, at, next, e.LastYear())
			}
			if !e.matches(next) && !e.matches(shiftedBack(next)) {
				t.Fatalf("%q: Next(%v) = %v does not match the expression", expr, at, next)
			}
			at = next
		}
	})
}

// shiftedBack is t's wall clock, as a UTC time, moved back by the
// spring-forward gap t lies just after (if any): a nearest weekday whose
// time a gap removes fires that much later (nearestWeekdayStep), and it is
// that earlier wall time that matches the fields.
func shiftedBack(t time.Time) time.Time {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	wall := time.Date(y, mo, d, h, mi, s, 0, time.UTC)
	start, _ := t.ZoneBounds()
	if start.IsZero() || t.Sub(start) > 3*time.Hour {
		return wall
	}
	_, now := t.Zone()
	_, before := start.Add(-time.Second).Zone()
	return wall.Add(-time.Duration(now-before) * time.Second)
}

// matches reports whether t's wall clock satisfies every field; an
// independent check of nextWall's carrying.
func (e *Expression) matches(t time.Time) bool {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	year, ok := e.nextYear(y)
	return ok && year == y &&
		e.months&(1<<int(mo)) != 0 &&
		e.daysOfMonth(y, int(mo))&(1<<d) != 0 &&
		e.hours&(1<<h) != 0 && e.minutes&(1<<mi) != 0 && e.seconds&(1<<s) != 0
}

// FuzzDescribe: Describe never panics and always says something.
func FuzzDescribe(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		e, err := Parse(expr)
		if err != nil {
			return
		}
		if e.Describe() == "" {
			t.Fatalf("Describe(%q) is empty", expr)
		}
	})
}
