package cron

import "time"

// zone converts wall-clock seconds to instants in one location. Go's
// time.Date resolves gaps and overlaps in a zone-dependent way, so the
// conversion is done here with explicit offsets.
//
// It remembers one zone period (the time between two transitions), first
// the one holding the search start: most answers fall inside it and need
// no further lookups.
type zone struct {
	loc        *time.Location
	off        int64 // UTC offset of the period, in seconds
	start, end int64 // the period is [start, end); end is noEnd if none
}

const noEnd = int64(1) << 62

// day is more than any UTC offset change, so a wall time more than a day
// before the period's end cannot be repeated by the next period.
const day = 86400

func newZone(t time.Time) zone {
	z := zone{loc: t.Location()}
	z.period(t)
	return z
}

// period makes z describe the zone period that contains t.
func (z *zone) period(t time.Time) {
	_, off := t.Zone()
	z.off, z.start, z.end = int64(off), -noEnd, noEnd
	s, e := t.ZoneBounds()
	if !s.IsZero() {
		z.start = s.Unix()
	}
	if !e.IsZero() {
		z.end = e.Unix()
	}
}

// offsetAt returns the UTC offset in effect at instant u.
func (z *zone) offsetAt(u int64) int64 {
	if u >= z.start && u < z.end {
		return z.off
	}
	_, off := time.Unix(u, 0).In(z.loc).Zone()
	return int64(off)
}

// resolve returns the instant at which the wall clock shows w. When w is
// shown twice (a fall-back), it returns the later instant, as Quartz does.
// When w is never shown (a spring-forward gap), ok is false, resume is the
// first wall time after the gap, and u is where a lenient calendar puts w:
// read with the offset before the gap, which moves it forward by the gap.
func (z *zone) resolve(w int64) (u, resume int64, ok bool) {
	if u := w - z.off; u >= z.start && u+day < z.end {
		return u, 0, true // inside the current period, far from its end
	}
	// Move to the period of the first guess; usually w lies in it.
	z.period(time.Unix(w-z.off, 0).In(z.loc))
	if u := w - z.off; u >= z.start && u < z.end {
		if u+day < z.end {
			return u, 0, true
		}
		return z.later(w, u, z.off)
	}
	o := z.offsetAt(w - z.off)
	u = w - o
	if z.offsetAt(u) != o {
		o2 := z.offsetAt(u)
		u2 := w - o2
		if z.offsetAt(u2) != o2 {
			// Gap: neither offset shows w. The transition is the start
			// of the period holding the later candidate.
			later := max(u, u2)
			s, _ := time.Unix(later, 0).In(z.loc).ZoneBounds()
			_, after := s.Zone()
			return w - z.offsetAt(s.Unix()-1), s.Unix() + int64(after), false
		}
		u, o = u2, o2
	}
	return z.later(w, u, o)
}

// later returns the instant that shows w: u (at offset o), or a later one
// if the next period has a smaller offset and w - thatOffset falls in it.
func (z *zone) later(w, u, o int64) (int64, int64, bool) {
	_, e := time.Unix(u, 0).In(z.loc).ZoneBounds()
	if !e.IsZero() {
		_, next := e.Zone()
		if n := int64(next); n < o && w-n >= e.Unix() {
			return w - n, 0, true
		}
	}
	return u, 0, true
}
