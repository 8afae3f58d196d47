package bff

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/api"
)

func formSend(e *testEnv, method, target string, hx bool, v url.Values) *httptest.ResponseRecorder {
	return e.do(method, target, strings.NewReader(v.Encode()),
		withHX(hx, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}))
}

func TestPoliciesTabAndView(t *testing.T) {
	env := newTestEnv(t, nil)
	base := "/sources/" + delimitedID + "/provisioning"
	for _, hx := range []bool{false, true} {
		t.Run(fmt.Sprintf("list htmx=%v", hx), func(t *testing.T) {
			rec := env.do(http.MethodGet, base, nil, withHX(hx, nil))
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			assert.Contains(t, rec.Header().Values("Vary"), "HX-Request")
			doc := parse(t, rec.Body)
			assert.Equal(t, !hx, doc.Find(`footer [data-testid="version"]`).Length() == 1)
			assert.Equal(t, 1, doc.Find(`[data-testid="policy-list"] tr[data-usage="CREATE"]`).Length())
			var options []string
			doc.Find(`[data-testid="usage-type"] option`).Each(func(_ int, s *goquery.Selection) { options = append(options, s.Text()) })
			assert.NotContains(t, options, "CREATE", "a usage type that has a policy is not offered again")
			assert.Contains(t, options, "UPDATE")
		})
		t.Run(fmt.Sprintf("view htmx=%v", hx), func(t *testing.T) {
			rec := env.do(http.MethodGet, base+"/CREATE", nil, withHX(hx, nil))
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			doc := parse(t, rec.Body)
			assert.Equal(t, "Account", doc.Find(`[data-testid="policy-name"]`).Text())
			assert.Equal(t, 1, doc.Find(`tr[data-field="email"]`).Length())
			assert.Contains(t, doc.Find(`tr[data-field="email"]`).Text(), "identityAttribute")
			assert.Contains(t, doc.Find(`#policy-replace textarea`).Text(), `"usageType": "CREATE"`)
		})
	}
	t.Run("unknown usage type is 404 before ISC", func(t *testing.T) {
		env.sandbox.ResetCalls()
		assert.Equal(t, http.StatusNotFound, env.do(http.MethodGet, base+"/NOPE", nil, nil).Code)
		assert.Zero(t, env.sandbox.Calls(""))
	})
}

func TestPolicyCreateReplacePatchDelete(t *testing.T) {
	env := newTestEnv(t, nil)
	base := "/sources/" + delimitedID + "/provisioning"
	fields := `[{"name":"mail","type":"string","isMultiValued":false,"transform":{"type":"identityAttribute","attributes":{"name":"email"}},"attributes":{}}]`

	t.Run("create: invalid JSON is 422 with the line", func(t *testing.T) {
		env.sandbox.ResetCalls()
		rec := formSend(env, http.MethodPost, base, true, url.Values{"usageType": {"UPDATE"}, "name": {"Upd"}, "fields": {"[\n {\"name\": }\n]"}})
		require.Equal(t, http.StatusUnprocessableEntity, rec.Code, rec.Body.String())
		doc := parse(t, rec.Body)
		assert.Contains(t, doc.Find(`[data-testid="json-errors"]`).Text(), "line 2")
		assert.Equal(t, 1, doc.Find(`#policy-create`).Length(), "the form comes back with what was typed")
		assert.Zero(t, env.sandbox.Calls("createProvisioningPolicy"))
	})
	t.Run("create: bad transform and type are 422", func(t *testing.T) {
		rec := formSend(env, http.MethodPost, base, true, url.Values{"usageType": {"UPDATE"}, "name": {"Upd"},
			"fields": {`[{"name":"a","type":"text","transform":{"attributes":{}}}]`}})
		require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
		text := parse(t, rec.Body).Find(`[data-testid="json-errors"]`).Text()
		assert.Contains(t, text, `"text"`)
		assert.Contains(t, text, "transform needs a")
	})
	t.Run("create", func(t *testing.T) {
		rec := formSend(env, http.MethodPost, base, true, url.Values{"usageType": {"UPDATE"}, "name": {"Upd"}, "fields": {fields}})
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		assert.Equal(t, base+"/UPDATE", goneTo(t, rec.Header()))
		p, err := env.upstream().GetProvisioningPolicy(context.Background(), delimitedID, api.UsageUpdate)
		require.NoError(t, err)
		assert.Equal(t, "mail", p.Fields[0].Name)
	})
	t.Run("replace", func(t *testing.T) {
		policy := `{"name":"Updated","usageType":"UPDATE","description":"d","fields":` + fields + `}`
		rec := formSend(env, http.MethodPut, base+"/UPDATE", true, url.Values{"policy": {policy}})
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		doc := parse(t, rec.Body)
		assert.Equal(t, "Updated", doc.Find(`[data-testid="policy-name"]`).Text())
		assert.Equal(t, "Policy saved.", doc.Find(`[data-testid="policy-notice"]`).Text())
	})
	t.Run("replace: another usage type is 422", func(t *testing.T) {
		env.sandbox.ResetCalls()
		rec := formSend(env, http.MethodPut, base+"/UPDATE", true, url.Values{"policy": {`{"name":"x","usageType":"DELETE"}`}})
		require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
		assert.Equal(t, "#policy-replace", rec.Header().Get("HX-Retarget"))
		assert.Zero(t, env.sandbox.Calls("putProvisioningPolicy"))
	})
	t.Run("patch", func(t *testing.T) {
		rec := formSend(env, http.MethodPatch, base+"/UPDATE", false, url.Values{"patch": {`[{"op":"replace","path":"/description","value":"patched"}]`}})
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		assert.Equal(t, 1, parse(t, rec.Body).Find(`footer [data-testid="version"]`).Length())
		p, err := env.upstream().GetProvisioningPolicy(context.Background(), delimitedID, api.UsageUpdate)
		require.NoError(t, err)
		assert.Equal(t, "patched", p.Description)
	})
	t.Run("patch: a patch that breaks the policy is 422", func(t *testing.T) {
		env.sandbox.ResetCalls()
		rec := formSend(env, http.MethodPatch, base+"/UPDATE", true, url.Values{"patch": {`[{"op":"replace","path":"/fields/0/type","value":"blob"}]`}})
		require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
		assert.Equal(t, "#policy-patch", rec.Header().Get("HX-Retarget"))
		assert.Zero(t, env.sandbox.Calls("updateProvisioningPolicy"))
	})
	t.Run("bulk", func(t *testing.T) {
		all := `[{"name":"Account","usageType":"CREATE","fields":` + fields + `},{"name":"Upd2","usageType":"UPDATE","fields":[]}]`
		rec := formSend(env, http.MethodPost, base+"/bulk", true, url.Values{"policies": {all}})
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		doc := parse(t, rec.Body)
		assert.Contains(t, doc.Find(`tr[data-usage="UPDATE"]`).Text(), "Upd2")
		bad := formSend(env, http.MethodPost, base+"/bulk", true, url.Values{"policies": {`[{"name":"a","usageType":"CREATE"},{"name":"b","usageType":"CREATE"}]`}})
		assert.Equal(t, http.StatusUnprocessableEntity, bad.Code)
		assert.Contains(t, bad.Body.String(), "appears twice")
	})
	t.Run("delete", func(t *testing.T) {
		rec := env.do(http.MethodDelete, base+"/UPDATE", nil, htmxHeaders)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		assert.Equal(t, base, goneTo(t, rec.Header()))
		assert.Equal(t, http.StatusNotFound, env.do(http.MethodGet, base+"/UPDATE", nil, nil).Code)
	})
}

// The policy's fields as a table: add, reorder and remove rows, review, and save
// the same JSON the JSON editor would, with what the table does not show kept.
func TestPolicyFieldTable(t *testing.T) {
	env := newTestEnv(t, nil)
	base := "/sources/" + delimitedID + "/provisioning/CREATE"
	cl, ctx := env.adminAPI()
	before, err := cl.GetProvisioningPolicy(ctx, delimitedID, "CREATE")
	require.NoError(t, err)

	doc := parse(t, env.do(http.MethodGet, base, nil, nil).Body)
	editor := doc.Find(`[data-testid="policy-editor"]`)
	require.Equal(t, 1, editor.Length())
	assert.Contains(t, editor.Find("caption").Text(), "ISC ignores it", "what ISC ignores is said next to the control")
	form := formValues(editor)
	assert.Equal(t, "2", form.Get("rows"))
	assert.Equal(t, "displayName", form.Get("name_0"))
	assert.Equal(t, "identityAttribute", form.Get("transform_1"))

	post := func(path string, v url.Values) *goquery.Document {
		rec := formSend(env, http.MethodPost, path, true, v)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		return parse(t, rec.Body)
	}
	names := func(d *goquery.Document) []string {
		var out []string
		d.Find(`[data-testid="policy-row-name"]`).Each(func(_ int, s *goquery.Selection) { out = append(out, s.AttrOr("value", "")) })
		return out
	}
	// Add a row, fill it, move it to the top, remove the old first row.
	v := cloneValues(form)
	v.Set("op", "add")
	d := post(base+"/fields/edit", v)
	assert.Equal(t, []string{"displayName", "email", ""}, names(d))
	v = formValues(d.Find(`[data-testid="policy-editor"]`))
	v.Set("name_2", "department")
	v.Set("transform_2", "static")
	v.Set("tattrs_2", `{"value": "Sales"}`)
	v.Set("multi_2", "true")
	v.Set("op", "up:2")
	d = post(base+"/fields/edit", v)
	assert.Equal(t, []string{"displayName", "department", "email"}, names(d))
	v = formValues(d.Find(`[data-testid="policy-editor"]`))
	v.Set("op", "remove:0")
	d = post(base+"/fields/edit", v)
	assert.Equal(t, []string{"department", "email"}, names(d))
	assert.Zero(t, env.sandbox.Calls("putProvisioningPolicy"), "nothing is saved while editing")

	v = formValues(d.Find(`[data-testid="policy-editor"]`))
	v.Set("op", "review")
	d = post(base+"/fields/edit", v)
	var reviewed map[string]any
	require.NoError(t, json.Unmarshal([]byte(d.Find(`[data-testid="policy-json"]`).Text()), &reviewed))
	assert.Equal(t, before.Name, reviewed["name"])

	v = formValues(d.Find(`[data-testid="policy-editor"]`))
	rec := formSend(env, http.MethodPost, base+"/fields", true, v)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Contains(t, parse(t, rec.Body).Find(`[data-testid="policy-notice"]`).Text(), "saved")
	after, err := cl.GetProvisioningPolicy(ctx, delimitedID, "CREATE")
	require.NoError(t, err)
	require.Len(t, after.Fields, 2)
	assert.Equal(t, "department", after.Fields[0].Name)
	assert.True(t, after.Fields[0].IsMultiValued)
	assert.JSONEq(t, `{"type":"static","attributes":{"value":"Sales"}}`, mustJSON(t, after.Fields[0].Transform))
	assert.Equal(t, before.Fields[1].Transform, after.Fields[1].Transform, "an untouched field keeps its transform as it was")
	got, _ := json.Marshal(after.Fields[1])
	want, _ := json.Marshal(before.Fields[1])
	assert.JSONEq(t, string(want), string(got), "and everything else the table does not show")
	assert.Equal(t, before.Description, after.Description)

	t.Run("a bad cell is refused next to it, nothing saved", func(t *testing.T) {
		env.sandbox.ResetCalls()
		w := cloneValues(v)
		w.Set("tattrs_0", `{"value": `)
		w.Set("name_1", "department")
		rec := formSend(env, http.MethodPost, base+"/fields", true, w)
		assert.Equal(t, http.StatusUnprocessableEntity, rec.Code)
		assert.Equal(t, "#policy-editor", rec.Header().Get("HX-Retarget"))
		d := parse(t, rec.Body)
		assert.Contains(t, d.Find(`[data-testid="error-tattrs_0"]`).Text(), "JSON")
		assert.Contains(t, d.Find(`[data-testid="error-name_1"]`).Text(), "has this name already")
		assert.Zero(t, env.sandbox.Calls("putProvisioningPolicy"))
	})
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
