package sandbox

// The contract test drives every operation of the ISC v2025 Sources spec
// over real HTTP, with valid and invalid requests, and validates each
// request and response against the spec with kin-openapi.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const specPath = "../../../shared/isc/isc-sources-v2025.yaml"

// contractCase is one request of the contract test.
type contractCase struct {
	name       string
	op         string // the operationId the request must route to
	rq         req
	want       int
	reqInvalid bool          // the request itself breaks the spec (on purpose)
	before     func()        // runs before the request (faults, clock)
	save       string        // store the response's id (or task.id) under this key
	check      func([]byte)  // extra assertions on the body
	after      time.Duration // advance the clock after the request
}

func TestContract(t *testing.T) {
	if _, err := os.Stat(specPath); err != nil {
		t.Skipf("contract test: %s absent (../shared not checked out)", specPath)
	}
	h := newHarness(t, Config{})
	doc, router := loadSpec(t, h)
	runContract(t, h, doc, router, contractCases(h), 53, "the spec should have 52 Sources operations plus getTaskStatus")
}

// runContract sends every case, validating each request and response against
// the spec, and checks that each of the spec's wantOps operations answered a
// valid request with 2xx and some request with an error.
func runContract(t *testing.T, h *apiHarness, doc *openapi3.T, router routers.Router, cases []contractCase, wantOps int, why string) {
	ctx := context.Background()
	allOps := map[string]bool{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			allOps[op.OperationID] = true
		}
	}
	require.Len(t, allOps, wantOps, why)

	vars := map[string]string{}
	expand := func(s string) string {
		for k, v := range vars {
			s = strings.ReplaceAll(s, "{"+k+"}", v)
		}
		return s
	}
	reqOpts := &openapi3filter.Options{
		MultiError:          true,
		SkipSettingDefaults: true,
		AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
			if !strings.HasPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer ") {
				return errors.New("no bearer token")
			}
			return nil
		},
	}
	respOpts := &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true}

	covered := map[string]bool{}      // ops answered 2xx to a valid request
	errorCovered := map[string]bool{} // ops answered 4xx/5xx
	failures := 0
	for i, c := range cases {
		rq := c.rq
		rq.path = expand(rq.path)
		if rq.body != nil {
			rq.body = []byte(expand(string(rq.body)))
		}
		name := c.op + "/" + c.name
		ok := t.Run(name, func(t *testing.T) {
			if c.before != nil {
				c.before()
			}
			// Validate a copy of the request, so the one sent is untouched.
			vr := rq.build(h.srv.URL)
			route, params, err := router.FindRoute(vr)
			require.NoError(t, err, "case %d: no route in the spec", i)
			require.Equal(t, c.op, route.Operation.OperationID)
			in := &openapi3filter.RequestValidationInput{Request: vr, PathParams: params, Route: route, Options: reqOpts}
			verr := openapi3filter.ValidateRequest(ctx, in)
			if c.reqInvalid {
				assert.Error(t, verr, "request was meant to break the spec")
			} else {
				assert.NoError(t, verr, "request does not match the spec")
				if verr == nil && c.want < 300 {
					covered[c.op] = true
				}
			}

			resp, body := h.do(rq)
			assert.Equal(t, c.want, resp.StatusCode, "body: %s", body)
			if resp.StatusCode >= 400 {
				errorCovered[c.op] = true
			}
			rin := &openapi3filter.ResponseValidationInput{
				RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
				Body: io.NopCloser(bytes.NewReader(body)), Options: respOpts,
			}
			assert.NoError(t, openapi3filter.ValidateResponse(ctx, rin), "response does not match the spec: %s", body)
			if c.save != "" {
				var v struct {
					ID   string `json:"id"`
					Task struct {
						ID string `json:"id"`
					} `json:"task"`
				}
				require.NoError(t, json.Unmarshal(body, &v))
				vars[c.save] = v.ID + v.Task.ID
			}
			if c.check != nil {
				c.check(body)
			}
			if c.after > 0 {
				h.clock.Advance(c.after)
			}
		})
		if !ok {
			failures++
		}
	}
	var missing, noErrors []string
	for op := range allOps {
		if !covered[op] {
			missing = append(missing, op)
		}
		if !errorCovered[op] {
			noErrors = append(noErrors, op)
		}
	}
	sort.Strings(missing)
	sort.Strings(noErrors)
	t.Logf("contract: %d/%d operations covered by valid requests with 2xx answers, %d/%d with error answers; %d failing cases",
		len(covered), len(allOps), len(errorCovered), len(allOps), failures)
	assert.Empty(t, missing, "operations without a successful valid request")
	assert.Empty(t, noErrors, "operations without an error case")
}

// loadSpec loads the bundled Sources spec with its server pointed at h.
func loadSpec(t *testing.T, h *apiHarness) (*openapi3.T, routers.Router) {
	return loadSpecFile(t, h, specPath)
}

// loadSpecFile loads a bundled spec with its server pointed at h.
func loadSpecFile(t *testing.T, h *apiHarness, path string) (*openapi3.T, routers.Router) {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile(path)
	require.NoError(t, err)
	doc.Servers = openapi3.Servers{{URL: h.srv.URL + apiPrefix}}
	router, err := legacy.NewRouter(doc)
	require.NoError(t, err)
	return doc, router
}

// TestContractSeedResponses validates the read responses of every seeded
// source against the spec, so no seed row carries a shape the spec rejects.
func TestContractSeedResponses(t *testing.T) {
	if _, err := os.Stat(specPath); err != nil {
		t.Skipf("contract test: %s absent (../shared not checked out)", specPath)
	}
	h := newHarness(t, Config{})
	_, router := loadSpec(t, h)
	paths := []string{"", "/schemas", "/provisioning-policies", "/schedules", "/source-health", "/connections",
		"/correlation-config", "/entitlement-request-config", "/attribute-sync-config", "/native-change-detection-config",
		"/connectors/source-config", "/password-policies"}
	for i := 1; i < len(seedTable); i++ {
		for _, p := range paths {
			rq := req{user: "admin", method: "GET", path: "/sources/" + seedSourceID(i) + p, headers: map[string]string{"X-SailPoint-Experimental": "true"}}
			vr := rq.build(h.srv.URL)
			route, params, err := router.FindRoute(vr)
			require.NoError(t, err)
			resp, body := h.do(rq)
			require.Equal(t, 200, resp.StatusCode, "%s: %s", rq.path, body)
			in := &openapi3filter.RequestValidationInput{Request: vr, PathParams: params, Route: route,
				Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
			err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
				RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
				Body: io.NopCloser(bytes.NewReader(body)), Options: &openapi3filter.Options{IncludeResponseStatus: true},
			})
			assert.NoError(t, err, "%s (%s)", rq.path, seedTable[i].name)
		}
	}
}

func q(s string) string { return url.QueryEscape(s) }

func contractCases(h *apiHarness) []contractCase {
	const (
		unknown = "2c9180887e5f4a1b017e5f4a1bffffff"
		admin   = "admin"
	)
	d := SeedDelimitedSourceID
	ad := seedSourceID(13)   // healthy Active Directory
	sn := seedSourceID(4)    // ServiceNow, used by apps: cannot be deleted
	jdbc := seedSourceID(24) // healthy JDBC
	owner := map[string]any{"type": "IDENTITY", "id": "2c9180857a1b4c2d017a1b4c2d0e0001", "name": "Ada Admin"}

	putBody := func() []byte {
		h.sb.mu.Lock()
		obj := clone(h.sb.api.sources[ad].obj)
		h.sb.mu.Unlock()
		delete(obj, "id") // readOnly in the spec
		obj["description"] = "Replaced by PUT"
		obj["x-custom"] = map[string]any{"kept": true}
		return jsonBody(obj)
	}
	patch := func(ops ...map[string]any) []byte { return jsonBody(ops) }
	jp := "application/json-patch+json"
	exp := map[string]string{"X-SailPoint-Experimental": "true"}
	accountsCSV, accountsCT := multipartBody("accounts.csv",
		"id,displayName,email,department,startDate,active,level,groups\n"+
			"DF01000,Alice Archer,alice@example.com,HR,2024-01-15,true,1,HR\n"+
			"NEW1,New Person,new@example.com,Sales,2024-02-01,true,2,Sales\n"+
			"BAD1,Bad Level,bad@example.com,Sales,2024-02-01,true,high,Sales\n",
		map[string]string{"disableOptimization": "true"})
	schemaCSV, schemaCT := multipartBody("schema.csv", "id,displayName,email,department,startDate,active,level,groups,badge\nDF1,Dee,dee@example.com,HR,2024-01-15,true,1,HR,B-17\n", nil)
	entSchemaCSV, entSchemaCT := multipartBody("groups.csv", "id,name,description,owner\n", nil)
	uncorrCSV, uncorrCT := multipartBody("correlation.csv", "account,displayName,userName,type\nDF01000,Alice Archer,alice.archer,\nU1,Una Uncorrelated,una.u,\n", nil)
	groupCSV, groupCT := multipartBody("groups.csv", "id,name,description\nHR,HR,Human resources\nOps,Ops,Operations\n", nil)
	jarBody, jarCT := multipartBody("driver.jar", "PK\x03\x04 not really a jar", nil)
	emptyMP, emptyCT := multipartBody("", "", nil)
	policy := map[string]any{"name": "Update Account", "usageType": "UPDATE", "fields": []any{
		map[string]any{"name": "mail", "transform": map[string]any{"type": "identityAttribute", "attributes": map[string]any{"name": "email"}},
			"attributes": map[string]any{}, "type": "string", "isMultiValued": false}}}
	newField := map[string]any{"op": "add", "path": "/fields/0", "value": map[string]any{"name": "email", "transform": map[string]any{}, "attributes": map[string]any{}, "type": "string", "isMultiValued": false}}

	return []contractCase{
		// Sources collection.
		{name: "filtered sorted page", op: "listSources", want: 200, rq: req{user: admin, method: "GET",
			path: "/sources?limit=5&offset=1&count=true&sorters=-created,name&filters=" + q(`name sw "corp" or type eq "Workday"`)},
			check: func(b []byte) {
				var list []map[string]any
				require.NoError(h.t, json.Unmarshal(b, &list))
				assert.Len(h.t, list, 4)
			}},
		{name: "includeIDNSource", op: "listSources", want: 200, rq: req{user: admin, method: "GET", path: "/sources?includeIDNSource=true&filters=" + q(`owner.id isnull`)}},
		{name: "subadmin for-subadmin=me", op: "listSources", want: 200, rq: req{user: "subadmin", method: "GET", path: "/sources?for-subadmin=me"}},
		{name: "limit above 250", op: "listSources", want: 400, reqInvalid: true, rq: req{user: admin, method: "GET", path: "/sources?limit=251"}},
		{name: "unsupported filter field", op: "listSources", want: 400, rq: req{user: admin, method: "GET", path: "/sources?filters=" + q(`connector eq "jdbc"`)}},
		{name: "unknown sorter", op: "listSources", want: 400, rq: req{user: admin, method: "GET", path: "/sources?sorters=connector"}},
		{name: "no token", op: "listSources", want: 401, reqInvalid: true, rq: req{method: "GET", path: "/sources"}},
		{name: "subadmin without for-subadmin", op: "listSources", want: 403, rq: req{user: "subadmin", method: "GET", path: "/sources"}},
		{name: "rate limited", op: "listSources", want: 429, rq: req{user: admin, method: "GET", path: "/sources"},
			before: func() { h.sb.SetFault("listSources", Fault{Force429: 1, RetryAfter: 3}) }},
		{name: "injected 500", op: "listSources", want: 500, rq: req{user: admin, method: "GET", path: "/sources"},
			before: func() { h.sb.SetFault("listSources", Fault{Status: 500}) }},
		{name: "direct source", op: "createSource", want: 201, save: "new", before: h.sb.ClearFaults, rq: req{user: admin, method: "POST", path: "/sources",
			body: jsonBody(map[string]any{"name": "Contract AD", "owner": owner, "connector": "active-directory", "description": "made by the contract test"})}},
		{name: "provisionAsCsv", op: "createSource", want: 201, save: "csv", rq: req{user: admin, method: "POST", path: "/sources?provisionAsCsv=true",
			body: jsonBody(map[string]any{"name": "Contract CSV", "owner": owner, "connector": "delimited-file"})}},
		{name: "missing connector", op: "createSource", want: 400, reqInvalid: true, rq: req{user: admin, method: "POST", path: "/sources",
			body: jsonBody(map[string]any{"name": "No Connector", "owner": owner})}},
		{name: "duplicate name", op: "createSource", want: 400, rq: req{user: admin, method: "POST", path: "/sources",
			body: jsonBody(map[string]any{"name": "contract ad", "owner": owner, "connector": "jdbc"})}},
		{name: "helpdesk cannot create", op: "createSource", want: 403, rq: req{user: "helpdesk", method: "POST", path: "/sources",
			body: jsonBody(map[string]any{"name": "Helpdesk", "owner": owner, "connector": "jdbc"})}},

		// Source item.
		{name: "ok", op: "getSource", want: 200, rq: req{user: admin, method: "GET", path: "/sources/" + SeedXSSSourceID}},
		{name: "helpdesk reads", op: "getSource", want: 200, rq: req{user: "helpdesk", method: "GET", path: "/sources/" + ad}},
		{name: "unknown", op: "getSource", want: 404, rq: req{user: admin, method: "GET", path: "/sources/" + unknown}},
		{name: "subadmin elsewhere", op: "getSource", want: 403, rq: req{user: "subadmin", method: "GET", path: "/sources/" + ad}},
		{name: "full replace", op: "putSource", want: 200, rq: req{user: admin, method: "PUT", path: "/sources/" + ad, body: putBody()},
			check: func(b []byte) { assert.Contains(h.t, string(b), `"x-custom":{"kept":true}`) }},
		{name: "immutable type", op: "putSource", want: 400, rq: req{user: admin, method: "PUT", path: "/sources/" + ad,
			body: jsonBody(map[string]any{"name": "Corporate AD (Americas)", "owner": owner, "connector": "active-directory", "type": "LDAP"})}},
		{name: "helpdesk cannot write", op: "putSource", want: 403, rq: req{user: "helpdesk", method: "PUT", path: "/sources/" + ad,
			body: jsonBody(map[string]any{"name": "x", "owner": owner, "connector": "active-directory"})}},
		{name: "description", op: "updateSource", want: 200, rq: req{user: admin, method: "PATCH", path: "/sources/" + ad, ctype: jp,
			body: patch(map[string]any{"op": "replace", "path": "/description", "value": "patched"}, map[string]any{"op": "add", "path": "/connectorAttributes/filterString", "value": "!( id.contains( \"m\" ) )"})}},
		{name: "immutable connector", op: "updateSource", want: 400, rq: req{user: admin, method: "PATCH", path: "/sources/" + ad, ctype: jp,
			body: patch(map[string]any{"op": "replace", "path": "/connector", "value": "ldap"})}},
		{name: "plain json content type", op: "updateSource", want: 400, reqInvalid: true, rq: req{user: admin, method: "PATCH", path: "/sources/" + ad,
			body: patch(map[string]any{"op": "replace", "path": "/description", "value": "x"})}},
		{name: "unknown", op: "updateSource", want: 404, rq: req{user: admin, method: "PATCH", path: "/sources/" + unknown, ctype: jp,
			body: patch(map[string]any{"op": "replace", "path": "/description", "value": "x"})}},
		{name: "blocked by connections", op: "deleteSource", want: 400, rq: req{user: admin, method: "DELETE", path: "/sources/" + sn}},
		{name: "unknown", op: "deleteSource", want: 404, rq: req{user: admin, method: "DELETE", path: "/sources/" + unknown}},
		{name: "accepted", op: "deleteSource", want: 202, save: "deltask", rq: req{user: admin, method: "DELETE", path: "/sources/{new}"}},
		{name: "running", op: "getTaskStatus", want: 200, rq: req{user: admin, method: "GET", path: "/task-status/{deltask}"}, after: 3 * time.Second,
			check: func(b []byte) { assert.Contains(h.t, string(b), `"completionStatus":null`) }},
		{name: "completed", op: "getTaskStatus", want: 200, rq: req{user: admin, method: "GET", path: "/task-status/{deltask}"},
			check: func(b []byte) { assert.Contains(h.t, string(b), `"completionStatus":"SUCCESS"`) }},
		{name: "deleted source is gone", op: "getSource", want: 404, rq: req{user: admin, method: "GET", path: "/sources/{new}"}},
		{name: "unknown task", op: "getTaskStatus", want: 404, rq: req{user: admin, method: "GET", path: "/task-status/" + unknown}},

		// Provisioning policies.
		{name: "ok", op: "listProvisioningPolicies", want: 200, rq: req{user: admin, method: "GET", path: "/sources/" + ad + "/provisioning-policies"}},
		{name: "unknown source", op: "listProvisioningPolicies", want: 404, rq: req{user: admin, method: "GET", path: "/sources/" + unknown + "/provisioning-policies"}},
		{name: "ok", op: "createProvisioningPolicy", want: 201, rq: req{user: admin, method: "POST", path: "/sources/" + ad + "/provisioning-policies", body: jsonBody(policy)}},
		{name: "duplicate usageType", op: "createProvisioningPolicy", want: 400, rq: req{user: admin, method: "POST", path: "/sources/" + ad + "/provisioning-policies", body: jsonBody(policy)}},
		{name: "ok", op: "getProvisioningPolicy", want: 200, rq: req{user: admin, method: "GET", path: "/sources/" + ad + "/provisioning-policies/CREATE"}},
		{name: "absent", op: "getProvisioningPolicy", want: 404, rq: req{user: admin, method: "GET", path: "/sources/" + ad + "/provisioning-policies/DISABLE"}},
		{name: "bad usageType", op: "getProvisioningPolicy", want: 400, reqInvalid: true, rq: req{user: admin, method: "GET", path: "/sources/" + ad + "/provisioning-policies/SOMETIMES"}},
		{name: "ok", op: "putProvisioningPolicy", want: 200, rq: req{user: admin, method: "PUT", path: "/sources/" + ad + "/provisioning-policies/CREATE",
			body: jsonBody(map[string]any{"name": "Account", "usageType": "CREATE", "fields": []any{}})}},
		{name: "usageType mismatch", op: "putProvisioningPolicy", want: 400, rq: req{user: admin, method: "PUT", path: "/sources/" + ad + "/provisioning-policies/CREATE",
			body: jsonBody(map[string]any{"name": "Account", "usageType": "UPDATE"})}},
		{name: "add field", op: "updateProvisioningPolicy", want: 200, rq: req{user: admin, method: "PATCH", path: "/sources/" + ad + "/provisioning-policies/CREATE", ctype: jp, body: patch(newField)}},
		{name: "bad path", op: "updateProvisioningPolicy", want: 400, rq: req{user: admin, method: "PATCH", path: "/sources/" + ad + "/provisioning-policies/CREATE", ctype: jp,
			body: patch(map[string]any{"op": "remove", "path": "/nope/0"})}},
		{name: "ok", op: "deleteProvisioningPolicy", want: 204, rq: req{user: admin, method: "DELETE", path: "/sources/" + ad + "/provisioning-policies/UPDATE"}},
		{name: "absent", op: "deleteProvisioningPolicy", want: 404, rq: req{user: admin, method: "DELETE", path: "/sources/" + ad + "/provisioning-policies/UPDATE"}},
		{name: "ok", op: "updateProvisioningPoliciesInBulk", want: 200, rq: req{user: admin, method: "POST", path: "/sources/" + ad + "/provisioning-policies/bulk-update",
			body: jsonBody([]any{policy, map[string]any{"name": "Disable", "usageType": "DISABLE", "fields": []any{}}})}},
		{name: "missing usageType", op: "updateProvisioningPoliciesInBulk", want: 400, rq: req{user: admin, method: "POST", path: "/sources/" + ad + "/provisioning-policies/bulk-update",
			body: jsonBody([]any{map[string]any{"name": "x"}})}},

		// Schemas.
		{name: "user schemas", op: "getSourceSchemas", want: 200, rq: req{user: admin, method: "GET", path: "/sources/" + ad + "/schemas?include-types=user"}},
		{name: "bad include-types", op: "getSourceSchemas", want: 400, reqInvalid: true, rq: req{user: admin, method: "GET", path: "/sources/" + ad + "/schemas?include-types=robot"}},
		{name: "ok", op: "createSourceSchema", want: 201, save: "schema", rq: req{user: admin, method: "POST", path: "/sources/" + ad + "/schemas",
			body: jsonBody(map[string]any{"name": "department", "nativeObjectType": "department", "identityAttribute": "id", "displayAttribute": "name",
				"attributes": []any{map[string]any{"name": "id", "type": "STRING"}, map[string]any{"name": "name", "type": "STRING"}}})}},
		{name: "no name", op: "createSourceSchema", want: 400, rq: req{user: admin, method: "POST", path: "/sources/" + ad + "/schemas", body: jsonBody(map[string]any{"nativeObjectType": "x"})}},
		{name: "unknown source", op: "createSourceSchema", want: 400, rq: req{user: admin, method: "POST", path: "/sources/" + unknown + "/schemas", body: jsonBody(map[string]any{"name": "x"})}},
		{name: "ok", op: "getSourceSchema", want: 200, rq: req{user: admin, method: "GET", path: "/sources/" + ad + "/schemas/{schema}"}},
		{name: "unknown", op: "getSourceSchema", want: 404, rq: req{user: admin, method: "GET", path: "/sources/" + ad + "/schemas/" + unknown}},
		{name: "ok", op: "putSourceSchema", want: 200, rq: req{user: admin, method: "PUT", path: "/sources/" + ad + "/schemas/{schema}",
			body: []byte(`{"id":"{schema}","name":"department","nativeObjectType":"department","identityAttribute":"id","displayAttribute":"name","attributes":[{"name":"id","type":"STRING"},{"name":"name","type":"STRING"},{"name":"cost","type":"INT"}]}`)}},
		{name: "id missing", op: "putSourceSchema", want: 400, rq: req{user: admin, method: "PUT", path: "/sources/" + ad + "/schemas/{schema}",
			body: jsonBody(map[string]any{"name": "department"})}},
		{name: "add attribute", op: "updateSourceSchema", want: 200, rq: req{user: admin, method: "PATCH", path: "/sources/" + ad + "/schemas/{schema}", ctype: jp,
			body: patch(map[string]any{"op": "add", "path": "/attributes/-", "value": map[string]any{"name": "owner", "type": "STRING", "isMulti": false}})}},
		{name: "rename refused", op: "updateSourceSchema", want: 400, rq: req{user: admin, method: "PATCH", path: "/sources/" + ad + "/schemas/{schema}", ctype: jp,
			body: patch(map[string]any{"op": "replace", "path": "/name", "value": "dept"})}},
		{name: "ok", op: "deleteSourceSchema", want: 204, rq: req{user: admin, method: "DELETE", path: "/sources/" + ad + "/schemas/{schema}"}},
		{name: "gone", op: "deleteSourceSchema", want: 404, rq: req{user: admin, method: "DELETE", path: "/sources/" + ad + "/schemas/{schema}"}},

		// Schedules.
		{name: "ok", op: "getSourceSchedules", want: 200, rq: req{user: admin, method: "GET", path: "/sources/" + sn + "/schedules"}},
		{name: "ok", op: "createSourceSchedule", want: 201, rq: req{user: admin, method: "POST", path: "/sources/" + sn + "/schedules",
			body: jsonBody(map[string]any{"type": "GROUP_AGGREGATION", "cronExpression": "0 0 1 * * ?"})}},
		{name: "bad cron", op: "createSourceSchedule", want: 400, rq: req{user: admin, method: "POST", path: "/sources/" + jdbc + "/schedules",
			body: jsonBody(map[string]any{"type": "GROUP_AGGREGATION", "cronExpression": "every day"})}},
		{name: "ok", op: "getSourceSchedule", want: 200, rq: req{user: admin, method: "GET", path: "/sources/" + sn + "/schedules/GROUP_AGGREGATION"}},
		{name: "absent", op: "getSourceSchedule", want: 404, rq: req{user: admin, method: "GET", path: "/sources/" + seedSourceID(10) + "/schedules/ACCOUNT_AGGREGATION"}},
		{name: "cron", op: "updateSourceSchedule", want: 200, rq: req{user: admin, method: "PATCH", path: "/sources/" + sn + "/schedules/GROUP_AGGREGATION", ctype: jp,
			body: patch(map[string]any{"op": "replace", "path": "/cronExpression", "value": "0 0 6 * * ?"})}},
		{name: "type immutable", op: "updateSourceSchedule", want: 400, rq: req{user: admin, method: "PATCH", path: "/sources/" + sn + "/schedules/GROUP_AGGREGATION", ctype: jp,
			body: patch(map[string]any{"op": "replace", "path": "/type", "value": "ACCOUNT_AGGREGATION"})}},
		{name: "ok", op: "deleteSourceSchedule", want: 204, rq: req{user: admin, method: "DELETE", path: "/sources/" + sn + "/schedules/GROUP_AGGREGATION"}},
		{name: "absent", op: "deleteSourceSchedule", want: 404, rq: req{user: admin, method: "DELETE", path: "/sources/" + sn + "/schedules/GROUP_AGGREGATION"}},

		// Health, connections, correlation, password policies.
		{name: "ok", op: "getSourceHealth", want: 200, rq: req{user: admin, method: "GET", path: "/sources/" + SeedUnhealthySourceID + "/source-health"}},
		{name: "unknown", op: "getSourceHealth", want: 404, rq: req{user: admin, method: "GET", path: "/sources/" + unknown + "/source-health"}},
		{name: "ok", op: "getSourceConnections", want: 200, rq: req{user: admin, method: "GET", path: "/sources/" + sn + "/connections"}},
		{name: "ok", op: "getCorrelationConfig", want: 200, rq: req{user: admin, method: "GET", path: "/sources/" + ad + "/correlation-config"}},
		{name: "ok", op: "putCorrelationConfig", want: 200, rq: req{user: admin, method: "PUT", path: "/sources/" + ad + "/correlation-config",
			body: jsonBody(map[string]any{"id": "c1", "name": "AD correlation", "attributeAssignments": []any{map[string]any{"property": "uid", "value": "sAMAccountName", "operation": "EQ", "matchMode": "ANYWHERE"}}})}},
		{name: "bad operation", op: "putCorrelationConfig", want: 400, reqInvalid: true, rq: req{user: admin, method: "PUT", path: "/sources/" + ad + "/correlation-config",
			body: jsonBody(map[string]any{"attributeAssignments": []any{map[string]any{"operation": "NE"}}})}},
		{name: "ok", op: "listPasswordPolicyHoldersOnSource", want: 200, rq: req{user: admin, method: "GET", path: "/sources/" + ad + "/password-policies?count=true&limit=10"}},
		{name: "ok", op: "updatePasswordPolicyHolders", want: 200, rq: req{user: admin, method: "PATCH", path: "/sources/" + ad + "/password-policies",
			body: jsonBody([]any{map[string]any{"policyId": "2c91808e7d976f3b017d9f5ceae440c8", "policyName": "Default", "selectors": nil}})}},
		{name: "missing policyId", op: "updatePasswordPolicyHolders", want: 400, rq: req{user: admin, method: "PATCH", path: "/sources/" + ad + "/password-policies",
			body: jsonBody([]any{map[string]any{"policyName": "x"}})}},

		// Connector tools.
		{name: "healthy", op: "testSourceConnection", want: 200, rq: req{user: admin, method: "POST", path: "/sources/" + ad + "/connector/check-connection"}},
		{name: "unhealthy", op: "testSourceConnection", want: 200, rq: req{user: admin, method: "POST", path: "/sources/" + SeedUnhealthySourceID + "/connector/check-connection"},
			check: func(b []byte) { assert.Contains(h.t, string(b), `"status":"FAILURE"`) }},
		{name: "helpdesk", op: "testSourceConnection", want: 403, rq: req{user: "helpdesk", method: "POST", path: "/sources/" + ad + "/connector/check-connection"}},
		{name: "ok", op: "searchResourceObjects", want: 200, rq: req{user: admin, method: "POST", path: "/sources/" + d + "/connector/peek-resource-objects",
			body: jsonBody(map[string]any{"objectType": "account", "maxCount": 5})}},
		{name: "unhealthy", op: "searchResourceObjects", want: 400, rq: req{user: admin, method: "POST", path: "/sources/" + SeedUnhealthySourceID + "/connector/peek-resource-objects",
			body: jsonBody(map[string]any{})}},
		{name: "ok", op: "pingCluster", want: 200, rq: req{user: admin, method: "POST", path: "/sources/" + ad + "/connector/ping-cluster"}},
		{name: "ok", op: "testSourceConfiguration", want: 200, rq: req{user: admin, method: "POST", path: "/sources/" + ad + "/connector/test-configuration"}},
		{name: "ok", op: "getSourceConfig", want: 200, rq: req{user: admin, method: "GET", path: "/sources/" + ad + "/connectors/source-config?locale=de"}},
		{name: "bad locale", op: "getSourceConfig", want: 400, reqInvalid: true, rq: req{user: admin, method: "GET", path: "/sources/" + ad + "/connectors/source-config?locale=tlh"}},

		// Native change detection.
		{name: "ok", op: "getNativeChangeDetectionConfig", want: 200, rq: req{user: admin, method: "GET", path: "/sources/" + ad + "/native-change-detection-config"}},
		{name: "ok", op: "putNativeChangeDetectionConfig", want: 200, rq: req{user: admin, method: "PUT", path: "/sources/" + ad + "/native-change-detection-config",
			body: jsonBody(map[string]any{"enabled": true, "operations": []any{"ACCOUNT_CREATED"}, "allEntitlements": true})}},
		{name: "bad operation", op: "putNativeChangeDetectionConfig", want: 400, reqInvalid: true, rq: req{user: admin, method: "PUT", path: "/sources/" + ad + "/native-change-detection-config",
			body: jsonBody(map[string]any{"operations": []any{"ACCOUNT_RENAMED"}})}},
		{name: "ok", op: "deleteNativeChangeDetectionConfig", want: 204, rq: req{user: admin, method: "DELETE", path: "/sources/" + ad + "/native-change-detection-config"}},

		// Schema CSV files.
		{name: "csv", op: "getAccountsSchema", want: 200, rq: req{user: admin, method: "GET", path: "/sources/" + d + "/schemas/accounts"},
			check: func(b []byte) {
				assert.Equal(h.t, "id,displayName,email,department,startDate,active,level,groups\n", string(b))
			}},
		{name: "not delimited", op: "getAccountsSchema", want: 400, rq: req{user: admin, method: "GET", path: "/sources/" + ad + "/schemas/accounts"}},
		{name: "upload", op: "importAccountsSchema", want: 200, rq: req{user: admin, method: "POST", path: "/sources/{csv}/schemas/accounts", body: schemaCSV, ctype: schemaCT}},
		{name: "no file", op: "importAccountsSchema", want: 400, rq: req{user: admin, method: "POST", path: "/sources/{csv}/schemas/accounts", body: emptyMP, ctype: emptyCT}},
		{name: "not delimited", op: "importAccountsSchema", want: 400, rq: req{user: admin, method: "POST", path: "/sources/" + ad + "/schemas/accounts", body: schemaCSV, ctype: schemaCT}},
		{name: "csv", op: "getEntitlementsSchema", want: 200, rq: req{user: admin, method: "GET", path: "/sources/" + d + "/schemas/entitlements?schemaName=group"}},
		{name: "identity attribute left out", op: "importAccountsSchema", want: 400, rq: req{user: admin, method: "POST", path: "/sources/{csv}/schemas/accounts", body: entSchemaCSV, ctype: entSchemaCT},
			check: func(b []byte) { assert.Contains(h.t, errText(h.t, b), `display attribute "displayName"`) }},
		{name: "upload", op: "importEntitlementsSchema", want: 200, rq: req{user: admin, method: "POST", path: "/sources/{csv}/schemas/entitlements?schemaName=group",
			body: entSchemaCSV, ctype: entSchemaCT}},
		{name: "ok", op: "importConnectorFile", want: 200, rq: req{user: admin, method: "POST", path: "/sources/" + jdbc + "/upload-connector-file", body: jarBody, ctype: jarCT}},
		{name: "source admin refused", op: "importConnectorFile", want: 403, rq: req{user: "source-admin", method: "POST", path: "/sources/" + jdbc + "/upload-connector-file", body: jarBody, ctype: jarCT}},

		// Aggregations and tasks.
		{name: "csv upload", op: "importAccounts", want: 202, save: "agg", rq: req{user: admin, method: "POST", path: "/sources/" + d + "/load-accounts", body: accountsCSV, ctype: accountsCT}},
		{name: "second while running", op: "importAccounts", want: 400, rq: req{user: admin, method: "POST", path: "/sources/" + d + "/load-accounts", body: accountsCSV, ctype: accountsCT},
			check: func(b []byte) { assert.Contains(h.t, errText(h.t, b), "currently running aggregation") }},
		{name: "connector aggregation", op: "importAccounts", want: 202, rq: req{user: admin, method: "POST", path: "/sources/" + ad + "/load-accounts"}},
		{name: "delimited without file", op: "importAccounts", want: 400, rq: req{user: admin, method: "POST", path: "/sources/{csv}/load-accounts", body: emptyMP, ctype: emptyCT}},
		{name: "aggregation running", op: "getTaskStatus", want: 200, rq: req{user: admin, method: "GET", path: "/task-status/{agg}"}, after: 5 * time.Second},
		{name: "aggregation finished", op: "getTaskStatus", want: 200, rq: req{user: admin, method: "GET", path: "/task-status/{agg}"},
			check: func(b []byte) {
				assert.Contains(h.t, string(b), `"completionStatus":"WARNING"`)
				assert.Contains(h.t, string(b), "Line 4")
			}},
		{name: "ok", op: "importUncorrelatedAccounts", want: 202, save: "corr", rq: req{user: admin, method: "POST", path: "/sources/" + d + "/load-uncorrelated-accounts", body: uncorrCSV, ctype: uncorrCT},
			after: 5 * time.Second},
		{name: "correlation finished", op: "getTaskStatus", want: 200, rq: req{user: admin, method: "GET", path: "/task-status/{corr}"},
			check: func(b []byte) {
				assert.Contains(h.t, string(b), `"completionStatus":"WARNING"`)
				assert.Contains(h.t, string(b), `Line 3: account \"U1\" is not an account of this source`)
			}},
		{name: "unknown source", op: "importUncorrelatedAccounts", want: 400, rq: req{user: admin, method: "POST", path: "/sources/" + unknown + "/load-uncorrelated-accounts", body: uncorrCSV, ctype: uncorrCT}},
		{name: "csv upload", op: "importEntitlements", want: 202, rq: req{user: admin, method: "POST", path: "/sources/" + d + "/load-entitlements", body: groupCSV, ctype: groupCT}},
		{name: "file on a connector source", op: "importEntitlements", want: 400, rq: req{user: admin, method: "POST", path: "/sources/" + jdbc + "/load-entitlements", body: groupCSV, ctype: groupCT}},
		{name: "ok", op: "deleteAccountsAsync", want: 202, rq: req{user: admin, method: "POST", path: "/sources/" + jdbc + "/remove-accounts"}},
		{name: "already running", op: "deleteAccountsAsync", want: 400, rq: req{user: admin, method: "POST", path: "/sources/" + jdbc + "/remove-accounts"}},

		// Experimental attribute sync.
		{name: "ok", op: "getSourceAttrSyncConfig", want: 200, rq: req{user: admin, method: "GET", path: "/sources/" + ad + "/attribute-sync-config", headers: exp}},
		{name: "no experimental header", op: "getSourceAttrSyncConfig", want: 400, reqInvalid: true, rq: req{user: admin, method: "GET", path: "/sources/" + ad + "/attribute-sync-config"}},
		{name: "toggle enabled", op: "putSourceAttrSyncConfig", want: 200, rq: req{user: admin, method: "PUT", path: "/sources/" + ad + "/attribute-sync-config", headers: exp,
			body: jsonBody(map[string]any{"source": map[string]any{"type": "SOURCE", "id": ad, "name": "Corporate AD (Americas)"}, "attributes": []any{
				map[string]any{"name": "email", "displayName": "Email", "enabled": false, "target": "mail"},
				map[string]any{"name": "firstname", "displayName": "First Name", "enabled": true, "target": "givenName"},
				map[string]any{"name": "lastname", "displayName": "Last Name", "enabled": false, "target": "sn"}}})}},
		{name: "target change refused", op: "putSourceAttrSyncConfig", want: 400, rq: req{user: admin, method: "PUT", path: "/sources/" + ad + "/attribute-sync-config", headers: exp,
			body: jsonBody(map[string]any{"source": map[string]any{"type": "SOURCE", "id": ad, "name": "Corporate AD (Americas)"}, "attributes": []any{
				map[string]any{"name": "email", "displayName": "Email", "enabled": false, "target": "userPrincipalName"},
				map[string]any{"name": "firstname", "displayName": "First Name", "enabled": true, "target": "givenName"},
				map[string]any{"name": "lastname", "displayName": "Last Name", "enabled": false, "target": "sn"}}})}},
		{name: "ok", op: "syncAttributesForSource", want: 202, rq: req{user: admin, method: "POST", path: "/sources/" + ad + "/synchronize-attributes", headers: exp}},
		{name: "no experimental header", op: "syncAttributesForSource", want: 400, reqInvalid: true, rq: req{user: admin, method: "POST", path: "/sources/" + ad + "/synchronize-attributes"}},

		// Error cases for operations whose other cases all succeed.
		{name: "unknown source", op: "deleteNativeChangeDetectionConfig", want: 404, rq: req{user: admin, method: "DELETE", path: "/sources/" + unknown + "/native-change-detection-config"}},
		{name: "subadmin elsewhere", op: "getCorrelationConfig", want: 403, rq: req{user: "subadmin", method: "GET", path: "/sources/" + ad + "/correlation-config"}},
		{name: "no such schema", op: "getEntitlementsSchema", want: 404, rq: req{user: admin, method: "GET", path: "/sources/" + d + "/schemas/entitlements?schemaName=role"}},
		{name: "not delimited", op: "importEntitlementsSchema", want: 400, rq: req{user: admin, method: "POST", path: "/sources/" + ad + "/schemas/entitlements", body: schemaCSV, ctype: schemaCT}},
		{name: "unknown source", op: "getNativeChangeDetectionConfig", want: 404, rq: req{user: admin, method: "GET", path: "/sources/" + unknown + "/native-change-detection-config"}},
		{name: "no token", op: "getSourceConnections", want: 401, reqInvalid: true, rq: req{method: "GET", path: "/sources/" + sn + "/connections"}},
		{name: "unknown source", op: "getSourceSchedules", want: 404, rq: req{user: admin, method: "GET", path: "/sources/" + unknown + "/schedules"}},
		{name: "limit above 250", op: "listPasswordPolicyHoldersOnSource", want: 400, reqInvalid: true, rq: req{user: admin, method: "GET", path: "/sources/" + ad + "/password-policies?limit=500"}},
		{name: "VA down", op: "pingCluster", want: 200, rq: req{user: admin, method: "POST", path: "/sources/" + seedSourceID(18) + "/connector/ping-cluster"},
			check: func(b []byte) { assert.Contains(h.t, string(b), `"status":"FAILURE"`) }},
		{name: "helpdesk", op: "pingCluster", want: 403, rq: req{user: "helpdesk", method: "POST", path: "/sources/" + ad + "/connector/ping-cluster"}},
		{name: "unknown source", op: "testSourceConfiguration", want: 404, rq: req{user: admin, method: "POST", path: "/sources/" + unknown + "/connector/test-configuration"}},

		// Entitlement request config.
		{name: "ok", op: "getSourceEntitlementRequestConfig", want: 200, rq: req{user: admin, method: "GET", path: "/sources/" + ad + "/entitlement-request-config"}},
		{name: "unknown source", op: "getSourceEntitlementRequestConfig", want: 400, rq: req{user: admin, method: "GET", path: "/sources/" + unknown + "/entitlement-request-config"}},
		{name: "ok", op: "updateSourceEntitlementRequestConfig", want: 200, rq: req{user: admin, method: "PUT", path: "/sources/" + ad + "/entitlement-request-config",
			body: jsonBody(map[string]any{"accessRequestConfig": map[string]any{"approvalSchemes": []any{map[string]any{"approverType": "GOVERNANCE_GROUP", "approverId": DemoWorkgroupID}},
				"requestCommentRequired": true, "maxPermittedAccessDuration": map[string]any{"value": 5, "timeUnit": "DAYS"}},
				"revocationRequestConfig": map[string]any{"approvalSchemes": []any{}}})}},
		{name: "group without approverId", op: "updateSourceEntitlementRequestConfig", want: 400, rq: req{user: admin, method: "PUT", path: "/sources/" + ad + "/entitlement-request-config",
			body: jsonBody(map[string]any{"accessRequestConfig": map[string]any{"approvalSchemes": []any{map[string]any{"approverType": "GOVERNANCE_GROUP"}}}})}},
	}
}
