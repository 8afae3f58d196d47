package bff

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"sourcedesk/internal/cron"
	"sourcedesk/web/templates"
)

// The schedule form's frequency picker: "every N hours", "daily at times",
// "weekly on days at times" and "monthly on a day at times" are written as the
// Quartz expression ISC stores; anything else is edited as cron ("advanced").
// An existing expression is read back into the picker when it has one of those
// shapes.

// Frequency kinds (the form's freq field).
const (
	freqNone     = "none"
	freqHours    = "hours"
	freqDaily    = "daily"
	freqWeekly   = "weekly"
	freqMonthly  = "monthly"
	freqAdvanced = "advanced"
)

// weekdays are Quartz's day names in week order, Monday first as people read
// a week (Quartz itself numbers SUN=1 … SAT=7).
var weekdays = []string{"MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"}

// quartzDayNames maps Quartz day numbers to names.
var quartzDayNames = map[string]string{"1": "SUN", "2": "MON", "3": "TUE", "4": "WED", "5": "THU", "6": "FRI", "7": "SAT"}

// buildCron writes the expression the frequency picker describes. It returns
// "" with no error for "not scheduled", and a message for the field at fault
// otherwise (the key is the form field).
func buildCron(f templates.ScheduleFreqVM) (string, string, string) {
	switch f.Kind {
	case freqNone, "":
		return "", "", ""
	case freqAdvanced:
		return strings.Join(strings.Fields(f.Cron), " "), "", ""
	case freqHours:
		n, err := strconv.Atoi(strings.TrimSpace(f.EveryHours))
		if err != nil || n < 1 || n > 23 {
			return "", "every_hours", "Run every 1 to 23 hours."
		}
		m, err := strconv.Atoi(strings.TrimSpace(f.Minute))
		if err != nil || m < 0 || m > 59 {
			return "", "minute", "The minute past the hour is 0 to 59."
		}
		return fmt.Sprintf("0 %d 0/%d * * ?", m, n), "", ""
	}
	hours, minute, msg := parseTimes(f.Times)
	if msg != "" {
		return "", "times", msg
	}
	hs := joinInts(hours)
	switch f.Kind {
	case freqDaily:
		return fmt.Sprintf("0 %d %s * * ?", minute, hs), "", ""
	case freqWeekly:
		if len(f.Days) == 0 {
			return "", "days", "Tick at least one day of the week."
		}
		var days []string
		for _, d := range weekdays {
			if slices.Contains(f.Days, d) {
				days = append(days, d)
			}
		}
		if len(days) != len(f.Days) {
			return "", "days", "Days are MON to SUN."
		}
		return fmt.Sprintf("0 %d %s ? * %s", minute, hs, strings.Join(days, ",")), "", ""
	case freqMonthly:
		day := strings.TrimSpace(strings.ToUpper(f.MonthDay))
		if day != "L" {
			n, err := strconv.Atoi(day)
			if err != nil || n < 1 || n > 31 {
				return "", "month_day", "Choose a day of the month from 1 to 31, or the last day."
			}
			day = strconv.Itoa(n)
		}
		return fmt.Sprintf("0 %d %s %s * ?", minute, hs, day), "", ""
	}
	return "", "freq", "Choose how often the aggregation runs."
}

// parseTimes reads "05:00, 13:00" into hours and their one minute. Quartz can
// run one expression at several hours but only at the same minute of each.
func parseTimes(text string) ([]int, int, string) {
	fields := strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == ' ' || r == ';' })
	if len(fields) == 0 {
		return nil, 0, "Enter at least one time, e.g. 05:00 or 05:00, 13:00."
	}
	minute := -1
	var hours []int
	for _, t := range fields {
		h, m, ok := strings.Cut(t, ":")
		hn, err1 := strconv.Atoi(h)
		mn, err2 := strconv.Atoi(m)
		if !ok || err1 != nil || err2 != nil || hn < 0 || hn > 23 || mn < 0 || mn > 59 || len(m) != 2 {
			return nil, 0, fmt.Sprintf("%q is not a time: write HH:MM on a 24-hour clock, e.g. 05:00.", t)
		}
		if minute >= 0 && mn != minute {
			return nil, 0, "One schedule runs at the same minute of each hour it names (05:15 and 13:15, not 05:15 and 13:30): use two times with the same minutes, or Advanced."
		}
		minute = mn
		if !slices.Contains(hours, hn) {
			hours = append(hours, hn)
		}
	}
	slices.Sort(hours)
	return hours, minute, ""
}

func joinInts(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ",")
}

// frequencyOf reads an expression back into the picker: its kind and fields
// when it has one of the picker's shapes, Advanced (the expression as it is)
// otherwise, and "not scheduled" for none.
func frequencyOf(expr string) templates.ScheduleFreqVM {
	f := templates.ScheduleFreqVM{Kind: freqAdvanced, Cron: expr, EveryHours: "4", Minute: "0", Times: "05:00", MonthDay: "1"}
	if strings.TrimSpace(expr) == "" {
		f.Kind = freqNone
		return f
	}
	if _, err := cron.Parse(expr); err != nil {
		return f
	}
	p := strings.Fields(strings.ToUpper(expr))
	if len(p) == 7 && p[6] == "*" {
		p = p[:6]
	}
	if len(p) != 6 || p[0] != "0" || p[4] != "*" {
		return f
	}
	minute, err := strconv.Atoi(p[1])
	if err != nil || minute < 0 || minute > 59 {
		return f
	}
	if rest, ok := strings.CutPrefix(p[2], "0/"); ok || strings.HasPrefix(p[2], "*/") {
		if !ok {
			rest = p[2][2:]
		}
		if n, err := strconv.Atoi(rest); err == nil && p[3] == "*" && p[5] == "?" && n >= 1 && n <= 23 {
			f.Kind, f.EveryHours, f.Minute = freqHours, rest, p[1]
		}
		return f
	}
	var times []string
	for _, h := range strings.Split(p[2], ",") {
		n, err := strconv.Atoi(h)
		if err != nil || n < 0 || n > 23 {
			return f
		}
		times = append(times, fmt.Sprintf("%02d:%02d", n, minute))
	}
	f.Times = strings.Join(times, ", ")
	switch {
	case p[3] == "*" && p[5] == "?":
		f.Kind = freqDaily
	case p[3] == "?" && p[5] != "*" && p[5] != "?":
		var days []string
		for _, d := range strings.Split(p[5], ",") {
			if name, ok := quartzDayNames[d]; ok {
				d = name
			}
			if !slices.Contains(weekdays, d) {
				return templates.ScheduleFreqVM{Kind: freqAdvanced, Cron: expr, EveryHours: "4", Minute: "0", Times: "05:00", MonthDay: "1"}
			}
			days = append(days, d)
		}
		f.Kind, f.Days = freqWeekly, days
	case p[5] == "?":
		if p[3] != "L" {
			if n, err := strconv.Atoi(p[3]); err != nil || n < 1 || n > 31 {
				return templates.ScheduleFreqVM{Kind: freqAdvanced, Cron: expr, EveryHours: "4", Minute: "0", Times: "05:00", MonthDay: "1"}
			}
		}
		f.Kind, f.MonthDay = freqMonthly, p[3]
	}
	return f
}
