package filter_test

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/api/filter"
	"sourcedesk/internal/sandbox"
)

func TestBuild(t *testing.T) {
	when := time.Date(2018, 12, 18, 23, 5, 55, 0, time.UTC)
	cases := []struct {
		name string
		expr filter.Expr
		want string
	}{
		{"zero", filter.Expr{}, ""},
		{"eq string", filter.Eq("name", "HR"), `name eq "HR"`},
		{"escapes quote and backslash", filter.Eq("name", `a"b\c`), `name eq "a\"b\\c"`},
		{"bool bare", filter.Eq("authoritative", true), `authoritative eq true`},
		{"int bare", filter.Ge("deleteThreshold", 10), `deleteThreshold ge 10`},
		{"time bare RFC 3339", filter.Gt("created", when), `created gt 2018-12-18T23:05:55Z`},
		{"dotted field", filter.Eq("owner.id", "2c9"), `owner.id eq "2c9"`},
		{"co", filter.Co("name", "x"), `name co "x"`},
		{"sw", filter.Sw("name", "x"), `name sw "x"`},
		{"in", filter.In("type", "a", "b"), `type in ("a","b")`},
		{"ca", filter.Ca("features", "PROVISIONING", "ENABLE"), `features ca ("PROVISIONING","ENABLE")`},
		{"isnull", filter.IsNull("healthy"), `healthy isnull`},
		{"pr", filter.Pr("description"), `pr description`},
		{"and", filter.And(filter.Eq("a", "1"), filter.Eq("b", "2")), `a eq "1" and b eq "2"`},
		{"or inside and is grouped", filter.And(filter.Eq("a", "1"), filter.Or(filter.Eq("b", "2"), filter.Eq("c", "3"))),
			`a eq "1" and (b eq "2" or c eq "3")`},
		{"and inside or is grouped", filter.Or(filter.And(filter.Eq("a", "1"), filter.Eq("b", "2")), filter.Eq("c", "3")),
			`(a eq "1" and b eq "2") or c eq "3"`},
		{"not", filter.Not(filter.Eq("a", "1")), `not (a eq "1")`},
		{"not of a list", filter.Not(filter.Or(filter.Eq("a", "1"), filter.Eq("b", "2"))), `not (a eq "1" or b eq "2")`},
		{"zero operands skipped", filter.And(filter.Expr{}, filter.Eq("a", "1"), filter.Expr{}), `a eq "1"`},
		{"single list kept grouped", filter.And(filter.Or(filter.Eq("a", "1"), filter.Eq("b", "2"))), `a eq "1" or b eq "2"`},
		{"not zero", filter.Not(filter.Expr{}), ``},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, tc.expr.Err())
			assert.Equal(t, tc.want, tc.expr.String())
		})
	}
}

func TestInvalidFieldNames(t *testing.T) {
	for _, f := range []string{"", "name eq \"x\" or id", "a..b", "1a", "name)", `na"me`, "a b"} {
		e := filter.And(filter.Eq("type", "x"), filter.Eq(f, "v"))
		assert.Error(t, e.Err(), "field %q", f)
		assert.Empty(t, e.String(), "an invalid filter renders as nothing")
		assert.Error(t, filter.Not(filter.IsNull(f)).Err())
		assert.Error(t, filter.In(f, "a").Err())
	}
}

// token is one token of the reference tokenizer below.
type token struct {
	kind string // "word", "string", "punct"
	text string // for "string": the unescaped value
}

// tokenize is a small reference lexer for the filters grammar, written from
// the grammar's text (strings in double quotes, \" and \\ escapes), not from
// the package under test.
func tokenize(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')' || c == ',':
			toks = append(toks, token{"punct", string(c)})
			i++
		case c == '"':
			var b strings.Builder
			i++
			for {
				if i >= len(s) {
					return nil, errors.New("unterminated string")
				}
				if s[i] == '\\' {
					if i+1 >= len(s) || (s[i+1] != '"' && s[i+1] != '\\') {
						return nil, errors.New("bad escape")
					}
					b.WriteByte(s[i+1])
					i += 2
					continue
				}
				if s[i] == '"' {
					i++
					break
				}
				b.WriteByte(s[i])
				i++
			}
			toks = append(toks, token{"string", b.String()})
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n\r(),\"", rune(s[j])) {
				j++
			}
			toks = append(toks, token{"word", s[i:j]})
			i = j
		}
	}
	return toks, nil
}

func FuzzQuoteRoundTrip(f *testing.F) {
	for _, s := range []string{"", "plain", `a"b`, `a\b`, `\"`, `x" or name eq "y`, "\\", "\"\"\\\\", "日本", "a\nb", ") or (1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := filter.Eq("name", s).String()
		toks, err := tokenize(got)
		require.NoError(t, err, "filter %q", got)
		require.Equal(t, []token{{"word", "name"}, {"word", "eq"}, {"string", s}}, toks, "filter %q", got)

		// Inside a composite the value still stays one literal.
		got = filter.And(filter.Co("name", s), filter.Not(filter.In("type", s, "x"))).String()
		toks, err = tokenize(got)
		require.NoError(t, err)
		want := []token{{"word", "name"}, {"word", "co"}, {"string", s}, {"word", "and"}, {"word", "not"}, {"punct", "("},
			{"word", "type"}, {"word", "in"}, {"punct", "("}, {"string", s}, {"punct", ","}, {"string", "x"}, {"punct", ")"}, {"punct", ")"}}
		require.Equal(t, want, toks, "filter %q", got)

		// The sandbox tenant's parser of the V3 grammar agrees.
		lit, err := sandbox.ParseLiteral(filter.Quote(s))
		require.NoError(t, err)
		require.Equal(t, sandbox.LiteralString, lit.Kind)
		require.Equal(t, s, lit.Str)

		tree, err := sandbox.ParseFilter(got)
		require.NoError(t, err, "filter %q", got)
		require.Equal(t, "and", tree.Op)
		require.Len(t, tree.Args, 2)
		co, not := tree.Args[0], tree.Args[1]
		require.Equal(t, "co", co.Op)
		require.Equal(t, "name", co.Field)
		require.Len(t, co.Values, 1)
		require.Equal(t, s, co.Values[0].Str)
		require.Equal(t, "not", not.Op)
		require.Len(t, not.Args, 1)
		in := not.Args[0]
		require.Equal(t, "in", in.Op)
		require.Len(t, in.Values, 2)
		require.Equal(t, s, in.Values[0].Str)
		require.Equal(t, "x", in.Values[1].Str)
	})
}

func TestSandboxParsesBuiltFilters(t *testing.T) {
	when := time.Date(2018, 12, 18, 23, 5, 55, 0, time.UTC)
	exprs := []filter.Expr{
		filter.Or(filter.And(filter.Eq("a", "1"), filter.Ne("b", 2)), filter.Not(filter.IsNull("c"))),
		filter.And(filter.Gt("created", when), filter.Le("deleteThreshold", 10), filter.Eq("authoritative", false)),
		filter.Or(filter.Ca("features", "PROVISIONING", "ENABLE"), filter.Pr("description"), filter.Sw("name", `\`)),
	}
	for _, e := range exprs {
		_, err := sandbox.ParseFilter(e.String())
		assert.NoError(t, err, "%s", e)
	}
}

func TestQuoteKeepsEveryByte(t *testing.T) {
	var all strings.Builder
	for r := rune(0); r < 0x300; r++ {
		if unicode.IsPrint(r) || r < 0x20 {
			all.WriteRune(r)
		}
	}
	toks, err := tokenize(filter.Quote(all.String()))
	require.NoError(t, err)
	require.Len(t, toks, 1)
	assert.Equal(t, all.String(), toks[0].text)
}
