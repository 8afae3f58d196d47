package bff

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPagesAndFragmentsAreCompressed: full pages and htmx fragments travel
// compressed with the best coding the browser accepts (Brotli, else gzip, else
// none; a coding refused with q=0 is not used), decode to the same HTML, and say
// that they vary by Accept-Encoding; a spreadsheet export stays as it is.
func TestPagesAndFragmentsAreCompressed(t *testing.T) {
	e := newTestEnv(t, nil)
	plain := e.do(http.MethodGet, "/sources", nil, nil)
	require.Equal(t, http.StatusOK, plain.Code)
	require.Empty(t, plain.Header().Get("Content-Encoding"), "nothing accepted, nothing encoded")
	require.Greater(t, plain.Body.Len(), 4000)

	decode := func(enc string, body []byte) string {
		var r io.Reader
		switch enc {
		case "br":
			r = brotli.NewReader(bytes.NewReader(body))
		case "gzip":
			zr, err := gzip.NewReader(bytes.NewReader(body))
			require.NoError(t, err)
			r = zr
		default:
			r = bytes.NewReader(body)
		}
		b, err := io.ReadAll(r)
		require.NoError(t, err)
		return string(b)
	}
	for _, tc := range []struct{ accept, want string }{
		{"gzip, deflate, br, zstd", "br"},
		{"gzip", "gzip"},
		{"br;q=0, gzip;q=0.5", "gzip"},
		{"*", "br"},
		{"br;q=0, *", "gzip"},
		{"identity", ""},
	} {
		for _, htmx := range []bool{false, true} {
			h := map[string]string{"Accept-Encoding": tc.accept}
			if htmx {
				h["HX-Request"] = "true"
				h["HX-Target"] = "sources-results"
			}
			rec := e.do(http.MethodGet, "/sources", nil, h)
			require.Equal(t, http.StatusOK, rec.Code)
			assert.Equal(t, tc.want, rec.Header().Get("Content-Encoding"), "Accept-Encoding %q (htmx %v)", tc.accept, htmx)
			assert.Contains(t, rec.Header().Values("Vary"), "Accept-Encoding")
			html := decode(tc.want, rec.Body.Bytes())
			assert.Contains(t, html, `data-testid="sources-table"`)
			if tc.want != "" {
				assert.Less(t, rec.Body.Len(), len(html)/3, "compressed to less than a third")
			}
			if !htmx {
				assert.Contains(t, html, "</html>", "the whole page")
			}
		}
	}

	exp := e.do(http.MethodGet, "/sources/export.csv", nil, map[string]string{"Accept-Encoding": "br, gzip"})
	require.Equal(t, http.StatusOK, exp.Code)
	assert.Empty(t, exp.Header().Get("Content-Encoding"), "exports are sent as they are")
	assert.True(t, strings.HasPrefix(exp.Body.String(), "\uFEFFid,name"), "the CSV itself")
}
