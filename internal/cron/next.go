package cron

import (
	"math/bits"
	"time"
)

// Next returns the first fire time strictly after after, in after's
// location, or the zero Time when there is none up to 100 years after
// after's year (Quartz's horizon is the current year + 100). See the
// package documentation for the daylight-saving rules.
//
// Next works in two steps: nextWall finds the next wall-clock time that
// matches the fields, and zone.resolve turns it into an instant, skipping
// wall times that a spring-forward gap removes.
func (e *Expression) Next(after time.Time) time.Time {
	return e.next(after, 0)
}

// Upcoming returns up to n fire times after after, as n successive calls of
// Next would, except that the 100-year horizon stays fixed at after's year
// (as Quartz's does) instead of moving with each fire time.
func (e *Expression) Upcoming(after time.Time, n int) []time.Time {
	maxYear := after.Year() + horizonYears
	var out []time.Time
	for len(out) < n {
		after = e.next(after, maxYear)
		if after.IsZero() {
			break
		}
		out = append(out, after)
	}
	return out
}

// next is Next with the horizon given; 0 means 100 years after the year
// of the start.
func (e *Expression) next(after time.Time, maxYear int) time.Time {
	if e.never {
		return time.Time{}
	}
	loc := after.Location()
	// Quartz starts one second later and drops the fraction.
	start := time.Unix(after.Unix()+1, 0).In(loc)
	z := newZone(start)
	from := wallOf(start.Unix() + z.off)
	if maxYear == 0 {
		maxYear = from.year + horizonYears
	}

	// Each gap skipped moves past a zone transition, so this bound is
	// far above anything a real zone needs within the horizon.
	for range 1000 {
		w, ok := e.nextWall(from, maxYear)
		if !ok {
			return time.Time{}
		}
		u, resume, ok := z.resolve(w.seconds())
		if ok {
			return time.Unix(u, 0).In(loc)
		}
		from = wallOf(resume)
	}
	return time.Time{}
}

// wall is a civil (wall-clock) date and time; fields may temporarily run
// past their range (hour 24, day 32) and are normalised by nextWall.
type wall struct{ year, month, day, hour, min, sec int }

// wallOf converts seconds since the epoch of the wall clock to fields.
func wallOf(s int64) wall {
	days := s / 86400
	if s < 0 {
		days = floorDiv(s, 86400)
	}
	rem := int(s - days*86400)
	y, m, d := civilFromDays(days)
	return wall{y, m, d, rem / 3600, rem / 60 % 60, rem % 60}
}

func (w wall) seconds() int64 {
	return daysFromCivil(w.year, w.month, w.day)*86400 + int64(w.hour*3600+w.min*60+w.sec)
}

// nextWall returns the earliest wall time at or after w that matches every
// field, or false when there is none up to maxYear. It settles the fields
// from the largest (year) to the smallest (second); when a field has no
// value left it carries into the next larger one and starts over there.
func (e *Expression) nextWall(w wall, maxYear int) (wall, bool) {
	var cacheY, cacheM int
	var days uint64
	for {
		y, ok := e.nextYear(w.year)
		if !ok || y > maxYear {
			return wall{}, false
		}
		if y != w.year {
			w = wall{year: y, month: 1, day: 1}
		}
		m, ok := nextBit(e.months, w.month)
		if !ok {
			w = wall{year: w.year + 1, month: 1, day: 1}
			continue
		}
		if m != w.month {
			w = wall{year: w.year, month: m, day: 1}
		}
		if cacheY != w.year || cacheM != w.month {
			cacheY, cacheM, days = w.year, w.month, e.daysOfMonth(w.year, w.month)
		}
		d, ok := nextBit(days, w.day)
		if !ok {
			w = wall{year: w.year, month: w.month + 1, day: 1}
			continue
		}
		if d != w.day {
			w = wall{year: w.year, month: w.month, day: d}
		}
		h, ok := nextBit(e.hours, w.hour)
		if !ok {
			w = wall{year: w.year, month: w.month, day: w.day + 1}
			continue
		}
		if h != w.hour {
			w.hour, w.min, w.sec = h, 0, 0
		}
		mi, ok := nextBit(e.minutes, w.min)
		if !ok {
			w.hour, w.min, w.sec = w.hour+1, 0, 0
			continue
		}
		if mi != w.min {
			w.min, w.sec = mi, 0
		}
		s, ok := nextBit(e.seconds, w.sec)
		if !ok {
			w.min, w.sec = w.min+1, 0
			continue
		}
		w.sec = s
		return w, true
	}
}

// nextBit returns the smallest set bit of set that is >= from.
func nextBit(set uint64, from int) (int, bool) {
	if from >= 64 {
		return 0, false
	}
	rest := set >> from << from
	if rest == 0 {
		return 0, false
	}
	return bits.TrailingZeros64(rest), true
}

// nextYear returns the first year >= y allowed by the year field.
func (e *Expression) nextYear(y int) (int, bool) {
	best, found := 0, false
	for _, r := range e.years {
		c := r.lo
		if y > r.lo {
			c = r.lo + (y-r.lo+r.step-1)/r.step*r.step
		}
		if c <= r.hi && (!found || c < best) {
			best, found = c, true
		}
	}
	return best, found
}

// daysOfMonth returns the days (bits 1-31) of the given month on which the
// expression fires.
func (e *Expression) daysOfMonth(year, month int) uint64 {
	last := daysIn(year, month)
	valid := uint64(1)<<(last+1) - 2 // bits 1..last
	if e.useDOM && e.domW|e.domLW == 0 {
		days := e.domDays & valid // the common case needs no weekday
		for l := e.domL; l != 0; l &= l - 1 {
			if n := last - bits.TrailingZeros64(l); n >= 1 {
				days |= 1 << n
			}
		}
		return days
	}
	first := weekday(year, month, 1) // 0 = Sunday
	if e.useDOM {
		days := e.domDays & valid
		for w := e.domW; w != 0; w &= w - 1 {
			if n := bits.TrailingZeros64(w); n <= last {
				days |= 1 << nearestWeekday(n, last, first)
			}
		}
		for l := e.domL; l != 0; l &= l - 1 {
			if n := last - bits.TrailingZeros64(l); n >= 1 {
				days |= 1 << n
			}
		}
		for l := e.domLW; l != 0; l &= l - 1 {
			if n := last - bits.TrailingZeros64(l); n >= 1 {
				days |= 1 << nearestWeekday(n, last, first)
			}
		}
		return days
	}
	switch {
	case e.lastWeekday:
		// dowFirst is 1-7 here; the parser checks it.
		d := last - (weekdayOfDay(last, first)-(e.dowFirst-1)+7)%7
		return 1 << d
	case e.nth != 0:
		target := e.dowFirst
		if target == 0 { // Quartz's arithmetic treats 0 as Saturday
			target = 7
		}
		if target < 1 || target > 7 { // never reachable in Quartz
			return 0
		}
		d := 1 + (target-1-first+7)%7 + 7*(e.nth-1)
		if d > last {
			return 0
		}
		return 1 << d
	}
	return e.dowByFirst[first] & valid
}

// nearestWeekday returns the Monday-Friday day closest to day n without
// leaving the month.
func nearestWeekday(n, last, first int) int {
	switch weekdayOfDay(n, first) {
	case 6: // Saturday
		if n == 1 {
			return 3
		}
		return n - 1
	case 0: // Sunday
		if n == last {
			return n - 2
		}
		return n + 1
	}
	return n
}

// weekdayOfDay is the weekday (0 = Sunday) of day n in a month whose 1st
// falls on first.
func weekdayOfDay(n, first int) int { return (first + n - 1) % 7 }

func weekday(y, m, d int) int {
	return int(floorMod(daysFromCivil(y, m, d)+4, 7)) // 1970-01-01 was a Thursday
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysIn(y, m int) int {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian
// date; month may be 13 (January of the next year) and day may exceed the
// month, which then rolls over.
func daysFromCivil(y, m, d int) int64 {
	if m > 12 {
		y, m = y+(m-1)/12, (m-1)%12+1
	}
	if m <= 2 {
		y--
	}
	if y >= 0 && y < 1<<20 {
		// Unsigned arithmetic with constant divisors is much cheaper.
		yy := uint32(y)
		era := yy / 400
		yoe := yy - era*400
		doy := (153*uint32((m+9)%12)+2)/5 + uint32(d) - 1
		doe := yoe*365 + yoe/4 - yoe/100 + doy
		return int64(era)*146097 + int64(doe) - 719468
	}
	era := floorDiv(int64(y), 400)
	yoe := int64(y) - era*400
	mp := int64((m + 9) % 12)
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func civilFromDays(z int64) (y, m, d int) {
	if z >= -719468 && z < 1<<31-719468 {
		// Unsigned 32-bit arithmetic with constant divisors: the
		// compiler turns every division into a multiplication.
		n := uint32(z + 719468)
		era := n / 146097
		doe := n - era*146097
		yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
		doy := doe - (365*yoe + yoe/4 - yoe/100)
		mp := (5*doy + 2) / 153
		d = int(doy - (153*mp+2)/5 + 1)
		m = int(mp+2)%12 + 1
		y = int(yoe + era*400)
		if m <= 2 {
			y++
		}
		return y, m, d
	}
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	m = int(mp+2)%12 + 1
	y = int(yoe + era*400)
	if m <= 2 {
		y++
	}
	return y, m, d
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }
