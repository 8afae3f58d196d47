package csvcheck

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dangerousStarts are the first characters that make a spreadsheet run a cell as
// a formula (= + - @ TAB NUL, and CR from CWE-1236 tooling).
const dangerousStarts = "=+-@\t\x00\r"

// spreadsheetCells reads a CSV file the way a spreadsheet whose list separator is
// sep does: a quote opens a quoted cell only at the start of a cell, and, when
// lineByLine, every line break ends a row even inside quotes (a reader that
// does not know the file's quoting).
func spreadsheetCells(t *testing.T, file string, sep rune, lineByLine bool) []string {
	t.Helper()
	file = strings.TrimPrefix(file, BOM)
	chunks := []string{file}
	if lineByLine {
		chunks = strings.FieldsFunc(file, func(r rune) bool { return r == '\n' || r == '\r' })
	}
	var cells []string
	for _, chunk := range chunks {
		r := csv.NewReader(strings.NewReader(chunk))
		r.Comma, r.FieldsPerRecord, r.LazyQuotes = sep, -1, true
		recs, err := r.ReadAll()
		require.NoError(t, err)
		for _, rec := range recs {
			cells = append(cells, rec...)
		}
	}
	return cells
}

// TestSpreadsheetExportIsInertUnderCommaAndSemicolonSeparators: whatever a cell
// holds, no cell of a spreadsheet-safe export starts a formula when the file is
// opened by a spreadsheet that splits at commas, at semicolons (the list
// separator of many European locales) or at tabs, even one that ignores quotes
// around line breaks; and the comma reading keeps every cell's text, only with
// apostrophes that mark formulas as text.
func TestSpreadsheetExportIsInertUnderCommaAndSemicolonSeparators(t *testing.T) {
	var hostile []string
	for _, d := range dangerousStarts {
		for _, f := range []string{"HYPERLINK(\"http://evil.example\",\"x\")", "cmd|' /C calc'!A0", "SUM(A1)"} {
			p := string(d) + f
			hostile = append(hostile, p, "a;"+p, "a,"+p, "a; "+p, "a;;"+p, "a\t"+p, "x\n"+p, "x\r\n"+p, "\x00"+p, "a;\t"+p)
		}
	}
	var buf bytes.Buffer
	w := NewSafeWriter(&buf)
	for _, cell := range hostile { // between other cells, as in a real export
		require.NoError(t, w.Write([]string{"id", cell, "tail"}))
	}
	require.NoError(t, w.Flush())
	for _, sep := range []rune{',', ';', '\t'} {
		for _, lineByLine := range []bool{false, true} {
			for _, cell := range spreadsheetCells(t, buf.String(), sep, lineByLine) {
				cell = strings.TrimPrefix(cell, `"`) // a quote that did not open a quoted cell is text
				if cell != "" {
					assert.NotContains(t, dangerousStarts, cell[:1], "separator %q (line by line: %v): cell %q starts a formula", sep, lineByLine, cell)
				}
			}
		}
	}
	got := spreadsheetCells(t, buf.String(), ',', false)
	require.Len(t, got, 3*len(hostile))
	// encoding/csv reads a quoted CRLF as LF.
	noApostrophes := func(s string) string { return strings.NewReplacer("'", "", "\r\n", "\n").Replace(s) }
	for i, cell := range hostile {
		assert.Equal(t, noApostrophes(cell), noApostrophes(got[3*i+1]), "the comma reading keeps the cell's text")
	}
}
