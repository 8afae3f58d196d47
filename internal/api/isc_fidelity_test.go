package api_test

// What SailPoint's own SDK shows about ISC (API-NOTES.md section 9), from the
// client's side.

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/api"
	"sourcedesk/internal/sandbox"
)

func TestEntitlementRequestConfigSendsTheExperimentalHeader(t *testing.T) {
	tn := newTenant(t, sandbox.Config{})
	ctx := context.Background()
	id := sandbox.SeedUnhealthySourceID
	path := "/sources/" + id + "/entitlement-request-config"

	cfg, err := tn.c.GetSourceEntitlementRequestConfig(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, "true", tn.lastHeaders(http.MethodGet, path).Get("X-SailPoint-Experimental"))

	_, err = tn.c.UpdateSourceEntitlementRequestConfig(ctx, id, cfg)
	require.NoError(t, err)
	assert.Equal(t, "true", tn.lastHeaders(http.MethodPut, path).Get("X-SailPoint-Experimental"))

	_, err = tn.c.GetSource(ctx, id)
	require.NoError(t, err)
	assert.Empty(t, tn.lastHeaders(http.MethodGet, "/sources/"+id).Get("X-SailPoint-Experimental"), "only where SailPoint's SDK sends it")
}

func TestUncorrelatedAccountsTaskReturnsDecodeInBothShapes(t *testing.T) {
	ctx := context.Background()
	t.Run("a list, as the sandbox and the spec's example answer", func(t *testing.T) {
		tn := newTenant(t, sandbox.Config{})
		task, err := tn.c.ImportUncorrelatedAccounts(ctx, sandbox.SeedDelimitedSourceID,
			api.StringFile("correlation.csv", "account,displayName,userName,type\n"))
		require.NoError(t, err)
		require.NotEmpty(t, task.Task.ID)
		require.NotEmpty(t, task.Task.Returns)
		assert.Equal(t, api.LoadTaskReturn{DisplayLabel: "TASK_OUT_ACCOUNT_CORRELATION_TOTAL", AttributeName: "total"}, task.Task.Returns[0])
	})
	for _, tc := range []struct {
		name, returns string
		want          api.LoadTaskReturns
	}{
		{"one object, as the published schema declares it", `{"displayLabel":"TASK_OUT_ACCOUNT_CORRELATION_TOTAL","attributeName":"total"}`,
			api.LoadTaskReturns{{DisplayLabel: "TASK_OUT_ACCOUNT_CORRELATION_TOTAL", AttributeName: "total"}}},
		{"an object of labels", `{"total":"TASK_OUT_ACCOUNT_CORRELATION_TOTAL","ignored":"TASK_OUT_ACCOUNT_CORRELATION_IGNORED","extra":{"x":1}}`,
			api.LoadTaskReturns{{AttributeName: "extra"}, {DisplayLabel: "TASK_OUT_ACCOUNT_CORRELATION_IGNORED", AttributeName: "ignored"},
				{DisplayLabel: "TASK_OUT_ACCOUNT_CORRELATION_TOTAL", AttributeName: "total"}}},
		{"an empty object", `{}`, api.LoadTaskReturns{}},
		{"null", `null`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(jsonHandler(http.StatusAccepted,
				`{"success":true,"task":{"id":"90b83a6bb737489494794f84cd3a51e6","type":"QUARTZ","name":"Cloud Process Uncorrelated Accounts","returns":`+tc.returns+`}}`))
			defer srv.Close()
			task, err := newTestClient(t, srv).ImportUncorrelatedAccounts(ctx, "s1", api.StringFile("c.csv", "account,displayName,userName,type\n"))
			require.NoError(t, err)
			assert.Equal(t, "90b83a6bb737489494794f84cd3a51e6", task.Task.ID, "the task id, the one thing the console needs, is read")
			assert.Equal(t, tc.want, task.Task.Returns)
		})
	}
}

// TestSchemaPutWithDateTimesInAnotherForm: a client that parsed the schema's date-times
// and writes them back in another form (as SailPoint's SDKs do) can still PUT the schema,
// and the console's client, which keeps date-times as text, sends back what it got.
func TestSchemaPutWithDateTimesInAnotherForm(t *testing.T) {
	tn := newTenant(t, sandbox.Config{})
	ctx := context.Background()
	id := sandbox.SeedDelimitedSourceID
	schemas, err := tn.c.GetSourceSchemas(ctx, id, api.SchemaFilter{IncludeNames: "account"})
	require.NoError(t, err)
	require.Len(t, schemas, 1)
	sc := schemas[0]
	stored := sc.Created
	at, err := stored.Time()
	require.NoError(t, err)

	sc.DisplayAttribute = "email"
	got, err := tn.c.PutSourceSchema(ctx, id, sc.ID, &sc)
	require.NoError(t, err, "the console's own round trip")
	assert.Equal(t, stored, got.Created)

	got.Created = api.DateTime(at.UTC().Format("2006-01-02T15:04:05.000000-07:00")) // 2024-01-15T09:30:00.000000+00:00
	got.Modified = api.DateTime(strings.Replace(string(got.Modified), "Z", "+00:00", 1))
	again, err := tn.c.PutSourceSchema(ctx, id, sc.ID, got)
	require.NoError(t, err, "the same instants in the SDK's form")
	assert.Equal(t, stored, again.Created, "ISC keeps its own form")

	got.Created = api.DateTime(at.Add(time.Millisecond).UTC().Format(time.RFC3339Nano))
	_, err = tn.c.PutSourceSchema(ctx, id, sc.ID, got)
	assert.Equal(t, 400, api.StatusOf(err), "another instant is a change")
}
