package sandbox

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func listNames(t testing.TB, b []byte) []string {
	t.Helper()
	var list []map[string]any
	require.NoError(t, json.Unmarshal(b, &list), "body: %s", b)
	var names []string
	for _, s := range list {
		names = append(names, s["name"].(string))
	}
	return names
}

func TestListSourcesPagingAndSorting(t *testing.T) {
	h := newHarness(t, Config{})
	visible := len(visibleSeeds())

	t.Run("default limit returns everything visible, X-Total-Count on request", func(t *testing.T) {
		resp, b := h.do(req{user: "admin", method: "GET", path: "/sources?count=true"})
		require.Equal(t, 200, resp.StatusCode)
		assert.Len(t, listNames(t, b), visible)
		assert.Equal(t, strconv.Itoa(visible), resp.Header.Get("X-Total-Count"))
	})
	t.Run("no X-Total-Count without count=true", func(t *testing.T) {
		resp, _ := h.do(req{user: "admin", method: "GET", path: "/sources?limit=1"})
		assert.Empty(t, resp.Header.Get("X-Total-Count"))
	})
	t.Run("limit and offset page; count ignores them", func(t *testing.T) {
		resp, b := h.do(req{user: "admin", method: "GET", path: "/sources?limit=3&offset=2&count=true&sorters=name"})
		require.Equal(t, 200, resp.StatusCode)
		all := h.names("/sources?sorters=name")
		assert.Equal(t, all[2:5], listNames(t, b))
		assert.Equal(t, strconv.Itoa(visible), resp.Header.Get("X-Total-Count"))
	})
	t.Run("offset past the end gives an empty array", func(t *testing.T) {
		_, b := h.do(req{user: "admin", method: "GET", path: "/sources?offset=1000"})
		assert.Equal(t, "[]", string(b))
	})
	for _, bad := range []string{"limit=251", "limit=-1", "limit=ten", "offset=-5", "count=maybe", "includeIDNSource=perhaps"} {
		t.Run("400 on "+bad, func(t *testing.T) {
			resp, b := h.do(req{user: "admin", method: "GET", path: "/sources?" + bad})
			require.Equal(t, 400, resp.StatusCode)
			assert.Contains(t, errText(t, b), strings.Split(bad, "=")[0])
		})
	}
	t.Run("sorters ascending, descending and multi-key", func(t *testing.T) {
		asc := h.names("/sources?sorters=name")
		desc := h.names("/sources?sorters=-name")
		require.Len(t, asc, visible)
		for i := range asc {
			assert.Equal(t, asc[i], desc[len(desc)-1-i])
		}
		byType := h.names("/sources?sorters=type,-created&filters=" + q(`type eq "Workday"`))
		assert.Equal(t, []string{"Workday Contingent", "Workday HR"}, byType)
	})
	t.Run("unknown sorter is 400 naming it", func(t *testing.T) {
		resp, b := h.do(req{user: "admin", method: "GET", path: "/sources?sorters=name,-connector"})
		require.Equal(t, 400, resp.StatusCode)
		assert.Contains(t, errText(t, b), `"connector"`)
	})
	t.Run("includeIDNSource shows the IdentityNow source with a null owner", func(t *testing.T) {
		assert.NotContains(t, h.names("/sources"), "IdentityNow")
		_, b := h.do(req{user: "admin", method: "GET", path: "/sources?includeIDNSource=true&filters=" + q(`name eq "IdentityNow"`)})
		assert.JSONEq(t, `null`, string(mustField(t, b, 0, "owner")))
	})
}

func (h *apiHarness) names(path string) []string {
	h.t.Helper()
	resp, b := h.do(req{user: "admin", method: "GET", path: path})
	require.Equal(h.t, 200, resp.StatusCode, "body: %s", b)
	return listNames(h.t, b)
}

func mustField(t *testing.T, b []byte, i int, field string) json.RawMessage {
	t.Helper()
	var list []map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &list))
	require.Greater(t, len(list), i)
	return list[i][field]
}

func TestAuthentication(t *testing.T) {
	h := newHarness(t, Config{})
	for _, tc := range []struct{ name, auth, want string }{
		{"missing", "", "JWT validation failed: JWT is missing"},
		{"unknown token", "Bearer nope", "JWT validation failed: JWT is invalid or expired"},
		{"not bearer", "Basic YTpi", "JWT validation failed: JWT is missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rq := req{method: "GET", path: "/sources/" + SeedDelimitedSourceID, headers: map[string]string{}}
			if tc.auth != "" {
				rq.headers["Authorization"] = tc.auth
			}
			resp, b := h.do(rq)
			require.Equal(t, 401, resp.StatusCode)
			assert.JSONEq(t, `{"error":"`+tc.want+`"}`, string(b))
		})
	}
	t.Run("unknown API path is a JSON 404", func(t *testing.T) {
		resp, b := h.do(req{user: "admin", method: "GET", path: "/nothing-here"})
		require.Equal(t, 404, resp.StatusCode)
		assert.Equal(t, "404 Not found", mustDetail(t, b))
	})
}

func mustDetail(t *testing.T, b []byte) string {
	var e struct {
		DetailCode string `json:"detailCode"`
		TrackingID string `json:"trackingId"`
	}
	require.NoError(t, json.Unmarshal(b, &e), "body: %s", b)
	require.Len(t, e.TrackingID, 32)
	return e.DetailCode
}

func TestAuthorizationByUserLevel(t *testing.T) {
	h := newHarness(t, Config{})
	own := SeedSubadminSourceID    // managed by DemoWorkgroupID
	other := SeedUnhealthySourceID // not
	desc := func(v string) []byte {
		return jsonBody([]map[string]any{{"op": "replace", "path": "/description", "value": v}})
	}
	jp := "application/json-patch+json"
	cases := []struct {
		name string
		rq   req
		want int
	}{
		{"org admin patches any source", req{user: "admin", method: "PATCH", path: "/sources/" + other, body: desc("a"), ctype: jp}, 200},
		{"source admin patches any source", req{user: "source-admin", method: "PATCH", path: "/sources/" + other, body: desc("b"), ctype: jp}, 200},
		{"subadmin patches own source", req{user: "subadmin", method: "PATCH", path: "/sources/" + own, body: desc("c"), ctype: jp}, 200},
		{"subadmin cannot patch other source", req{user: "subadmin", method: "PATCH", path: "/sources/" + other, body: desc("d"), ctype: jp}, 403},
		{"subadmin cannot read other source", req{user: "subadmin", method: "GET", path: "/sources/" + other}, 403},
		{"subadmin reads own schedules", req{user: "subadmin", method: "GET", path: "/sources/" + own + "/schedules"}, 200},
		{"subadmin cannot move own source out of the group", req{user: "subadmin", method: "PATCH", path: "/sources/" + own, ctype: jp,
			body: jsonBody([]map[string]any{{"op": "replace", "path": "/managementWorkgroup", "value": nil}})}, 403},
		{"subadmin cannot create outside the group", req{user: "subadmin", method: "POST", path: "/sources",
			body: jsonBody(map[string]any{"name": "Sub X", "owner": nil, "connector": "jdbc"})}, 403},
		{"subadmin creates inside the group", req{user: "subadmin", method: "POST", path: "/sources",
			body: jsonBody(map[string]any{"name": "Sub Y", "owner": nil, "connector": "jdbc", "managementWorkgroup": map[string]any{"type": "GOVERNANCE_GROUP", "id": DemoWorkgroupID}})}, 201},
		{"subadmin list needs for-subadmin", req{user: "subadmin", method: "GET", path: "/sources"}, 403},
		{"subadmin cannot list for someone else", req{user: "subadmin", method: "GET", path: "/sources?for-subadmin=2c9180857a1b4c2d017a1b4c2d0e0001"}, 403},
		{"helpdesk reads", req{user: "helpdesk", method: "GET", path: "/sources/" + other + "/schemas"}, 200},
		{"helpdesk lists", req{user: "helpdesk", method: "GET", path: "/sources"}, 200},
		{"helpdesk cannot patch", req{user: "helpdesk", method: "PATCH", path: "/sources/" + other, body: desc("e"), ctype: jp}, 403},
		{"helpdesk cannot delete", req{user: "helpdesk", method: "DELETE", path: "/sources/" + own}, 403},
		{"helpdesk cannot aggregate", req{user: "helpdesk", method: "POST", path: "/sources/" + other + "/load-accounts"}, 403},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := h.do(tc.rq)
			require.Equal(t, tc.want, resp.StatusCode, "body: %s", b)
			if tc.want == 403 {
				assert.Equal(t, "403 Forbidden", mustDetail(t, b))
			}
		})
	}
	t.Run("for-subadmin lists exactly the group's sources", func(t *testing.T) {
		resp, b := h.do(req{user: "subadmin", method: "GET", path: "/sources?for-subadmin=me"})
		require.Equal(t, 200, resp.StatusCode)
		names := listNames(t, b)
		assert.Contains(t, names, "Subadmin Team Roster")
		assert.Contains(t, names, "Sub Y")
		assert.NotContains(t, names, "Corporate AD (EMEA)")
		assert.Len(t, names, len(seedWorkgroup)+1)
		// An admin asking for the subadmin gets the same list.
		assert.ElementsMatch(t, names, h.names("/sources?for-subadmin="+DemoUsers()[2].IdentityID))
	})
}

func TestSourceImmutableFields(t *testing.T) {
	h := newHarness(t, Config{})
	id := seedSourceID(13)
	current := func() map[string]any {
		var obj map[string]any
		h.doJSON(req{user: "admin", method: "GET", path: "/sources/" + id}, 200, &obj)
		return obj
	}
	changes := map[string]any{
		"id": "2c9180887e5f4a1b017e5f4a1bffffff", "type": "LDAP", "authoritative": true, "connector": "ldap",
		"connectorClass": "x.Y", "passwordPolicies": []any{},
	}
	for field, v := range changes {
		t.Run("PUT "+field, func(t *testing.T) {
			obj := current()
			obj[field] = v
			resp, b := h.do(req{user: "admin", method: "PUT", path: "/sources/" + id, body: jsonBody(obj)})
			require.Equal(t, 400, resp.StatusCode, "body: %s", b)
			assert.Contains(t, errText(t, b), field+" is immutable")
		})
	}
	for field, v := range map[string]any{"created": "2020-01-01T00:00:00Z", "modified": "2020-01-01T00:00:00Z", "type": "LDAP", "connector": "ldap"} {
		t.Run("PATCH "+field, func(t *testing.T) {
			resp, b := h.do(req{user: "admin", method: "PATCH", path: "/sources/" + id, ctype: "application/json-patch+json",
				body: jsonBody([]map[string]any{{"op": "replace", "path": "/" + field, "value": v}})})
			require.Equal(t, 400, resp.StatusCode, "body: %s", b)
			assert.Contains(t, errText(t, b), field+" is immutable")
		})
	}
	t.Run("PUT keeps unknown fields and identical immutables are fine", func(t *testing.T) {
		obj := current()
		obj["description"] = "round trip"
		obj["x-vendor"] = map[string]any{"nested": []any{1.0, "two"}}
		obj["connectorAttributes"] = map[string]any{"custom": "kept"}
		var got map[string]any
		h.doJSON(req{user: "admin", method: "PUT", path: "/sources/" + id, body: jsonBody(obj)}, 200, &got)
		again := current()
		assert.Equal(t, obj["x-vendor"], again["x-vendor"])
		assert.Equal(t, map[string]any{"custom": "kept"}, again["connectorAttributes"])
		assert.Equal(t, "round trip", again["description"])
		assert.Equal(t, obj["created"], again["created"])
		assert.NotEqual(t, obj["modified"], again["modified"], "modified moves on")
	})
	t.Run("PATCH needs the json-patch content type", func(t *testing.T) {
		resp, b := h.do(req{user: "admin", method: "PATCH", path: "/sources/" + id,
			body: jsonBody([]map[string]any{{"op": "replace", "path": "/description", "value": "x"}})})
		require.Equal(t, 400, resp.StatusCode)
		assert.Contains(t, errText(t, b), "application/json-patch+json")
	})
	t.Run("PATCH test op failing is 400", func(t *testing.T) {
		resp, _ := h.do(req{user: "admin", method: "PATCH", path: "/sources/" + id, ctype: "application/json-patch+json",
			body: jsonBody([]map[string]any{{"op": "test", "path": "/name", "value": "not the name"}})})
		assert.Equal(t, 400, resp.StatusCode)
	})
	t.Run("renaming onto another source's name is 400", func(t *testing.T) {
		resp, b := h.do(req{user: "admin", method: "PATCH", path: "/sources/" + id, ctype: "application/json-patch+json",
			body: jsonBody([]map[string]any{{"op": "replace", "path": "/name", "value": "WORKDAY HR"}})})
		require.Equal(t, 400, resp.StatusCode)
		assert.Contains(t, errText(t, b), "already exists")
	})
}

func TestCreateDelimitedSource(t *testing.T) {
	h := newHarness(t, Config{})
	var src map[string]any
	h.doJSON(req{user: "admin", method: "POST", path: "/sources?provisionAsCsv=true",
		body: jsonBody(map[string]any{"name": "Badge CSV", "owner": map[string]any{"type": "IDENTITY", "id": "x1", "name": "X"}, "connector": "anything", "extra": "kept"})}, 201, &src)
	assert.Equal(t, "DelimitedFile", src["type"])
	assert.Equal(t, "delimited-file", src["connector"])
	assert.Equal(t, "file", src["connectionType"])
	assert.Equal(t, "kept", src["extra"])
	id := src["id"].(string)
	assert.Regexp(t, `^[0-9a-f]{32}$`, id)

	var schemas []map[string]any
	h.doJSON(req{user: "admin", method: "GET", path: "/sources/" + id + "/schemas"}, 200, &schemas)
	require.Len(t, schemas, 1)
	assert.Equal(t, "account", schemas[0]["name"])
	assert.NotEmpty(t, schemas[0]["attributes"])

	resp, b := h.do(req{user: "admin", method: "GET", path: "/sources/" + id + "/schemas/accounts"})
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "text/csv", resp.Header.Get("Content-Type"))
	assert.Equal(t, "id,displayName,email,department,startDate,active,level,groups\n", string(b), "the new source's template")

	t.Run("schema CSV is refused for other connectors", func(t *testing.T) {
		resp, b := h.do(req{user: "admin", method: "GET", path: "/sources/" + SeedUnhealthySourceID + "/schemas/entitlements"})
		require.Equal(t, 400, resp.StatusCode)
		assert.Contains(t, errText(t, b), "only supported for Delimited File sources")
	})
	t.Run("a form body that is not multipart is 400", func(t *testing.T) {
		resp, _ := h.do(req{user: "admin", method: "POST", path: "/sources/" + id + "/schemas/accounts", body: []byte("a=b"), ctype: "application/x-www-form-urlencoded"})
		assert.Equal(t, 400, resp.StatusCode)
	})
}

func TestSchedulesValidateCron(t *testing.T) {
	h := newHarness(t, Config{})
	id := seedSourceID(10) // no schedules yet
	for _, tc := range []struct {
		cron string
		want int
	}{
		{"0 0 5,13,21 * * ?", 201},
		{"0 0 12 1/1 * ? *", 400}, // the ACCOUNT schedule now exists
		{"0 0", 400},
		{"* * * * *", 400},
	} {
		t.Run(tc.cron, func(t *testing.T) {
			resp, b := h.do(req{user: "admin", method: "POST", path: "/sources/" + id + "/schedules",
				body: jsonBody(map[string]any{"type": "ACCOUNT_AGGREGATION", "cronExpression": tc.cron})})
			require.Equal(t, tc.want, resp.StatusCode, "body: %s", b)
		})
	}
	t.Run("patch with a bad cron names the problem", func(t *testing.T) {
		resp, b := h.do(req{user: "admin", method: "PATCH", path: "/sources/" + id + "/schedules/ACCOUNT_AGGREGATION", ctype: "application/json-patch+json",
			body: jsonBody([]map[string]any{{"op": "replace", "path": "/cronExpression", "value": "0 0 25 * * ?x ? ?"}})})
		require.Equal(t, 400, resp.StatusCode)
		assert.Contains(t, errText(t, b), "cronExpression")
	})
	t.Run("bad schedule type in the path", func(t *testing.T) {
		resp, _ := h.do(req{user: "admin", method: "GET", path: "/sources/" + id + "/schedules/WEEKLY"})
		assert.Equal(t, 400, resp.StatusCode)
	})
}

func TestExperimentalHeader(t *testing.T) {
	h := newHarness(t, Config{})
	id := seedSourceID(13)
	for _, tc := range []struct{ method, path string }{
		{"GET", "/sources/" + id + "/attribute-sync-config"},
		{"PUT", "/sources/" + id + "/attribute-sync-config"},
		{"POST", "/sources/" + id + "/synchronize-attributes"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			rq := req{user: "admin", method: tc.method, path: tc.path}
			if tc.method == "PUT" {
				rq.body = jsonBody(map[string]any{})
			}
			resp, b := h.do(rq)
			require.Equal(t, 400, resp.StatusCode)
			assert.Contains(t, errText(t, b), "X-SailPoint-Experimental: true")
		})
	}
	resp, _ := h.do(req{user: "admin", method: "GET", path: "/sources/" + id + "/attribute-sync-config", headers: map[string]string{"X-SailPoint-Experimental": "true"}})
	assert.Equal(t, 200, resp.StatusCode)
}

func TestConnectorTools(t *testing.T) {
	h := newHarness(t, Config{})
	status := func(id, tool string) map[string]any {
		var out map[string]any
		h.doJSON(req{user: "admin", method: "POST", path: "/sources/" + id + "/connector/" + tool}, 200, &out)
		return out
	}
	t.Run("unhealthy AD fails with a connector error", func(t *testing.T) {
		out := status(SeedUnhealthySourceID, "check-connection")
		assert.Equal(t, "FAILURE", out["status"])
		assert.Contains(t, out["details"].(map[string]any)["error"], "ConnectException")
		assert.Equal(t, "FAILURE", status(SeedUnhealthySourceID, "test-configuration")["status"])
		assert.Equal(t, "SUCCESS", status(SeedUnhealthySourceID, "ping-cluster")["status"], "the cluster itself is fine")
	})
	t.Run("VA down fails ping-cluster", func(t *testing.T) {
		out := status(seedSourceID(18), "ping-cluster")
		assert.Equal(t, "FAILURE", out["status"])
		assert.Contains(t, out["details"].(map[string]any)["error"], "virtual appliance")
	})
	t.Run("healthy succeeds", func(t *testing.T) {
		assert.Equal(t, "SUCCESS", status(seedSourceID(13), "check-connection")["status"])
	})
	t.Run("check-connection marks an unchecked source healthy", func(t *testing.T) {
		id := SeedUncheckedSourceID
		assert.Equal(t, "SUCCESS", status(id, "check-connection")["status"])
		var src map[string]any
		h.doJSON(req{user: "admin", method: "GET", path: "/sources/" + id}, 200, &src)
		assert.Equal(t, true, src["healthy"])
	})
	t.Run("peek returns seeded accounts up to maxCount", func(t *testing.T) {
		var out map[string]any
		h.doJSON(req{user: "admin", method: "POST", path: "/sources/" + SeedDelimitedSourceID + "/connector/peek-resource-objects",
			body: jsonBody(map[string]any{"maxCount": 3})}, 200, &out)
		assert.EqualValues(t, 3, out["objectCount"])
		objs := out["resourceObjects"].([]any)
		first := objs[0].(map[string]any)
		assert.Equal(t, "account", first["objectType"])
		assert.NotEmpty(t, first["attributes"].(map[string]any)["email"])
	})
	t.Run("peek on a broken source is 400 with the reason", func(t *testing.T) {
		resp, b := h.do(req{user: "admin", method: "POST", path: "/sources/" + seedSourceID(40) + "/connector/peek-resource-objects", body: []byte(`{}`)})
		require.Equal(t, 400, resp.StatusCode)
		assert.Contains(t, errText(t, b), "Login failed")
	})
}

func TestRateLimitPerClient(t *testing.T) {
	h := newHarness(t, Config{RateLimit: 3, RateWindow: 10 * time.Second})
	get := func(user string) *http.Response {
		resp, _ := h.do(req{user: user, method: "GET", path: "/sources/" + SeedDelimitedSourceID})
		return resp
	}
	for i := 0; i < 3; i++ {
		require.Equal(t, 200, get("admin").StatusCode)
	}
	h.clock.Advance(2500 * time.Millisecond)
	resp, b := h.do(req{user: "admin", method: "GET", path: "/sources"})
	require.Equal(t, 429, resp.StatusCode)
	assert.JSONEq(t, `{"message":" Rate Limit Exceeded "}`, string(b))
	assert.Equal(t, "8", resp.Header.Get("Retry-After"), "seconds left in the window, rounded up")
	assert.Equal(t, 200, get("helpdesk").StatusCode, "another client has its own budget")
	h.clock.Advance(7600 * time.Millisecond)
	assert.Equal(t, 200, get("admin").StatusCode, "a new window opens")
	t.Run("clients sharing an OAuth client id share the budget", func(t *testing.T) {
		h.clock.Advance(11 * time.Second)
		for _, u := range []string{"admin:shared", "helpdesk:shared", "source-admin:shared"} {
			require.Equal(t, 200, get(u).StatusCode)
		}
		assert.Equal(t, 429, get("subadmin:shared").StatusCode)
	})
}

func TestFaultInjection(t *testing.T) {
	h := newHarness(t, Config{})
	path := "/sources/" + SeedDelimitedSourceID
	t.Run("forced 429s then recovery", func(t *testing.T) {
		h.sb.SetFault("getSource", Fault{Force429: 2, RetryAfter: 7})
		for i := 0; i < 2; i++ {
			resp, _ := h.do(req{user: "admin", method: "GET", path: path})
			require.Equal(t, 429, resp.StatusCode)
			assert.Equal(t, "7", resp.Header.Get("Retry-After"))
		}
		resp, _ := h.do(req{user: "admin", method: "GET", path: path})
		assert.Equal(t, 200, resp.StatusCode)
		h.sb.ClearFaults()
	})
	t.Run("status without ratio fails every call, other ops untouched", func(t *testing.T) {
		h.sb.SetFault("getSource", Fault{Status: 503})
		resp, b := h.do(req{user: "admin", method: "GET", path: path})
		require.Equal(t, 503, resp.StatusCode)
		assert.Contains(t, errText(t, b), "injected")
		resp, _ = h.do(req{user: "admin", method: "GET", path: path + "/schedules"})
		assert.Equal(t, 200, resp.StatusCode)
		h.sb.ClearFaults()
	})
	t.Run("error ratio is deterministic", func(t *testing.T) {
		count := func() int {
			sb := New(Config{RateLimit: -1})
			sb.SetFault("*", Fault{ErrorRatio: 0.5})
			n := 0
			for i := 0; i < 100; i++ {
				w := httptest.NewRecorder()
				r, _ := http.NewRequest("GET", "/v2025/sources", nil)
				if sb.applyFault(w, r, "listSources") {
					n++
				}
			}
			return n
		}
		first := count()
		assert.Equal(t, first, count())
		assert.InDelta(t, 50, first, 20)
	})
	t.Run("latency delays the answer", func(t *testing.T) {
		h.sb.SetFault("*", Fault{Latency: 60 * time.Millisecond})
		start := time.Now()
		resp, _ := h.do(req{user: "admin", method: "GET", path: path})
		assert.Equal(t, 200, resp.StatusCode)
		assert.GreaterOrEqual(t, time.Since(start), 60*time.Millisecond)
		h.sb.ClearFaults()
	})
	t.Run("hang holds the call until the client gives up", func(t *testing.T) {
		h.sb.SetFault("getSourceHealth", Fault{Hang: true})
		ctx, cancel := context.WithTimeout(context.Background(), 80*time.Millisecond)
		defer cancel()
		r := req{user: "admin", method: "GET", path: path + "/source-health"}.build(h.srv.URL).WithContext(ctx)
		_, err := h.srv.Client().Do(r)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		h.sb.ClearFaults()
	})
	t.Run("calls are counted per operation", func(t *testing.T) {
		h.sb.ResetCalls()
		h.do(req{user: "admin", method: "GET", path: "/sources"})
		h.do(req{user: "admin", method: "GET", path: path})
		h.do(req{method: "GET", path: path}) // unauthenticated calls count too
		assert.Equal(t, 1, h.sb.Calls("listSources"))
		assert.Equal(t, 2, h.sb.Calls("getSource"))
		assert.Equal(t, 0, h.sb.Calls("putSource"))
		assert.Equal(t, 3, h.sb.Calls(""))
		assert.Equal(t, 3, h.sb.CallsByMethod("GET"))
		assert.Equal(t, 0, h.sb.CallsByMethod("POST"))
		assert.Equal(t, map[string]int{"listSources": 1, "getSource": 2}, h.sb.CallCounts())
	})
}

// TestRealOAuthToken goes through the OAuth half: a demo PAT token from
// /oauth/token must open the API, and the rate limit keys on its client id.
func TestRealOAuthToken(t *testing.T) {
	sb := New(Config{RateLimit: 2, RateWindow: time.Minute})
	srv := httptest.NewServer(sb.Handler())
	defer srv.Close()
	tr, err := http.NewRequest("POST", srv.URL+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
	require.NoError(t, err)
	tr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	tr.SetBasicAuth(DemoPATClientID, DemoPATClientSecret)
	resp, err := srv.Client().Do(tr)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tok))
	require.NotEmpty(t, tok.AccessToken)

	get := func(token string) int {
		r, _ := http.NewRequest("GET", srv.URL+"/v2025/sources?limit=1", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		resp, err := srv.Client().Do(r)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, 200, get(tok.AccessToken))
	assert.Equal(t, 401, get(tok.AccessToken+"x"))
	assert.Equal(t, 200, get(tok.AccessToken))
	assert.Equal(t, 429, get(tok.AccessToken), "third call of the PAT client in the window")
}
