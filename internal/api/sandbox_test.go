package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"sourcedesk/internal/api"
	"sourcedesk/internal/api/filter"
	"sourcedesk/internal/sandbox"
	"sourcedesk/internal/testservers"
)

// tenant is a sandbox tenant over real HTTP with a client signed in with the
// demo personal access token.
type tenant struct {
	sb  *sandbox.Sandbox
	srv *httptest.Server
	c   *api.Client

	mu      sync.Mutex
	ops     map[string]int         // operationId → a 2xx status if one was seen, else the last status
	headers map[string]http.Header // "METHOD /path" → the headers of the last such request
}

// lastHeaders returns the headers of the last request with method to path
// (below the version prefix, e.g. "/sources/x/entitlement-request-config").
func (tn *tenant) lastHeaders(method, path string) http.Header {
	tn.mu.Lock()
	defer tn.mu.Unlock()
	return tn.headers[method+" /v2025"+path]
}

func newTenant(t *testing.T, cfg sandbox.Config) *tenant {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	t.Cleanup(srv.Close)
	cfg.BaseURL = srv.URL
	if cfg.TaskStep == 0 {
		cfg.TaskStep = 5 * time.Millisecond
	}
	sb := sandbox.New(cfg)
	tn := &tenant{sb: sb, srv: srv, ops: map[string]int{}, headers: map[string]http.Header{}}
	sbh := testservers.NewSpecCheck(t).Wrap(sb.Handler())
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tn.mu.Lock()
		tn.headers[r.Method+" "+r.URL.Path] = r.Header.Clone()
		tn.mu.Unlock()
		sbh.ServeHTTP(w, r)
	})

	c, err := api.New(api.Config{
		BaseURL:      srv.URL,
		HTTPClient:   srv.Client(),
		RetryBackoff: 10 * time.Millisecond,
		Observe: func(op string, status int, d time.Duration) {
			tn.mu.Lock()
			if _, ok := tn.ops[op]; !ok || status/100 == 2 {
				tn.ops[op] = status // keep a success once seen
			}
			tn.mu.Unlock()
		},
	})
	require.NoError(t, err)
	pat := clientcredentials.Config{
		ClientID:     sandbox.DemoPATClientID,
		ClientSecret: sandbox.DemoPATClientSecret,
		TokenURL:     srv.URL + "/oauth/token",
	}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, srv.Client())
	tn.c = c.With(pat.TokenSource(ctx))
	return tn
}

// pollTask polls GetTaskStatus until the task is done.
func pollTask(t *testing.T, c *api.Client, id string) *api.TaskStatus {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := c.GetTaskStatus(ctx, id)
		require.NoError(t, err)
		if st.Done() || time.Now().After(deadline) {
			return st
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSandboxEveryOperation drives all 53 operations against the sandbox
// over HTTP and checks each one reached it and succeeded. The sandbox refuses a
// body without a Content-Length, so every upload proves it sends one.
func TestSandboxEveryOperation(t *testing.T) {
	tn := newTenant(t, sandbox.Config{RequireContentLength: true})
	c := tn.c
	ctx := context.Background()
	delimited := sandbox.SeedDelimitedSourceID

	t.Run("sources", func(t *testing.T) {
		page, err := c.ListSources(ctx, api.ListSourcesParams{Limit: 5, Count: true, Sorters: []string{"name"}})
		require.NoError(t, err)
		require.Len(t, page.Items, 5)
		require.True(t, page.HasTotal)

		n := 0
		for s, err := range c.AllSources(ctx, api.ListSourcesParams{Limit: 7}) {
			require.NoError(t, err)
			require.NotEmpty(t, s.ID)
			n++
		}
		assert.Equal(t, page.Total, n, "the iterator visits every source once")

		quoted, err := c.ListSources(ctx, api.ListSourcesParams{Filters: filter.Eq("name", `O'Brien "HR" feed`)})
		require.NoError(t, err)
		require.Len(t, quoted.Items, 1, "a name with quotes is matched as one literal")
		assert.Equal(t, sandbox.SeedQuotesSourceID, quoted.Items[0].ID)

		idn, err := c.ListSources(ctx, api.ListSourcesParams{IncludeIDNSource: true, Filters: filter.Eq("id", sandbox.SeedIdentityNowSourceID)})
		require.NoError(t, err)
		require.Len(t, idn.Items, 1)
		assert.Nil(t, idn.Items[0].Owner, "the IdentityNow source has owner null")

		src, err := c.GetSource(ctx, delimited)
		require.NoError(t, err)
		created, err := c.CreateSource(ctx, &api.Source{
			Name:      "api test source",
			Owner:     src.Owner,
			Connector: "delimited-file",
		}, true)
		require.NoError(t, err)
		assert.Equal(t, "DelimitedFile", created.Type)

		got, err := c.GetSource(ctx, created.ID)
		require.NoError(t, err)
		got.Description = "put by the api test"
		put, err := c.PutSource(ctx, created.ID, got)
		require.NoError(t, err)
		assert.Equal(t, "put by the api test", put.Description)

		patched, err := c.UpdateSource(ctx, created.ID, []api.JSONPatchOperation{api.PatchReplace("/description", "patched")})
		require.NoError(t, err)
		assert.Equal(t, "patched", patched.Description)

		health, err := c.GetSourceHealth(ctx, delimited)
		require.NoError(t, err)
		assert.Equal(t, delimited, health.ID)

		conns, err := c.GetSourceConnections(ctx, sandbox.SeedBlockedDeleteSourceID)
		require.NoError(t, err)
		assert.NotEmpty(t, conns.IdentityProfiles)

		removed, err := c.DeleteAccountsAsync(ctx, created.ID)
		require.NoError(t, err)
		pollTask(t, c, removed.ID)

		del, err := c.DeleteSource(ctx, created.ID)
		require.NoError(t, err)
		assert.Equal(t, api.DtoTaskResult, del.Type)
		pollTask(t, c, del.ID)
	})

	t.Run("configs", func(t *testing.T) {
		cc, err := c.GetCorrelationConfig(ctx, delimited)
		require.NoError(t, err)
		_, err = c.PutCorrelationConfig(ctx, delimited, cc)
		require.NoError(t, err)

		holders, err := c.ListPasswordPolicyHoldersOnSource(ctx, delimited, api.PageParams{Limit: 10, Count: true})
		require.NoError(t, err)
		_, err = c.UpdatePasswordPolicyHolders(ctx, delimited, holders.Items)
		require.NoError(t, err)

		detail, err := c.GetSourceConfig(ctx, delimited, "en")
		require.NoError(t, err)
		assert.NotEmpty(t, detail.Name)

		ncd, err := c.GetNativeChangeDetectionConfig(ctx, delimited)
		require.NoError(t, err)
		ncd.Enabled = true
		ncd.Operations = []string{"ACCOUNT_UPDATED"}
		ncd2, err := c.PutNativeChangeDetectionConfig(ctx, delimited, ncd)
		require.NoError(t, err)
		assert.True(t, ncd2.Enabled)
		require.NoError(t, c.DeleteNativeChangeDetectionConfig(ctx, delimited))

		attrs, err := c.GetSourceAttrSyncConfig(ctx, delimited)
		require.NoError(t, err)
		if len(attrs.Attributes) > 0 {
			attrs.Attributes[0].Enabled = !attrs.Attributes[0].Enabled
		}
		_, err = c.PutSourceAttrSyncConfig(ctx, delimited, attrs)
		require.NoError(t, err)
		job, err := c.SyncAttributesForSource(ctx, delimited)
		require.NoError(t, err)
		assert.NotEmpty(t, job.ID)

		erc, err := c.GetSourceEntitlementRequestConfig(ctx, delimited)
		require.NoError(t, err)
		_, err = c.UpdateSourceEntitlementRequestConfig(ctx, delimited, erc)
		require.NoError(t, err)
	})

	t.Run("connector", func(t *testing.T) {
		for _, call := range []func(context.Context, string) (*api.StatusResponse, error){
			c.TestSourceConnection, c.PingCluster, c.TestSourceConfiguration,
		} {
			st, err := call(ctx, delimited)
			require.NoError(t, err)
			assert.NotEmpty(t, st.Status)
		}
		peek, err := c.SearchResourceObjects(ctx, delimited, api.ResourceObjectsRequest{ObjectType: "account", MaxCount: 3})
		require.NoError(t, err)
		assert.LessOrEqual(t, len(peek.ResourceObjects), 3)
	})

	t.Run("provisioning policies", func(t *testing.T) {
		list, err := c.ListProvisioningPolicies(ctx, delimited)
		require.NoError(t, err)
		for _, p := range list {
			if p.UsageType == api.UsageUnlock {
				require.NoError(t, c.DeleteProvisioningPolicy(ctx, delimited, api.UsageUnlock))
			}
		}
		created, err := c.CreateProvisioningPolicy(ctx, delimited, &api.ProvisioningPolicy{
			Name: "Unlock", UsageType: api.UsageUnlock,
			Fields: []api.FieldDetails{{Name: "id", Type: "string"}},
		})
		require.NoError(t, err)
		assert.Equal(t, api.UsageUnlock, created.UsageType)

		got, err := c.GetProvisioningPolicy(ctx, delimited, api.UsageUnlock)
		require.NoError(t, err)
		got.Description = "put"
		_, err = c.PutProvisioningPolicy(ctx, delimited, api.UsageUnlock, got)
		require.NoError(t, err)
		patched, err := c.UpdateProvisioningPolicy(ctx, delimited, api.UsageUnlock, []api.JSONPatchOperation{api.PatchReplace("/description", "patched")})
		require.NoError(t, err)
		assert.Equal(t, "patched", patched.Description)

		bulk, err := c.UpdateProvisioningPoliciesInBulk(ctx, delimited, []api.ProvisioningPolicy{*patched})
		require.NoError(t, err)
		assert.Len(t, bulk, 1)
		require.NoError(t, c.DeleteProvisioningPolicy(ctx, delimited, api.UsageUnlock))
		_, err = c.GetProvisioningPolicy(ctx, delimited, api.UsageUnlock)
		assert.True(t, api.IsNotFound(err), "%v", err)
	})

	t.Run("schemas", func(t *testing.T) {
		schemas, err := c.GetSourceSchemas(ctx, delimited, api.SchemaFilter{})
		require.NoError(t, err)
		require.NotEmpty(t, schemas)

		created, err := c.CreateSourceSchema(ctx, delimited, &api.Schema{
			Name: "api-test", NativeObjectType: "apitest", IdentityAttribute: "id", DisplayAttribute: "id",
			Attributes: []api.AttributeDefinition{{Name: "id", Type: api.AttributeString}},
		})
		require.NoError(t, err)
		got, err := c.GetSourceSchema(ctx, delimited, created.ID)
		require.NoError(t, err)
		got.DisplayAttribute = "id"
		_, err = c.PutSourceSchema(ctx, delimited, created.ID, got)
		require.NoError(t, err)
		patched, err := c.UpdateSourceSchema(ctx, delimited, created.ID, []api.JSONPatchOperation{
			api.PatchAdd("/attributes/-", api.AttributeDefinition{Name: "mail", Type: api.AttributeString}),
		})
		require.NoError(t, err)
		assert.Len(t, patched.Attributes, 2)
		require.NoError(t, c.DeleteSourceSchema(ctx, delimited, created.ID))

		header := readAll(t)(c.GetAccountsSchema(ctx, delimited))
		assert.NotEmpty(t, header)
		schema, err := c.ImportAccountsSchema(ctx, delimited, api.StringFile("accounts-schema.csv", header))
		require.NoError(t, err)
		assert.NotEmpty(t, schema.Attributes)

		ent := readAll(t)(c.GetEntitlementsSchema(ctx, delimited, "group"))
		assert.NotEmpty(t, ent)
		_, err = c.ImportEntitlementsSchema(ctx, delimited, "group", api.StringFile("ent-schema.csv", ent))
		require.NoError(t, err)
	})

	t.Run("schedules", func(t *testing.T) {
		_, err := c.GetSourceSchedules(ctx, delimited)
		require.NoError(t, err)
		_ = c.DeleteSourceSchedule(ctx, delimited, api.ScheduleGroupAggregation) // may not exist
		created, err := c.CreateSourceSchedule(ctx, delimited, &api.Schedule{Type: api.ScheduleGroupAggregation, CronExpression: "0 0 5,13,21 * * ?"})
		require.NoError(t, err)
		assert.Equal(t, api.ScheduleGroupAggregation, created.Type)
		got, err := c.GetSourceSchedule(ctx, delimited, api.ScheduleGroupAggregation)
		require.NoError(t, err)
		assert.Equal(t, "0 0 5,13,21 * * ?", got.CronExpression)
		patched, err := c.UpdateSourceSchedule(ctx, delimited, api.ScheduleGroupAggregation, []api.JSONPatchOperation{api.PatchReplace("/cronExpression", "0 0 6 * * ?")})
		require.NoError(t, err)
		assert.Equal(t, "0 0 6 * * ?", patched.CronExpression)
		require.NoError(t, c.DeleteSourceSchedule(ctx, delimited, api.ScheduleGroupAggregation))
	})

	t.Run("uploads and tasks", func(t *testing.T) {
		empty := sandbox.SeedEmptyDelimitedSourceID
		accounts := csvFor(t, c, empty, "account", 20)
		task, err := c.ImportAccounts(ctx, empty, api.StringFile("../../accounts.csv", accounts), true)
		require.NoError(t, err)
		st := pollTask(t, c, task.Task.ID)
		assert.True(t, st.CompletionStatus.Is(api.CompletionSuccess), "aggregation ended %q: %+v", st.CompletionStatus, st.Messages)

		ids := strings.Split(strings.TrimSpace(accounts), "\n")[1:]
		correlation := "account,displayName,userName,type\n" + strings.SplitN(ids[0], ",", 2)[0] + ",,admin,\n"
		un, err := c.ImportUncorrelatedAccounts(ctx, empty, api.StringFile("un.csv", correlation))
		require.NoError(t, err)
		st = pollTask(t, c, un.Task.ID)
		assert.True(t, st.CompletionStatus.Is(api.CompletionSuccess), "correlation ended %q: %+v", st.CompletionStatus, st.Messages)

		ent, err := c.ImportEntitlements(ctx, delimited, api.StringFile("ent.csv", csvFor(t, c, delimited, "group", 5)))
		require.NoError(t, err)
		pollTask(t, c, ent.ID)

		_, err = c.ImportConnectorFile(ctx, delimited, api.StringFile("driver.jar", "PK\x03\x04 not really a jar"))
		require.NoError(t, err)
	})

	spec, err := os.ReadFile(specPath)
	if err != nil {
		return
	}
	tn.mu.Lock()
	defer tn.mu.Unlock()
	for _, m := range regexp.MustCompile(`(?m)^\s+operationId: (\w+)$`).FindAllStringSubmatch(string(spec), -1) {
		status, seen := tn.ops[m[1]]
		if assert.True(t, seen, "operation %s never called", m[1]) {
			assert.True(t, status >= 200 && status < 300, "operation %s never succeeded (%d)", m[1], status)
		}
	}
}

// csvFor builds a CSV of n rows whose columns are the attributes of the
// source's schema named schemaName (the schema download lists one attribute
// per row, so it is not itself a data header).
func csvFor(t *testing.T, c *api.Client, sourceID, schemaName string, n int) string {
	t.Helper()
	schemas, err := c.GetSourceSchemas(context.Background(), sourceID, api.SchemaFilter{})
	require.NoError(t, err)
	var cols []string
	var types []api.AttributeType
	for _, s := range schemas {
		if s.Name == schemaName {
			for _, a := range s.Attributes {
				cols = append(cols, a.Name)
				types = append(types, a.Type)
			}
		}
	}
	require.NotEmpty(t, cols, "schema %s", schemaName)
	var b strings.Builder
	b.WriteString(strings.Join(cols, ",") + "\n")
	for i := range n {
		row := make([]string, len(cols))
		for j, col := range cols {
			switch types[j] {
			case api.AttributeDate:
				row[j] = "2024-01-15"
			case api.AttributeBoolean:
				row[j] = "true"
			case api.AttributeInt, api.AttributeLong:
				row[j] = fmt.Sprint(i)
			default:
				row[j] = fmt.Sprintf("%s-%d", col, i)
			}
		}
		b.WriteString(strings.Join(row, ",") + "\n")
	}
	return b.String()
}

// readAll reads and closes a download.
func readAll(t *testing.T) func(io.ReadCloser, error) string {
	return func(rc io.ReadCloser, err error) string {
		t.Helper()
		require.NoError(t, err)
		defer rc.Close()
		b, err := io.ReadAll(rc)
		require.NoError(t, err)
		return string(b)
	}
}

func TestSandboxErrors(t *testing.T) {
	ctx := context.Background()

	t.Run("404 has ISC's body", func(t *testing.T) {
		tn := newTenant(t, sandbox.Config{})
		_, err := tn.c.GetSource(ctx, "2c9180887e5f4a1b017e5f4a1bffffff")
		var e *api.Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, 404, e.Status)
		assert.Equal(t, "404 Not found", e.DetailCode)
		assert.NotEmpty(t, e.TrackingID)
		assert.NotEmpty(t, e.Messages)
	})

	t.Run("401 for a bad token", func(t *testing.T) {
		tn := newTenant(t, sandbox.Config{})
		c, err := api.New(api.Config{BaseURL: tn.srv.URL, HTTPClient: tn.srv.Client()})
		require.NoError(t, err)
		_, err = c.With(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "forged"})).GetSource(ctx, sandbox.SeedDelimitedSourceID)
		var e *api.Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, 401, e.Status)
		assert.Contains(t, e.Messages[0], "JWT validation failed")
	})

	t.Run("forced 429 on a GET is retried once", func(t *testing.T) {
		tn := newTenant(t, sandbox.Config{})
		tn.sb.SetFault("getSource", sandbox.Fault{Force429: 1, RetryAfter: 1})
		start := time.Now()
		_, err := tn.c.GetSource(ctx, sandbox.SeedDelimitedSourceID)
		require.NoError(t, err)
		assert.Equal(t, 2, tn.sb.Calls("getSource"))
		assert.GreaterOrEqual(t, time.Since(start), time.Second)
	})

	t.Run("5xx on a POST is not retried", func(t *testing.T) {
		tn := newTenant(t, sandbox.Config{})
		tn.sb.SetFault("pingCluster", sandbox.Fault{Status: 503})
		_, err := tn.c.PingCluster(ctx, sandbox.SeedDelimitedSourceID)
		assert.Equal(t, 503, api.StatusOf(err))
		assert.Equal(t, 1, tn.sb.Calls("pingCluster"))
	})

	t.Run("5xx on a GET is retried twice", func(t *testing.T) {
		tn := newTenant(t, sandbox.Config{})
		tn.sb.SetFault("getSourceHealth", sandbox.Fault{Status: 502})
		_, err := tn.c.GetSourceHealth(ctx, sandbox.SeedDelimitedSourceID)
		assert.Equal(t, 502, api.StatusOf(err))
		assert.Equal(t, 3, tn.sb.Calls("getSourceHealth"))
	})

	t.Run("hung upstream ends with the context", func(t *testing.T) {
		tn := newTenant(t, sandbox.Config{})
		tn.sb.SetFault("listSources", sandbox.Fault{Hang: true})
		cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		_, err := tn.c.ListSources(cctx, api.ListSourcesParams{})
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})

	t.Run("unsupported filter field is a 400", func(t *testing.T) {
		tn := newTenant(t, sandbox.Config{})
		_, err := tn.c.ListSources(ctx, api.ListSourcesParams{Filters: filter.Eq("connectorAttributes", "x")})
		assert.Equal(t, 400, api.StatusOf(err))
	})
}

// The client's limiter keeps a burst under the tenant's budget, so the tenant
// never has to answer 429.
func TestSandboxRateBudget(t *testing.T) {
	ctx := context.Background()
	tn := newTenant(t, sandbox.Config{RateLimit: 3, RateWindow: 500 * time.Millisecond})
	c, err := api.New(api.Config{
		BaseURL:    tn.srv.URL,
		HTTPClient: tn.srv.Client(),
		Limiter:    api.NewWindowLimiter(3, 500*time.Millisecond+50*time.Millisecond),
	})
	require.NoError(t, err)
	limited := c.With(tokenOf(t, tn))
	for range 7 {
		_, err := limited.GetSourceHealth(ctx, sandbox.SeedDelimitedSourceID)
		require.NoError(t, err)
	}
	assert.Equal(t, 7, tn.sb.Calls("getSourceHealth"), "no call was refused and retried")
}

// tokenOf fetches one demo PAT token from the tenant.
func tokenOf(t *testing.T, tn *tenant) oauth2.TokenSource {
	pat := clientcredentials.Config{ClientID: sandbox.DemoPATClientID, ClientSecret: sandbox.DemoPATClientSecret, TokenURL: tn.srv.URL + "/oauth/token"}
	tok, err := pat.Token(context.WithValue(context.Background(), oauth2.HTTPClient, tn.srv.Client()))
	require.NoError(t, err)
	return oauth2.StaticTokenSource(tok)
}
