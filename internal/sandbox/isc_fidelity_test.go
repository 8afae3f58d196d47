package sandbox

// Behaviours learned from SailPoint's own SDK and docs (API-NOTES.md section 9):
// the schema CSV is the flat-file template, date-times compare as instants,
// uploads come with a Content-Length, the token endpoint takes form-field client
// credentials, and load-uncorrelated-accounts takes a manual correlation file.

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// accountSchemaOf returns the account schema of src.
func (h *apiHarness) accountSchemaOf(src string) map[string]any {
	h.t.Helper()
	var list []map[string]any
	h.doJSON(req{user: "admin", method: "GET", path: "/sources/" + src + "/schemas?include-names=account"}, 200, &list)
	require.Len(h.t, list, 1)
	return list[0]
}

func attributeNames(sc map[string]any) []string {
	var out []string
	for _, a := range sc["attributes"].([]any) {
		out = append(out, a.(map[string]any)["name"].(string))
	}
	return out
}

func TestSchemaCSVIsTheFlatFileTemplate(t *testing.T) {
	h := newHarness(t, Config{})
	src := SeedDelimitedSourceID
	path := "/sources/" + src + "/schemas/accounts"

	t.Run("the download is one header row of the attribute names in schema order", func(t *testing.T) {
		resp, b := h.do(req{user: "admin", method: "GET", path: path})
		require.Equal(t, 200, resp.StatusCode, string(b))
		assert.Equal(t, "text/csv", resp.Header.Get("Content-Type"))
		assert.Equal(t, strings.Join(attributeNames(h.accountSchemaOf(src)), ",")+"\n", string(b))
	})

	upload := func(content string) (*http.Response, []byte) {
		body, ct := multipartBody("template.csv", content, nil)
		return h.do(req{user: "admin", method: "POST", path: path, body: body, ctype: ct})
	}

	t.Run("an upload keeps named attributes, adds new ones as strings, drops the others and ignores rows", func(t *testing.T) {
		before := h.accountSchemaOf(src)
		var groups map[string]any
		for _, a := range before["attributes"].([]any) {
			if m := a.(map[string]any); m["name"] == "groups" {
				groups = m
			}
		}
		require.NotNil(t, groups)
		resp, b := upload("\ufeffid,displayName,groups,badge,startDate\nDF1,Dee,HR,B-17,2024-01-01\nDF2,Eve,Ops,B-18,2024-02-01\n")
		require.Equal(t, 200, resp.StatusCode, string(b))
		after := h.accountSchemaOf(src)
		assert.Equal(t, []string{"id", "displayName", "groups", "badge", "startDate"}, attributeNames(after), "the header's order")
		attrs := after["attributes"].([]any)
		assert.Equal(t, groups, attrs[2], "an existing attribute keeps its definition (multi-valued entitlement)")
		badge := attrs[3].(map[string]any)
		assert.Equal(t, "STRING", badge["type"])
		assert.Equal(t, false, badge["isMulti"])
		assert.Equal(t, false, badge["isEntitlement"])
		assert.Equal(t, "DATE", attrs[4].(map[string]any)["type"])
		assert.Equal(t, before["created"], after["created"])
		assert.NotEqual(t, before["modified"], after["modified"])

		_, dl := h.do(req{user: "admin", method: "GET", path: path})
		assert.Equal(t, "id,displayName,groups,badge,startDate\n", string(dl), "the download is the new template")
	})

	for _, tc := range []struct{ name, content, want string }{
		{"the identity attribute must stay", "displayName,email\n", `identity attribute "id"`},
		{"the display attribute must stay", "id,email\n", `display attribute "displayName"`},
		{"the old attribute-definition layout is refused, not an empty schema",
			"name,type,description,isMulti,isEntitlement,isGroup\nid,STRING,,false,false,false\n", `identity attribute "id" and display attribute "displayName"`},
		{"a duplicate name", "id,displayName,id\n", `names the attribute "id" twice`},
		{"an empty name", "id,displayName,,email\n", "Column 3 of the schema file's header row has no name"},
		{"an empty file", "", "empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := h.accountSchemaOf(src)
			resp, b := upload(tc.content)
			require.Equal(t, 400, resp.StatusCode, string(b))
			assert.Contains(t, errText(t, b), tc.want)
			assert.Equal(t, before, h.accountSchemaOf(src), "the schema is unchanged")
		})
	}

	t.Run("the source's delimiter reads and writes the template", func(t *testing.T) {
		h.doJSON(req{user: "admin", method: "PATCH", path: "/sources/" + src, ctype: "application/json-patch+json",
			body: jsonBody([]map[string]any{{"op": "replace", "path": "/connectorAttributes/delimiter", "value": ";"}})}, 200, nil)
		resp, b := upload("id;displayName;email\n")
		require.Equal(t, 200, resp.StatusCode, string(b))
		_, dl := h.do(req{user: "admin", method: "GET", path: path})
		assert.Equal(t, "id;displayName;email\n", string(dl))
	})
}

func TestImmutableFieldsCompareDateTimesAsInstants(t *testing.T) {
	h := newHarness(t, Config{})
	src := seedSourceID(13)
	sc := h.accountSchemaOf(src)
	created := sc["created"].(string) // e.g. 2024-01-29T23:30:00.000Z
	require.True(t, strings.HasSuffix(created, ".000Z"), created)
	// How SailPoint's Python SDK serialises the date-time it parsed.
	pyForm := strings.TrimSuffix(created, ".000Z") + ".000000+00:00"
	schemaPath := "/sources/" + src + "/schemas/" + sc["id"].(string)

	t.Run("a schema PUT with created re-formatted is accepted and keeps the stored form", func(t *testing.T) {
		body := clone(sc)
		body["created"] = pyForm
		body["description"] = "round trip through an SDK"
		var got map[string]any
		h.doJSON(req{user: "admin", method: "PUT", path: schemaPath, body: jsonBody(body)}, 200, &got)
		assert.Equal(t, created, got["created"])
	})
	t.Run("the same instant in another zone is the same", func(t *testing.T) {
		body := h.accountSchemaOf(src)
		at, err := time.Parse(time.RFC3339, created)
		require.NoError(t, err)
		body["created"] = at.In(time.FixedZone("CET", 3600)).Format(time.RFC3339Nano)
		h.doJSON(req{user: "admin", method: "PUT", path: schemaPath, body: jsonBody(body)}, 200, nil)
	})
	t.Run("another instant is still a change", func(t *testing.T) {
		body := h.accountSchemaOf(src)
		body["created"] = strings.TrimSuffix(created, ".000Z") + ".001Z"
		resp, b := h.do(req{user: "admin", method: "PUT", path: schemaPath, body: jsonBody(body)})
		require.Equal(t, 400, resp.StatusCode)
		assert.Contains(t, errText(t, b), "created is immutable")
		body["created"] = "yesterday"
		resp, _ = h.do(req{user: "admin", method: "PUT", path: schemaPath, body: jsonBody(body)})
		assert.Equal(t, 400, resp.StatusCode, "text that is not a date-time is compared as text")
	})
	t.Run("a schema PATCH replacing modified with the same instant is accepted", func(t *testing.T) {
		cur := h.accountSchemaOf(src)
		mod := cur["modified"].(string)
		other := strings.TrimSuffix(mod, "Z") + "000+00:00"
		h.doJSON(req{user: "admin", method: "PATCH", path: schemaPath, ctype: "application/json-patch+json",
			body: jsonBody([]map[string]any{{"op": "replace", "path": "/modified", "value": other}})}, 200, nil)
	})
	t.Run("a source PATCH replacing created with the same instant is accepted and keeps the stored form", func(t *testing.T) {
		var obj map[string]any
		h.doJSON(req{user: "admin", method: "GET", path: "/sources/" + src}, 200, &obj)
		stored := obj["created"].(string)
		var got map[string]any
		h.doJSON(req{user: "admin", method: "PATCH", path: "/sources/" + src, ctype: "application/json-patch+json",
			body: jsonBody([]map[string]any{{"op": "replace", "path": "/created", "value": strings.Replace(stored, "Z", "+00:00", 1)}})}, 200, &got)
		assert.Equal(t, stored, got["created"])
	})
	t.Run("numbers compare by value", func(t *testing.T) {
		assert.True(t, sameValue(map[string]any{"a": 10.0, "b": []any{"x"}}, map[string]any{"b": []any{"x"}, "a": 10}))
		assert.False(t, sameValue(map[string]any{"a": 10.0}, map[string]any{"a": "10"}))
		assert.True(t, sameValue(map[string]any{"at": "2026-12-06T01:15:04.354Z"}, map[string]any{"at": "2026-12-06T02:15:04.354+01:00"}))
	})
}

func TestRequireContentLengthRefusesChunkedBodies(t *testing.T) {
	h := newHarness(t, Config{RequireContentLength: true})
	body, ct := multipartBody("accounts.csv", csvHeader+"N1,New,n@example.com,HR,2024-01-01,true,1,HR\n", nil)
	path := h.srv.URL + apiPrefix + "/sources/" + SeedDelimitedSourceID + "/load-accounts"
	send := func(r io.Reader) *http.Response {
		rq, err := http.NewRequest(http.MethodPost, path, r)
		require.NoError(t, err)
		rq.Header.Set("Authorization", "Bearer test:admin")
		rq.Header.Set("Content-Type", ct)
		resp, err := h.srv.Client().Do(rq)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	resp := send(io.MultiReader(strings.NewReader(string(body)))) // no length: sent chunked
	assert.Equal(t, http.StatusLengthRequired, resp.StatusCode)
	resp = send(strings.NewReader(string(body)))
	assert.Equal(t, http.StatusAccepted, resp.StatusCode, "the same body with its length; the refused one started nothing")
}

func TestTokenEndpointTakesBothClientAuthentications(t *testing.T) {
	h := newHarness(t, Config{})
	sb, srv := h.sb, h.srv
	token := func(basic bool) int {
		form := url.Values{"grant_type": {"client_credentials"}}
		if !basic {
			form.Set("client_id", DemoPATClientID)
			form.Set("client_secret", DemoPATClientSecret)
		}
		rq, err := http.NewRequest(http.MethodPost, srv.URL+"/oauth/token", strings.NewReader(form.Encode()))
		require.NoError(t, err)
		rq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if basic {
			rq.SetBasicAuth(DemoPATClientID, DemoPATClientSecret)
		}
		resp, err := srv.Client().Do(rq)
		require.NoError(t, err)
		var out struct {
			AccessToken string `json:"access_token"`
		}
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		resp.Body.Close()
		assert.NotEmpty(t, out.AccessToken)
		return resp.StatusCode
	}
	assert.Equal(t, 200, token(false), "client_id and client_secret as form fields, as SailPoint's SDKs send them")
	assert.Equal(t, 200, token(true), "HTTP Basic")
	assert.Equal(t, 1, sb.TokenClientAuth(ClientSecretPost))
	assert.Equal(t, 1, sb.TokenClientAuth(ClientSecretBasic))
}

func TestEntitlementRequestConfigTakesTheExperimentalHeader(t *testing.T) {
	h := newHarness(t, Config{})
	path := "/sources/" + seedSourceID(13) + "/entitlement-request-config"
	var cfg map[string]any
	h.doJSON(req{user: "admin", method: "GET", path: path}, 200, &cfg)
	exp := map[string]string{"X-SailPoint-Experimental": "true"}
	var again map[string]any
	h.doJSON(req{user: "admin", method: "GET", path: path, headers: exp}, 200, &again)
	assert.Equal(t, cfg, again, "the SDK sends the header; the answer is the same")
	h.doJSON(req{user: "admin", method: "PUT", path: path, headers: exp, body: jsonBody(cfg)}, 200, nil)
	h.doJSON(req{user: "admin", method: "PUT", path: path, body: jsonBody(cfg)}, 200, nil)
}

func TestUncorrelatedAccountsFileCorrelates(t *testing.T) {
	h := newHarness(t, Config{})
	src := SeedDelimitedSourceID
	known := seedAccountID(src, 0)
	other := seedAccountID(src, 1)
	third := seedAccountID(src, 2)
	send := func(content string) (string, map[string]any) {
		body, ct := multipartBody("correlation.csv", content, nil)
		var out map[string]any
		h.doJSON(req{user: "admin", method: "POST", path: "/sources/" + src + "/load-uncorrelated-accounts", body: body, ctype: ct}, 202, &out)
		return out["task"].(map[string]any)["id"].(string), out
	}

	id, body := send("account,displayName,userName,type\n" +
		known + ",Alice Archer,Alice.Archer,\n" + // 2: correlated (usernames compare without case)
		"NOPE1,Nobody,admin,\n" + // 3: not an account of the source
		other + ",Bruno Bauer,no.such.user,\n" + // 4: no such identity
		",Empty,admin,\n" + // 5: empty account
		third + ",Chloé Carpentier,,\n" + // 6: no userName
		known + ",Again,admin,\n") // 7: listed again
	returns := body["task"].(map[string]any)["returns"]
	assert.IsType(t, []any{}, returns, "task.returns is the array of the bundled spec")

	assert.Empty(t, h.sb.CorrelatedIdentity(src, known), "nothing happens before the task completes")
	ts := h.finish(id)
	assert.Equal(t, "WARNING", *ts.CompletionStatus)
	msgs := ts.messages()
	for _, want := range []string{
		`Line 3: account "NOPE1" is not an account of this source`,
		`Line 4: no identity has the userName "no.such.user"`,
		`Line 5: the account is empty`,
		`Line 6: account "` + third + `" has no userName`,
		`Line 7: account "` + known + `" is listed again`,
	} {
		assert.Contains(t, msgs, want)
	}
	assert.NotContains(t, msgs, "Line 2:")
	assert.Equal(t, 6.0, ts.Attributes["total"])
	assert.Equal(t, 1.0, ts.Attributes["updated"])
	assert.Equal(t, 5.0, ts.Attributes["correlationFailures"])
	assert.Equal(t, seedIdentityID(0), h.sb.CorrelatedIdentity(src, known), "Alice Archer's account is hers now")
	assert.Empty(t, h.sb.CorrelatedIdentity(src, other))

	t.Run("a file without the correlation header fails", func(t *testing.T) {
		id, _ := send("id,displayName\n" + known + ",Alice\n")
		ts := h.finish(id)
		assert.Equal(t, "ERROR", *ts.CompletionStatus)
		assert.Contains(t, ts.messages(), "account,displayName,userName,type")
	})
	t.Run("a clean file succeeds", func(t *testing.T) {
		id, _ := send("account,displayName,userName,type\n" + other + ",Bruno Bauer,bruno.bauer,\n")
		ts := h.finish(id)
		assert.Equal(t, "SUCCESS", *ts.CompletionStatus)
		assert.Equal(t, seedIdentityID(1), h.sb.CorrelatedIdentity(src, other))
	})
}
