package bff

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/sandbox"
)

// The connection settings are laid out by the connector's own form: sections
// of labelled fields of each kind, secrets never echoed back, required fields
// checked before anything is reviewed, and the same JSON Patch review.
func TestConnectionSettingsFromTheConnectorsForm(t *testing.T) {
	env := newTestEnv(t, nil)
	id := sandbox.SeedUnhealthySourceID // Active Directory
	cl, ctx := env.adminAPI()
	stored, err := cl.GetSource(ctx, id)
	require.NoError(t, err)
	var storedSecret string
	require.NoError(t, json.Unmarshal(stored.ConnectorAttributes["password"], &storedSecret))
	require.NotEmpty(t, storedSecret)

	rec := env.do(http.MethodGet, "/sources/"+id+"/configuration", nil, hxTo("source-tab"))
	require.Equal(t, http.StatusOK, rec.Code)
	assert.NotContains(t, rec.Body.String(), storedSecret, "the stored secret never reaches the page")
	doc := body(t, rec)
	var legends []string
	doc.Find(`[data-testid="connection-section"] legend`).Each(func(_ int, s *goquery.Selection) { legends = append(legends, s.Text()) })
	assert.Equal(t, []string{"Domain Settings", "Aggregation Settings", "Health and Performance"}, legends)
	kinds := map[string]string{}
	doc.Find(`[data-testid^="conn-field-"]`).Each(func(_ int, s *goquery.Selection) { kinds[s.AttrOr("data-kind", "")] = s.AttrOr("data-testid", "") })
	for _, k := range []string{"text", "secret", "select", "checkbox", "number", "list"} {
		assert.Contains(t, kinds, k, "a %s field", k)
	}
	pw := doc.Find(`[data-testid="conn-field-password"]`)
	assert.Equal(t, "(set)", pw.Find(`[data-testid="secret-state"]`).Text())
	assert.Equal(t, "", pw.Find("input").AttrOr("value", "?"))
	assert.Equal(t, "password", pw.Find("input").AttrOr("type", ""))
	assert.Equal(t, "Domain controller", strings.TrimSpace(doc.Find(`[data-testid="conn-field-host"] label`).Text()))
	form := formValues(doc.Find(`[data-testid="config-form"]`))
	assert.Equal(t, "dc01.corp.example", form.Get("ca.host"))
	assert.NotContains(t, form.Get("connector_attributes"), "host", "form fields are not in the Advanced JSON")
	assert.Contains(t, form.Get("connector_attributes"), "deleteThresholdPercentage", "attributes outside the form are")

	t.Run("a required field left empty is refused before review", func(t *testing.T) {
		env.sandbox.ResetCalls()
		f := cloneValues(form)
		f.Set("ca.host", "  ")
		f.Set("ca.port", "70000")
		rec := env.postForm("/sources/"+id+"/configuration/review", f, hxTo("config-review"))
		assert.Equal(t, http.StatusUnprocessableEntity, rec.Code)
		assert.Equal(t, "#source-tab", rec.Header().Get("HX-Retarget"), "errors come back next to the fields")
		doc := body(t, rec)
		assert.Contains(t, doc.Find(`[data-testid="error-ca.host"]`).Text(), "Domain controller is required")
		assert.Contains(t, doc.Find(`[data-testid="error-ca.port"]`).Text(), "from 1 to 65535")
		assert.Zero(t, doc.Find(`[data-testid="patch-review"]`).Length())
		assert.Zero(t, env.sandbox.Calls("updateSource"))
	})

	t.Run("review and apply a new secret, a checkbox and a number", func(t *testing.T) {
		f := cloneValues(form)
		f.Set("ca.password", "n3w-Secret!")
		f.Del("ca.useSSL") // unticked
		f.Set("ca.pageSize", "250")
		rec := env.postForm("/sources/"+id+"/configuration/review", f, hxTo("config-review"))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		assert.Empty(t, rec.Header().Get("HX-Retarget"), "the review lands under the form, which keeps what was typed")
		assert.NotContains(t, rec.Body.String(), "n3w-Secret!", "not even the typed secret is echoed")
		var ops []map[string]any
		require.NoError(t, json.Unmarshal([]byte(body(t, rec).Find(`[data-testid="patch-json"]`).Text()), &ops))
		assert.ElementsMatch(t, []map[string]any{
			{"op": "replace", "path": "/connectorAttributes/pageSize", "value": 250.0},
			{"op": "replace", "path": "/connectorAttributes/password", "value": "(the new secret you typed; not shown)"},
			{"op": "replace", "path": "/connectorAttributes/useSSL", "value": false},
		}, ops)

		rec = env.postForm("/sources/"+id+"/configuration", f, hxTo("source-tab"))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		assert.Contains(t, body(t, rec).Find(`[data-testid="saved"]`).Text(), "3 change(s) applied")
		assert.NotContains(t, rec.Body.String(), "n3w-Secret!")
		got, err := cl.GetSource(ctx, id)
		require.NoError(t, err)
		assert.JSONEq(t, `"n3w-Secret!"`, string(got.ConnectorAttributes["password"]))
		assert.JSONEq(t, `false`, string(got.ConnectorAttributes["useSSL"]))
		assert.JSONEq(t, `250`, string(got.ConnectorAttributes["pageSize"]))
	})

	t.Run("an empty secret keeps the stored one", func(t *testing.T) {
		doc := body(t, env.do(http.MethodGet, "/sources/"+id+"/configuration", nil, hxTo("source-tab")))
		f := formValues(doc.Find(`[data-testid="config-form"]`))
		f.Set("ca.filterString", "(department=IT)")
		rec := env.postForm("/sources/"+id+"/configuration/review", f, hxTo("config-review"))
		require.Equal(t, http.StatusOK, rec.Code)
		assert.NotContains(t, body(t, rec).Find(`[data-testid="patch-json"]`).Text(), "password")
	})
}

// A source whose connector sends no usable form is edited as JSON, and says why.
func TestConnectionSettingsWithoutAForm(t *testing.T) {
	env := newTestEnv(t, nil)
	env.sandbox.SetFault("getSourceConfig", sandbox.Fault{Status: http.StatusForbidden})
	doc := body(t, env.do(http.MethodGet, "/sources/"+sandbox.SeedDelimitedSourceID+"/configuration", nil, hxTo("source-tab")))
	assert.Contains(t, doc.Find(`[data-testid="connection-note"]`).Text(), "cannot read this connector's form")
	assert.Contains(t, doc.Find(`[data-testid="config-attributes"]`).Text(), `"delimiter"`, "every attribute is in the JSON then")
	assert.Zero(t, doc.Find(`[data-testid="connection-section"]`).Length())
}
