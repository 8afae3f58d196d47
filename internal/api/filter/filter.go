// Package filter builds ISC "filters" query values (the V3 collection
// filter grammar) so that values can never change a filter's structure.
//
// Every string value is written as one double-quoted literal with `\` and `"`
// escaped, so user input such as `x" or name eq "y` stays a literal. Field
// names are checked against the grammar's identifier form. Composite
// expressions are parenthesised, so precedence (not > and > or) never
// regroups what the caller built.
//
//	f := filter.And(filter.Sw("name", userText), filter.Eq("authoritative", true))
//	f.String() // name sw "..." and authoritative eq true
package filter

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Expr is a filter expression. The zero Expr is "no filter".
type Expr struct {
	s     string
	multi bool  // an and/or list that needs parentheses inside another one
	err   error // first invalid field name, if any
}

// String returns the filter text for the "filters" query parameter ("" for
// the zero Expr, and for an Expr with an error).
func (e Expr) String() string {
	if e.err != nil {
		return ""
	}
	return e.s
}

// IsZero reports whether e is the empty filter.
func (e Expr) IsZero() bool { return e.s == "" && e.err == nil }

// Err returns the reason e is invalid (a field name outside the grammar), or nil.
func (e Expr) Err() error { return e.err }

// fieldRE is a field path: identifiers joined by dots (owner.id).
var fieldRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)

func field(name string) error {
	if !fieldRE.MatchString(name) {
		return fmt.Errorf("filter: invalid field name %q", name)
	}
	return nil
}

// Quote returns s as a filter string literal: in double quotes, with `\`
// written `\\` and `"` written `\"`.
func Quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

// literal writes a value: strings (and anything not listed) quoted, booleans
// and integers bare, times as unquoted RFC 3339 as in ISC's examples.
func literal(v any) string {
	switch v := v.(type) {
	case string:
		return Quote(v)
	case bool:
		return strconv.FormatBool(v)
	case int:
		return strconv.Itoa(v)
	case int32:
		return strconv.FormatInt(int64(v), 10)
	case int64:
		return strconv.FormatInt(v, 10)
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano)
	case fmt.Stringer:
		return Quote(v.String())
	default:
		return Quote(fmt.Sprint(v))
	}
}

func compare(name, op string, v any) Expr {
	if err := field(name); err != nil {
		return Expr{err: err}
	}
	return Expr{s: name + " " + op + " " + literal(v)}
}

// Eq is `field eq value`.
func Eq(field string, value any) Expr { return compare(field, "eq", value) }

// Ne is `field ne value`.
func Ne(field string, value any) Expr { return compare(field, "ne", value) }

// Gt is `field gt value`.
func Gt(field string, value any) Expr { return compare(field, "gt", value) }

// Ge is `field ge value`.
func Ge(field string, value any) Expr { return compare(field, "ge", value) }

// Lt is `field lt value`.
func Lt(field string, value any) Expr { return compare(field, "lt", value) }

// Le is `field le value`.
func Le(field string, value any) Expr { return compare(field, "le", value) }

// Co is `field co value`: value is a substring (strings only).
func Co(field, value string) Expr { return compare(field, "co", value) }

// Sw is `field sw value`: the field starts with value (strings only).
func Sw(field, value string) Expr { return compare(field, "sw", value) }

// In is `field in ("a", "b")`.
func In(field string, values ...any) Expr { return list(field, "in", values) }

// Ca is `field ca ("a", "b")`: the collection contains all values.
func Ca(field string, values ...any) Expr { return list(field, "ca", values) }

func list(name, op string, values []any) Expr {
	if err := field(name); err != nil {
		return Expr{err: err}
	}
	lits := make([]string, len(values))
	for i, v := range values {
		lits[i] = literal(v)
	}
	return Expr{s: name + " " + op + " (" + strings.Join(lits, ",") + ")"}
}

// IsNull is `field isnull`.
func IsNull(name string) Expr {
	if err := field(name); err != nil {
		return Expr{err: err}
	}
	return Expr{s: name + " isnull"}
}

// Pr is `pr field`: the field is present.
func Pr(name string) Expr {
	if err := field(name); err != nil {
		return Expr{err: err}
	}
	return Expr{s: "pr " + name}
}

// And joins exprs with `and`; zero exprs are skipped.
func And(exprs ...Expr) Expr { return join("and", exprs) }

// Or joins exprs with `or`; zero exprs are skipped.
func Or(exprs ...Expr) Expr { return join("or", exprs) }

func join(op string, exprs []Expr) Expr {
	var kept []Expr
	for _, e := range exprs {
		if e.err != nil {
			return Expr{err: e.err}
		}
		if e.s != "" {
			kept = append(kept, e)
		}
	}
	switch len(kept) {
	case 0:
		return Expr{}
	case 1:
		return kept[0]
	}
	parts := make([]string, len(kept))
	for i, e := range kept {
		parts[i] = e.group()
	}
	return Expr{s: strings.Join(parts, " "+op+" "), multi: true}
}

// Not is `not (expr)`; Not of the zero Expr is the zero Expr.
func Not(e Expr) Expr {
	if e.err != nil || e.s == "" {
		return e
	}
	return Expr{s: "not (" + e.s + ")"}
}

// group returns e's text, parenthesised when it is an and/or list.
func (e Expr) group() string {
	if e.multi {
		return "(" + e.s + ")"
	}
	return e.s
}
