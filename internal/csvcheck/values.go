package csvcheck

import (
	"bytes"
	"strings"
	"time"
)

// valueKind is the attribute type a column's values are checked against.
type valueKind uint8

const (
	kindString valueKind = iota
	kindInt
	kindLong
	kindBool
	kindDate
)

// kindOf maps an AttributeDefinitionType; unknown types are strings, since
// ISC adds enum values over time.
func kindOf(t string) valueKind {
	switch strings.ToUpper(t) {
	case "INT":
		return kindInt
	case "LONG":
		return kindLong
	case "BOOLEAN":
		return kindBool
	case "DATE":
		return kindDate
	}
	return kindString
}

// checkValue checks one non-empty value of a schema column.
func (c *checker) checkValue(col int, p *colPlan, line int, v []byte) {
	bracketed := v[0] == '['
	closed := v[len(v)-1] == ']'
	if !p.multi {
		if bracketed && closed && bytes.Contains(v, c.sep) {
			c.find.add(findListInSingle, col, line, example(v))
			return
		}
		c.checkScalar(col, p.kind, line, v)
		return
	}
	if bracketed != closed || bracketed && len(v) == 1 {
		c.find.add(findBrackets, col, line, example(v))
		return
	}
	if !bracketed {
		c.checkScalar(col, p.kind, line, v)
		return
	}
	inner := v[1 : len(v)-1]
	if len(inner) == 0 {
		return // [] is an empty list
	}
	for item := range bytes.SplitSeq(inner, c.sep) {
		item = bytes.TrimSpace(item)
		if len(item) == 0 {
			c.find.add(findEmptyListItem, col, line, example(v))
			continue
		}
		c.checkScalar(col, p.kind, line, item)
	}
}

func (c *checker) checkScalar(col int, k valueKind, line int, v []byte) {
	switch k {
	case kindInt:
		if !fitsInt(v, 32) {
			c.find.add(findInvalidInt, col, line, example(v))
		}
	case kindLong:
		if !fitsInt(v, 64) {
			c.find.add(findInvalidInt, col, line, example(v))
		}
	case kindBool:
		if !bytes.EqualFold(v, []byte("true")) && !bytes.EqualFold(v, []byte("false")) {
			c.find.add(findInvalidBool, col, line, example(v))
		}
	case kindDate:
		if !validDate(v) {
			c.find.add(findInvalidDate, col, line, example(v))
		}
	}
}

// fitsInt reports whether v is a decimal integer that fits a signed integer
// of the given size, written as Java's Integer.parseInt and Long.parseLong
// accept it: an optional sign and ASCII digits, nothing else.
func fitsInt(v []byte, bits uint) bool {
	neg := false
	if len(v) > 0 && (v[0] == '-' || v[0] == '+') {
		neg = v[0] == '-'
		v = v[1:]
	}
	if len(v) == 0 {
		return false
	}
	limit := uint64(1)<<(bits-1) - 1
	if neg {
		limit++
	}
	var n uint64
	for _, b := range v {
		if b < '0' || b > '9' {
			return false
		}
		d := uint64(b - '0')
		if n > (limit-d)/10 {
			return false
		}
		n = n*10 + d
	}
	return true
}

// dateLayouts are the accepted DATE formats after a space between date and
// time has been turned into "T". Parsing also accepts a fraction of a
// second after the seconds.
var dateLayouts = [...]string{
	time.DateOnly,
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02T15:04:05-0700",
	"2006-01-02T15:04-0700",
}

// validDate accepts ISO 8601 calendar dates with an optional time (and zone)
// and epoch milliseconds of 12 or 13 digits; see doc.go.
func validDate(v []byte) bool {
	if len(v) == 12 || len(v) == 13 {
		if fitsInt(v, 64) && v[0] != '-' && v[0] != '+' {
			return true
		}
	}
	if len(v) < 10 || v[4] != '-' || v[7] != '-' {
		return false
	}
	if len(v) == 10 {
		return validYMD(v) // the common case, without time.Parse
	}
	s := string(v)
	if len(s) > 10 && s[10] == ' ' {
		s = s[:10] + "T" + s[11:]
	}
	for _, layout := range dateLayouts {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}

// validYMD checks a YYYY-MM-DD date, including the days in the month.
func validYMD(v []byte) bool {
	num := func(p []byte) int {
		n := 0
		for _, b := range p {
			if b < '0' || b > '9' {
				return -1
			}
			n = n*10 + int(b-'0')
		}
		return n
	}
	y, m, d := num(v[0:4]), num(v[5:7]), num(v[8:10])
	if y < 0 || m < 1 || m > 12 || d < 1 {
		return false
	}
	return d <= time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
