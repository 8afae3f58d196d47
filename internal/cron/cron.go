package cron

import (
	"fmt"
	"time"
)

// Expression is a parsed Quartz cron expression. It is immutable and safe
// for concurrent use.
type Expression struct {
	src string // normalised input: upper-cased, single spaces

	seconds, minutes, hours uint64 // bit v set: value v fires
	months                  uint64 // bits 1-12

	// useDOM reports which day field decides the day: day-of-month when
	// true, day-of-week when false (the other one is "?").
	useDOM bool

	// Day-of-month parts. A month's fire days are the union of all of them.
	domDays   uint64 // plain days, bits 1-31
	domW      uint64 // nW: weekday nearest to day n, bits 1-31
	domL      uint64 // L-k: k days before the last day, bits 0-30
	domLW     uint64 // L-kW: weekday nearest to that day, bits 0-30
	domMarker bool   // the field contained a bare "*" (Quartz's 99 marker)
	// nearest is set when day-of-month decides and holds nW or L-nW,
	// which take Quartz's own search step (nearestWeekdayStep).
	nearest bool

	// Day-of-week parts, days numbered 1-7 = SUN-SAT.
	dowDays     uint64    // bits 1-7
	dowByFirst  [7]uint64 // dowDays as days of a month whose 1st is SUN..SAT
	lastWeekday bool      // nL: the last weekday dowFirst of the month
	nth         int       // n#k: k (1-5), 0 when unused
	dowFirst    int       // smallest day-of-week value given (Quartz's "first")

	years []yearRange

	// maxYear is Quartz's MAX_YEAR: the year of the clock at parse time
	// plus 100. No fire time lies in a later year, and an open-ended year
	// step may not start after it.
	maxYear int
	// lastYear is the last year Next looks at: maxYear, but never past
	// 2999, where Quartz's search stops whatever its horizon.
	lastYear int

	// never is set when a field holds no value at all (e.g. "," or "L" in
	// the year): Quartz accepts such expressions but cannot evaluate them.
	never bool
}

// yearRange is lo..hi (inclusive) in steps of step; hi == openYear means
// no upper bound other than the evaluation horizon.
type yearRange struct{ lo, hi, step int }

const openYear = 1<<31 - 1

// horizonYears is how far past the year of its clock Quartz looks
// (CronExpression.MAX_YEAR); searchEndYear is where its search loop stops
// regardless ("prevent endless loop").
const (
	horizonYears  = 100
	searchEndYear = 2999
)

// String returns the normalised expression: upper-cased, fields separated by
// single spaces.
func (e *Expression) String() string { return e.src }

// ParseError reports why an expression is not valid Quartz syntax.
type ParseError struct {
	Field string // "seconds", …, "year", or "expression" for whole-expression problems
	Pos   int    // byte offset in the input where the problem was found
	Msg   string // plain English
}

// Error implements error as "field: message".
func (e *ParseError) Error() string { return e.Field + ": " + e.Msg }

// fieldKind identifies one of the seven Quartz fields.
type fieldKind int

const (
	fSecond fieldKind = iota
	fMinute
	fHour
	fDOM
	fMonth
	fDOW
	fYear
)

// fieldInfo is the static description of a field: its name for errors, the
// valid range, and how far a wrap-around range ("22-2") adds to reach the end.
type fieldInfo struct {
	name     string
	min, max int
	span     int    // modulus for wrap-around ranges
	maxStep  int    // largest step Quartz accepts
	rangeTxt string // for error messages
}

var fields = [...]fieldInfo{
	fSecond: {"seconds", 0, 59, 60, 59, "0-59"},
	fMinute: {"minutes", 0, 59, 60, 59, "0-59"},
	fHour:   {"hours", 0, 23, 24, 23, "0-23"},
	fDOM:    {"day-of-month", 1, 31, 31, 31, "1-31"},
	fMonth:  {"month", 1, 12, 12, 12, "1-12 (JAN-DEC)"},
	fDOW:    {"day-of-week", 1, 7, 7, 7, "1-7 (SUN-SAT)"},
	fYear:   {"year", 1970, openYear, 0, openYear, "1970-"},
}

// MustParse is like Parse but panics on error; for tests and constants.
func MustParse(expr string) *Expression {
	e, err := Parse(expr)
	if err != nil {
		panic(fmt.Sprintf("cron.MustParse(%q): %v", expr, err))
	}
	return e
}

// Parse parses a Quartz cron expression (6 or 7 fields) with the acceptance
// rules of Quartz 2.5.2, including its leniencies (see doc.go), as Quartz
// would today: it is ParseAt(expr, time.Now()).
func Parse(expr string) (*Expression, error) {
	return ParseAt(expr, time.Now())
}

// ParseAt is Parse for a Quartz whose clock shows now. Quartz derives its
// horizon from its clock: it gives up after now's year + 100
// (CronExpression.MAX_YEAR), so the expression never fires after that year,
// and an open-ended year step that starts after it is rejected. Callers
// with a clock of their own (tests, a server's configurable clock) pass it
// here so that the horizon follows it.
func ParseAt(expr string, now time.Time) (*Expression, error) {
	p := parser{maxYear: now.Year() + horizonYears}
	return p.parse(expr)
}

// LastYear is the last year in which the expression can fire: Quartz's
// horizon, the year of the clock it was parsed with plus 100.
func (e *Expression) LastYear() int { return e.lastYear }
