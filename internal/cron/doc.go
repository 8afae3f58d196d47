// Package cron parses, evaluates and describes Quartz cron expressions, the
// schedules of ISC source aggregations.
//
// It is a clean-room implementation written against the behaviour of
// Quartz 2.5.2: the shared corpus (../shared/cron), which it matches line
// for line, and a reading of CronExpression's code branch by branch
// (quartz_test.go): what Quartz accepts, and when it fires.
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
// accepts: the text is upper-cased as Java does ("ſun" is SUN); each list
// item is read up to what Quartz understands and the rest is ignored ("1.5"
// is 1, "MONDAY" is MON, "MON/2" is MON); empty list items are skipped;
// 99 means "*" in every field and 98 means "?" in the day fields; "x/0"
// means x; the step of a range is not checked ("1-10/60"); "L" in
// day-of-week is Saturday and in month or year matches nothing; "nW" is
// only checked against 31, so "0W" is accepted and matches no day. In
// "n#k" the weekday is the smallest day-of-week value given, so "2#1,3" is
// the first Monday only, and n itself is not checked ("0#1" is the first
// Saturday, "9#1" never fires, "98#1" is "?"). An open-ended year step that
// starts after the horizon (below) is rejected, as in Quartz.
//
// Expressions Quartz accepts but cannot evaluate (a field holding no
// value, such as "," or "L" in the year) parse, never fire, and are
// described as such.
//
// # Day of the month
//
// Quartz does not treat "nW" (the weekday nearest day n) as a set of days;
// its search depends on where it stands (nearestWeekdayStep), and Next
// follows it:
//
//   - only the first base on or after the current day counts; once that
//     base's weekday is behind the search the month is left, so in a
//     month whose 15th is a Saturday "15W,29W" fires on the 14th only;
//   - a base moved to a later weekday fires at the time of day found on
//     the day the search stood, and once that day, so "0 0 12,14 15W * ?"
//     fires at 12:00 only on a Monday the 16th;
//   - such a time that a spring-forward gap removes is moved forward by
//     the gap instead of being skipped.
//
// Plain days and "L-k" days are compared as if every month had 31 days,
// so in February "28,L-1" fires on the 28th and never on the 27th
// (quartzFirstDay). Describe says when a field can lose days this way.
//
// Known differences: a "*" spelt 99 with a range end past the field's
// maximum ("99-30/5" in hours, "99-9/4" in day-of-week) makes Quartz store
// values the field cannot hold, which its calendar then rolls over in ways
// that depend on the search; this package ignores those values (except in
// day-of-month, where 32-62 are Quartz's own encoding of "L-k" and are
// read as such). And where the start of the search has a fraction of a
// second, Quartz's nearest-weekday test compares it with a millisecond
// value taken from its own clock, so its answer is not repeatable; Next
// drops the fraction.
//
// # Model
//
// Parse turns each field into a bitset: bit v of Expression.seconds is set
// when second v fires, and likewise for minutes, hours, months and
// day-of-week. Day-of-month is held in four bitsets: plain days, "nW"
// bases, and the offsets k of "L-k" and "L-kW". Years are a short list of
// ranges with steps, because they are open-ended.
//
// Next finds the next matching wall-clock time field by field, from the
// year down to the second (nextWall): it takes the next set bit of each
// field at or after the current value, and when a field has none left it
// carries into the next larger field and starts over from there. The days
// of a month are computed once per month as a bitset (daysOfMonth), which
// is where L, nL and n#k are applied; "nW" takes Quartz's own step
// (nearestWeekdayStep). The search stops at the horizon and never
// allocates.
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
// Quartz computes fire times up to MAX_YEAR, the year of its clock plus
// 100 (the clock of the server ISC runs on, read when Quartz loads), and
// its search stops after 2999 in any case. A year up to the horizon is
// accepted and fires; nothing later ever fires; an open-ended year step
// starting after it is rejected. The horizon depends on Quartz's clock,
// not on the start of the search, so it belongs to the expression:
// ParseAt takes the clock, Parse uses time.Now, and LastYear reports the
// result. From a start in 2120 with a 2026 clock, "0 0 0 29 2 ?" fires in
// 2124 and then never. Next and Upcoming (a series of Next calls) share
// the horizon.
package cron
