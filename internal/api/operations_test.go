package api_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/api"
)

// everyOperation calls each of the 53 Sources operations and the five picker
// lists once, keyed by operationId.
func everyOperation(c *api.Client) map[string]func(ctx context.Context) error {
	const id = "s1"
	file := func(name string) *api.File { return api.StringFile(name, "id\n1\n") }
	download := func(rc io.ReadCloser, err error) error {
		if err == nil {
			_, err = io.Copy(io.Discard, rc)
			rc.Close()
		}
		return err
	}
	ops := []api.JSONPatchOperation{api.PatchReplace("/description", "x")}
	e2 := func(_ any, err error) error { return err }
	return map[string]func(ctx context.Context) error{
		"listSources":              func(ctx context.Context) error { return e2(c.ListSources(ctx, api.ListSourcesParams{})) },
		"createSource":             func(ctx context.Context) error { return e2(c.CreateSource(ctx, &api.Source{Name: "n"}, false)) },
		"getSource":                func(ctx context.Context) error { return e2(c.GetSource(ctx, id)) },
		"putSource":                func(ctx context.Context) error { return e2(c.PutSource(ctx, id, &api.Source{})) },
		"updateSource":             func(ctx context.Context) error { return e2(c.UpdateSource(ctx, id, ops)) },
		"deleteSource":             func(ctx context.Context) error { return e2(c.DeleteSource(ctx, id)) },
		"getSourceHealth":          func(ctx context.Context) error { return e2(c.GetSourceHealth(ctx, id)) },
		"getSourceConnections":     func(ctx context.Context) error { return e2(c.GetSourceConnections(ctx, id)) },
		"listProvisioningPolicies": func(ctx context.Context) error { return e2(c.ListProvisioningPolicies(ctx, id)) },
		"createProvisioningPolicy": func(ctx context.Context) error {
			return e2(c.CreateProvisioningPolicy(ctx, id, &api.ProvisioningPolicy{}))
		},
		"getProvisioningPolicy": func(ctx context.Context) error { return e2(c.GetProvisioningPolicy(ctx, id, api.UsageCreate)) },
		"putProvisioningPolicy": func(ctx context.Context) error {
			return e2(c.PutProvisioningPolicy(ctx, id, api.UsageCreate, &api.ProvisioningPolicy{}))
		},
		"updateProvisioningPolicy": func(ctx context.Context) error {
			return e2(c.UpdateProvisioningPolicy(ctx, id, api.UsageCreate, ops))
		},
		"deleteProvisioningPolicy": func(ctx context.Context) error { return c.DeleteProvisioningPolicy(ctx, id, api.UsageCreate) },
		"updateProvisioningPoliciesInBulk": func(ctx context.Context) error {
			return e2(c.UpdateProvisioningPoliciesInBulk(ctx, id, nil))
		},
		"getSourceSchemas":   func(ctx context.Context) error { return e2(c.GetSourceSchemas(ctx, id, api.SchemaFilter{})) },
		"createSourceSchema": func(ctx context.Context) error { return e2(c.CreateSourceSchema(ctx, id, &api.Schema{})) },
		"getSourceSchema":    func(ctx context.Context) error { return e2(c.GetSourceSchema(ctx, id, "x")) },
		"putSourceSchema":    func(ctx context.Context) error { return e2(c.PutSourceSchema(ctx, id, "x", &api.Schema{})) },
		"updateSourceSchema": func(ctx context.Context) error { return e2(c.UpdateSourceSchema(ctx, id, "x", ops)) },
		"deleteSourceSchema": func(ctx context.Context) error { return c.DeleteSourceSchema(ctx, id, "x") },
		"getAccountsSchema":  func(ctx context.Context) error { return download(c.GetAccountsSchema(ctx, id)) },
		"importAccountsSchema": func(ctx context.Context) error {
			return e2(c.ImportAccountsSchema(ctx, id, file("a.csv")))
		},
		"getEntitlementsSchema": func(ctx context.Context) error { return download(c.GetEntitlementsSchema(ctx, id, "")) },
		"importEntitlementsSchema": func(ctx context.Context) error {
			return e2(c.ImportEntitlementsSchema(ctx, id, "", file("e.csv")))
		},
		"importConnectorFile": func(ctx context.Context) error { return e2(c.ImportConnectorFile(ctx, id, file("d.jar"))) },
		"getSourceSchedules":  func(ctx context.Context) error { return e2(c.GetSourceSchedules(ctx, id)) },
		"createSourceSchedule": func(ctx context.Context) error {
			return e2(c.CreateSourceSchedule(ctx, id, &api.Schedule{Type: api.ScheduleAccountAggregation}))
		},
		"getSourceSchedule": func(ctx context.Context) error {
			return e2(c.GetSourceSchedule(ctx, id, api.ScheduleAccountAggregation))
		},
		"updateSourceSchedule": func(ctx context.Context) error {
			return e2(c.UpdateSourceSchedule(ctx, id, api.ScheduleAccountAggregation, ops))
		},
		"deleteSourceSchedule": func(ctx context.Context) error {
			return c.DeleteSourceSchedule(ctx, id, api.ScheduleAccountAggregation)
		},
		"getCorrelationConfig": func(ctx context.Context) error { return e2(c.GetCorrelationConfig(ctx, id)) },
		"putCorrelationConfig": func(ctx context.Context) error {
			return e2(c.PutCorrelationConfig(ctx, id, &api.CorrelationConfig{}))
		},
		"listPasswordPolicyHoldersOnSource": func(ctx context.Context) error {
			return e2(c.ListPasswordPolicyHoldersOnSource(ctx, id, api.PageParams{}))
		},
		"updatePasswordPolicyHolders": func(ctx context.Context) error {
			return e2(c.UpdatePasswordPolicyHolders(ctx, id, nil))
		},
		"testSourceConnection":    func(ctx context.Context) error { return e2(c.TestSourceConnection(ctx, id)) },
		"pingCluster":             func(ctx context.Context) error { return e2(c.PingCluster(ctx, id)) },
		"testSourceConfiguration": func(ctx context.Context) error { return e2(c.TestSourceConfiguration(ctx, id)) },
		"searchResourceObjects": func(ctx context.Context) error {
			return e2(c.SearchResourceObjects(ctx, id, api.ResourceObjectsRequest{}))
		},
		"getSourceConfig": func(ctx context.Context) error { return e2(c.GetSourceConfig(ctx, id, "")) },
		"getNativeChangeDetectionConfig": func(ctx context.Context) error {
			return e2(c.GetNativeChangeDetectionConfig(ctx, id))
		},
		"putNativeChangeDetectionConfig": func(ctx context.Context) error {
			return e2(c.PutNativeChangeDetectionConfig(ctx, id, &api.NativeChangeDetectionConfig{}))
		},
		"deleteNativeChangeDetectionConfig": func(ctx context.Context) error {
			return c.DeleteNativeChangeDetectionConfig(ctx, id)
		},
		"deleteAccountsAsync": func(ctx context.Context) error { return e2(c.DeleteAccountsAsync(ctx, id)) },
		"importAccounts": func(ctx context.Context) error {
			return e2(c.ImportAccounts(ctx, id, file("a.csv"), false))
		},
		"importUncorrelatedAccounts": func(ctx context.Context) error {
			return e2(c.ImportUncorrelatedAccounts(ctx, id, file("a.csv")))
		},
		"getSourceAttrSyncConfig": func(ctx context.Context) error { return e2(c.GetSourceAttrSyncConfig(ctx, id)) },
		"putSourceAttrSyncConfig": func(ctx context.Context) error {
			return e2(c.PutSourceAttrSyncConfig(ctx, id, &api.AttrSyncSourceConfig{}))
		},
		"syncAttributesForSource": func(ctx context.Context) error { return e2(c.SyncAttributesForSource(ctx, id)) },
		"getSourceEntitlementRequestConfig": func(ctx context.Context) error {
			return e2(c.GetSourceEntitlementRequestConfig(ctx, id))
		},
		"updateSourceEntitlementRequestConfig": func(ctx context.Context) error {
			return e2(c.UpdateSourceEntitlementRequestConfig(ctx, id, &api.SourceEntitlementRequestConfig{}))
		},
		"importEntitlements": func(ctx context.Context) error { return e2(c.ImportEntitlements(ctx, id, file("e.csv"))) },
		"getTaskStatus":      func(ctx context.Context) error { return e2(c.GetTaskStatus(ctx, "t1")) },
		"getPublicIdentities": func(ctx context.Context) error {
			return e2(c.GetPublicIdentities(ctx, api.PublicIdentitiesParams{}))
		},
		"getManagedClusters":   func(ctx context.Context) error { return e2(c.GetManagedClusters(ctx, api.ListParams{})) },
		"listWorkgroups":       func(ctx context.Context) error { return e2(c.ListWorkgroups(ctx, api.ListParams{})) },
		"listPasswordPolicies": func(ctx context.Context) error { return e2(c.ListPasswordPolicies(ctx, api.ListParams{})) },
		"getConnectorList": func(ctx context.Context) error {
			return e2(c.GetConnectorList(ctx, api.ConnectorListParams{}))
		},
	}
}

func TestEveryOperationIsListed(t *testing.T) {
	var want []string
	for _, path := range []string{specPath, pickersSpecPath} {
		spec, err := os.ReadFile(path)
		if err != nil {
			t.Skip("spec: ../shared absent")
		}
		for _, m := range regexp.MustCompile(`(?m)^\s+operationId: (\w+)$`).FindAllStringSubmatch(string(spec), -1) {
			want = append(want, m[1])
		}
	}
	var got []string
	for op := range everyOperation(nil) {
		got = append(got, op)
	}
	assert.ElementsMatch(t, want, got)
}

// Every operation turns each error status into *Error named after it, and
// only GETs are ever retried.
func TestEveryOperationMapsErrors(t *testing.T) {
	bodies := map[int]string{
		401: `{"error":"JWT validation failed: JWT is missing"}`,
		403: `{"detailCode":"403 Forbidden","trackingId":"t","messages":[{"text":"no"}]}`,
		404: `{"detailCode":"404 Not found","trackingId":"t","messages":[{"text":"gone"}]}`,
		429: `{"message":" Rate Limit Exceeded "}`,
		500: `{"detailCode":"500.0 Internal Fault","trackingId":"t","messages":[{"text":"oops"}]}`,
		503: `<html>unavailable</html>`,
	}
	for status, body := range bodies {
		t.Run(http.StatusText(status), func(t *testing.T) {
			var mu sync.Mutex
			calls := map[string]int{} // method → requests
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				mu.Lock()
				calls[r.Method]++
				mu.Unlock()
				if status == 429 {
					w.Header().Set("Retry-After", "60")
				}
				jsonHandler(status, body)(w, r)
			}))
			defer srv.Close()
			for op, call := range everyOperation(newTestClient(t, srv)) {
				mu.Lock()
				clear(calls)
				mu.Unlock()

				var e *api.Error
				err := call(context.Background())
				require.ErrorAs(t, err, &e, op)
				assert.Equal(t, status, e.Status, op)
				assert.Equal(t, op, e.Operation)
				assert.NotEmpty(t, e.Messages, op)

				mu.Lock()
				for method, n := range calls {
					want := 1
					if method == http.MethodGet && status == 503 {
						want = 3 // the first attempt and two retries
					}
					assert.Equal(t, want, n, "%s %s", op, method)
				}
				mu.Unlock()
			}
		})
	}
}

// Every decoding operation reports a malformed 2xx body as such.
func TestEveryOperationRejectsMalformedJSON(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		jsonHandler(200, `{"id": [`)(w, r)
	}))
	defer srv.Close()
	noBody := map[string]bool{ // answer 204 or a CSV stream: nothing to decode
		"deleteProvisioningPolicy": true, "deleteSourceSchema": true, "deleteSourceSchedule": true,
		"deleteNativeChangeDetectionConfig": true, "getAccountsSchema": true, "getEntitlementsSchema": true,
	}
	for op, call := range everyOperation(newTestClient(t, srv)) {
		err := call(context.Background())
		if noBody[op] {
			assert.NoError(t, err, op)
			continue
		}
		assert.ErrorIs(t, err, api.ErrMalformedResponse, op)
	}
}

// specPath is the bundled SailPoint Sources spec, relative to this package;
// pickersSpecPath the five list operations that fill the pickers.
const (
	specPath        = "../../../shared/isc/isc-sources-v2025.yaml"
	pickersSpecPath = "../../../shared/isc/isc-pickers-v2025.yaml"
)

// TestEveryOperationHasAMethod checks that each operationId of the bundled
// spec (52 Sources operations + getTaskStatus) is a Client method.
func TestEveryOperationHasAMethod(t *testing.T) {
	spec, err := os.ReadFile(specPath)
	if err != nil {
		t.Skip("spec: ../shared absent")
	}
	ids := regexp.MustCompile(`(?m)^\s+operationId: (\w+)$`).FindAllStringSubmatch(string(spec), -1)
	require.Len(t, ids, 53)
	pickers, err := os.ReadFile(pickersSpecPath)
	require.NoError(t, err)
	more := regexp.MustCompile(`(?m)^\s+operationId: (\w+)$`).FindAllStringSubmatch(string(pickers), -1)
	require.Len(t, more, 5)
	ids = append(ids, more...)
	client := reflect.TypeOf(&api.Client{})
	for _, id := range ids {
		name := strings.ToUpper(id[1][:1]) + id[1][1:]
		m, ok := client.MethodByName(name)
		if assert.True(t, ok, "no method %s for operationId %s", name, id[1]) {
			assert.Equal(t, reflect.TypeFor[context.Context](), m.Type.In(1), "%s takes a context first", name)
		}
	}
}
