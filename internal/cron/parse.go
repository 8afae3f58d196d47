package cron

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
)

// Quartz reads "99" in any field as "*" and "98" in the day fields as "?";
// both are reproduced because Quartz accepts them.
const (
	allSpec = 99
	noSpec  = 98
)

// parser holds the state of one Parse call.
type parser struct {
	maxYear int // Quartz's MAX_YEAR: open-ended year steps stop here
	e       Expression

	dom98, dow98 bool // the field holds Quartz's "no specific value"
	dowMin       int  // smallest raw day-of-week value seen
}

// token is one whitespace-separated field and where it starts in the input.
type token struct {
	text string
	pos  int
}

func (p *parser) errf(f fieldKind, pos int, format string, args ...any) error {
	return &ParseError{Field: fields[f].name, Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) parse(expr string) (*Expression, error) {
	up, inputPos := upperCase(expr)
	e, err := p.parseUpper(up)
	if pe, ok := err.(*ParseError); ok && inputPos != nil {
		pe.Pos = inputPos[pe.Pos]
	}
	return e, err
}

// parseUpper parses the upper-cased expression; error positions are byte
// offsets in up.
func (p *parser) parseUpper(up string) (*Expression, error) {
	p.dowMin = 1 << 30
	toks := splitFields(up)
	if len(toks) > 7 {
		return nil, &ParseError{Field: "expression", Pos: toks[7].pos, Msg: fmt.Sprintf("too many fields: %d, at most 7", len(toks))}
	}
	// Like Quartz, check the fields that are there before counting them.
	texts := make([]string, len(toks))
	for i, t := range toks {
		if err := p.field(fieldKind(i), t); err != nil {
			return nil, err
		}
		texts[i] = t.text
		if t.text == "" { // only control characters: an empty list
			texts[i] = ","
		}
	}
	if len(toks) < 6 {
		return nil, &ParseError{Field: "expression", Pos: len(up), Msg: fmt.Sprintf("too few fields: %d, need 6 or 7 (sec min hour day-of-month month day-of-week [year])", len(toks))}
	}
	if len(toks) == 6 {
		p.e.years = []yearRange{{1970, openYear, 1}}
	}
	domSpec, dowSpec := !p.dom98, !p.dow98
	if domSpec == dowSpec {
		return nil, &ParseError{Field: "expression", Pos: toks[fDOM].pos,
			Msg: "exactly one of day-of-month and day-of-week must be '?'"}
	}
	p.e.useDOM = domSpec
	p.e.nearest = domSpec && p.e.domW|p.e.domLW != 0
	p.e.dowFirst = p.dowMin
	// Precompute the plain day-of-week set as days of a month, for each
	// weekday the month can start on.
	for first := 0; first < 7; first++ {
		for d := 1; d <= 31; d++ {
			if p.e.dowDays&(1<<((first+d-1)%7+1)) != 0 {
				p.e.dowByFirst[first] |= 1 << d
			}
		}
	}
	p.e.src = strings.Join(texts, " ")
	p.e.maxYear, p.e.lastYear = p.maxYear, min(p.maxYear, searchEndYear)
	p.e.never = p.e.emptyField() != ""
	e := p.e
	return &e, nil
}

// upperCase upper-cases s as Java's toUpperCase(Locale.US) does, which is
// what Quartz parses: beyond ASCII that includes mappings to ASCII letters
// ("ſun" is SUN, "ı" is I) and to several letters ("ß" is SS). For input
// that is not plain ASCII it also returns, for each byte offset of the
// result (and its end), the byte offset in s it came from, so that errors
// point into what the user typed.
func upperCase(s string) (string, []int) {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		b := []byte(s)
		for i, c := range b {
			if 'a' <= c && c <= 'z' {
				b[i] = c - 'a' + 'A'
			}
		}
		return string(b), nil
	}
	caser := cases.Upper(language.AmericanEnglish)
	var b strings.Builder
	var pos []int
	for i, r := range s {
		u := string(r)
		switch {
		case 'a' <= r && r <= 'z':
			u = string(r - 'a' + 'A')
		case r >= utf8.RuneSelf:
			u = caser.String(u)
		}
		b.WriteString(u)
		for range len(u) {
			pos = append(pos, i)
		}
	}
	return b.String(), append(pos, len(s))
}

// splitFields splits on spaces and tabs (as Quartz does) and trims other
// control characters from each field's ends.
func splitFields(s string) []token {
	var out []token
	i := 0
	for i < len(s) {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		start := i
		for i < len(s) && s[i] != ' ' && s[i] != '\t' {
			i++
		}
		if i > start {
			t := token{s[start:i], start}
			for len(t.text) > 0 && t.text[0] <= ' ' {
				t.text, t.pos = t.text[1:], t.pos+1
			}
			t.text = strings.TrimRightFunc(t.text, func(r rune) bool { return r <= ' ' })
			out = append(out, t)
		}
	}
	return out
}

// field parses one field: a comma-separated list of items. Empty items are
// skipped, as Quartz does.
func (p *parser) field(f fieldKind, t token) error {
	if f == fDOW {
		if strings.Contains(t.text, "L") && len(t.text) > 1 && strings.Contains(t.text, ",") {
			return p.errf(f, t.pos, "'L' cannot be combined with other days of the week")
		}
		if strings.Count(t.text, "#") > 1 {
			return p.errf(f, t.pos, "only one '#' (nth day of the week) is supported")
		}
	}
	pos := t.pos
	for _, item := range strings.Split(t.text, ",") {
		if item != "" {
			if err := p.item(f, item, pos); err != nil {
				return err
			}
		}
		pos += len(item) + 1
	}
	return nil
}

// isLastDayForm reports whether a day-of-month item is one of Quartz's
// L forms: L, LW, L-n, L-nW (n may be empty).
func isLastDayForm(s string) bool {
	if s == "L" || s == "LW" {
		return true
	}
	if !strings.HasPrefix(s, "L-") {
		return false
	}
	r := strings.TrimSuffix(s[2:], "W")
	for i := 0; i < len(r); i++ {
		if !isDigit(r[i]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// item parses one list item. Like Quartz it reads a prefix and ignores
// whatever follows it ("1.5" is 1, "MONDAY" is MON, "MON/2" is MON).
func (p *parser) item(f fieldKind, s string, at int) error {
	c := s[0]
	switch {
	case 'A' <= c && c <= 'Z' && !isLastDayForm(s):
		return p.named(f, s, at)
	case c == '?':
		return p.question(f, s, at)
	case c == '*' || c == '/':
		return p.star(f, s, at)
	case c == 'L':
		return p.last(f, s, at)
	case isDigit(c):
		return p.number(f, s, at)
	}
	return p.errf(f, at, "unexpected character %q", c)
}

var monthNames = [...]string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}
var dayNames = [...]string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}

func lookupName(names []string, s string) int {
	for i, n := range names {
		if n == s {
			return i + 1
		}
	}
	return -1
}

// named parses JAN, JAN-MAR, MON, MON-FRI, FRI#3, FRIL.
func (p *parser) named(f fieldKind, s string, at int) error {
	if f != fMonth && f != fDOW {
		return p.errf(f, at, "names are only allowed in month and day-of-week, got %q", s)
	}
	names := monthNames[:]
	if f == fDOW {
		names = dayNames[:]
	}
	if len(s) < 3 {
		return p.errf(f, at, "unknown name %q", s)
	}
	start := lookupName(names, s[:3])
	if start < 0 {
		return p.errf(f, at, "unknown name %q", s[:3])
	}
	end := -1
	if len(s) > 3 {
		switch s[3] {
		case '-':
			if len(s) < 7 {
				return p.errf(f, at+4, "range end must be a three-letter name")
			}
			if end = lookupName(names, s[4:7]); end < 0 {
				return p.errf(f, at+4, "unknown name %q", s[4:7])
			}
		case '#':
			if f == fDOW {
				if err := p.nthSuffix(s[4:], at+4); err != nil {
					return err
				}
			}
		case 'L':
			if f == fDOW {
				p.e.lastWeekday = true
			}
		}
	}
	incr := 0
	if end != -1 {
		incr = 1
	}
	return p.add(f, start, end, incr, at)
}

// nthSuffix parses the k of n#k, which must be 1-5.
func (p *parser) nthSuffix(s string, at int) error {
	k, ok := javaInt(s)
	if !ok || k < 1 || k > 5 {
		return p.errf(fDOW, at, "'#' must be followed by a number 1-5, got %q", s)
	}
	p.e.nth = k
	return nil
}

// javaInt parses like Java's Integer.parseInt: optional sign, decimal digits,
// 32-bit range.
func javaInt(s string) (int, bool) {
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg, s = s[0] == '-', s[1:]
	}
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
		if n > 1<<31 {
			return 0, false
		}
	}
	if neg {
		n = -n
	}
	if n > 1<<31-1 || n < -(1<<31) {
		return 0, false
	}
	return n, true
}

func (p *parser) question(f fieldKind, s string, at int) error {
	if javaLen(s) > 2 {
		return p.errf(f, at+1, "unexpected %q after '?'", s[1:])
	}
	if f != fDOM && f != fDOW {
		return p.errf(f, at, "'?' is only allowed in day-of-month or day-of-week")
	}
	// Quartz refuses "?" in day-of-week when the largest value it holds
	// for day-of-month is "?": that is, day-of-month holds "?" and no "*".
	// An empty day-of-month (",") passes here and below.
	if f == fDOW && p.dom98 && !p.e.domMarker {
		return p.errf(f, at, "'?' cannot be used in both day-of-month and day-of-week")
	}
	return p.add(f, noSpec, -1, 0, at)
}

// star parses *, */n and /n.
func (p *parser) star(f fieldKind, s string, at int) error {
	if s == "*" {
		return p.add(f, allSpec, -1, 0, at)
	}
	if s[0] == '/' && len(s) == 1 {
		return p.errf(f, at, "'/' must be followed by a number")
	}
	i := 0
	if s[0] == '*' {
		i = 1
	}
	if s[i] != '/' {
		return p.add(f, allSpec, -1, 1, at)
	}
	i++
	if i >= len(s) {
		return p.errf(f, at+i, "'/' must be followed by a number")
	}
	step, ok := javaInt(s[i:])
	if !ok {
		return p.errf(f, at+i, "step %q is not a number", s[i:])
	}
	if err := p.checkStep(f, step, at+i); err != nil {
		return err
	}
	return p.add(f, allSpec, -1, step, at)
}

func (p *parser) checkStep(f fieldKind, step, at int) error {
	if step > fields[f].maxStep {
		return p.errf(f, at, "step %d is larger than the field's range %s", step, fields[f].rangeTxt)
	}
	return nil
}

// last parses L, LW, L-n, L-nW. Quartz ignores L in month and year (the
// field then never matches) and reads it as SAT in day-of-week.
func (p *parser) last(f fieldKind, s string, at int) error {
	switch f {
	case fSecond, fMinute, fHour:
		return p.errf(f, at, "'L' is not allowed here")
	case fDOW:
		return p.add(f, 7, 7, 0, at)
	case fDOM:
	default:
		return nil
	}
	rest := s[1:]
	off := 0
	if strings.HasPrefix(rest, "-") {
		digits := strings.TrimSuffix(rest[1:], "W")
		if rest == "-" {
			return p.errf(f, at+2, "'L-' must be followed by a number")
		}
		n := 0
		for i := 0; i < len(digits); i++ {
			if n = n*10 + int(digits[i]-'0'); n > 30 {
				return p.errf(f, at+2, "offset from the last day must be at most 30")
			}
		}
		off, rest = n, rest[1+len(digits):]
	}
	if rest == "W" {
		p.e.domLW |= 1 << off
	} else {
		p.e.domL |= 1 << off
	}
	return nil
}

// readNum reads the decimal digits at the start of s. ok is false when the
// number does not fit a Java int.
func readNum(s string) (n, width int, ok bool) {
	for width < len(s) && isDigit(s[width]) {
		n = n*10 + int(s[width]-'0')
		if n > 1<<31-1 {
			return 0, 0, false
		}
		width++
	}
	return n, width, true
}

// number parses items starting with a digit: n, nL, nW, n#k, n-m, n-m/s, n/s.
func (p *parser) number(f fieldKind, s string, at int) error {
	val, i, ok := readNum(s)
	if !ok {
		return p.errf(f, at, "number %q is too large", s)
	}
	if i >= len(s) {
		return p.add(f, val, -1, -1, at)
	}
	switch s[i] {
	case 'L':
		if f != fDOW {
			return p.errf(f, at+i, "'L' after a number is only allowed in day-of-week")
		}
		if val < 1 || val > 7 {
			return p.errf(f, at, "%d is out of range %s", val, fields[f].rangeTxt)
		}
		p.e.lastWeekday = true
		p.addRaw(f, val)
		return nil
	case 'W':
		if f != fDOM {
			return p.errf(f, at+i, "'W' is only allowed in day-of-month")
		}
		// Quartz checks only the upper bound here: "0W" is accepted
		// and matches no day, since no month has a day 0.
		if val > 31 {
			return p.errf(f, at, "%d is out of range %s", val, fields[f].rangeTxt)
		}
		p.e.domW |= 1 << val
		return nil
	case '#':
		if f != fDOW {
			return p.errf(f, at+i, "'#' is only allowed in day-of-week")
		}
		if err := p.nthSuffix(s[i+1:], at+i+1); err != nil {
			return err
		}
		p.addRaw(f, val)
		return nil
	case '-':
		i++
		if i >= len(s) || !isDigit(s[i]) {
			return p.errf(f, at+i, "'-' must be followed by a number")
		}
		end, w, ok := readNum(s[i:])
		if !ok {
			return p.errf(f, at+i, "number is too large")
		}
		i += w
		if i < len(s) && s[i] == '/' {
			i++
			if i >= len(s) || !isDigit(s[i]) {
				return p.errf(f, at+i, "'/' must be followed by a number")
			}
			// Quartz does not check the step of a range ("1-10/60").
			step, _, ok := readNum(s[i:])
			if !ok {
				return p.errf(f, at+i, "number is too large")
			}
			return p.add(f, val, end, step, at)
		}
		return p.add(f, val, end, 1, at)
	case '/':
		i++
		if i >= len(s) || !isDigit(s[i]) {
			return p.errf(f, at+i, "'/' must be followed by a number")
		}
		step, w, ok := readNum(s[i:])
		if !ok {
			return p.errf(f, at+i, "number is too large")
		}
		// Quartz rejects "0/5x" but ignores the tail of "0/15x".
		if w == 1 && i+1 < len(s) {
			return p.errf(f, at+i+1, "unexpected %q after the step", s[i+1:])
		}
		if err := p.checkStep(f, step, at+i); err != nil {
			return err
		}
		return p.add(f, val, -1, step, at)
	}
	return p.add(f, val, -1, 0, at)
}

// addRaw records a day-of-week value given with L or #, which Quartz stores
// without a range check.
func (p *parser) addRaw(f fieldKind, v int) {
	switch {
	case v == noSpec:
		p.dow98 = true
	case v >= 1 && v <= 7:
		p.e.dowDays |= 1 << v
	}
	p.dowMin = min(p.dowMin, v)
}

// add adds val (or the range val-end with step incr) to field f, with
// Quartz's range checks and wrap-around. end == -1 means "to the field's
// maximum"; incr <= 0 means a single value.
func (p *parser) add(f fieldKind, val, end, incr, at int) error {
	fi := fields[f]
	exempt := val == allSpec || (val == noSpec && (f == fDOM || f == fDOW))
	if f != fYear && !exempt && (val < fi.min || val > fi.max || end > fi.max) {
		bad := val
		if val >= fi.min && val <= fi.max {
			bad = end
		}
		return p.errf(f, at, "%d is out of range %s", bad, fi.rangeTxt)
	}
	if incr <= 0 && val != allSpec {
		p.set(f, val)
		return nil
	}
	if val == allSpec && incr <= 0 {
		incr = 1
		p.set(f, allSpec)
	}
	lo, hi := val, end
	if val == allSpec {
		lo = fi.min
	}
	if end == -1 {
		hi = fi.max
		if f == fYear {
			hi = openYear
		}
	}
	if f == fYear {
		if end == -1 && lo > p.maxYear {
			return p.errf(f, at, "%d is beyond the last year Quartz evaluates (%d)", lo, p.maxYear)
		}
		if hi < lo {
			return p.errf(f, at, "range %d-%d ends before it starts", lo, hi)
		}
		p.e.years = append(p.e.years, yearRange{lo, hi, incr})
		return nil
	}
	wrap := hi < lo
	if wrap {
		hi += fi.span
	}
	for v := lo; v <= hi; v += incr {
		x := v
		if wrap {
			x = v % fi.span
			if x == 0 && fi.min == 1 {
				x = fi.span
			}
		}
		p.set(f, x)
	}
	return nil
}

// set records one value of field f.
func (p *parser) set(f fieldKind, v int) {
	e := &p.e
	switch f {
	case fYear:
		if v != allSpec { // the "*" marker is not a year
			e.years = append(e.years, yearRange{v, v, 1})
		}
		return
	case fDOM:
		switch {
		case v == noSpec:
			p.dom98 = true
		case v == allSpec:
			e.domMarker = true
		case v >= 1 && v <= 31:
			e.domDays |= 1 << v
		case v >= 32 && v <= 62:
			// Quartz keeps "L-k" as the value 62-k in the same set, so a
			// range past 31 (only "99-40" can write one: 99 is "*" and
			// skips the range check) adds "L-k" days.
			e.domL |= 1 << (62 - v)
		}
		return
	case fDOW:
		p.dowMin = min(p.dowMin, v)
		switch {
		case v == noSpec:
			p.dow98 = true
		case v >= 1 && v <= 7:
			e.dowDays |= 1 << v
		}
		return
	}
	if v < fields[f].min || v > fields[f].max {
		return
	}
	switch f {
	case fSecond:
		e.seconds |= 1 << v
	case fMinute:
		e.minutes |= 1 << v
	case fHour:
		e.hours |= 1 << v
	case fMonth:
		e.months |= 1 << v
	}
}

// javaLen is the length of s in UTF-16 code units, as Java counts it; it
// matters where Quartz checks a length, e.g. "?" followed by a non-ASCII
// character.
func javaLen(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}
