package cron

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// quartzClock is the date of the Quartz whose behaviour the table below
// describes: its horizon (CronExpression.MAX_YEAR) is this year + 100, 2126.
var quartzClock = time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)

// quartzCase is one branch of Quartz 2.5.2's CronExpression put as a
// question: does Quartz accept expr, and when does it fire after from?
type quartzCase struct {
	name string
	expr string
	// now is the clock of the Quartz asked (its horizon is now's year +
	// 100); zero means quartzClock.
	now time.Time
	// zone is where the search runs; empty means UTC.
	zone string
	// from (RFC 3339) starts the search; empty for rows that only parse.
	from string
	// want are the next three fire times (RFC 3339); fewer than three
	// means Quartz has no further fire time. Ignored when err is set.
	want []string
	err  bool // Quartz rejects expr
}

// quartzCases walks CronExpression (buildExpression, storeExpressionVals,
// checkNext, getValue/getNumericValue, addToSet, findSmallestDay and every
// branch of getTimeAfter) one branch per row. Each expected answer is worked
// out from that code, in the comment above the row, not from this package.
// Weekdays used: 2026-12-06 is a Sunday; in 2027 May 1st, May 15th and
// May 29th are Saturdays, Aug 15th, Jan 31st and Feb 28th are Sundays.
var quartzCases = []quartzCase{
	// --- buildExpression ---

	// More than 7 space- or tab-separated tokens: "too many terms".
	{name: "eight fields", expr: "0 0 12 1 1 ? 2026 1", err: true},
	// Fewer than 6: "Unexpected end of expression".
	{name: "five fields", expr: "0 0 12 * *", err: true},
	// Day-of-week holding 'L' and a ',' (and longer than one character)
	// is refused before its items are read.
	{name: "L with a list in day-of-week", expr: "0 0 12 ? * 6L,2", err: true},
	// Two '#' in day-of-week are refused the same way.
	{name: "two nth days", expr: "0 0 12 ? * 6#3,2#1", err: true},
	// Items are split by StringTokenizer(","), which returns no empty
	// token: "1,,15" is 1 and 15.
	{name: "empty item between commas", expr: "0 0 12 1,,15 * ?", from: "2026-12-06T00:00:00Z",
		want: []string{"2026-12-15T12:00:00Z", "2027-01-01T12:00:00Z", "2027-01-15T12:00:00Z"}},
	// Leading and trailing commas are skipped the same way.
	{name: "commas around an item", expr: "0 0 12 ,15, * ?", from: "2026-12-06T00:00:00Z",
		want: []string{"2026-12-15T12:00:00Z", "2027-01-15T12:00:00Z", "2027-02-15T12:00:00Z"}},
	// A day-of-month of commas only stores nothing. The '?' of day-of-week
	// is then accepted (its check needs daysOfMonth non-empty), and the
	// final check passes (day-of-month holds no '?'). getTimeAfter finds no
	// day in any month and gives up after MAX_YEAR: it never fires.
	{name: "day-of-month of commas only", expr: "0 0 12 , * ?", from: "2026-12-06T00:00:00Z", want: nil},
	// Day-of-week of commas only, with '?' in day-of-month: accepted, and
	// daysOfWeek.first() throws while evaluating: no fire time.
	{name: "day-of-week of commas only", expr: "0 0 12 ? * ,", from: "2026-12-06T00:00:00Z", want: nil},
	// The final check: one and only one day field holds '?'.
	{name: "no day field is '?'", expr: "0 0 12 * * *", err: true},
	// '?' stored in day-of-month through a list still counts.
	{name: "'?' inside a day-of-month list", expr: "0 0 12 ,? * MON", from: "2026-12-06T00:00:00Z",
		want: []string{"2026-12-07T12:00:00Z", "2026-12-14T12:00:00Z", "2026-12-21T12:00:00Z"}},
	// Any other exception while parsing becomes "Illegal cron expression
	// format": here a name shorter than three letters (substring throws).
	{name: "two-letter name", expr: "0 0 12 ? * MO", err: true},
	// ... and a range whose end is not a digit (parseInt throws).
	{name: "range to a letter", expr: "0 0 12 1-X * ?", err: true},
	// The expression is upper-cased with toUpperCase(Locale.US), which
	// maps the long s to S: "ſun" reads as SUN.
	{name: "upper-casing beyond ASCII", expr: "0 0 12 ? * ſun", from: "2026-12-06T00:00:00Z",
		want: []string{"2026-12-06T12:00:00Z", "2026-12-13T12:00:00Z", "2026-12-20T12:00:00Z"}},
	// ... and ß to SS, so "?ß" becomes "?SS", three characters after the
	// '?' check's start: refused.
	{name: "upper-casing that lengthens", expr: "0 0 12 ?ß * MON", err: true},

	// --- storeExpressionVals: names ---

	// A month range of names wraps past December.
	{name: "month names wrap", expr: "0 0 12 1 NOV-FEB ?", from: "2026-12-06T00:00:00Z",
		want: []string{"2027-01-01T12:00:00Z", "2027-02-01T12:00:00Z", "2027-11-01T12:00:00Z"}},
	// Only the first three letters and a following '-', '#' or 'L' are
	// read; "MON/2" is MON (every Monday), the "/2" is ignored.
	{name: "text after a name is ignored", expr: "0 0 12 ? * MON/2", from: "2026-12-06T00:00:00Z",
		want: []string{"2026-12-07T12:00:00Z", "2026-12-14T12:00:00Z", "2026-12-21T12:00:00Z"}},
	// A day range of names wraps past Saturday: FRI-MON is Fri, Sat,
	// Sun, Mon; from Sunday 00:00 that Sunday noon comes first.
	{name: "day names wrap", expr: "0 0 12 ? * FRI-MON", from: "2026-12-06T00:00:00Z",
		want: []string{"2026-12-06T12:00:00Z", "2026-12-07T12:00:00Z", "2026-12-11T12:00:00Z"}},
	// Names in any other field: "Illegal characters for this position".
	{name: "name in day-of-month", expr: "0 0 12 MON * ?", err: true},
	{name: "unknown month name", expr: "0 0 12 1 FOO ?", err: true},
	// NAME#n: parseInt of the rest must give 1-5.
	{name: "fifth Friday by name", expr: "0 0 12 ? * FRI#5", from: "2026-12-06T00:00:00Z",
		want: []string{"2027-01-29T12:00:00Z", "2027-04-30T12:00:00Z", "2027-07-30T12:00:00Z"}},
	{name: "sixth Friday by name", expr: "0 0 12 ? * FRI#6", err: true},

	// --- storeExpressionVals: '?' ---

	// '?' may be followed by one character (the check looks two ahead).
	{name: "'?' and one character", expr: "0 0 12 ?X * MON", from: "2026-12-06T00:00:00Z",
		want: []string{"2026-12-07T12:00:00Z", "2026-12-14T12:00:00Z", "2026-12-21T12:00:00Z"}},
	{name: "'?' and two characters", expr: "0 0 12 ?XY * MON", err: true},
	{name: "'?' in hours", expr: "0 0 ? * * ?", err: true},
	// '?' in day-of-week when the largest day-of-month value is '?'.
	{name: "'?' in both day fields", expr: "0 0 12 ? * ?", err: true},

	// --- storeExpressionVals: '*' and '/' ---

	// "/" alone: "'/' must be followed by an integer".
	{name: "slash alone", expr: "0 / * * * ?", err: true},
	// "*/" with nothing after: "Unexpected end of string".
	{name: "star slash alone", expr: "0 */ * * * ?", err: true},
	// getNumericValue parses the rest with Integer.parseInt, which takes a
	// sign: "*/+15" steps by 15.
	{name: "step with a plus sign", expr: "0 */+15 * * * ?", from: "2026-12-06T00:00:00Z",
		want: []string{"2026-12-06T00:15:00Z", "2026-12-06T00:30:00Z", "2026-12-06T00:45:00Z"}},
	// A negative step passes checkIncrementRange; addToSet then treats a
	// step <= 0 after '*' as 1: every minute.
	{name: "negative step", expr: "0 */-5 12 * * ?", from: "2026-12-06T12:00:00Z",
		want: []string{"2026-12-06T12:01:00Z", "2026-12-06T12:02:00Z", "2026-12-06T12:03:00Z"}},
	// Anything else after the number makes parseInt throw.
	{name: "step followed by a letter", expr: "0 */5x * * * ?", err: true},
	// checkIncrementRange: minutes step at most 59, day-of-month 31.
	{name: "minute step 60", expr: "0 */60 * * * ?", err: true},
	{name: "day step 32", expr: "0 0 12 */32 * ?", err: true},
	// A day step of 31 from 1: only day 1.
	{name: "day step 31", expr: "0 0 12 */31 * ?", from: "2026-12-06T00:00:00Z",
		want: []string{"2027-01-01T12:00:00Z", "2027-02-01T12:00:00Z", "2027-03-01T12:00:00Z"}},
	// The year step is not checked, and "*" in the year runs 1970 to
	// MAX_YEAR (2126): 1970, 2070, and 2170 is beyond it.
	{name: "year step of a century", expr: "0 0 0 1 1 ? */100", from: "2026-12-06T00:00:00Z",
		want: []string{"2070-01-01T00:00:00Z"}},
	// '*' followed by anything but '/' is every value (step 1).
	{name: "star followed by a digit", expr: "0 0 12 *5 * ?", from: "2026-12-06T00:00:00Z",
		want: []string{"2026-12-06T12:00:00Z", "2026-12-07T12:00:00Z", "2026-12-08T12:00:00Z"}},

	// --- storeExpressionVals: 'L' ---

	{name: "L in hours", expr: "0 0 L * * ?", err: true},
	// In day-of-week 'L' alone adds 7: Saturday. So do "LW" and "L-3",
	// which take the same branch and ignore the rest.
	{name: "L in day-of-week", expr: "0 0 12 ? * L", from: "2026-12-06T00:00:00Z",
		want: []string{"2026-12-12T12:00:00Z", "2026-12-19T12:00:00Z", "2026-12-26T12:00:00Z"}},
	{name: "L-3 in day-of-week", expr: "0 0 12 ? * L-3", from: "2026-12-06T00:00:00Z",
		want: []string{"2026-12-12T12:00:00Z", "2026-12-19T12:00:00Z", "2026-12-26T12:00:00Z"}},
	// In the month (or year) 'L' adds nothing: the set stays empty and
	// evaluating throws: no fire time.
	{name: "L in the month", expr: "0 0 12 1 L ?", from: "2026-12-06T00:00:00Z", want: nil},
	// "L-30" is day 1 of 31-day months only (30-day months have no day 0).
	{name: "L-30", expr: "0 0 12 L-30 * ?", from: "2026-12-06T00:00:00Z",
		want: []string{"2027-01-01T12:00:00Z", "2027-03-01T12:00:00Z", "2027-05-01T12:00:00Z"}},
	{name: "L-31", expr: "0 0 12 L-31 * ?", err: true},
	// "L-" matches ^L-[0-9]*[W]? but getValue reads past the end: refused.
	{name: "L- without offset", expr: "0 0 12 L- * ?", err: true},
	// "L-W": getValue finds no digit and returns 0, then 'W': it is LW.
	// Dec 31 2026 is a Thursday; Jan 31 and Feb 28 2027 are Sundays, so
	// their last weekdays are the Fridays before.
	{name: "L-W is LW", expr: "0 0 12 L-W * ?", from: "2026-12-06T00:00:00Z",
		want: []string{"2026-12-31T12:00:00Z", "2027-01-29T12:00:00Z", "2027-02-26T12:00:00Z"}},

	// --- storeExpressionVals: digits, getValue ---

	// getValue builds the number from its digits: "007" is 7.
	{name: "leading zeros", expr: "0 0 007 * * ?", from: "2026-12-06T00:00:00Z",
		want: []string{"2026-12-06T07:00:00Z", "2026-12-07T07:00:00Z", "2026-12-08T07:00:00Z"}},
	// A number past Integer.MAX_VALUE makes parseInt throw.
	{name: "number too large", expr: "0 0 12 99999999999 * ?", err: true},
	{name: "unexpected first character", expr: "0 0 12 ? * #1", err: true},

	// --- checkNext ---

	// "nL" in day-of-week: 1-7 only; the last weekday n of the month.
	{name: "8L", expr: "0 0 12 ? * 8L", err: true},
	{name: "L after a day of the month", expr: "0 0 12 5L * ?", err: true},
	// "nW": only n > 31 is refused ("does not make sense"). 0W is
	// stored; no month has a day 0, so it never matches a day.
	{name: "32W", expr: "0 0 12 32W * ?", err: true},
	{name: "0W alone", expr: "0 0 12 0W * ?", from: "2026-12-06T00:00:00Z", want: nil},
	// ... and next to another base it changes nothing: 15W of Dec 2026 is
	// Tue 15, of Jan 2027 Fri 15, of Feb 2027 Mon 15.
	{name: "0W beside 15W", expr: "0 0 12 0W,15W * ?", from: "2026-12-06T00:00:00Z",
		want: []string{"2026-12-15T12:00:00Z", "2027-01-15T12:00:00Z", "2027-02-15T12:00:00Z"}},
	{name: "W in hours", expr: "0 0 12W * * ?", err: true},
	// "n#k": k is parseInt of the rest, which takes a sign.
	{name: "nth with a plus sign", expr: "0 0 12 ? * 6#+3", from: "2026-12-06T00:00:00Z",
		want: []string{"2026-12-18T12:00:00Z", "2027-01-15T12:00:00Z", "2027-02-19T12:00:00Z"}},
	{name: "nth 0", expr: "0 0 12 ? * 6#0", err: true},
	{name: "nth followed by a letter", expr: "0 0 12 ? * 6#3x", err: true},
	{name: "'#' in day-of-month", expr: "0 0 12 3#1 * ?", err: true},
	// The n of "n#k" is added without a range check. 98 is NO_SPEC, so
	// "98#1" makes day-of-week '?' and day-of-month decides.
	{name: "98#1 is '?'", expr: "0 0 12 15 * 98#1", from: "2026-12-06T00:00:00Z",
		want: []string{"2026-12-15T12:00:00Z", "2027-01-15T12:00:00Z", "2027-02-15T12:00:00Z"}},
	// "n-m": text after the end is ignored ("1-5X" is 1-5).
	{name: "text after a range", expr: "0 0 12 1-5X * ?", from: "2026-12-06T00:00:00Z",
		want: []string{"2027-01-01T12:00:00Z", "2027-01-02T12:00:00Z", "2027-01-03T12:00:00Z"}},
	// "n-m/0": addToSet with increment 0 stores the start only.
	{name: "range with step 0", expr: "0 0 12 1-10/0 * ?", from: "2026-12-06T00:00:00Z",
		want: []string{"2027-01-01T12:00:00Z", "2027-02-01T12:00:00Z", "2027-03-01T12:00:00Z"}},
	// The step of a range is never checked: "1-10/60" is minute 1.
	{name: "range step not checked", expr: "0 1-10/60 12 * * ?", from: "2026-12-06T00:00:00Z",
		want: []string{"2026-12-06T12:01:00Z", "2026-12-07T12:01:00Z", "2026-12-08T12:01:00Z"}},
	{name: "range without end", expr: "0 0 12 5- * ?", err: true},
	{name: "range with '/' and no step", expr: "0 0 12 5-10/ * ?", err: true},
	{name: "range end out of range", expr: "0 0 12 1-32 * ?", err: true},
	// "n/s": one digit followed by a non-digit is refused ...
	{name: "single-digit step then text", expr: "0 0/5x * * * ?", err: true},
	// ... while two digits then text is read as the number (getValue).
	{name: "two-digit step then text", expr: "0 0/15x * * * ?", from: "2026-12-06T00:00:00Z",
		want: []string{"2026-12-06T00:15:00Z", "2026-12-06T00:30:00Z", "2026-12-06T00:45:00Z"}},
	{name: "slash without step", expr: "0 0 12 5/ * ?", err: true},
	{name: "start with step 60", expr: "0 0/60 * * * ?", err: true},
	// Any other character after a number: the number alone ("1.5" is 1).
	{name: "number then a dot", expr: "0 0 12 1.5 * ?", from: "2026-12-06T00:00:00Z",
		want: []string{"2027-01-01T12:00:00Z", "2027-02-01T12:00:00Z", "2027-03-01T12:00:00Z"}},

	// --- addToSet ---

	{name: "second 60", expr: "60 * * * * ?", err: true},
	{name: "hour 24", expr: "0 0 24 * * ?", err: true},
	{name: "day 0", expr: "0 0 12 0 * ?", err: true},
	{name: "month 13", expr: "0 0 12 1 13 ?", err: true},
	{name: "day-of-week 0", expr: "0 0 12 ? * 0", err: true},
	{name: "day-of-week 8", expr: "0 0 12 ? * 8", err: true},
	// Years have no range check: 1900 is stored and never reached.
	{name: "year 1900", expr: "0 0 12 1 1 ? 1900", from: "2026-12-06T00:00:00Z", want: nil},
	// 99 is ALL_SPEC and skips the check: "99" is "*".
	{name: "99 is every second", expr: "99 * * * * ?", from: "2026-12-06T00:00:00Z",
		want: []string{"2026-12-06T00:00:01Z", "2026-12-06T00:00:02Z", "2026-12-06T00:00:03Z"}},
	// 98 is NO_SPEC, exempt in the day fields only.
	{name: "98 is '?' in day-of-month", expr: "0 0 12 98 * MON", from: "2026-12-06T00:00:00Z",
		want: []string{"2026-12-07T12:00:00Z", "2026-12-14T12:00:00Z", "2026-12-21T12:00:00Z"}},
	{name: "98 in seconds", expr: "98 * * * * ?", err: true},
	// 99 also skips the check of the range end, so "99-40/13" in
	// day-of-month stores 1, 14, 27 and 40. Day-of-month keeps "L-k" as
	// 62-k in the same set, so 40 is L-22: Dec 9 2026 (31-22).
	{name: "99 range past 31", expr: "0 0 12 99-40/13 * ?", from: "2026-12-06T00:00:00Z",
		want: []string{"2026-12-09T12:00:00Z", "2026-12-14T12:00:00Z", "2026-12-27T12:00:00Z"}},
	// A range ending before it starts wraps: the end 0 passes the check
	// (only end > 31 is refused), 28 to 0+31 is 28-31, in February 28
	// (and 29 in a leap year).
	{name: "day range ending at 0", expr: "0 0 12 28-0 2 ?", from: "2026-12-06T00:00:00Z",
		want: []string{"2027-02-28T12:00:00Z", "2028-02-28T12:00:00Z", "2028-02-29T12:00:00Z"}},
	// In day-of-week too: 5-0 is 5 to 7, Thursday to Saturday.
	{name: "weekday range ending at 0", expr: "0 0 12 ? * 5-0", from: "2026-12-06T00:00:00Z",
		want: []string{"2026-12-10T12:00:00Z", "2026-12-11T12:00:00Z", "2026-12-12T12:00:00Z"}},
	{name: "hours wrap", expr: "0 0 22-2 * * ?", from: "2026-12-06T00:00:00Z",
		want: []string{"2026-12-06T01:00:00Z", "2026-12-06T02:00:00Z", "2026-12-06T22:00:00Z"}},
	// A year range ending before it starts throws: refused.
	{name: "years backwards", expr: "0 0 12 1 1 ? 2030-2020", err: true},
	// An open year step runs to MAX_YEAR; starting after it, the range
	// ends before it starts: refused. Starting on it is one year.
	{name: "year step after the horizon", expr: "0 0 0 1 1 ? 2127/1", err: true},
	{name: "year step on the horizon", expr: "0 0 0 1 1 ? 2126/5", from: "2126-06-01T00:00:00Z", want: nil},
	{name: "year step on the horizon, before it", expr: "0 0 0 1 1 ? 2126/5", from: "2125-06-01T00:00:00Z",
		want: []string{"2126-01-01T00:00:00Z"}},
	// With a clock in 2027 the horizon is 2127 and the same step is valid.
	{name: "year step with a later clock", expr: "0 0 0 1 1 ? 2127/1", now: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
		from: "2126-06-01T00:00:00Z", want: []string{"2127-01-01T00:00:00Z"}},

	// --- getTimeAfter: the year horizon ---

	// A year past MAX_YEAR (2126) is never returned: 2127 is dropped.
	{name: "listed year past the horizon", expr: "0 0 0 1 1 ? 2126,2127", from: "2026-12-06T00:00:00Z",
		want: []string{"2126-01-01T00:00:00Z"}},
	// The horizon comes from Quartz's clock, not from the start of the
	// search: from 2120, leap days up to 2126 only.
	{name: "horizon from the clock, not the start", expr: "0 0 0 29 2 ?", from: "2120-03-01T00:00:00Z",
		want: []string{"2124-02-29T00:00:00Z"}},
	{name: "later clock, later horizon", expr: "0 0 0 29 2 ?", now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
		from: "2120-03-01T00:00:00Z", want: []string{"2124-02-29T00:00:00Z", "2128-02-29T00:00:00Z"}},
	// From a start earlier than the clock, fire times up to 2126 count.
	{name: "start before the clock", expr: "0 0 0 1 1 ? 2125", from: "2020-01-01T00:00:00Z",
		want: []string{"2125-01-01T00:00:00Z"}},
	{name: "start past the horizon", expr: "0 0 12 * * ?", from: "2127-01-01T00:00:00Z", want: nil},
	// Whatever the horizon, the loop stops once the year passes 2999.
	{name: "search ends after 2999", expr: "0 0 0 1 1 ?", now: time.Date(2950, 6, 1, 0, 0, 0, 0, time.UTC),
		from: "2998-06-01T00:00:00Z", want: []string{"2999-01-01T00:00:00Z"}},

	// --- getTimeAfter: seconds, minutes, hours, months, years ---

	// The search starts one second after the start: noon is not after noon.
	{name: "strictly after", expr: "0 0 12 * * ?", from: "2026-12-06T12:00:00Z",
		want: []string{"2026-12-07T12:00:00Z", "2026-12-08T12:00:00Z", "2026-12-09T12:00:00Z"}},
	// No month left this year: the year moves on.
	{name: "month carries into the year", expr: "0 0 12 1 2 ?", from: "2026-12-06T00:00:00Z",
		want: []string{"2027-02-01T12:00:00Z", "2028-02-01T12:00:00Z", "2029-02-01T12:00:00Z"}},
	// years.tailSet empty: "ran out of years".
	{name: "runs out of years", expr: "0 0 12 1 1 ? 2030,2032", from: "2026-12-06T00:00:00Z",
		want: []string{"2030-01-01T12:00:00Z", "2032-01-01T12:00:00Z"}},
	{name: "year in the past", expr: "0 0 12 1 1 ? 2020", from: "2026-12-06T00:00:00Z", want: nil},

	// --- getTimeAfter: day-of-month, findSmallestDay ---

	// findSmallestDay compares a plain day with an L day as if the month
	// had 31 days: in February 2027 L-1 is the 27th but counts as 30, so
	// 28 wins from the 1st, and from the 28th L-1 is behind: the 27th
	// never fires. In 2028 L-1 is the 28th itself.
	{name: "plain day hides an earlier L day", expr: "0 0 12 28,L-1 2 ?", from: "2026-12-06T00:00:00Z",
		want: []string{"2027-02-28T12:00:00Z", "2028-02-28T12:00:00Z", "2029-02-28T12:00:00Z"}},
	// In a 30-day month the window is empty: April's L-1 (29) and 30 fire.
	{name: "plain day and L day in April", expr: "0 0 12 30,L-1 4 ?", from: "2026-12-06T00:00:00Z",
		want: []string{"2027-04-29T12:00:00Z", "2027-04-30T12:00:00Z", "2028-04-29T12:00:00Z"}},
	// A plain day past the month's end never fires ("make sure we don't
	// over-run a short month").
	{name: "February 30", expr: "0 0 0 30 2 ?", from: "2026-12-06T00:00:00Z", want: nil},

	// --- getTimeAfter: the nearest weekday (W) ---

	// Saturday base on the 1st: the 3rd (Monday). May 1 2027 is a Saturday.
	{name: "1W on a Saturday", expr: "0 0 12 1W * ?", from: "2027-04-15T00:00:00Z",
		want: []string{"2027-05-03T12:00:00Z", "2027-06-01T12:00:00Z", "2027-07-01T12:00:00Z"}},
	// Sunday base on the last day: two days back (Friday); Feb 28 2027 is
	// a Sunday; Mar 31 a Wednesday; Apr 30 a Friday.
	{name: "LW on a Sunday", expr: "0 0 12 LW * ?", from: "2027-02-01T00:00:00Z",
		want: []string{"2027-02-26T12:00:00Z", "2027-03-31T12:00:00Z", "2027-04-30T12:00:00Z"}},
	// Only the first base on or after the current day is looked at. May
	// 15 2027 is a Saturday: 15W fires on Friday the 14th. From the 14th at
	// 12:00:01 the current day becomes the 15th, whose base moves back to
	// the 14th, behind the start: the base is dropped and, with no plain
	// day, the month is left. 29W (Saturday, so Friday the 28th) is never
	// looked at. June 15 and 29 2027 are Tuesdays.
	{name: "later W day skipped behind an earlier one", expr: "0 0 12 15W,29W * ?", from: "2027-05-01T00:00:00Z",
		want: []string{"2027-05-14T12:00:00Z", "2027-06-15T12:00:00Z", "2027-06-29T12:00:00Z"}},
	// Aug 15 2027 is a Sunday, so 15W is Monday the 16th. From the 1st the
	// time of day found is 12:00; the weekday wins and fires at that time
	// without starting over. From the 16th at 12:00:01 the base (15) is
	// behind: the month is left, and 14:00 on the 16th never fires.
	{name: "W moved to Monday fires once", expr: "0 0 12,14 15W * ?", from: "2027-08-01T00:00:00Z",
		want: []string{"2027-08-16T12:00:00Z", "2027-09-15T12:00:00Z", "2027-09-15T14:00:00Z"}},
	// From the 1st at 13:00 the time of day found on the 1st is 14:00, and
	// that is the time the 16th gets: not 12:00.
	{name: "W keeps the time of day of the search", expr: "0 0 12,14 15W * ?", from: "2027-08-01T13:00:00Z",
		want: []string{"2027-08-16T14:00:00Z", "2027-09-15T12:00:00Z", "2027-09-15T14:00:00Z"}},
	// A plain day equal to the weekday: the weekday is kept (only a
	// strictly smaller plain day wins). Then from the 17th nothing is left
	// in August. In September 15W is Wednesday the 15th, before 16.
	{name: "W and a plain day on the same day", expr: "0 0 12 15W,16 * ?", from: "2027-08-01T00:00:00Z",
		want: []string{"2027-08-16T12:00:00Z", "2027-09-15T12:00:00Z", "2027-09-16T12:00:00Z"}},
	// A strictly earlier plain day wins and the search starts over at its
	// midnight, so its first time of day (12:00) fires, not 14:00. After
	// the 10th's times, the time found on the 11th is 12:00, which the
	// weekday (the 16th) then gets.
	{name: "earlier plain day wins over W", expr: "0 0 12,14 15W,10 * ?", from: "2027-08-01T13:00:00Z",
		want: []string{"2027-08-10T12:00:00Z", "2027-08-10T14:00:00Z", "2027-08-16T12:00:00Z"}},
	// Cairo's clocks go forward at midnight on the last Friday of April
	// (Apr 30 2027). LW is that Friday; the weekday wins from the 1st with
	// the time 00:30 found there, and the calendar, being lenient, moves
	// the missing 00:30 forward by the gap: 01:30. Apr 30 2028 is a
	// Sunday, so LW is Friday the 28th, again the day the clocks change;
	// Apr 30 2029 is a Monday, after that year's change.
	{name: "W time in a gap is moved", expr: "0 30 0 LW 4 ?", zone: "Africa/Cairo", from: "2027-04-01T00:00:00+02:00",
		want: []string{"2027-04-30T01:30:00+03:00", "2028-04-28T01:30:00+03:00", "2029-04-30T00:30:00+03:00"}},
	// Sydney's clocks go forward at 02:00 on Sunday Oct 1 2034. The time of
	// day is looked for on the 1st first: 02:00 does not exist, so the
	// hour carries to the 2nd before the base (the 1st, moved to Monday
	// the 2nd) is looked at; from the 2nd the base is behind: October 2034
	// never fires. Oct 1 2035 is a Monday (clocks go forward on the 7th).
	{name: "W base lost to a gap", expr: "0 0 2 1W 10 ?", zone: "Australia/Sydney", from: "2034-09-01T00:00:00+10:00",
		want: []string{"2035-10-01T02:00:00+10:00", "2036-10-01T02:00:00+10:00", "2037-10-01T02:00:00+10:00"}},

	// --- getTimeAfter: day-of-week ---

	// Last Friday: Dec 25 2026 is behind the start, so January's (29th).
	{name: "last Friday already passed", expr: "0 0 12 ? * 6L", from: "2026-12-26T00:00:00Z",
		want: []string{"2027-01-29T12:00:00Z", "2027-02-26T12:00:00Z", "2027-03-26T12:00:00Z"}},
	// Fifth Sunday of February: only a leap year whose Feb 1 is a Sunday,
	// 2032, 2060, 2088, then 2128, past the horizon.
	{name: "fifth Sunday of February to the horizon", expr: "0 0 0 ? 2 1#5", from: "2026-12-06T00:00:00Z",
		want: []string{"2032-02-29T00:00:00Z", "2060-02-29T00:00:00Z", "2088-02-29T00:00:00Z"}},
	{name: "fifth Sunday of February, later clock", expr: "0 0 0 ? 2 1#5", now: time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC),
		from: "2089-01-01T00:00:00Z", want: []string{"2128-02-29T00:00:00Z"}},
	// "0#1": 0 is below every weekday, so daysToAdd = 0 + 7 - cDow, which
	// lands on Saturday: the first Saturday (Dec 5 2026 is behind).
	{name: "0#1 is the first Saturday", expr: "0 0 12 ? * 0#1", from: "2026-12-06T00:00:00Z",
		want: []string{"2027-01-02T12:00:00Z", "2027-02-06T12:00:00Z", "2027-03-06T12:00:00Z"}},
	// "9#1": 9 is above every weekday, so the day always shifts and never
	// settles: accepted, never fires.
	{name: "9#1 never fires", expr: "0 0 12 ? * 9#1", from: "2026-12-06T00:00:00Z", want: nil},
	// Plain weekdays: past the month's end, the month (and year) moves on.
	// Feb 22 2027 is the last Monday of that February.
	{name: "weekday past the end of the month", expr: "0 0 12 ? 2 MON", from: "2027-02-23T00:00:00Z",
		want: []string{"2028-02-07T12:00:00Z", "2028-02-14T12:00:00Z", "2028-02-21T12:00:00Z"}},
}

// TestQuartzBranches checks each branch of Quartz's CronExpression listed
// in quartzCases: acceptance, the next fire times, and that Describe has
// something to say about every accepted expression.
func TestQuartzBranches(t *testing.T) {
	for _, tc := range quartzCases {
		t.Run(tc.name, func(t *testing.T) {
			now := tc.now
			if now.IsZero() {
				now = quartzClock
			}
			e, err := ParseAt(tc.expr, now)
			if tc.err {
				var pe *ParseError
				require.True(t, errors.As(err, &pe), "ParseAt(%q) = %v, Quartz refuses it", tc.expr, err)
				return
			}
			require.NoError(t, err, "Quartz accepts %q", tc.expr)
			assert.NotEmpty(t, e.Describe())
			assert.Equal(t, now.Year()+100, e.maxYear)
			if tc.from == "" {
				return
			}
			loc := time.UTC
			if tc.zone != "" {
				loc, err = time.LoadLocation(tc.zone)
				require.NoError(t, err)
			}
			from, err := time.Parse(time.RFC3339, tc.from)
			require.NoError(t, err)
			var got []string
			for _, at := range e.Upcoming(from.In(loc), 3) {
				require.Equal(t, loc, at.Location())
				got = append(got, at.Format(time.RFC3339))
			}
			assert.Equal(t, tc.want, got)
		})
	}
}
