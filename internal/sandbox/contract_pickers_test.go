package sandbox

// The picker lists (public identities, managed clusters, governance groups,
// password policies, connectors) checked against SailPoint's own spec for
// them, and against the sources: every id a seeded source references must
// name an object these lists return.

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const pickersSpecPath = "../../../shared/isc/isc-pickers-v2025.yaml"

func TestContractPickers(t *testing.T) {
	if _, err := os.Stat(pickersSpecPath); err != nil {
		t.Skipf("picker contract test: %s absent (../shared not checked out)", pickersSpecPath)
	}
	h := newHarness(t, Config{})
	doc, router := loadSpecFile(t, h, pickersSpecPath)
	runContract(t, h, doc, router, pickerCases(h), 5, "the picker spec has five list operations")
}

// names decodes a JSON array body and returns its members' field f.
func names(t testing.TB, b []byte, f string) []string {
	t.Helper()
	var list []map[string]any
	require.NoError(t, json.Unmarshal(b, &list), "body: %s", b)
	out := []string{}
	for _, m := range list {
		s, _ := m[f].(string)
		out = append(out, s)
	}
	return out
}

func pickerCases(h *apiHarness) []contractCase {
	const admin = "admin"
	exp := map[string]string{"X-SailPoint-Experimental": "true"}
	t := h.t
	return []contractCase{
		// Public identities: any signed-in user; filters on id/alias/email/firstname/lastname, sorted by name.
		{name: "sorted page with count", op: "getPublicIdentities", want: 200, rq: req{user: "helpdesk", method: "GET", path: "/public-identities?limit=3&offset=1&count=true&sorters=name"},
			check: func(b []byte) {
				assert.Equal(t, []string{"Alice Archer", "Björn Østergaard", "Bruno Bauer"}, names(t, b, "name"))
			}},
		{name: "first name starts with", op: "getPublicIdentities", want: 200, rq: req{user: admin, method: "GET", path: "/public-identities?filters=" + q(`firstname sw "ol" or lastname sw "ol"`)},
			check: func(b []byte) { assert.ElementsMatch(t, []string{"Olivia Owner", "Oskar Olsen"}, names(t, b, "name")) }},
		{name: "ids in", op: "getPublicIdentities", want: 200, rq: req{user: admin, method: "GET", path: "/public-identities?filters=" + q(`id in ("2c9180857a1b4c2d017a1b4c2d0e0010","`+SeedInactiveIdentityID+`")`)},
			check: func(b []byte) {
				assert.ElementsMatch(t, []string{"Olivia Owner", "Ivo Inactive"}, names(t, b, "name"))
				assert.Contains(t, string(b), `"identityState":"INACTIVE_LONG_TERM"`)
			}},
		{name: "core filters drop incomplete identities", op: "getPublicIdentities", want: 200, rq: req{user: admin, method: "GET", path: "/public-identities?add-core-filters=true&filters=" + q(`alias sw "spad"`)},
			check: func(b []byte) { assert.Empty(t, names(t, b, "name")) }},
		{name: "no name filter", op: "getPublicIdentities", want: 400, rq: req{user: admin, method: "GET", path: "/public-identities?filters=" + q(`name sw "Ada"`)}},
		{name: "unknown sorter", op: "getPublicIdentities", want: 400, rq: req{user: admin, method: "GET", path: "/public-identities?sorters=alias"}},
		{name: "no token", op: "getPublicIdentities", want: 401, reqInvalid: true, rq: req{method: "GET", path: "/public-identities"}},

		// Managed clusters: ORG_ADMIN; eq filters only; no sorters.
		{name: "all", op: "getManagedClusters", want: 200, rq: req{user: admin, method: "GET", path: "/managed-clusters?count=true"},
			check: func(b []byte) {
				assert.Contains(t, names(t, b, "id"), SeedClusterID)
				assert.Contains(t, names(t, b, "name"), "Corporate Cluster")
			}},
		{name: "operational eq true", op: "getManagedClusters", want: 200, rq: req{user: admin, method: "GET", path: "/managed-clusters?filters=" + q(`operational eq true`)},
			check: func(b []byte) { assert.NotContains(t, names(t, b, "name"), "Lab Cluster") }},
		{name: "name co is not supported", op: "getManagedClusters", want: 400, rq: req{user: admin, method: "GET", path: "/managed-clusters?filters=" + q(`name co "Corp"`)}},
		{name: "source admin refused", op: "getManagedClusters", want: 403, rq: req{user: "source-admin", method: "GET", path: "/managed-clusters"}},

		// Governance groups: ORG_ADMIN; id/name/memberships.identityId filters; five sorters.
		{name: "sorted by name", op: "listWorkgroups", want: 200, rq: req{user: admin, method: "GET", path: "/workgroups?sorters=-name&count=true"},
			check: func(b []byte) {
				assert.Equal(t, []string{"Security Reviewers", "IAM Engineering", "Finance Source Owners", "Demo Source Stewards"}, names(t, b, "name"))
			}},
		{name: "groups of one identity", op: "listWorkgroups", want: 200, rq: req{user: admin, method: "GET", path: "/workgroups?filters=" + q(`memberships.identityId eq "2c9180857a1b4c2d017a1b4c2d0e0003"`)},
			check: func(b []byte) { assert.Equal(t, []string{DemoWorkgroupID}, names(t, b, "id")) }},
		{name: "name starts with", op: "listWorkgroups", want: 200, rq: req{user: admin, method: "GET", path: "/workgroups?limit=1&filters=" + q(`name sw "fin"`)},
			check: func(b []byte) { assert.Equal(t, []string{"Finance Source Owners"}, names(t, b, "name")) }},
		{name: "description filter unsupported", op: "listWorkgroups", want: 400, rq: req{user: admin, method: "GET", path: "/workgroups?filters=" + q(`description sw "x"`)}},
		{name: "subadmin refused", op: "listWorkgroups", want: 403, rq: req{user: "subadmin", method: "GET", path: "/workgroups"}},

		// Password policies: experimental header; paging only.
		{name: "all", op: "listPasswordPolicies", want: 200, rq: req{user: admin, method: "GET", path: "/password-policies?count=true", headers: exp},
			check: func(b []byte) {
				assert.ElementsMatch(t, []string{"Default", "Corporate Password Policy", "Privileged Accounts"}, names(t, b, "name"))
			}},
		{name: "second page", op: "listPasswordPolicies", want: 200, rq: req{user: admin, method: "GET", path: "/password-policies?limit=2&offset=2", headers: exp},
			check: func(b []byte) { assert.Len(t, names(t, b, "id"), 1) }},
		{name: "no experimental header", op: "listPasswordPolicies", want: 400, reqInvalid: true, rq: req{user: admin, method: "GET", path: "/password-policies"}},
		{name: "helpdesk refused", op: "listPasswordPolicies", want: 403, rq: req{user: "helpdesk", method: "GET", path: "/password-policies", headers: exp}},

		// Connectors: the released ones, keyed by scriptName.
		{name: "all", op: "getConnectorList", want: 200, rq: req{user: "subadmin", method: "GET", path: "/connectors?count=true&locale=de"},
			check: func(b []byte) {
				assert.Contains(t, names(t, b, "scriptName"), "delimited-file")
				assert.NotContains(t, names(t, b, "scriptName"), "identitynow")
			}},
		{name: "by type and category", op: "getConnectorList", want: 200, rq: req{user: admin, method: "GET", path: "/connectors?filters=" + q(`type co "directory" or category eq "database"`)},
			check: func(b []byte) {
				assert.ElementsMatch(t, []string{"active-directory", "azure-active-directory", "jdbc"}, names(t, b, "scriptName"))
			}},
		{name: "directConnect", op: "getConnectorList", want: 200, rq: req{user: admin, method: "GET", path: "/connectors?filters=" + q(`directConnect eq false`)},
			check: func(b []byte) { assert.Equal(t, []string{"delimited-file"}, names(t, b, "scriptName")) }},
		{name: "bad locale", op: "getConnectorList", want: 400, reqInvalid: true, rq: req{user: admin, method: "GET", path: "/connectors?locale=tlh"}},
		{name: "helpdesk refused", op: "getConnectorList", want: 403, rq: req{user: "helpdesk", method: "GET", path: "/connectors"}},
	}
}

// Every id a seeded source references names an object of the picker lists,
// under the same name.
func TestSeededReferencesResolve(t *testing.T) {
	h := newHarness(t, Config{})
	get := func(path string, headers map[string]string) []map[string]any {
		var list []map[string]any
		h.doJSON(req{user: "admin", method: "GET", path: path, headers: headers}, 200, &list)
		return list
	}
	byID := func(list []map[string]any, key string) map[string]string {
		out := map[string]string{}
		for _, m := range list {
			out[m[key].(string)], _ = m["name"].(string)
		}
		return out
	}
	identities := byID(get("/public-identities", nil), "id")
	clusters := byID(get("/managed-clusters", nil), "id")
	groups := byID(get("/workgroups", nil), "id")
	policies := byID(get("/password-policies", map[string]string{"X-SailPoint-Experimental": "true"}), "id")
	conns := byID(get("/connectors", nil), "scriptName")

	var sources []map[string]any
	h.doJSON(req{user: "admin", method: "GET", path: "/sources"}, 200, &sources)
	require.NotEmpty(t, sources)
	check := func(src map[string]any, field string, known map[string]string) {
		r, ok := src[field].(map[string]any)
		if !ok {
			return
		}
		id, name := r["id"].(string), r["name"].(string)
		if assert.Contains(t, known, id, "%s of %q names nothing", field, src["name"]) {
			assert.Equal(t, known[id], name, "%s of %q", field, src["name"])
		}
	}
	for _, src := range sources {
		check(src, "owner", identities)
		check(src, "cluster", clusters)
		check(src, "managementWorkgroup", groups)
		pp, _ := src["passwordPolicies"].([]any)
		for _, p := range pp {
			check(map[string]any{"name": src["name"], "p": p}, "p", policies)
		}
		assert.Contains(t, conns, src["connector"], "connector of %q", src["name"])
	}
}
