// Package cron parses, evaluates and describes Quartz cron expressions, the
// schedules of ISC source aggregations.
//
// It is a clean-room implementation written against the behaviour of
// Quartz 2.5.2 as recorded in the shared corpus (../shared/cron), which it
// matches line for line: what Quartz accepts, and when it fires.
//
// # Syntax
//
// An expression has 6 or 7 fields separated by spaces or tabs:
//
//	seconds minutes hours day-of-month month day-of-week [year]
//
// Day-of-week runs 1-7 = SUN-SAT. Exactly one of day-of-month and
// day-of-week must be "?". Fields are lists of items: "*", "n", "a-b",
// "a/s", "a-b/s", "*/s", names (JAN-DEC, SUN-SAT, read by their first three
// letters), and the day specials "L", "L-n", "LW", "L-nW", "nW" (day-of-
// month) and "nL", "n#k" (day-of-week). Ranges may wrap ("22-2",
// "NOV-FEB").
//
// Parse reproduces Quartz's leniencies because ISC accepts what Quartz
// accepts: each list item is read up to what Quartz understands and the
// rest is ignored ("1.5" is 1, "MONDAY" is MON, "MON/2" is MON); empty list
// items are skipped; 99 means "*" in every field and 98 means "?" in the
// day fields; "x/0" means x; the step of a range is not checked
// ("1-10/60"); "L" in day-of-week is Saturday and in month or year matches
// nothing. In "n#k" the weekday is the smallest day-of-week value given, so
// "2#1,3" is the first Monday only. An open-ended year step that starts
// more than 100 years after the current year is rejected, as in Quartz.
//
// Expressions Quartz accepts but cannot evaluate (a field holding no
// value, such as "," or "L" in the year) parse, never fire, and are
// described as such.
//
// # Model
//
// Parse turns each field into a bitset: bit v of Expression.seconds is set
// when second v fires, and likewise for minutes, hours, months and
// day-of-week. Day-of-month is a union of four bitsets: plain days, "nW"
// days, and the offsets k of "L-k" and "L-kW". Years are a short list of
// ranges with steps, because they are open-ended.
//
// Next finds the next matching wall-clock time field by field, from the
// year down to the second (nextWall): it takes the next set bit of each
// field at or after the current value, and when a field has none left it
// carries into the next larger field and starts over from there. The days
// of a month are computed once per month as a bitset (daysOfMonth), which
// is where L, W, nL and n#k are applied. The search looks at most 100
// years ahead and never allocates.
//
// # Daylight saving
//
// Quartz searches in wall-clock time and then converts to an instant, and
// so does Next. The search starts at the wall time of after plus one
// second, with the fraction dropped. Then:
//
//   - A wall time inside a spring-forward gap does not exist and is
//     skipped: "0 30 2 * * ?" does not fire on the day New York springs
//     forward. The search resumes at the first wall time after the gap.
//   - A wall time repeated by a fall-back fires once, at its second
//     occurrence (standard time). So the first pass of the repeated hour
//     is skipped: "0 0/15 * * * ?" in London on 25 Oct 2026 fires at
//     00:45 BST and then at 01:00 GMT, an hour and a quarter later.
//
// Go's time.Date resolves gaps and overlaps differently from zone to zone,
// so the conversion uses the zone's offsets and transition bounds directly
// (zone.resolve).
//
// # Horizon
//
// Quartz gives up 100 years after the current year. Next gives up 100
// years after the year of after; Upcoming keeps the horizon fixed at the
// year of its starting point for all the times it returns, as a sequence
// of Quartz calls does.
package cron
