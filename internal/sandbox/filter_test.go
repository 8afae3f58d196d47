package sandbox

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// visibleSeeds are the seed indexes listSources returns by default (the
// IdentityNow source, 11, is hidden).
func visibleSeeds() []int {
	var out []int
	for i := 1; i < len(seedTable); i++ {
		if i != 11 {
			out = append(out, i)
		}
	}
	return out
}

func except(drop ...int) []int {
	var out []int
	for _, i := range visibleSeeds() {
		if !slices.Contains(drop, i) {
			out = append(out, i)
		}
	}
	return out
}

var (
	seedDelimited = []int{1, 5, 6, 7, 9, 12, 29, 30, 39}
	seedWorkgroup = []int{7, 9, 12, 14, 19, 25, 30, 34}
)

func TestListSourcesFilters(t *testing.T) {
	h := newHarness(t, Config{})
	cases := []struct {
		name   string
		filter string
		want   []int  // seed indexes, any order
		bad    string // when set: 400 whose message contains this
	}{
		{"eq", `name eq "Workday HR"`, []int{2}, ""},
		{"eq is case-insensitive", `name eq "workday hr"`, []int{2}, ""},
		{"sw", `name sw "Corporate AD"`, []int{3, 13, 14}, ""},
		{"co", `name co "csv"`, []int{1, 12, 29, 30, 39}, ""},
		{"escaped quotes in co", `name co "\"HR\""`, []int{7}, ""},
		{"apostrophe and escaped quotes", `name eq "O'Brien \"HR\" feed"`, []int{7}, ""},
		{"unicode", `name eq "Zürich Ämter – 東京"`, []int{8}, ""},
		{"html-like name", `name eq "<img src=x onerror=alert(1)>"`, []int{5}, ""},
		{"htmx-like name", `name eq "<div hx-get=\"/logout\" hx-trigger=\"load\">"`, []int{6}, ""},
		{"in", `name in ("Workday HR","okta partners","nope")`, []int{2, 32}, ""},
		{"gt on strings", `name gt "Z"`, []int{8}, ""},
		{"type eq", `type eq "DelimitedFile"`, seedDelimited, ""},
		{"type sw", `type sw "azure"`, []int{15, 16, 33}, ""},
		{"connectorName", `connectorName eq "JDBC"`, []int{8, 10, 24, 25, 35, 40}, ""},
		{"connectionType", `connectionType eq "file"`, seedDelimited, ""},
		{"status eq", `status eq "SOURCE_STATE_ERROR_SOURCE"`, []int{3, 23, 28, 40}, ""},
		{"status in", `status in ("SOURCE_STATE_ERROR_VA", "SOURCE_STATE_FAILURE_CLUSTER")`, []int{18, 20}, ""},
		{"status sw", `status sw "SOURCE_STATE_UNCHECKED"`, []int{10, 12, 16, 26, 34}, ""},
		{"boolean eq", `authoritative eq true`, []int{2}, ""},
		{"boolean ne", `authoritative ne true`, except(2), ""},
		{"workgroup eq", `managementWorkgroup.id eq "` + DemoWorkgroupID + `"`, seedWorkgroup, ""},
		{"workgroup isnull", `managementWorkgroup.id isnull`, except(seedWorkgroup...), ""},
		{"workgroup ne includes null", `managementWorkgroup.id ne "` + DemoWorkgroupID + `"`, except(seedWorkgroup...), ""},
		{"owner.id", `owner.id eq "2c9180857a1b4c2d017a1b4c2d0e0001"`, []int{2, 15, 17, 21, 33, 36}, ""},
		{"features ca", `features ca ("PROVISIONING","PASSWORD")`, []int{3, 13, 14, 15, 16, 33, 22, 23, 34, 21, 31, 17, 18, 32}, ""},
		{"features co", `features co "unlock"`, []int{3, 13, 14, 17, 18, 32}, ""},
		{"date-time gt", `created gt 2024-02-25T00:00:00Z`, []int{38, 39, 40}, ""},
		{"date-time le", `created le 2024-01-17T13:30:00Z`, []int{1, 2}, ""},
		{"date-time range", `created ge 2024-01-17T13:30:00.000Z and created lt 2024-01-19T00:00:00Z`, []int{2, 3}, ""},
		{"date-time with offset", `created eq 2024-01-16T12:30:00+01:00`, []int{1}, ""},
		{"created sw", `created sw "2024-01-16"`, []int{1}, ""},
		{"description sw", `description sw "roster"`, []int{9}, ""},
		{"description eq", `description eq "Summer interns."`, []int{30}, ""},
		{"healthy isnull", `healthy isnull`, nil, ""},
		{"id eq", `id eq "` + SeedXSSSourceID + `"`, []int{5}, ""},
		{"id sw", `id sw "2c9180887e5f4a1b017e5f4a1b00002"`, []int{32, 33, 34, 35, 36, 37, 38, 39, 40}, ""},
		{"category eq", `category eq "CredentialProvider"`, nil, ""},
		{"not with parentheses", `not (type eq "DelimitedFile")`, except(seedDelimited...), ""},
		{"and binds tighter than or", `type eq "Workday" or type eq "Okta" and status ne "SOURCE_STATE_HEALTHY"`, []int{2, 36, 18}, ""},
		{"parentheses override", `(type eq "Workday" or type eq "Okta") and status ne "SOURCE_STATE_HEALTHY"`, []int{18}, ""},
		{"not binds tighter than and", `not type eq "Okta" and connectorName eq "Okta"`, nil, ""},
		{"nested", `connectionType eq "direct" and not (connectorName in ("JDBC","Active Directory","Okta","Salesforce","Azure Active Directory","LDAP","Google Workspace","Web Services","ServiceNow"))`, []int{2, 36}, ""},
		{"extra whitespace", "  name   eq\t\"Workday HR\"  ", []int{2}, ""},

		{"unquoted string", `name eq Workday`, nil, "double quotes"},
		{"upper-case operator", `name EQ "x"`, nil, "lower-case"},
		{"upper-case OR", `name eq "a" OR name eq "b"`, nil, "OR"},
		{"unterminated string", `name eq "Workday`, nil, "unterminated"},
		{"missing close paren", `(name eq "x"`, nil, "')'"},
		{"stray close paren", `name eq "x")`, nil, ")"},
		{"dangling and", `name eq "x" and`, nil, "end of filter"},
		{"bad escape", `name eq "a\q"`, nil, "escape"},
		{"unknown operator", `name like "x"`, nil, "like"},
		{"missing field", `eq "x"`, nil, "field"},
		{"empty in list", `name in ()`, nil, "value"},
		{"in without comma", `name in ("a" "b")`, nil, "','"},
		{"unsupported field", `connector eq "jdbc"`, nil, `"connector"`},
		{"unsupported operator for name", `name lt "x"`, nil, `"lt"`},
		{"healthy only isnull", `healthy eq true`, nil, `"healthy"`},
		{"description co unsupported", `description co "x"`, nil, `"co"`},
		{"features eq unsupported", `features eq "PROVISIONING"`, nil, `"eq"`},
		{"pr unsupported", `pr name`, nil, `"pr"`},
		{"owner.name unsupported", `owner.name eq "Ada Admin"`, nil, `"owner.name"`},
		{"category isnull unsupported", `category isnull`, nil, `"isnull"`},
	}
	require.GreaterOrEqual(t, len(cases), 40)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := h.do(req{user: "admin", method: "GET", path: "/sources?filters=" + url.QueryEscape(tc.filter)})
			if tc.bad != "" {
				require.Equal(t, 400, resp.StatusCode, "body: %s", b)
				assert.Contains(t, errText(t, b), tc.bad)
				return
			}
			require.Equal(t, 200, resp.StatusCode, "body: %s", b)
			var list []map[string]any
			require.NoError(t, json.Unmarshal(b, &list))
			var got, want []string
			for _, s := range list {
				got = append(got, s["id"].(string))
			}
			for _, i := range tc.want {
				want = append(want, seedSourceID(i))
			}
			assert.ElementsMatch(t, want, got)
		})
	}
}

func TestParseFilterPrecedence(t *testing.T) {
	e, err := ParseFilter(`not a eq 1 and b eq 2 or c eq 3`)
	require.NoError(t, err)
	assert.Equal(t, "or", e.Op)
	assert.Equal(t, "and", e.Args[0].Op)
	assert.Equal(t, "not", e.Args[0].Args[0].Op)
	assert.Equal(t, "a", e.Args[0].Args[0].Args[0].Field)
	assert.Equal(t, "c", e.Args[1].Field)
}

func TestParseLiteralKinds(t *testing.T) {
	cases := []struct {
		in   string
		kind LiteralKind
	}{
		{`"a \"b\" \\ c"`, LiteralString},
		{`true`, LiteralBool},
		{`42.5`, LiteralNumber},
		{`2018-12-18T23:05:55Z`, LiteralTime},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			l, err := ParseLiteral(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.kind, l.Kind)
		})
	}
	l, _ := ParseLiteral(`"a \"b\" \\ c"`)
	assert.Equal(t, `a "b" \ c`, l.Str)
	for _, bad := range []string{`"a" "b"`, `abc`, `"open`, ``, `(`} {
		_, err := ParseLiteral(bad)
		assert.Error(t, err, bad)
	}
}

// quoteFilterString is how a client should quote a filter string.
func quoteFilterString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func FuzzParseLiteralRoundTrip(f *testing.F) {
	for _, s := range []string{"", `O'Brien "HR" feed`, `\`, `\"`, "Zürich Ämter – 東京", `<img src=x onerror=alert(1)>`, ") or (name pr", "a\x00b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLiteral(quoteFilterString(s))
		require.NoError(t, err)
		require.Equal(t, LiteralString, l.Kind)
		require.Equal(t, s, l.Str)
		// The quoted string also works as the operand of a comparison.
		e, err := ParseFilter(`name eq ` + quoteFilterString(s))
		require.NoError(t, err)
		require.Equal(t, s, e.Values[0].Str)
	})
}
