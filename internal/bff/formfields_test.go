package bff

import (
	"html"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFormFieldsWithNULOrInvalidUTF8AreRefusedNamingTheField: a form field or
// query parameter holding a NUL byte or bytes that are not UTF-8 text is refused
// with a 400 that names the field, before anything reaches ISC; the same form
// with clean text goes through.
func TestFormFieldsWithNULOrInvalidUTF8AreRefusedNamingTheField(t *testing.T) {
	env := newTestEnv(t, nil)
	form := func(name, description string) url.Values {
		return url.Values{"name": {name}, "owner_id": {adminIdentity}, "provision_as_csv": {"true"}, "description": {description}}
	}
	for _, tc := range []struct {
		name, field string
		form        url.Values
	}{
		{"NUL in the name", "name", form("Payroll\x00 export", "fine")},
		{"invalid UTF-8 in the description", "description", form("Payroll export", "caf\xe9 \xff")},
		{"NUL in a field's name", "x\x00y", func() url.Values { f := form("Payroll export", "fine"); f.Set("x\x00y", "1"); return f }()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, h := range []map[string]string{nil, htmxHeaders} {
				env.sandbox.ResetCalls()
				rec := env.postForm("/sources", tc.form, h)
				assert.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
				assert.Contains(t, rec.Body.String(), "field "+html.EscapeString(strconv.Quote(tc.field)), "the answer names the field")
				assert.Zero(t, env.sandbox.Calls(""), "nothing reached ISC")
			}
		})
	}
	t.Run("NUL in a query parameter", func(t *testing.T) {
		env.sandbox.ResetCalls()
		rec := env.do(http.MethodGet, "/sources?q=abc%00def", nil, htmxHeaders)
		assert.Equal(t, http.StatusBadRequest, rec.Code)
		assert.Contains(t, rec.Body.String(), `parameter &#34;q&#34;`, "the answer names the parameter")
		assert.Zero(t, env.sandbox.Calls(""), "nothing reached ISC")
	})
	rec := env.postForm("/sources", form("Payroll export", "café"), htmxHeaders)
	require.Equal(t, http.StatusOK, rec.Code, "clean text is accepted: %s", rec.Body.String())
}
