package bff

import (
	"encoding/csv"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/api"
)

// TestSourcesExportIsInertUnderSemicolonSeparators: sources whose names and
// descriptions (set in ISC, not through the console) start with NUL or hide a
// formula after a semicolon download as a spreadsheet export in which no cell
// starts a formula, whether the spreadsheet splits at commas or at semicolons.
func TestSourcesExportIsInertUnderSemicolonSeparators(t *testing.T) {
	env := newTestEnv(t, nil)
	cl, ctx := env.adminAPI()
	owner := &api.Reference{Type: "IDENTITY", ID: adminIdentity}
	for _, src := range []api.Source{
		{Name: "\x00=HYPERLINK(\"http://evil.example\",\"x\") zzexport", Description: "\x00@SUM(A1)"},
		{Name: "a;=cmd|' /C calc'!A0 zzexport", Description: "notes;+1+2;-3;@x"},
	} {
		src.Owner, src.Connector = owner, "delimited-file"
		_, err := cl.CreateSource(ctx, &src, true)
		require.NoError(t, err)
	}
	rec := env.do(http.MethodGet, "/sources/export.csv?q=zzexport", nil, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	body := strings.TrimPrefix(rec.Body.String(), "\ufeff")
	for _, sep := range []rune{',', ';'} {
		for _, line := range strings.Split(body, "\n") {
			r := csv.NewReader(strings.NewReader(line))
			r.Comma, r.FieldsPerRecord, r.LazyQuotes = sep, -1, true
			rec, err := r.Read()
			if err != nil {
				continue // the empty last line
			}
			for _, cell := range rec {
				if cell != "" {
					assert.NotContains(t, "=+-@\t\x00\r", cell[:1], "separator %q: cell %q starts a formula", sep, cell)
				}
			}
		}
	}
	assert.Contains(t, body, "zzexport", "the hostile sources are in the export")
}
