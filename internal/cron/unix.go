package cron

import (
	"strconv"
	"strings"
)

// unixMacros are the crontab shorthands with a Quartz equivalent.
var unixMacros = map[string]string{
	"@yearly":   "0 0 0 1 1 ?",
	"@annually": "0 0 0 1 1 ?",
	"@monthly":  "0 0 0 1 * ?",
	"@weekly":   "0 0 0 ? * 1",
	"@daily":    "0 0 0 * * ?",
	"@midnight": "0 0 0 * * ?",
	"@hourly":   "0 0 * * * ?",
}

// FromUnix converts a 5-field Unix crontab line (minute hour day-of-month
// month day-of-week, or an @ shorthand) to the equivalent Quartz expression,
// e.g. "*/15 * * * *" to "0 0/15 * * * ?". ok is false when expr is not a
// 5-field crontab or has no Quartz equivalent: Unix fires when EITHER
// restricted day field matches, which Quartz cannot say.
func FromUnix(expr string) (quartz string, ok bool) {
	expr = strings.TrimSpace(expr)
	if q, found := unixMacros[strings.ToLower(expr)]; found {
		return q, true
	}
	f := strings.Fields(expr)
	if len(f) != 5 {
		return "", false
	}
	min, hour, dom, mon, dow := f[0], f[1], f[2], f[3], f[4]
	min, hour = startStep(min, "0"), startStep(hour, "0")
	dom, mon = startStep(dom, "1"), startStep(mon, "1")
	dow, ok = unixDOW(dow)
	if !ok {
		return "", false
	}
	switch {
	case dow == "*":
		dow = "?"
	case dom == "*":
		dom = "?"
	default:
		return "", false
	}
	q := strings.Join([]string{"0", min, hour, dom, mon, dow}, " ")
	if _, err := Parse(q); err != nil {
		return "", false
	}
	return q, true
}

// startStep rewrites "*/n" as "start/n", Quartz's usual spelling.
func startStep(field, start string) string {
	if strings.HasPrefix(field, "*/") {
		return start + field[1:]
	}
	return field
}

// unixDOW maps Unix day-of-week numbers (0-7, 0 and 7 = Sunday) to Quartz's
// 1-7. Names are the same in both. Steps are kept as they are.
func unixDOW(field string) (string, bool) {
	if field == "*" || field == "?" {
		return "*", true
	}
	items := strings.Split(field, ",")
	for i, item := range items {
		base, step, hasStep := strings.Cut(item, "/")
		if base == "*" {
			base = "1-7"
			if hasStep {
				base = "1"
			}
		} else {
			lo, hi, isRange := strings.Cut(base, "-")
			qlo, ok := shiftDOW(lo)
			if !ok {
				return "", false
			}
			base = qlo
			if isRange {
				qhi, ok := shiftDOW(hi)
				if !ok {
					return "", false
				}
				// A Unix range ending in 7 (Sunday) becomes a Quartz
				// wrap-around range ending in 1, e.g. 5-7 -> 6-1;
				// 0-7 covers the whole week.
				if hi == "7" && lo == "0" {
					qhi = "7"
				}
				base = qlo + "-" + qhi
			}
		}
		items[i] = withStep(base, step, hasStep)
	}
	return strings.Join(items, ","), true
}

func withStep(base, step string, has bool) string {
	if has {
		return base + "/" + step
	}
	return base
}

// shiftDOW maps one Unix day-of-week value to Quartz numbering; names pass
// through.
func shiftDOW(v string) (string, bool) {
	n, err := strconv.Atoi(v)
	if err != nil {
		return v, v != ""
	}
	if n < 0 || n > 7 {
		return "", false
	}
	return strconv.Itoa(n%7 + 1), true
}
