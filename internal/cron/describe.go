package cron

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// Describe returns an English description of when the expression fires,
// e.g. "At 12:00 PM, on the third Friday of the month". It is written from
// the parsed fields, so it describes what Quartz does, not what the text
// seems to say ("MON/2" is every Monday, "2#1,3" the first Monday).
func (e *Expression) Describe() string {
	if never := e.emptyField(); never != "" {
		if never == "day-of-month" && e.domW != 0 {
			return "Never: the day-of-month field names no day that exists (there is no day 0)"
		}
		return "Never: the " + never + " field holds no value"
	}
	parts := []string{e.describeTime()}
	for _, p := range []string{e.describeDays(), e.describeMonths(), e.describeYears()} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ", ")
}

func (e *Expression) emptyField() string {
	switch {
	case e.seconds == 0:
		return "seconds"
	case e.minutes == 0:
		return "minutes"
	case e.hours == 0:
		return "hours"
	case e.months == 0:
		return "month"
	case len(e.years) == 0:
		return "year"
	case e.useDOM && e.domDays|e.domW&^1|e.domL|e.domLW == 0: // 0W matches no day
		return "day-of-month"
	case !e.useDOM && e.dowDays == 0 && e.nth == 0:
		return "day-of-week"
	}
	return ""
}

// setValues lists the values of a bitset.
func setValues(set uint64) []int {
	var out []int
	for ; set != 0; set &= set - 1 {
		out = append(out, bits.TrailingZeros64(set))
	}
	return out
}

func single(set uint64) (int, bool) {
	if bits.OnesCount64(set) != 1 {
		return 0, false
	}
	return bits.TrailingZeros64(set), true
}

// progression reports whether vs is a, a+k, a+2k, … with at least three
// values and k > 1.
func progression(vs []int) (step int, ok bool) {
	if len(vs) < 3 {
		return 0, false
	}
	step = vs[1] - vs[0]
	for i := 2; i < len(vs); i++ {
		if vs[i]-vs[i-1] != step {
			return 0, false
		}
	}
	return step, step > 1
}

// runs groups sorted values into "a through b" runs (three or more
// consecutive values) and single values, formatted by f.
func runs(vs []int, f func(int) string) []string {
	var out []string
	for i := 0; i < len(vs); {
		j := i
		for j+1 < len(vs) && vs[j+1] == vs[j]+1 {
			j++
		}
		if j-i >= 2 {
			out = append(out, f(vs[i])+" through "+f(vs[j]))
		} else {
			for k := i; k <= j; k++ {
				out = append(out, f(vs[k]))
			}
		}
		i = j + 1
	}
	return out
}

// joinAnd joins ["a","b","c"] as "a, b and c".
func joinAnd(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

func plural(n int, unit string) string {
	if n == 1 {
		return unit
	}
	return unit + "s"
}

func clock(h, m, s int) string {
	suffix := "AM"
	if h >= 12 {
		suffix = "PM"
	}
	h12 := h % 12
	if h12 == 0 {
		h12 = 12
	}
	if s != 0 {
		return fmt.Sprintf("%02d:%02d:%02d %s", h12, m, s, suffix)
	}
	return fmt.Sprintf("%02d:%02d %s", h12, m, suffix)
}

// describeUnit describes a seconds or minutes set ("every 15 minutes",
// "at minutes 0 and 30", "minutes 50 through 59"), with max the field's
// largest value.
func describeUnit(set uint64, unit string, max int) string {
	vs := setValues(set)
	if len(vs) == max+1 {
		return "every " + unit
	}
	if len(vs) == 1 {
		return fmt.Sprintf("at %s %d", unit, vs[0])
	}
	if step, ok := progression(vs); ok {
		s := fmt.Sprintf("every %d %ss", step, unit)
		if vs[0] != 0 || vs[len(vs)-1]+step <= max {
			s += fmt.Sprintf(" from %s %d through %d", unit, vs[0], vs[len(vs)-1])
		}
		return s
	}
	past := " past the minute"
	if unit == "minute" {
		past = " past the hour"
	}
	return "at " + unit + "s " + joinAnd(runs(vs, strconv.Itoa)) + past
}

func (e *Expression) describeTime() string {
	s, sOne := single(e.seconds)
	m, mOne := single(e.minutes)
	hs := setValues(e.hours)
	if sOne && mOne {
		at := func(h int) string { return clock(h, m, s) }
		switch {
		case len(hs) == 24 && m == 0 && s == 0:
			return "Every hour"
		case len(hs) == 24 && s == 0:
			return fmt.Sprintf("At minute %d of every hour", m)
		case len(hs) == 24:
			return fmt.Sprintf("At minute %d, second %d of every hour", m, s)
		case len(hs) <= 6:
			return "At " + joinAnd(mapInts(hs, at))
		case hs[len(hs)-1]-hs[0] == len(hs)-1:
			return "Every hour from " + at(hs[0]) + " through " + at(hs[len(hs)-1])
		}
		if step, ok := progression(hs); ok {
			return fmt.Sprintf("Every %d hours from %s through %s", step, at(hs[0]), at(hs[len(hs)-1]))
		}
		var parts []string
		for _, r := range hourRuns(hs) {
			if r[1]-r[0] >= 2 {
				parts = append(parts, "every hour from "+at(r[0])+" through "+at(r[1]))
			} else {
				for h := r[0]; h <= r[1]; h++ {
					parts = append(parts, "at "+at(h))
				}
			}
		}
		out := joinAnd(parts)
		return strings.ToUpper(out[:1]) + out[1:]
	}
	var parts []string
	if !(sOne && s == 0) {
		parts = append(parts, describeUnit(e.seconds, "second", 59))
	}
	if !(e.minutes == 1<<60-1 && e.seconds == 1<<60-1) {
		parts = append(parts, describeUnit(e.minutes, "minute", 59))
	}
	if len(hs) < 24 {
		rs := hourRuns(hs)
		if len(rs) > 3 {
			starts := mapInts(hs, func(h int) string { return clock(h, 0, 0) })
			parts = append(parts, "during the hours starting at "+joinAnd(starts))
		} else {
			var hp []string
			for _, r := range rs {
				hp = append(hp, "from "+clock(r[0], 0, 0)+" to "+clock(r[1], 59, 0))
			}
			parts = append(parts, joinAnd(hp))
		}
	}
	out := strings.Join(parts, ", ")
	if out == "" {
		return "Every second"
	}
	return strings.ToUpper(out[:1]) + out[1:]
}

// hourRuns groups hours into [first, last] runs of consecutive hours.
func hourRuns(hs []int) [][2]int {
	var out [][2]int
	for i := 0; i < len(hs); {
		j := i
		for j+1 < len(hs) && hs[j+1] == hs[j]+1 {
			j++
		}
		out = append(out, [2]int{hs[i], hs[j]})
		i = j + 1
	}
	return out
}

func mapInts(vs []int, f func(int) string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = f(v)
	}
	return out
}

var ordinals = [...]string{"", "first", "second", "third", "fourth", "fifth"}
var weekdayNames = [...]string{"", "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
var monthFull = [...]string{"", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}

func (e *Expression) describeDays() string {
	if !e.useDOM {
		return e.describeWeekdays()
	}
	var parts []string
	if e.domDays != 0 {
		vs := setValues(e.domDays)
		switch step, prog := progression(vs); {
		case len(vs) == 31:
			if e.domW&^1|e.domL|e.domLW == 0 {
				return ""
			}
			parts = append(parts, "every day")
		case len(vs) == 1:
			parts = append(parts, fmt.Sprintf("on day %d of the month", vs[0]))
		case prog:
			s := fmt.Sprintf("every %d days of the month from day %d", step, vs[0])
			if vs[len(vs)-1]+step <= 31 {
				s += fmt.Sprintf(" through day %d", vs[len(vs)-1])
			}
			parts = append(parts, s)
		default:
			parts = append(parts, "on days "+joinAnd(runs(vs, strconv.Itoa))+" of the month")
		}
	}
	if e.domW&^1 != 0 {
		vs := setValues(e.domW &^ 1)
		if len(vs) == 1 {
			parts = append(parts, fmt.Sprintf("on the weekday nearest day %d of the month", vs[0]))
		} else {
			parts = append(parts, "on the weekdays nearest days "+joinAnd(mapInts(vs, strconv.Itoa))+" of the month")
		}
	}
	for _, k := range setValues(e.domL) {
		if k == 0 {
			parts = append(parts, "on the last day of the month")
		} else {
			parts = append(parts, fmt.Sprintf("%d %s before the last day of the month", k, plural(k, "day")))
		}
	}
	for _, k := range setValues(e.domLW) {
		if k == 0 {
			parts = append(parts, "on the last weekday of the month")
		} else {
			parts = append(parts, fmt.Sprintf("on the weekday nearest to %d %s before the last day of the month", k, plural(k, "day")))
		}
	}
	s := joinAnd(parts)
	if e.maySkipDays() {
		s += " (Quartz skips some of these days: see the fire times)"
	}
	return s
}

// maySkipDays reports whether Quartz's day-of-month search can pass over a
// day or a fire time that the field names (nearestWeekdayStep,
// quartzFirstDay):
//   - a nearest-weekday base that can move back (a Saturday other than the
//     1st, or a Sunday last day) followed by another base in the month:
//     Quartz drops the first once it is behind and leaves the month;
//   - a nearest weekday on days with more than one fire time: a base moved
//     forward to a Monday fires once that day;
//   - a plain day that hides an L day in a month shorter than 31 days.
func (e *Expression) maySkipDays() bool {
	if !e.useDOM {
		return false
	}
	near := e.domW&^3 | e.domLW // bases that can move back: not 0W or 1W
	perDay := bits.OnesCount64(e.hours) * bits.OnesCount64(e.minutes) * bits.OnesCount64(e.seconds)
	if e.domW&^1|e.domLW != 0 && perDay > 1 {
		return true
	}
	for _, b := range setValues(near & e.domW) { // plain bases
		if e.domW>>(b+1) != 0 || e.domLW&(uint64(1)<<(31-b)-1) != 0 {
			return true // a later plain base, or an L-k base with 31-k > b
		}
	}
	for _, k := range setValues(e.domLW) {
		// L-k is at least day 28-k; a plain base after it is above that.
		if e.domW&^1>>max(29-k, 1) != 0 || e.domLW&(uint64(1)<<k-1) != 0 {
			return true // a plain base after L-k in some month, or a later L base
		}
	}
	for last := 28; last <= 30; last++ {
		for _, k := range setValues(e.domL) {
			for _, p := range setValues(e.domDays) {
				if lday := last - k; lday >= 1 && p > lday && p <= last && p < 31-k {
					return true
				}
			}
		}
	}
	return false
}

func (e *Expression) describeWeekdays() string {
	day := func(d int) string { return weekdayNames[d] }
	switch {
	case e.lastWeekday:
		return "on the last " + day(e.dowFirst) + " of the month"
	case e.nth != 0:
		t := e.dowFirst
		if t == 0 {
			t = 7
		}
		if t < 1 || t > 7 {
			return fmt.Sprintf("never (day-of-week %d does not exist)", e.dowFirst)
		}
		return "on the " + ordinals[e.nth] + " " + day(t) + " of the month"
	}
	vs := setValues(e.dowDays)
	if len(vs) == 7 {
		return ""
	}
	if len(vs) >= 3 && vs[len(vs)-1]-vs[0] == len(vs)-1 {
		return day(vs[0]) + " through " + day(vs[len(vs)-1])
	}
	return "only on " + joinAnd(runs(vs, day))
}

func (e *Expression) describeMonths() string {
	vs := setValues(e.months)
	if len(vs) == 12 {
		return ""
	}
	if step, ok := progression(vs); ok && len(vs) > 3 {
		return fmt.Sprintf("every %d months from %s through %s", step, monthFull[vs[0]], monthFull[vs[len(vs)-1]])
	}
	if len(vs) >= 3 && vs[len(vs)-1]-vs[0] == len(vs)-1 {
		return monthFull[vs[0]] + " through " + monthFull[vs[len(vs)-1]]
	}
	return "only in " + joinAnd(runs(vs, func(m int) string { return monthFull[m] }))
}

func (e *Expression) describeYears() string {
	var parts []string
	for _, r := range e.years {
		switch {
		case r.lo == 1970 && r.hi == openYear && r.step == 1:
			return ""
		case r.lo == r.hi || (r.hi != openYear && r.lo+r.step > r.hi):
			parts = append(parts, fmt.Sprintf("in %d", r.lo))
		case r.step == 1 && r.hi == openYear:
			parts = append(parts, fmt.Sprintf("every year from %d", r.lo))
		case r.step == 1:
			parts = append(parts, fmt.Sprintf("in %d through %d", r.lo, r.hi))
		case r.hi == openYear:
			parts = append(parts, fmt.Sprintf("every %d years from %d", r.step, r.lo))
		default:
			last := r.lo + (r.hi-r.lo)/r.step*r.step
			parts = append(parts, fmt.Sprintf("every %d years from %d through %d", r.step, r.lo, last))
		}
	}
	if len(parts) > 1 && !strings.Contains(strings.Join(parts, ""), "every") {
		for i := 1; i < len(parts); i++ {
			parts[i] = strings.TrimPrefix(parts[i], "in ")
		}
	}
	return joinAnd(parts)
}
