package bff

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFormProblemsComeBackInPlace: a form of a source tab that fails validation comes
// back as typed with its problems and a 422, into the right place: for htmx the form
// alone, retargeted over itself whatever its target on success; without htmx the whole
// tab, that form in it, inside the source shell. Nothing reaches ISC.
func TestFormProblemsComeBackInPlace(t *testing.T) {
	env := newTestEnv(t, nil)
	account := env.schemaByName(delimitedID, "account")
	base := "/sources/" + delimitedID
	schema := base + "/schemas/" + account.ID
	for _, tc := range []struct {
		name, method, target, formID, typed, problem string
		form                                         url.Values
	}{
		{"new schema", http.MethodPost, base + "/schemas", "schema-create", "9bad",
			`[data-testid="problem-name"]`, url.Values{"name": {"9bad"}, "identityAttribute": {"id"}, "displayAttribute": {"id"}}},
		{"add an attribute", http.MethodPost, schema + "/preview", "attr-form-add", "email",
			`[data-testid="problem-name"]`, url.Values{"action": {"add"}, "name": {"email"}, "type": {"STRING"}}},
		{"edit an attribute", http.MethodPost, schema + "/preview", "attr-form-1", "id",
			`[data-testid="problem-name"]`, url.Values{"action": {"edit"}, "index": {"1"}, "original": {account.Attributes[1].Name}, "name": {"id"}, "type": {"STRING"}}},
		{"new policy", http.MethodPost, base + "/provisioning", "policy-create", `[{"name": }]`,
			`[data-testid="json-errors"]`, url.Values{"usageType": {"UPDATE"}, "name": {"Upd"}, "fields": {`[{"name": }]`}}},
		{"replace a policy", http.MethodPut, base + "/provisioning/CREATE", "policy-replace", `{"name":"x","usageType":"DELETE"}`,
			`[data-testid="json-errors"]`, url.Values{"policy": {`{"name":"x","usageType":"DELETE"}`}}},
		{"patch a policy", http.MethodPatch, base + "/provisioning/CREATE", "policy-patch", `[{"op":"replace","path":"/usageType","value":"X"}]`,
			`[data-testid="json-errors"]`, url.Values{"patch": {`[{"op":"replace","path":"/usageType","value":"X"}]`}}},
		{"all policies", http.MethodPost, base + "/provisioning/bulk", "policy-bulk", "[]",
			`[data-testid="json-errors"]`, url.Values{"policies": {"[]"}}},
		{"a policy's field table", http.MethodPost, base + "/provisioning/CREATE/fields", "policy-editor", "{not json",
			`[data-testid="form-error"]`, url.Values{"rows": {"1"}, "name_0": {"mail"}, "type_0": {"string"}, "attrs_0": {"{not json"}}},
		{"a schema as JSON", http.MethodPut, schema, "schema-json", "{not json",
			`[data-testid="json-errors"]`, url.Values{"schema": {"{not json"}}},
	} {
		for _, hx := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s htmx=%v", tc.name, hx), func(t *testing.T) {
				env.sandbox.ResetCalls()
				rec := formSend(env, tc.method, tc.target, hx, tc.form)
				require.Equal(t, http.StatusUnprocessableEntity, rec.Code, rec.Body.String())
				doc := parse(t, rec.Body)
				form := doc.Find("#" + tc.formID)
				require.Equal(t, 1, form.Length(), "the form is in the answer")
				assert.NotEmpty(t, form.Find(tc.problem).Text(), "with its problem")
				typed := form.Find("textarea").Text()
				form.Find("input").Each(func(_ int, in *goquery.Selection) { typed += in.AttrOr("value", "") + "\n" })
				assert.Contains(t, typed, tc.typed, "as typed")
				if hx {
					assert.Equal(t, "#"+tc.formID, rec.Header().Get("HX-Retarget"))
					assert.Equal(t, "outerHTML", rec.Header().Get("HX-Reswap"))
					assert.Zero(t, doc.Find("html head title").Length(), "the form alone")
				} else {
					assert.Empty(t, rec.Header().Get("HX-Retarget"))
					assert.Equal(t, 1, doc.Find("html head title").Length(), "a whole page")
					assert.Equal(t, delimitedID, doc.Find(`[data-testid="source-shell"]`).AttrOr("data-source-id", ""), "inside the source shell")
					assert.Equal(t, 1, doc.Find(`[data-testid="source-tab-panel"] #`+tc.formID).Length(), "in its tab")
				}
				for _, op := range []string{"createSourceSchema", "updateSourceSchema", "createProvisioningPolicy", "putProvisioningPolicy",
					"updateProvisioningPolicy", "updateProvisioningPoliciesInBulk", "putSourceSchema"} {
					assert.Zero(t, env.sandbox.Calls(op), "nothing reached ISC (%s)", op)
				}
			})
		}
	}
}
