package sandbox

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The production tenant holds the sandbox's people and objects under ids of its
// own, lacks a few sources and picker objects, and its sources have drifted.
func TestProductionTenantHasItsOwnIdsAndDriftedSources(t *testing.T) {
	sbx := newHarness(t, Config{})
	prod := newHarness(t, Config{Seed: SeedProduction})
	assert.Equal(t, "production", prod.sb.cfg.TenantName)

	names := func(h *apiHarness, path string) map[string]string {
		var list []map[string]any
		h.doJSON(req{user: "admin", method: "GET", path: path, headers: map[string]string{"X-SailPoint-Experimental": "true"}}, http.StatusOK, &list)
		out := map[string]string{}
		for _, o := range list {
			out[o["name"].(string)] = o["id"].(string)
		}
		return out
	}
	for _, path := range []string{"/sources", "/managed-clusters", "/workgroups", "/password-policies", "/public-identities"} {
		s, p := names(sbx, path), names(prod, path)
		require.NotEmpty(t, p, path)
		for name, id := range p {
			if sid, ok := s[name]; ok {
				assert.NotEqual(t, sid, id, "%s: %q has an id of its own in production", path, name)
				assert.Equal(t, ProductionID(sid), id, path)
			}
		}
		if path == "/sources" {
			assert.Len(t, p, len(s)-len(productionMissing), "production lacks three sources")
			assert.NotContains(t, p, "Interns 2026 CSV")
		}
	}
	assert.NotContains(t, names(prod, "/managed-clusters"), "Lab Cluster")
	assert.NotContains(t, names(prod, "/workgroups"), "Security Reviewers")

	// The same source has drifted: another description and owner, one schema
	// attribute and one schedule fewer.
	hrProd := ProductionID(SeedDelimitedSourceID)
	var src map[string]any
	prod.doJSON(req{user: "admin", method: "GET", path: "/sources/" + hrProd}, http.StatusOK, &src)
	assert.Equal(t, "HR Contractors CSV", src["name"])
	assert.Contains(t, src["description"], "production")
	assert.Equal(t, "Olivia Owner", src["owner"].(map[string]any)["name"])
	assert.Equal(t, ProductionID("2c9180857a1b4c2d017a1b4c2d0e0010"), src["owner"].(map[string]any)["id"])
	var schedules []map[string]any
	prod.doJSON(req{user: "admin", method: "GET", path: "/sources/" + hrProd + "/schedules"}, http.StatusOK, &schedules)
	require.Len(t, schedules, 1)
	assert.Equal(t, "0 0 3 * * ?", schedules[0]["cronExpression"])

	// The demo subadmin manages the production roster no longer; its own
	// governance group is the production one.
	resp, _ := prod.do(req{user: "subadmin", method: "GET", path: "/sources/" + ProductionID(SeedSubadminSourceID)})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	var mine []map[string]any
	prod.doJSON(req{user: "subadmin", method: "GET", path: "/sources?for-subadmin=me"}, http.StatusOK, &mine)
	require.NotEmpty(t, mine)
	for _, m := range mine {
		assert.Equal(t, ProductionID(DemoWorkgroupID), m["managementWorkgroup"].(map[string]any)["id"])
	}
}
