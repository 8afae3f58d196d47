package csvcheck

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestHeaderReadsTheHeaderAsCheckDoes(t *testing.T) {
	for _, in := range []string{
		"id,displayName,e-mail\n",
		"\ufeff\n# exported by HR\nid;displayName;e-mail\nA1;Ann;a@example.com\n",
		"\"id\",\"display\"\"Name\",\"e,mail\"\r\nA1,Ann,a@example.com\r\n",
		"id\tdisplayName\n",
	} {
		t.Run(strings.SplitN(in, "\n", 2)[0], func(t *testing.T) {
			h, err := Header(context.Background(), strings.NewReader(in), Options{})
			require.NoError(t, err)
			c, err := Check(context.Background(), strings.NewReader(in), Schema{}, Options{})
			require.NoError(t, err)
			assert.Equal(t, c.Columns, h.Columns, "the pre-flight and the schema file see the same columns")
			assert.Equal(t, c.Delimiter, h.Delimiter)
			assert.Equal(t, c.HasBOM, h.HasBOM)
			assert.False(t, h.Blocking(), "%+v", h.Findings)
		})
	}
}

func TestHeaderLeavesTheRowsUnread(t *testing.T) {
	rows := strings.Repeat("A1,Ann,a@example.com,\"unclosed\n", 200_000) // ~6 MB, a broken quote on every line
	cr := &countingReader{r: strings.NewReader("id,displayName,email,notes\n" + rows)}
	h, err := Header(context.Background(), cr, Options{})
	require.NoError(t, err)
	assert.Equal(t, []string{"id", "displayName", "email", "notes"}, h.Columns)
	assert.Empty(t, h.Findings, "the rows are not checked")
	assert.Less(t, cr.n, 256<<10, "only the start of the file is read")
}

func TestHeaderFindingsOfASchemaFile(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		code     string
		severity Severity
		example  string
	}{
		{"an empty name blocks", "id,displayName,,email\n", "empty-column-name", Error, "column 3"},
		{"a trailing delimiter blocks", "id,displayName,\n", "empty-column-name", Error, "column 3"},
		{"a duplicate name blocks", "id,email,id\n", "duplicate-column", Error, "id"},
		{"an empty file", "", "empty-header", Error, ""},
		{"binary content", "\x89PNG\r\n\x1a\n\x00\x00", "not-text", Error, ""},
		{"the attribute-definition table", "name,type,description,isMulti,isEntitlement,isGroup\nid,STRING,,false,false,false\n",
			"attribute-table", Warning, "name,type,description,isMulti,isEntitlement,isGroup"},
		{"the table in other words", "Name;Type;IsGroup\n", "attribute-table", Warning, "Name;Type;IsGroup"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := Header(context.Background(), strings.NewReader(tc.in), Options{})
			require.NoError(t, err)
			f, ok := h.Finding(tc.code)
			require.True(t, ok, "findings: %+v", h.Findings)
			assert.Equal(t, tc.severity, f.Severity)
			if tc.example != "" {
				assert.Contains(t, f.Examples, tc.example)
			}
			assert.NotEmpty(t, f.Message)
		})
	}
	t.Run("attribute names that merely include name and type are fine", func(t *testing.T) {
		h, err := Header(context.Background(), strings.NewReader("id,name,type,description\n"), Options{})
		require.NoError(t, err)
		assert.Empty(t, h.Findings)
	})
	t.Run("in an account file an empty column name stays a warning", func(t *testing.T) {
		r, err := Check(context.Background(), strings.NewReader("id,name,\nA1,Ann,\n"), accounts, Options{})
		require.NoError(t, err)
		f, ok := r.Finding("empty-column-name")
		require.True(t, ok)
		assert.Equal(t, Warning, f.Severity)
	})
}

func TestCheckCorrelationFile(t *testing.T) {
	correlate := func(in string) *Report {
		t.Helper()
		r, err := CheckCorrelation(context.Background(), strings.NewReader(in), Options{})
		require.NoError(t, err)
		return r
	}
	t.Run("a clean file", func(t *testing.T) {
		r := correlate("account,displayName,userName,type\nCN=Ann,Ann,ann.a,\nCN=Bob,Bob,bob.b,\n")
		assert.Empty(t, r.Findings)
		assert.Equal(t, 2, r.Rows)
	})
	t.Run("row problems, with their lines", func(t *testing.T) {
		r := correlate("account,displayName,userName,type\n" +
			"A1,Ann,ann.a,\n" + // 2
			",Nobody,bob.b,\n" + // 3: no account
			"A2,Bob,,\n" + // 4: no userName
			"A1,Ann again,ann.a,\n" + // 5: listed again
			"A3,Cy, ,\n") // 6: a blank userName
		assert.True(t, r.Blocking())
		for code, lines := range map[string][]int{"empty-id": {3}, "empty-username": {4, 6}, "duplicate-id": {5}} {
			f, ok := r.Finding(code)
			require.True(t, ok, "%s: %+v", code, r.Findings)
			assert.Equal(t, lines, f.Lines, code)
			assert.Equal(t, Error, f.Severity, code)
		}
		f, _ := r.Finding("empty-id")
		assert.Contains(t, f.Message, "no account")
		f, _ = r.Finding("duplicate-id")
		assert.Contains(t, f.Message, "account already listed")
	})
	t.Run("the header is fixed", func(t *testing.T) {
		r := correlate("id,displayName\nA1,Ann\n")
		f, ok := r.Finding("missing-required-column")
		require.True(t, ok, "%+v", r.Findings)
		assert.Equal(t, Error, f.Severity)
		assert.Equal(t, []string{`"account"`, `"userName"`, `"type"`}, f.Examples)
		assert.Contains(t, f.Message, "account,displayName,userName,type")
	})
	t.Run("an account file is not a correlation file", func(t *testing.T) {
		r := correlate("id,displayName,email\nA1,Ann,a@example.com\n")
		assert.True(t, r.Blocking())
		f, ok := r.Finding("unknown-column")
		require.True(t, ok)
		assert.Contains(t, f.Message, "not part of a correlation file")
	})
	t.Run("no rows", func(t *testing.T) {
		r := correlate("account,displayName,userName,type\n")
		f, ok := r.Finding("no-rows")
		require.True(t, ok)
		assert.Contains(t, f.Message, "nothing to correlate")
	})
}
