package bff

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/api"
	"sourcedesk/internal/sandbox"
)

// suggestions asks a picker what it suggests for typed.
func (e *testEnv) suggestions(kind, typed string) []string {
	e.t.Helper()
	rec := e.do(http.MethodGet, "/pickers/"+kind+"?field=x&x="+url.QueryEscape(typed), nil, htmxHeaders)
	require.Equal(e.t, http.StatusOK, rec.Code, rec.Body.String())
	assert.NotContains(e.t, rec.Body.String(), "PUBLIC KEY", "no cluster key material reaches a page")
	var out []string
	body(e.t, rec).Find("option").Each(func(_ int, s *goquery.Selection) { out = append(out, s.AttrOr("value", "")) })
	return out
}

func TestPickersSuggestNamesForWhatIsTyped(t *testing.T) {
	admin := newTestEnv(t, nil)
	assert.Equal(t, []string{"Olivia Owner (olivia.owner)", "Oskar Olsen (oskar.olsen)"}, admin.suggestions("owner", "o"))
	assert.Equal(t, []string{"Olivia Owner (olivia.owner)"}, admin.suggestions("owner", "oli own"))
	assert.Empty(t, admin.suggestions("owner", "ivo"), "inactive identities are not offered")
	assert.Equal(t, []string{"Corporate Cluster", "EMEA Cluster", "Lab Cluster", "SaaS Connectivity"}, admin.suggestions("cluster", ""))
	assert.Equal(t, []string{"Finance Source Owners"}, admin.suggestions("workgroup", "fin"))
	assert.Equal(t, []string{"Corporate Password Policy", "Default", "Privileged Accounts"}, admin.suggestions("policy", ""))
	assert.Equal(t, http.StatusNotFound, admin.do(http.MethodGet, "/pickers/spaceship?q=x", nil, htmxHeaders).Code)

	// ISC lists clusters, governance groups and password policies to ORG_ADMIN
	// only; the others are offered what their own sources use.
	sourceAdmin := newTestEnvAs(t, "source-admin", nil)
	assert.Equal(t, []string{"Corporate Cluster"}, sourceAdmin.suggestions("cluster", ""))
	assert.Equal(t, []string{"Corporate Password Policy"}, sourceAdmin.suggestions("policy", ""))
	subadmin := newTestEnvAs(t, "subadmin", nil)
	assert.Equal(t, []string{"Demo Source Stewards"}, subadmin.suggestions("workgroup", ""), "a subadmin is offered only its own governance groups")
}

// The configuration form takes names and sends ids; a name that names nothing
// is refused next to its field before any review.
func TestConfigurationPickersKeepIDs(t *testing.T) {
	env := newTestEnv(t, nil)
	id := sandbox.SeedDelimitedSourceID
	doc := body(t, env.do(http.MethodGet, "/sources/"+id+"/configuration", nil, hxTo("source-tab")))
	form := formValues(doc.Find(`[data-testid="config-form"]`))
	assert.Equal(t, "Sam Source-Admin", form.Get("owner"), "the owner is shown by name")
	assert.Equal(t, "2c9180857a1b4c2d017a1b4c2d0e0002", form.Get("owner_id"))

	f := cloneValues(form)
	f.Set("owner", "Olivia Owner (olivia.owner)")
	f.Set("cluster", "EMEA Cluster")
	f.Set("workgroup", "Finance Source Owners")
	rec := env.postForm("/sources/"+id+"/configuration/review", f, hxTo("config-review"))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var ops []map[string]any
	require.NoError(t, json.Unmarshal([]byte(body(t, rec).Find(`[data-testid="patch-json"]`).Text()), &ops))
	byPath := map[string]map[string]any{}
	for _, op := range ops {
		byPath[op["path"].(string)] = op["value"].(map[string]any)
	}
	assert.Equal(t, "2c9180857a1b4c2d017a1b4c2d0e0010", byPath["/owner"]["id"])
	assert.Equal(t, "2c9180866166b5b0016167c32ef31a67", byPath["/cluster"]["id"])
	assert.Equal(t, "2c9180867c8a4d3e017c8b0f1e2d0002", byPath["/managementWorkgroup"]["id"])

	rec = env.postForm("/sources/"+id+"/configuration", f, hxTo("source-tab"))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	overview := body(t, env.do(http.MethodGet, "/sources/"+id, nil, nil))
	assert.Equal(t, "Olivia Owner", overview.Find(`[data-testid="source-owner"]`).Text(), "the overview names the owner")
	assert.NotContains(t, overview.Find(`[data-testid="source-people"]`).Text(), "2c9180", "and shows no ids there")

	for _, tc := range []struct{ field, typed, want string }{
		{"owner", "Olivia", `No identity is named "Olivia"`},
		{"cluster", "2c9180866166b5b0016167c32ef3ffff", `No cluster is named`},
		{"workgroup", "Stewards", `No governance group is named "Stewards"`},
	} {
		env.sandbox.ResetCalls()
		g := cloneValues(f)
		g.Set(tc.field, tc.typed)
		rec := env.postForm("/sources/"+id+"/configuration/review", g, hxTo("config-review"))
		assert.Equal(t, http.StatusUnprocessableEntity, rec.Code)
		doc := body(t, rec)
		assert.Contains(t, doc.Find(`[data-testid="error-`+tc.field+`"]`).Text(), tc.want)
		assert.Equal(t, tc.typed, doc.Find(`[data-testid="picker-input-`+tc.field+`"]`).AttrOr("value", ""), "what was typed stays")
		assert.Zero(t, doc.Find(`[data-testid="patch-review"]`).Length())
		assert.Zero(t, env.sandbox.Calls("updateSource"))
	}
}

// Password policies are chosen by name; the list's owner filter takes a name.
func TestPasswordPoliciesAndOwnerFilterByName(t *testing.T) {
	env := newTestEnv(t, nil)
	id := sandbox.SeedDelimitedSourceID
	doc := body(t, env.do(http.MethodGet, "/sources/"+id+"/password-policies", nil, hxTo("source-tab")))
	form := formValues(doc.Find(`[data-testid="pwd-form"]`))
	assert.Equal(t, "Default", form.Get("policy_0"), "a held policy is shown by name")
	form.Set("policy_1", "Privileged Accounts")
	rec := env.postForm("/sources/"+id+"/password-policies", form, hxTo("source-tab"))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	cl, ctx := env.adminAPI()
	page, err := cl.ListPasswordPolicyHoldersOnSource(ctx, id, apiPage())
	require.NoError(t, err)
	var ids []string
	for _, h := range page.Items {
		ids = append(ids, h.PolicyID)
	}
	assert.Equal(t, []string{sandbox.SeedDefaultPasswordPolicyID, "2c91808780b8b8430180ff7a093f3bf2"}, ids)

	form.Set("policy_1", "Nonexistent Policy")
	rec = env.postForm("/sources/"+id+"/password-policies", form, hxTo("source-tab"))
	assert.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	assert.Contains(t, body(t, rec).Find(`[data-testid="error-policy_1"]`).Text(), `No password policy is named "Nonexistent Policy"`)

	rec = env.do(http.MethodGet, "/sources?owner_name="+url.QueryEscape("Olivia Owner (olivia.owner)"), nil, hxTo("sources-results"))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Equal(t, "/sources?owner=2c9180857a1b4c2d017a1b4c2d0e0010", rec.Header().Get("HX-Push-Url"), "the address keeps the id")
	names := rowNames(body(t, rec))
	assert.NotEmpty(t, names)
	assert.NotContains(t, strings.Join(names, ","), "HR Contractors CSV", "only Olivia's sources")
	rec = env.do(http.MethodGet, "/sources?owner_name=Nobody", nil, hxTo("sources-results"))
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.Contains(t, body(t, rec).Text(), `No identity is named "Nobody"`)
}

func apiPage() api.PageParams { return api.PageParams{Limit: 250} }
