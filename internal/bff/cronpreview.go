package bff

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"sourcedesk/internal/cron"
	"sourcedesk/web/templates"
)

// cronFieldNames are the Quartz fields in order, as the previewer labels them.
var cronFieldNames = []string{"seconds", "minutes", "hours", "day-of-month", "month", "day-of-week", "year"}

// cronPresets are the common schedules offered as one-click starting points.
var cronPresets = []templates.CronPreset{
	{Label: "Every hour", Expr: "0 0 * * * ?"},
	{Label: "Daily at noon", Expr: "0 0 12 * * ?"},
	{Label: "Daily at 5, 13 and 21 h", Expr: "0 0 5,13,21 * * ?"},
	{Label: "Weekdays at 9:00", Expr: "0 0 9 ? * MON-FRI"},
	{Label: "First Monday of the month", Expr: "0 0 6 ? * 2#1"},
	{Label: "Last day of the month", Expr: "0 0 23 L * ?"},
}

// commonZones are offered in the time zone list; any IANA name may be typed.
var commonZones = []string{
	"UTC", "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Phoenix",
	"America/Anchorage", "America/Toronto", "America/Sao_Paulo", "America/Mexico_City", "Europe/London",
	"Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin", "Europe/Amsterdam", "Europe/Madrid",
	"Europe/Rome", "Europe/Zurich", "Europe/Stockholm", "Europe/Warsaw", "Europe/Helsinki", "Europe/Istanbul",
	"Africa/Johannesburg", "Asia/Dubai", "Asia/Kolkata", "Asia/Singapore", "Asia/Shanghai", "Asia/Tokyo",
	"Asia/Seoul", "Australia/Perth", "Australia/Sydney", "Pacific/Auckland",
}

const (
	cronMaxCount     = 50
	cronDefaultCount = 10
	// cronTooOften is the interval under which a schedule earns a warning: ISC
	// aggregations that start this often pile up.
	cronTooOften = 15 * time.Minute
	// cronDSTHorizon bounds the search for daylight-saving problems.
	cronDSTHorizon = 366 * 24 * time.Hour
)

// previewCron evaluates expr from now in isc, the zone ISC evaluates schedules
// in, and returns what the previewer shows, with the fire times converted to
// the named zone. It is a pure function of its arguments, so it is tested directly.
func previewCron(expr, zone string, count int, now time.Time, isc *time.Location) templates.CronResultVM {
	expr = strings.TrimSpace(expr)
	vm := templates.CronResultVM{Expr: expr, Zone: zone, ISCZone: isc.String()}
	if expr == "" {
		vm.Empty = true
		return vm
	}
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "" || strings.EqualFold(zone, "local") {
		vm.Error = fmt.Sprintf("%q is not a known time zone. Use an IANA name such as Europe/Paris or UTC.", zone)
		vm.ErrorField = "zone"
		return vm
	}
	e, err := cron.ParseAt(expr, now) // Quartz's horizon follows the server's clock
	if err != nil {
		vm.Error = err.Error()
		var pe *cron.ParseError
		if errors.As(err, &pe) {
			vm.ErrorField = pe.Field
		}
		vm.Fields = splitCronFields(expr, vm.ErrorField)
		if q, ok := cron.FromUnix(expr); ok {
			vm.UnixSuggestion = q
		}
		return vm
	}
	vm.Valid = true
	vm.Expr = e.String()
	vm.Fields = splitCronFields(vm.Expr, "")
	vm.Description = e.Describe()

	fires := e.Upcoming(now.In(isc), count)
	for _, at := range fires {
		at = at.In(loc)
		vm.Next = append(vm.Next, templates.CronFireVM{
			Local: at.Format("Mon 2006-01-02 15:04:05 MST"),
			UTC:   at.UTC().Format("2006-01-02 15:04:05Z"),
			ISO:   at.Format(time.RFC3339),
		})
	}
	if len(fires) == 0 {
		vm.Warnings = append(vm.Warnings, fmt.Sprintf("This expression never fires: no date matches it up to %d, the last year Quartz looks at.", e.LastYear()))
	} else if len(fires) < count {
		vm.Warnings = append(vm.Warnings, fmt.Sprintf("This expression fires only %d more time(s).", len(fires)))
	}
	if gap := minInterval(e, now.In(isc), cronMaxCount); gap > 0 && gap < cronTooOften {
		vm.Warnings = append(vm.Warnings, fmt.Sprintf(
			"This schedule fires every %s at times. Aggregations that start more often than every 15 minutes overlap and are refused by ISC while one runs.", gap))
	}
	vm.Warnings = append(vm.Warnings, dstWarnings(e, isc, now)...)
	return vm
}

// splitCronFields labels each field of expr, marking the one named bad.
func splitCronFields(expr, bad string) []templates.CronFieldVM {
	parts := strings.Fields(expr)
	out := make([]templates.CronFieldVM, 0, len(parts))
	for i, p := range parts {
		name := "extra"
		if i < len(cronFieldNames) {
			name = cronFieldNames[i]
		}
		out = append(out, templates.CronFieldVM{Name: name, Text: p, Bad: name == bad})
	}
	return out
}

// minInterval is the shortest gap between n consecutive fire times from now.
func minInterval(e *cron.Expression, from time.Time, n int) time.Duration {
	prev := e.Next(from)
	var best time.Duration
	for i := 1; i < n && !prev.IsZero(); i++ {
		next := e.Next(prev)
		if next.IsZero() {
			break
		}
		if d := next.Sub(prev); best == 0 || d < best {
			best = d
		}
		prev = next
	}
	return best
}

// dstWarnings finds the daylight-saving changes of loc within the next year on which
// the expression would fire inside the skipped hour (spring forward: Quartz skips
// the run) or the repeated hour (fall back: it runs once, not twice).
func dstWarnings(e *cron.Expression, loc *time.Location, now time.Time) []string {
	var out []string
	for _, tr := range zoneTransitions(loc, now, now.Add(cronDSTHorizon)) {
		_, before := tr.Add(-time.Second).In(loc).Zone()
		_, after := tr.In(loc).Zone()
		delta := time.Duration(after-before) * time.Second
		// The transition's wall clock, read as if it were UTC, lets us ask the
		// expression about wall-clock times without the zone interfering.
		wall := wallAsUTC(tr.Add(-time.Second).In(loc)).Add(time.Second)
		var from, to time.Time
		if delta > 0 {
			from, to = wall, wall.Add(delta) // these wall times do not exist
		} else {
			from, to = wall.Add(delta), wall // these wall times happen twice
		}
		fire := e.Next(from.Add(-time.Second))
		if fire.IsZero() || !fire.Before(to) {
			continue
		}
		day := tr.In(loc).Format("Mon 2006-01-02")
		if delta > 0 {
			out = append(out, fmt.Sprintf("On %s the clocks go forward: the run at %s does not happen (that time does not exist in %s).",
				day, fire.Format("15:04:05"), loc))
		} else {
			out = append(out, fmt.Sprintf("On %s the clocks go back: %s happens twice in %s, and the schedule runs only once then.",
				day, fire.Format("15:04:05"), loc))
		}
	}
	return out
}

// zoneTransitions lists the instants in [from, to) at which loc's UTC offset changes.
func zoneTransitions(loc *time.Location, from, to time.Time) []time.Time {
	var out []time.Time
	step := 24 * time.Hour
	_, off := from.In(loc).Zone()
	for t := from; t.Before(to); t = t.Add(step) {
		next := t.Add(step)
		if _, o := next.In(loc).Zone(); o != off {
			// Binary search the day for the exact second.
			lo, hi := t, next
			for hi.Sub(lo) > time.Second {
				mid := lo.Add(hi.Sub(lo) / 2)
				if _, m := mid.In(loc).Zone(); m == off {
					lo = mid
				} else {
					hi = mid
				}
			}
			out = append(out, hi.Truncate(time.Second))
			off = o
		}
	}
	return out
}

// wallAsUTC keeps t's wall clock and calls it UTC.
func wallAsUTC(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
}
