package csvcheck

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// accounts is a schema with every attribute type.
var accounts = Schema{
	IdentityAttribute: "id",
	DisplayAttribute:  "name",
	Attributes: []Attribute{
		{Name: "id", Type: "STRING"},
		{Name: "name", Type: "STRING"},
		{Name: "age", Type: "INT"},
		{Name: "badge", Type: "LONG"},
		{Name: "active", Type: "BOOLEAN"},
		{Name: "hired", Type: "DATE"},
		{Name: "groups", Type: "STRING", Multi: true},
		{Name: "codes", Type: "INT", Multi: true},
		{Name: "since", Type: "SOMETHING_NEW"},
	},
}

const header = "id,name,age,badge,active,hired,groups,codes,since\n"

// row builds a data line from the fields that differ from a valid row.
func row(id string, set ...string) string {
	f := []string{id, "Ann", "42", "9000000000", "true", "2024-05-31", `"[g1,g2]"`, `"[1,2]"`, "x"}
	for i := 0; i+1 < len(set); i += 2 {
		f[slices.Index(strings.Split(strings.TrimSpace(header), ","), set[i])] = set[i+1]
	}
	return strings.Join(f, ",") + "\n"
}

// check runs Check with the default buffer and with a 16-byte buffer, which
// makes most lines span several reads, and requires the same report.
func check(t *testing.T, in string, s Schema, opt Options) *Report {
	t.Helper()
	r, err := Check(context.Background(), strings.NewReader(in), s, opt)
	require.NoError(t, err)
	opt.bufSize = 16
	small, err := Check(context.Background(), iotest.HalfReader(strings.NewReader(in)), s, opt)
	require.NoError(t, err)
	// The text shown around invalid UTF-8 comes from one read buffer.
	assert.Equal(t, withoutUTF8Examples(r), withoutUTF8Examples(small), "a 16-byte read buffer changes the report")
	return r
}

func withoutUTF8Examples(r *Report) Report {
	c := *r
	c.Findings = slices.Clone(r.Findings)
	for i := range c.Findings {
		if c.Findings[i].Code == "invalid-utf8" {
			c.Findings[i].Examples = nil
		}
	}
	return c
}

func codes(r *Report) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.Code)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func TestCheckCleanFile(t *testing.T) {
	in := header + row("a") + row("b", "groups", "solo", "codes", "7") + row("c", "age", "", "hired", "2024-05-31T13:45:00Z") +
		row("d", "groups", `"[]"`, "active", "FALSE", "hired", "2024-05-31 13:45:00.250+02:00", "badge", "-9223372036854775808")
	for _, eol := range []string{"\n", "\r\n"} {
		t.Run(strings.ReplaceAll(strings.ReplaceAll(eol, "\r", "CR"), "\n", "LF"), func(t *testing.T) {
			r := check(t, strings.ReplaceAll(in, "\n", eol), accounts, Options{})
			assert.Empty(t, r.Findings)
			assert.False(t, r.Blocking())
			assert.Equal(t, 4, r.Rows)
			assert.Equal(t, 5, r.Lines)
			assert.Equal(t, int64(len(strings.ReplaceAll(in, "\n", eol))), r.Bytes)
			assert.Equal(t, ',', r.Delimiter)
			assert.Equal(t, strings.Split(strings.TrimSpace(header), ","), r.Columns)
		})
	}
}

func TestCheckFindings(t *testing.T) {
	var many strings.Builder
	many.WriteString(header)
	for i := range 200 {
		many.WriteString(row("u" + string(rune('a'+i%26)) + strings.Repeat("z", i/26)))
	}
	bigPrefix := many.String() // longer than the 8 KiB sniffed for binary content
	tests := []struct {
		name     string // the finding code under test
		in       string
		schema   *Schema
		opt      Options
		want     []string // every code expected in the report
		severity Severity
		count    int
		lines    []int
		examples []string // each must be among the finding's examples
		rows     int
	}{
		{name: "not-text", in: "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", want: []string{"not-text"}, severity: Error, count: 1, lines: []int{1}, examples: []string{"is a PNG image"}},
		{name: "not-text/xlsx", in: "PK\x03\x04\x14\x00\x06\x00", want: []string{"not-text"}, severity: Error, count: 1, examples: []string{"is a ZIP archive (an Excel .xlsx workbook is one)"}},
		{name: "not-text/utf16", in: "\xff\xfei\x00d\x00,\x00", want: []string{"not-text"}, severity: Error, count: 1, examples: []string{"is UTF-16 text; save it as CSV UTF-8"}},
		{name: "not-text/nul-in-header", in: "id\x00,name\n", want: []string{"not-text"}, severity: Error, count: 1},
		{name: "bom", in: "\ufeff" + header + row("a"), want: []string{"bom"}, severity: Warning, count: 1, lines: []int{1}, rows: 1},
		{name: "invalid-utf8", in: header + row("a", "name", "Caf\xe9") + row("b") + row("c", "name", "\xff\xfe"), want: []string{"invalid-utf8"}, severity: Error, count: 2, lines: []int{2, 4}, examples: []string{`"a,Caf\xe9,42,9000000000,true"`}, rows: 3},
		{name: "nul-byte", in: bigPrefix + row("n\x00"), want: []string{"nul-byte"}, severity: Error, count: 1, lines: []int{202}, rows: 201},
		{name: "cr-line-endings", in: "id,name\rA,B\r", schema: &Schema{}, want: []string{"cr-line-endings", "no-rows"}, severity: Error, count: 1, rows: 0},
		{name: "wrong-delimiter", in: "id;name\na;b\n", opt: Options{Delimiter: ','}, schema: &Schema{IdentityAttribute: "id", Attributes: []Attribute{{Name: "id"}, {Name: "name"}}},
			want: []string{"missing-column", "missing-identity-column", "unknown-column", "wrong-delimiter"}, severity: Error, count: 1, examples: []string{"';'"}, rows: 1},
		{name: "bare-quote", in: header + row("a", "name", `An"n`) + row("b"), want: []string{"bare-quote"}, severity: Error, count: 1, lines: []int{2}, rows: 2},
		{name: "text-after-quote", in: header + row("a", "name", `"Ann"x`), want: []string{"text-after-quote"}, severity: Error, count: 1, lines: []int{2}, rows: 1},
		{name: "unterminated-quote", in: header + row("a") + "b,\"Bo\nc,Cy\n", want: []string{"multiline-value", "unterminated-quote", "wrong-field-count"}, severity: Error, count: 1, lines: []int{3}, rows: 2},
		{name: "unterminated-quote/no-final-newline", in: header + `c,"Bo`, want: []string{"unterminated-quote", "wrong-field-count"}, severity: Error, count: 1, lines: []int{2}, rows: 1},
		{name: "multiline-value", in: header + row("a", "name", "\"Ann\nMarie\"") + row("b"), want: []string{"multiline-value"}, severity: Warning, count: 1, lines: []int{2}, rows: 2},
		{name: "record-too-long", in: header + row("a", "name", strings.Repeat("n", 300)) + row("a"), opt: Options{MaxRecordBytes: 200}, want: []string{"record-too-long"}, severity: Error, count: 1, lines: []int{2}, rows: 2},
		{name: "record-too-long/quoted", in: header + row("a", "name", `"`+strings.Repeat("n\n", 150)+`"`) + row("b"), opt: Options{MaxRecordBytes: 200}, want: []string{"multiline-value", "record-too-long"}, severity: Error, count: 1, lines: []int{2}, rows: 2},
		{name: "blank-lines", in: "\n" + header + "\n" + row("a") + "\r\n", want: []string{"blank-lines"}, severity: Info, count: 3, lines: []int{1, 3, 5}, rows: 1},
		{name: "comment-lines", in: header + "# exported 2026-11-29\n" + row("a"), want: []string{"comment-lines"}, severity: Info, count: 1, lines: []int{2}, rows: 1},
		{name: "comment-lines/before-header", in: "#" + header + row("a"), want: []string{"comment-lines", "missing-column", "missing-identity-column", "no-rows", "unknown-column"}, severity: Warning, count: 1, lines: []int{1}, rows: 0},
		{name: "comment-lines/custom", in: header + row("a") + row(";b"), opt: Options{Comment: ';'}, want: []string{"comment-lines"}, severity: Info, count: 1, lines: []int{3}, rows: 1},
		{name: "comment-lines/off", in: header + row("#a"), opt: Options{NoComment: true}, want: nil, rows: 1},
		{name: "empty-header", in: ",,\n1,2,3\n", want: []string{"empty-header"}, severity: Error, count: 1, lines: []int{1}, rows: 1},
		{name: "empty-column-name", in: strings.TrimSpace(header) + ",\n" + strings.TrimSpace(row("a")) + ",\n", want: []string{"empty-column-name"}, severity: Warning, count: 1, examples: []string{"column 10"}, rows: 1},
		{name: "duplicate-column", in: strings.TrimSpace(header) + ",name\n" + strings.TrimSpace(row("a")) + ",Bo\n", want: []string{"duplicate-column"}, severity: Error, count: 1, examples: []string{"name"}, rows: 1},
		{name: "missing-identity-column", in: strings.Replace(header, "id", "ID", 1) + row("a"), want: []string{"missing-identity-column", "unknown-column"}, severity: Error, count: 1, lines: []int{1}, examples: []string{`"id" (did you mean "ID"?)`}, rows: 1},
		{name: "unknown-column", in: strings.TrimSpace(header) + ",nickname, name \n" + strings.TrimSpace(row("a")) + ",Annie,Ann\n", want: []string{"unknown-column"}, severity: Warning, count: 2, examples: []string{`"nickname"`, `" name " (did you mean "name"?)`}, rows: 1},
		{name: "missing-column", in: "id,name,age\na,Ann,4\n", want: []string{"missing-column"}, severity: Warning, count: 6, examples: []string{`"active"`, `"badge"`, `"codes"`, `"groups"`, `"hired"`}, rows: 1},
		{name: "wrong-field-count", in: header + row("a") + "b,Bo\n" + strings.TrimSpace(row("c")) + ",extra\n", want: []string{"wrong-field-count"}, severity: Error, count: 2, lines: []int{3, 4}, examples: []string{"2 fields", "10 fields"}, rows: 3},
		{name: "empty-id", in: header + row("") + row("b") + "\n", want: []string{"blank-lines", "empty-id"}, severity: Error, count: 1, lines: []int{2}, rows: 2},
		{name: "duplicate-id", in: header + row("a") + row("b") + row("a") + row("b") + row("b"), want: []string{"duplicate-id"}, severity: Error, count: 3, lines: []int{4, 5, 6}, examples: []string{"a", "b"}, rows: 5},
		{name: "duplicate-id/merge-rows", in: header + row("a") + row("a") + row("b") + row("a"), opt: Options{MergeRows: true}, want: []string{"duplicate-id"}, severity: Error, count: 1, lines: []int{5}, examples: []string{"a"}, rows: 4},
		{name: "duplicate-check-limited", in: header + row("a") + row("b") + row("c") + row("a") + row("c"), opt: Options{MaxIDs: 2}, want: []string{"duplicate-check-limited", "duplicate-id"}, severity: Info, count: 1, lines: []int{4}, rows: 5},
		{name: "invalid-integer", in: header + row("a", "age", "x") + row("b", "age", "2147483648") + row("c", "age", "-2147483648", "badge", "+9223372036854775807") +
			row("d", "age", " 5") + row("e", "age", "1.0") + row("f", "badge", "9223372036854775808") + row("g", "codes", `"[1, x]"`),
			want: []string{"invalid-integer"}, severity: Warning, count: 4, lines: []int{2, 3, 5, 6}, examples: []string{"x", "2147483648", " 5", "1.0"}, rows: 7},
		{name: "invalid-boolean", in: header + row("a", "active", "yes") + row("b", "active", "TRUE") + row("c", "active", "False"), want: []string{"invalid-boolean"}, severity: Warning, count: 1, lines: []int{2}, examples: []string{"yes"}, rows: 3},
		{name: "invalid-date", in: header + row("a", "hired", "31/12/2024") + row("b", "hired", "2024-02-30") + row("c", "hired", "2024-02-29") +
			row("d", "hired", "1717171717000") + row("e", "hired", "20240229") + row("f", "hired", "2024-02-29T25:00") + row("g", "hired", "2024-02-29T10:00:00.5-0700"),
			want: []string{"invalid-date"}, severity: Warning, count: 4, lines: []int{2, 3, 6, 7}, examples: []string{"31/12/2024", "2024-02-30", "20240229", "2024-02-29T25:00"}, rows: 7},
		{name: "unbalanced-brackets", in: header + row("a", "groups", `"[g1,g2"`) + row("b", "groups", `"g1]"`) + row("c", "groups", "["), want: []string{"unbalanced-brackets"}, severity: Warning, count: 3, lines: []int{2, 3, 4}, examples: []string{"[g1,g2"}, rows: 3},
		{name: "empty-list-item", in: header + row("a", "groups", `"[g1,,g2]"`) + row("b", "groups", `"[g1, ]"`), want: []string{"empty-list-item"}, severity: Warning, count: 2, lines: []int{2, 3}, rows: 2},
		{name: "list-in-single-valued", in: header + row("a", "name", `"[Ann,Bo]"`) + row("b", "name", "[Ann]"), want: []string{"list-in-single-valued"}, severity: Warning, count: 1, lines: []int{2}, examples: []string{"[Ann,Bo]"}, rows: 2},
		{name: "no-rows", in: header, want: []string{"no-rows"}, severity: Warning, count: 1, rows: 0},
		{name: "no-rows/empty-file", in: "", want: []string{"no-rows"}, severity: Warning, count: 1, rows: 0},
		{name: "no-rows/comments-only", in: "# nothing\n\n", want: []string{"blank-lines", "comment-lines", "no-rows"}, severity: Warning, count: 1, rows: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := accounts
			if tt.schema != nil {
				s = *tt.schema
			}
			r := check(t, tt.in, s, tt.opt)
			assert.Equal(t, tt.want, codes(r))
			assert.Equal(t, tt.rows, r.Rows, "rows")
			if len(tt.want) == 0 {
				return
			}
			code, _, _ := strings.Cut(tt.name, "/")
			f, ok := r.Finding(code)
			require.True(t, ok, "finding %s", code)
			assert.Equal(t, tt.severity, f.Severity)
			assert.Equal(t, tt.count, f.Count)
			if tt.lines != nil {
				assert.Equal(t, tt.lines, f.Lines)
			}
			for _, ex := range tt.examples {
				assert.Contains(t, f.Examples, ex)
			}
			assert.NotEmpty(t, f.Message)
			assert.Equal(t, tt.severity == Error || slices.ContainsFunc(r.Findings, func(f Finding) bool { return f.Severity == Error }), r.Blocking())
		})
	}
}

func TestCheckDetectsDelimiter(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want rune
	}{
		{"comma", "id,name\na,b\n", ','},
		{"semicolon", "id;name;x,y\na;b;c\n", ';'},
		{"tab", "id\tname\na\tb\n", '\t'},
		{"pipe", "id|name\na|b\n", '|'},
		{"quoted delimiters do not count", "\"a;b;c\",id,name\n1,2,3\n", ','},
		{"single column", "id\na\n", ','},
		{"after comments and blank lines", "# a, b, c, d\n\nid;name\na;b\n", ';'},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := check(t, tt.in, Schema{IdentityAttribute: "id"}, Options{})
			assert.Equal(t, tt.want, r.Delimiter)
			assert.Contains(t, r.Columns, "id")
			assert.False(t, r.Blocking(), "%+v", r.Findings)
		})
	}
}

func TestCheckMessagesAreSpecific(t *testing.T) {
	r := check(t, header+row("a", "age", "x")+row("b", "age", "y"), accounts, Options{})
	f, ok := r.Finding("invalid-integer")
	require.True(t, ok)
	assert.Equal(t, "age", f.Column)
	assert.Equal(t, `2 values in column "age" are not a whole number from -2147483648 to 2147483647.`, f.Message)
}

func TestCheckCapsExamples(t *testing.T) {
	var b strings.Builder
	b.WriteString(header)
	for range 50 {
		b.WriteString(row(""))
	}
	r := check(t, b.String(), accounts, Options{MaxExamples: 3})
	f, ok := r.Finding("empty-id")
	require.True(t, ok)
	assert.Equal(t, 50, f.Count)
	assert.Equal(t, []int{2, 3, 4}, f.Lines)
}

func TestCheckLongLinesAcrossReads(t *testing.T) {
	// Multi-byte characters cut by the 16-byte buffer must not read as
	// invalid UTF-8, and CR LF split between reads is still a line end.
	name := strings.Repeat("é", 9) + "日本語" + strings.Repeat("😀", 5)
	in := header + row("a", "name", name) + row("b", "name", `"`+name+"\r\n"+name+`"`)
	in = strings.ReplaceAll(in, "\n", "\r\n")
	r := check(t, in, accounts, Options{})
	assert.Equal(t, []string{"multiline-value"}, codes(r))
	assert.Equal(t, 2, r.Rows)
}

func TestCheckInvalidOptions(t *testing.T) {
	for _, d := range []rune{'"', '\n', 'é'} {
		_, err := Check(context.Background(), strings.NewReader(header), accounts, Options{Delimiter: d})
		assert.Error(t, err, "delimiter %q", d)
	}
}

func TestCheckCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Check(ctx, strings.NewReader(header+row("a")), accounts, Options{})
	assert.ErrorIs(t, err, context.Canceled)
}

func TestCheckReadError(t *testing.T) {
	boom := errors.New("connection reset")
	r := io.MultiReader(strings.NewReader(header+row("a")), iotest.ErrReader(boom))
	_, err := Check(context.Background(), r, accounts, Options{})
	assert.ErrorIs(t, err, boom)
}

func TestCheckEmptySchemaOnlyChecksFormat(t *testing.T) {
	r := check(t, "a,b\n1,2\n1,2\n", Schema{}, Options{})
	assert.Empty(t, r.Findings)
	assert.Equal(t, 2, r.Rows)
}
