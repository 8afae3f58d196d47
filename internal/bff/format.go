package bff

// Values in words for people, the same on every page. (Byte sizes: upload.FormatSize;
// JSON values: jsontext.go.)

import (
	"cmp"
	"strings"
	"time"

	"sourcedesk/internal/api"
)

// orNone is s, or "none" when it is empty.
func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// yesNo is b in words.
func yesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}

// refText names a reference: its name, or its id when ISC sent no name (and none
// could be looked up).
func refText(r *api.Reference) string {
	if r == nil {
		return "none"
	}
	return orNone(cmp.Or(r.Name, r.ID))
}

// refsText names references, comma-separated, or "none".
func refsText(rs []api.Reference) string {
	if len(rs) == 0 {
		return "none"
	}
	var parts []string
	for i := range rs {
		parts = append(parts, refText(&rs[i]))
	}
	return strings.Join(parts, ", ")
}

// plural is one when n is 1, many otherwise.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// readableTime formats an ISC date-time for people, and for <time datetime>.
func readableTime(d api.DateTime) (readable, iso string) {
	if d == "" {
		return "", ""
	}
	t, err := d.Time()
	if err != nil {
		return string(d), ""
	}
	return t.UTC().Format("2 Jan 2006 15:04 UTC"), t.UTC().Format(time.RFC3339)
}
