package sandbox

// This file implements the V3 collection "filters" grammar that ISC list
// endpoints accept, as documented in the standard collection parameters:
//
//	expr    := or
//	or      := and { "or" and }
//	and     := unary { "and" unary }
//	unary   := "not" unary | primary
//	primary := "(" expr ")"
//	         | "pr" field
//	         | field "isnull"
//	         | field ("in" | "ca") "(" value { "," value } ")"
//	         | field op value            op: eq ne gt ge lt le co sw
//	value   := "quoted string"  (escape " as \" and \ as \\)
//	         | true | false | number | RFC 3339 date-time (unquoted)
//
// Operators are lower-case only ("EQ" is an error), precedence is
// not > and > or, and string comparisons are case-insensitive. Parsing knows
// nothing about fields; which fields and operators an endpoint allows is
// checked separately (FilterExpr.Check), so one parser serves every list.

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// LiteralKind says what kind of value a filter Literal holds.
type LiteralKind int

// The kinds of filter literals.
const (
	LiteralString LiteralKind = iota + 1
	LiteralBool
	LiteralNumber
	LiteralTime
)

// String names the kind: string, boolean, number or date-time.
func (k LiteralKind) String() string {
	switch k {
	case LiteralString:
		return "string"
	case LiteralBool:
		return "boolean"
	case LiteralNumber:
		return "number"
	case LiteralTime:
		return "date-time"
	}
	return "unknown"
}

// Literal is one value in a filter expression. Exactly one of Str, Bool, Num
// and Time is meaningful, as Kind says; Raw is the value as written.
type Literal struct {
	Kind LiteralKind
	Str  string
	Bool bool
	Num  float64
	Time time.Time
	Raw  string
}

// FilterExpr is a parsed filter expression: a tree whose inner nodes are
// "and", "or" and "not" (Args holds the operands) and whose leaves are
// comparisons (Op is eq, ne, gt, ge, lt, le, co, sw, in, ca, isnull or pr;
// Field is the dotted field name; Values holds the operands: one for the
// binary operators, one or more for in and ca, none for isnull and pr).
type FilterExpr struct {
	Op     string
	Field  string
	Values []Literal
	Args   []*FilterExpr
}

// FilterError is a malformed filter; Pos is the byte offset where parsing failed.
type FilterError struct {
	Pos int
	Msg string
}

// Error reports the position and the problem.
func (e *FilterError) Error() string { return fmt.Sprintf("invalid filter at %d: %s", e.Pos, e.Msg) }

// ParseFilter parses s with the V3 filters grammar. It checks syntax only;
// use Check for the fields and operators an endpoint supports.
func ParseFilter(s string) (*FilterExpr, error) {
	p := &filterParser{src: s}
	if err := p.lex(); err != nil {
		return nil, err
	}
	if len(p.toks) == 0 {
		return nil, &FilterError{0, "empty filter"}
	}
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		if w := strings.ToLower(t.text); t.kind == tokWord && (w == "and" || w == "or") {
			return nil, &FilterError{t.pos, fmt.Sprintf("operator %q must be lower-case", t.text)}
		}
		return nil, &FilterError{t.pos, fmt.Sprintf("unexpected %q", t.text)}
	}
	return e, nil
}

// ParseLiteral parses s as exactly one filter value (a quoted string, a
// boolean, a number or an unquoted date-time). A client that builds filters
// can check that its quoting of any string x round-trips:
// ParseLiteral(quote(x)) must return a LiteralString whose Str is x.
func ParseLiteral(s string) (Literal, error) {
	p := &filterParser{src: s}
	if err := p.lex(); err != nil {
		return Literal{}, err
	}
	if len(p.toks) != 1 {
		return Literal{}, &FilterError{0, fmt.Sprintf("want one value, got %d tokens", len(p.toks))}
	}
	return p.toks[0].literal()
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokLParen
	tokRParen
	tokComma
	tokString
	tokWord
)

type token struct {
	kind tokKind
	text string // unescaped for strings
	pos  int
}

func (t token) literal() (Literal, error) {
	switch t.kind {
	case tokString:
		return Literal{Kind: LiteralString, Str: t.text, Raw: t.text}, nil
	case tokWord:
		switch t.text {
		case "true", "false":
			return Literal{Kind: LiteralBool, Bool: t.text == "true", Raw: t.text}, nil
		}
		if n, err := strconv.ParseFloat(t.text, 64); err == nil && !math.IsInf(n, 0) && !math.IsNaN(n) {
			return Literal{Kind: LiteralNumber, Num: n, Raw: t.text}, nil
		}
		if tm, err := time.Parse(time.RFC3339Nano, t.text); err == nil {
			return Literal{Kind: LiteralTime, Time: tm, Raw: t.text}, nil
		}
		return Literal{}, &FilterError{t.pos, fmt.Sprintf("invalid value %q: strings must be in double quotes", t.text)}
	}
	return Literal{}, &FilterError{t.pos, fmt.Sprintf("expected a value, got %q", t.text)}
}

type filterParser struct {
	src  string
	toks []token
	i    int
}

func (p *filterParser) lex() error {
	s := p.src
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			p.toks = append(p.toks, token{tokLParen, "(", i})
			i++
		case c == ')':
			p.toks = append(p.toks, token{tokRParen, ")", i})
			i++
		case c == ',':
			p.toks = append(p.toks, token{tokComma, ",", i})
			i++
		case c == '"':
			start := i
			var b strings.Builder
			i++
			closed := false
			for i < len(s) {
				switch s[i] {
				case '\\':
					if i+1 >= len(s) {
						return &FilterError{i, "unterminated escape"}
					}
					switch s[i+1] {
					case '"', '\\':
						b.WriteByte(s[i+1])
						i += 2
					default:
						return &FilterError{i, fmt.Sprintf("invalid escape \\%c (only \\\" and \\\\ are allowed)", s[i+1])}
					}
					continue
				case '"':
					closed = true
					i++
				default:
					b.WriteByte(s[i])
					i++
					continue
				}
				break
			}
			if !closed {
				return &FilterError{start, "unterminated string"}
			}
			p.toks = append(p.toks, token{tokString, b.String(), start})
		default:
			start := i
			for i < len(s) && !strings.ContainsRune(" \t\n\r(),\"", rune(s[i])) {
				i++
			}
			p.toks = append(p.toks, token{tokWord, s[start:i], start})
		}
	}
	return nil
}

func (p *filterParser) peek() token {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return token{kind: tokEOF, text: "end of filter", pos: len(p.src)}
}

func (p *filterParser) next() token { t := p.peek(); p.i++; return t }

func (p *filterParser) isWord(w string) bool {
	t := p.peek()
	return t.kind == tokWord && t.text == w
}

func (p *filterParser) parseOr() (*FilterExpr, error) {
	l, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.isWord("or") {
		p.next()
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l = &FilterExpr{Op: "or", Args: []*FilterExpr{l, r}}
	}
	return l, nil
}

func (p *filterParser) parseAnd() (*FilterExpr, error) {
	l, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for p.isWord("and") {
		p.next()
		r, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		l = &FilterExpr{Op: "and", Args: []*FilterExpr{l, r}}
	}
	return l, nil
}

func (p *filterParser) parseUnary() (*FilterExpr, error) {
	if p.isWord("not") {
		p.next()
		e, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return &FilterExpr{Op: "not", Args: []*FilterExpr{e}}, nil
	}
	return p.parsePrimary()
}

var binaryOps = map[string]bool{"eq": true, "ne": true, "gt": true, "ge": true, "lt": true, "le": true, "co": true, "sw": true}

func isAllOps(w string) bool {
	return binaryOps[w] || w == "in" || w == "ca" || w == "isnull" || w == "pr" || w == "and" || w == "or" || w == "not"
}

func (p *filterParser) parsePrimary() (*FilterExpr, error) {
	t := p.next()
	switch t.kind {
	case tokLParen:
		e, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tokRParen {
			return nil, &FilterError{c.pos, fmt.Sprintf("expected ')', got %q", c.text)}
		}
		return e, nil
	case tokWord:
	default:
		return nil, &FilterError{t.pos, fmt.Sprintf("expected a field name, got %q", t.text)}
	}
	if t.text == "pr" {
		f := p.next()
		if f.kind != tokWord || !validFieldName(f.text) {
			return nil, &FilterError{f.pos, fmt.Sprintf("expected a field name after pr, got %q", f.text)}
		}
		return &FilterExpr{Op: "pr", Field: f.text}, nil
	}
	if isAllOps(t.text) || !validFieldName(t.text) {
		return nil, &FilterError{t.pos, fmt.Sprintf("expected a field name, got %q", t.text)}
	}
	field := t.text
	o := p.next()
	if o.kind != tokWord {
		return nil, &FilterError{o.pos, fmt.Sprintf("expected an operator after %s, got %q", field, o.text)}
	}
	op := o.text
	if !isAllOps(op) && isAllOps(strings.ToLower(op)) {
		return nil, &FilterError{o.pos, fmt.Sprintf("operator %q must be lower-case", op)}
	}
	switch {
	case op == "isnull":
		return &FilterExpr{Op: op, Field: field}, nil
	case op == "in" || op == "ca":
		if l := p.next(); l.kind != tokLParen {
			return nil, &FilterError{l.pos, fmt.Sprintf("expected '(' after %s, got %q", op, l.text)}
		}
		var vals []Literal
		for {
			v, err := p.next().literal()
			if err != nil {
				return nil, err
			}
			vals = append(vals, v)
			c := p.next()
			if c.kind == tokRParen {
				break
			}
			if c.kind != tokComma {
				return nil, &FilterError{c.pos, fmt.Sprintf("expected ',' or ')', got %q", c.text)}
			}
		}
		return &FilterExpr{Op: op, Field: field, Values: vals}, nil
	case binaryOps[op]:
		v, err := p.next().literal()
		if err != nil {
			return nil, err
		}
		return &FilterExpr{Op: op, Field: field, Values: []Literal{v}}, nil
	}
	return nil, &FilterError{o.pos, fmt.Sprintf("unknown operator %q", op)}
}

func validFieldName(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// Check reports the first comparison whose field or operator is not in
// allowed (field name → permitted operators), with a message naming it.
func (e *FilterExpr) Check(allowed map[string][]string) error {
	switch e.Op {
	case "and", "or", "not":
		for _, a := range e.Args {
			if err := a.Check(allowed); err != nil {
				return err
			}
		}
		return nil
	}
	ops, ok := allowed[e.Field]
	if !ok {
		return fmt.Errorf("filtering is not supported for field %q", e.Field)
	}
	for _, o := range ops {
		if o == e.Op {
			return nil
		}
	}
	return fmt.Errorf("operator %q is not supported for field %q (supported: %s)", e.Op, e.Field, strings.Join(ops, ", "))
}

// Match reports whether the JSON object obj (as decoded into map[string]any)
// satisfies e. Field names are dotted paths into nested objects.
func (e *FilterExpr) Match(obj map[string]any) bool {
	switch e.Op {
	case "and":
		return e.Args[0].Match(obj) && e.Args[1].Match(obj)
	case "or":
		return e.Args[0].Match(obj) || e.Args[1].Match(obj)
	case "not":
		return !e.Args[0].Match(obj)
	}
	v := lookupPath(obj, e.Field)
	if arr, ok := v.([]any); ok && (e.Op == "eq" || e.Op == "in") {
		// A collection (e.g. a group's memberships.identityId) equals a value
		// when one of its members does.
		for _, l := range e.Values {
			if arrayHas(arr, l) {
				return true
			}
		}
		return false
	}
	switch e.Op {
	case "isnull":
		return v == nil
	case "pr":
		return v != nil
	case "eq":
		return v != nil && compareValue(v, e.Values[0]) == 0
	case "ne":
		return v == nil || compareValue(v, e.Values[0]) != 0
	case "gt":
		return v != nil && compareValue(v, e.Values[0]) > 0
	case "ge":
		return v != nil && compareValue(v, e.Values[0]) >= 0
	case "lt":
		return v != nil && compareValue(v, e.Values[0]) < 0
	case "le":
		return v != nil && compareValue(v, e.Values[0]) <= 0
	case "in":
		for _, l := range e.Values {
			if v != nil && compareValue(v, l) == 0 {
				return true
			}
		}
		return false
	case "sw":
		s, ok := v.(string)
		return ok && strings.HasPrefix(strings.ToLower(s), strings.ToLower(e.Values[0].Raw))
	case "co":
		if arr, ok := v.([]any); ok {
			return arrayHas(arr, e.Values[0])
		}
		s, ok := v.(string)
		return ok && strings.Contains(strings.ToLower(s), strings.ToLower(e.Values[0].Raw))
	case "ca":
		arr, ok := v.([]any)
		if !ok {
			return false
		}
		for _, l := range e.Values {
			if !arrayHas(arr, l) {
				return false
			}
		}
		return true
	}
	return false
}

func arrayHas(arr []any, l Literal) bool {
	for _, x := range arr {
		if x != nil && compareValue(x, l) == 0 {
			return true
		}
	}
	return false
}

// lookupPath follows a dotted path through nested JSON objects.
func lookupPath(obj map[string]any, path string) any {
	var cur any = obj
	for _, part := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	return cur
}

// compareValue orders a JSON value against a literal: times chronologically
// (when the stored string parses as one), numbers numerically, booleans
// false < true, everything else as case-insensitive strings.
func compareValue(v any, l Literal) int {
	switch l.Kind {
	case LiteralTime:
		if s, ok := v.(string); ok {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				return t.Compare(l.Time)
			}
		}
	case LiteralNumber:
		if f, ok := v.(float64); ok {
			switch {
			case f < l.Num:
				return -1
			case f > l.Num:
				return 1
			}
			return 0
		}
	case LiteralBool:
		if b, ok := v.(bool); ok {
			return compareBool(b, l.Bool)
		}
	}
	return strings.Compare(strings.ToLower(valueString(v)), strings.ToLower(l.Raw))
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

func valueString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// sortObjects sorts objs by the ISC "sorters" list (comma-separated fields,
// "-" prefix for descending); allowed lists the sortable fields.
func sortObjects(objs []map[string]any, sorters string, allowed []string) error {
	type key struct {
		field string
		desc  bool
	}
	var keys []key
	for _, f := range strings.Split(sorters, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		k := key{field: f}
		if strings.HasPrefix(f, "-") {
			k = key{field: f[1:], desc: true}
		}
		ok := false
		for _, a := range allowed {
			ok = ok || a == k.field
		}
		if !ok {
			return fmt.Errorf("sorting is not supported for field %q", k.field)
		}
		keys = append(keys, k)
	}
	sort.SliceStable(objs, func(i, j int) bool {
		for _, k := range keys {
			c := compareAny(lookupPath(objs[i], k.field), lookupPath(objs[j], k.field))
			if c != 0 {
				return (c < 0) != k.desc
			}
		}
		return false
	})
	return nil
}

// compareAny orders two JSON values; nil sorts first.
func compareAny(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	if reflect.TypeOf(a) == reflect.TypeOf(b) {
		switch x := a.(type) {
		case bool:
			return compareBool(x, b.(bool))
		case float64:
			y := b.(float64)
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		}
	}
	return strings.Compare(strings.ToLower(valueString(a)), strings.ToLower(valueString(b)))
}
