package cron

import (
	"math/bits"
	"time"
)

// Next returns the first fire time strictly after after, in after's
// location, or the zero Time when there is none up to the end of
// LastYear (Quartz's horizon: the year of the clock the expression was
// parsed with, plus 100). See the package documentation for the
// daylight-saving rules.
//
// Next works in two steps: nextWall finds the next wall-clock time that
// matches the fields, and zone.resolve turns it into an instant, skipping
// wall times that a spring-forward gap removes.
func (e *Expression) Next(after time.Time) time.Time {
	if e.never {
		return time.Time{}
	}
	loc := after.Location()
	// Quartz starts one second later and drops the fraction.
	start := time.Unix(after.Unix()+1, 0).In(loc)
	z := newZone(start)
	from := wallOf(start.Unix() + z.off)
	begin := from

	// Each gap skipped moves past a zone transition, so this bound is
	// far above anything a real zone needs within the horizon.
	for range 1000 {
		w, moved, ok := e.nextWall(from, begin, &z)
		if !ok {
			return time.Time{}
		}
		u, resume, ok := z.resolve(w.seconds())
		if ok || moved {
			// A time that Quartz moved to a nearest weekday is not
			// skipped when a gap removes it: its calendar shifts it
			// forward by the gap ("0 30 0 LW 4 ?" in Cairo, whose clocks
			// go forward at midnight on the last Friday of April, fires
			// at 01:30 that day).
			return time.Unix(u, 0).In(loc)
		}
		from = wallOf(resume)
	}
	return time.Time{}
}

// Upcoming returns up to n fire times after after: successive calls of
// Next, each starting at the previous fire time.
func (e *Expression) Upcoming(after time.Time, n int) []time.Time {
	var out []time.Time
	for len(out) < n {
		after = e.Next(after)
		if after.IsZero() {
			break
		}
		out = append(out, after)
	}
	return out
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
// field, or false when there is none up to the expression's last year.
// begin is where the search started (Quartz's afterTime), which the
// nearest-weekday rule compares with; moved reports a time that rule moved
// to another day (see nearestWeekdayStep). It settles the fields from the
// largest (year) to the smallest (second); when a field has no value left
// it carries into the next larger one and starts over there.
func (e *Expression) nextWall(w, begin wall, z *zone) (next wall, moved, ok bool) {
	var cacheY, cacheM int
	var days uint64
	for {
		y, ok := e.nextYear(w.year)
		if !ok || y > e.lastYear {
			return wall{}, false, false
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
		if e.nearest {
			// The nearest-weekday rule depends on where the search
			// stands, so it is not a set of days (nearestWeekdayStep).
			next, fire, moved := e.nearestWeekdayStep(w, begin, z)
			if fire {
				return next, moved, true
			}
			w = next
			continue
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
		h, mi, s, ok := e.timeOfDay(w.hour, w.min, w.sec)
		if !ok {
			w = wall{year: w.year, month: w.month, day: w.day + 1}
			continue
		}
		w.hour, w.min, w.sec = h, mi, s
		return w, false, true
	}
}

// timeOfDay returns the first time of day at or after h:mi:s that matches
// the hours, minutes and seconds, or false when the day has none left.
func (e *Expression) timeOfDay(h, mi, s int) (int, int, int, bool) {
	for {
		hh, ok := nextBit(e.hours, h)
		if !ok {
			return 0, 0, 0, false
		}
		if hh != h {
			h, mi, s = hh, 0, 0
		}
		mm, ok := nextBit(e.minutes, mi)
		if !ok {
			h, mi, s = h+1, 0, 0
			continue
		}
		if mm != mi {
			mi, s = mm, 0
		}
		ss, ok := nextBit(e.seconds, s)
		if !ok {
			mi, s = mi+1, 0
			continue
		}
		return h, mi, ss, true
	}
}

// nearestWeekdayStep is one step of Quartz's day-of-month search when the
// field holds "nW" or "L-nW", at w (a valid year and month). It reproduces
// CronExpression.getTimeAfter, which does not treat the nearest weekdays
// as a set of days:
//
//   - Quartz first finds the time of day T: the first matching time at or
//     after w's, on w's day t, or the first of the next day; a time that a
//     spring-forward gap removes is skipped here as everywhere else.
//   - It then looks at one nearest-weekday base only, the first one on or
//     after day t, and moves it to its weekday (Saturday to Friday, Sunday
//     to Monday, never out of the month). If that weekday at T is before
//     the search start, the base is dropped, even when a later base of the
//     same month would do: in a month whose 15th is a Saturday, "15W,29W"
//     fires on the 14th and then not on the 29th.
//   - Plain and L days compete with it (quartzFirstDay); a strictly
//     earlier one wins and the search starts over at that day's midnight.
//   - A base that wins fires at T on its weekday, without starting over:
//     when the weekday is later than t, T is the time found on day t, not
//     the first time of that weekday, and once it has fired the base lies
//     behind the search, so a base moved to a Monday fires once that day.
//
// It returns the wall time to fire at (fire true) or the wall time to
// search on from; moved reports a fire time put on another day than the
// one its time of day was found on.
func (e *Expression) nearestWeekdayStep(w, begin wall, z *zone) (next wall, fire, moved bool) {
	last := daysIn(w.year, w.month)
	t := w.day
	h, mi, s, ok := e.timeOfDay(w.hour, w.min, w.sec)
	if !ok {
		if t++; t > last {
			return wall{year: w.year, month: w.month + 1, day: 1}, false, false
		}
		h, mi, s, _ = e.timeOfDay(0, 0, 0)
	}
	at := func(d int) wall { return wall{w.year, w.month, d, h, mi, s} }
	if _, resume, ok := z.resolve(at(t).seconds()); !ok {
		return wallOf(resume), false, false
	}
	plain, hasPlain := quartzFirstDay(e.domDays, e.domL, t, last)
	near, hasNear := quartzFirstDay(e.domW, e.domLW, t, last)
	if hasNear {
		near = nearestWeekday(near, last, weekday(w.year, w.month, 1))
		hasNear = at(near).seconds() >= begin.seconds()
	}
	switch {
	case hasPlain && (!hasNear || plain < near):
		if plain == t {
			return at(t), true, false
		}
		return wall{year: w.year, month: w.month, day: plain}, false, false
	case !hasPlain && !hasNear:
		return wall{year: w.year, month: w.month + 1, day: 1}, false, false
	}
	return at(near), true, near != t
}

// quartzFirstDay is Quartz's findSmallestDay: the first day on or after t,
// in a month of last days, among the plain days (bits 1-31 of plain) and
// the days k before the last day (bits k of fromLast). Like Quartz it
// compares a plain day p with an L day as if the month had 31 days, so in
// a shorter month p wins over an earlier L day when p is less than that
// L day plus 31-last: in February "28,L-1" gives the 28th, never the 27th.
func quartzFirstDay(plain, fromLast uint64, t, last int) (int, bool) {
	k := -1
	if before := fromLast & (uint64(2)<<(last-t) - 1); before != 0 {
		k = 63 - bits.LeadingZeros64(before) // the largest k <= last-t
	}
	if p, ok := nextBit(plain, t); ok && p <= last && (k < 0 || p < 31-k) {
		return p, true
	}
	if k < 0 {
		return 0, false
	}
	return last - k, true
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
// expression fires. For a day-of-month field with "nW" or "L-nW" the
// nearest weekdays fire or not depending on where the search stands
// (nearestWeekdayStep); the set then holds every day that can fire.
func (e *Expression) daysOfMonth(year, month int) uint64 {
	last := daysIn(year, month)
	valid := uint64(1)<<(last+1) - 2 // bits 1..last
	if e.useDOM && e.domW|e.domLW == 0 {
		return e.plainDays(last, valid)
	}
	first := weekday(year, month, 1) // 0 = Sunday
	if e.useDOM {
		days := e.plainDays(last, valid)
		for w := e.domW &^ 1; w != 0; w &= w - 1 {
			if n := bits.TrailingZeros64(w); n <= last {
				days |= 1 << nearestWeekday(n, last, first)
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

// plainDays returns the plain and L days of a month of last days. They are
// a set of days, found as Quartz finds them: the first day from the 1st,
// then the first day after it, and so on (quartzFirstDay), which only
// differs from their union when both kinds are present in a month shorter
// than 31 days.
func (e *Expression) plainDays(last int, valid uint64) uint64 {
	days := e.domDays & valid // the common case needs no weekday
	if e.domL == 0 {
		return days
	}
	if days == 0 || last == 31 {
		for l := e.domL; l != 0; l &= l - 1 {
			if n := last - bits.TrailingZeros64(l); n >= 1 {
				days |= 1 << n
			}
		}
		return days
	}
	days = 0
	for t := 1; t <= last; {
		d, ok := quartzFirstDay(e.domDays, e.domL, t, last)
		if !ok {
			break
		}
		days |= 1 << d
		t = d + 1
	}
	return days
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
