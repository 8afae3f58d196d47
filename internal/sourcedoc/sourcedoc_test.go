package sourcedoc_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"sourcedesk/internal/api"
	"sourcedesk/internal/sandbox"
	"sourcedesk/internal/sourcedoc"
	"sourcedesk/internal/testservers"
)

// tenant is a sandbox tenant over real HTTP, every request checked against
// SailPoint's spec, and the engine's view of it signed in with the demo
// personal access token (an ORG_ADMIN).
type tenant struct {
	sourcedoc.Tenant
	sb  *sandbox.Sandbox
	srv *httptest.Server
	api *api.Client // without credentials
}

// unlimited lets the tests' many reads through at once; the sandbox's own
// rate limit is off as well.
type unlimited struct{}

func (unlimited) Wait(context.Context) error { return nil }

func newTenant(t *testing.T, seed sandbox.Seed) *tenant {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	t.Cleanup(srv.Close)
	// A personal access token per demo user, so a test can act at any level.
	var pats []sandbox.Client
	for _, u := range sandbox.DemoUsers() {
		pats = append(pats, sandbox.Client{ID: "pat-" + u.Username, Secret: "secret-" + u.Username, PATOwner: u.Username})
	}
	sb := sandbox.New(sandbox.Config{BaseURL: srv.URL, Seed: seed, RateLimit: -1, TaskStep: 5 * time.Millisecond, Clients: pats})
	srv.Config.Handler = testservers.NewSpecCheck(t).Wrap(sb.Handler())
	c, err := api.New(api.Config{BaseURL: srv.URL, HTTPClient: srv.Client(), Limiter: unlimited{}})
	require.NoError(t, err)
	tn := &tenant{sb: sb, srv: srv, api: c}
	tn.Tenant = tn.as("admin")
	return tn
}

// as is the tenant as a demo user sees it.
func (tn *tenant) as(username string) sourcedoc.Tenant {
	pat := clientcredentials.Config{ClientID: "pat-" + username, ClientSecret: "secret-" + username, TokenURL: tn.srv.URL + "/oauth/token"}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, tn.srv.Client())
	name := tn.sb.TenantName()
	return sourcedoc.Tenant{Name: name, Client: tn.api.With(pat.TokenSource(ctx))}
}

// export exports the source named name.
func (tn *tenant) export(t *testing.T, name string) *sourcedoc.Document {
	t.Helper()
	id, err := sourcedoc.FindSource(context.Background(), tn.Tenant, name)
	require.NoError(t, err)
	require.NotEmpty(t, id, "%s has a source named %q", tn.Name, name)
	d, err := sourcedoc.Export(context.Background(), tn.Tenant, id)
	require.NoError(t, err)
	return d
}

// marshal is the document's file.
func marshal(t *testing.T, d *sourcedoc.Document) string {
	t.Helper()
	b, err := sourcedoc.Marshal(d)
	require.NoError(t, err)
	return string(b)
}

// changes lists a section's changes as "kind path" lines.
func changes(d *sourcedoc.Diff, key string) []string {
	var out []string
	for _, c := range d.Section(key).Changes {
		out = append(out, string(c.Kind)+" "+c.Path)
	}
	return out
}

func operations(steps []sourcedoc.Step) []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = s.Operation
	}
	return out
}

// Every source of the seeded tenant exports to a document that follows the
// published JSON Schema, carries no secret, and is the same file byte for
// byte when exported again or read back.
func TestEveryExportFollowsTheSchemaAndCarriesNoSecret(t *testing.T) {
	t.Parallel()
	tn := newTenant(t, sandbox.SeedSandbox)
	ctx := context.Background()
	n := 0
	for src, err := range tn.Client.AllSources(ctx, api.ListSourcesParams{IncludeIDNSource: true}) {
		require.NoError(t, err)
		n++
		d, err := sourcedoc.Export(ctx, tn.Tenant, src.ID)
		require.NoError(t, err, src.Name)
		file := marshal(t, d)
		back, err := sourcedoc.Parse([]byte(file))
		require.NoError(t, err, "%s: the export follows docs/source-document.schema.json", src.Name)
		assert.Equal(t, file, marshal(t, back), "%s: a document reads back to the same file", src.Name)
		if n <= 3 {
			again, err := sourcedoc.Export(ctx, tn.Tenant, src.ID)
			require.NoError(t, err)
			assert.Equal(t, file, marshal(t, again), "%s: exporting twice gives the same file", src.Name)
		}

		assert.NotContains(t, file, ":ENC:", "%s: no cipher text in the document", src.Name)
		assert.NotContains(t, file, `"password":`, src.Name)
		assert.NotContains(t, strings.Replace(file, `"sourceId": "`+src.ID, "", 1), src.ID, "%s: the document names no tenant id but in its origin", src.Name)
		assert.Empty(t, d.Unread, "an ORG_ADMIN reads every section")
	}
	assert.Greater(t, n, 35)

	ad := tn.export(t, "Corporate AD (EMEA)")
	assert.Equal(t, []string{"password"}, ad.Source.Secrets, "the form's secret field is named, its value left out")
	assert.Equal(t, &sourcedoc.Named{Name: "Corporate Cluster"}, ad.Source.Cluster, "references are names")
	assert.Equal(t, []string{"Corporate Password Policy"}, ad.Source.PasswordPolicies)
	assert.Equal(t, "sam.source-admin", ad.Source.Owner.Alias, "the owner is matched by alias")
	okta := tn.export(t, "Okta Workforce")
	assert.Equal(t, []string{"apiToken"}, okta.Source.Secrets)
	idn, err := sourcedoc.Export(ctx, tn.Tenant, sandbox.SeedIdentityNowSourceID)
	require.NoError(t, err)
	assert.Nil(t, idn.Source.Owner, "a source without owner exports owner null")
}

// Without a secret field in the connector's form, a secret is still found by
// its name or its cipher-text value, at any depth, and left out.
func TestSecretsAreFoundByNameAndValueWithoutTheForm(t *testing.T) {
	t.Parallel()
	doc := exportAttrs(t, map[string]any{
		"host":           "db.example",
		"clientSecret":   "abc",
		"securityToken":  "xyz",
		"tokenUrl":       "https://idp.example/token",
		"bindPassword":   "",
		"opaque":         "2:ENC:c2VjcmV0",
		"connectionInfo": []any{map[string]any{"user": "svc", "privateKey": "-----BEGIN"}, "1:ACP:Zm9v"},
	})
	assert.Equal(t, []string{"bindPassword", "clientSecret", "connectionInfo[0].privateKey", "connectionInfo[1]", "opaque", "securityToken"}, doc.Source.Secrets)
	assert.Equal(t, "https://idp.example/token", doc.Source.ConnectorAttributes["tokenUrl"], "a URL of a token endpoint is not a secret")
	assert.Equal(t, "db.example", doc.Source.ConnectorAttributes["host"])
	assert.Equal(t, []any{map[string]any{"user": "svc"}, nil}, doc.Source.ConnectorAttributes["connectionInfo"])
}

// exportAttrs creates a source of a connector the sandbox has no form for,
// with the given connector attributes, and exports it.
func exportAttrs(t *testing.T, attrs map[string]any) *sourcedoc.Document {
	t.Helper()
	tn := newTenant(t, sandbox.SeedSandbox)
	ctx := context.Background()
	src := &api.Source{Name: "Secrets test", Connector: "custom-rest", Owner: &api.Reference{Type: api.DtoIdentity, ID: "2c9180857a1b4c2d017a1b4c2d0e0001"},
		ConnectorAttributes: map[string]json.RawMessage{}}
	for k, v := range attrs {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		src.ConnectorAttributes[k] = b
	}
	out, err := tn.Client.CreateSource(ctx, src, false)
	require.NoError(t, err)
	d, err := sourcedoc.Export(ctx, tn.Tenant, out.ID)
	require.NoError(t, err)
	return d
}

// The same source on two tenants differs; the plan made from the diff, applied,
// leaves the two identical, with every name turned into the target's id.
func TestPromoteMakesTheTargetSourceIdentical(t *testing.T) {
	t.Parallel()
	sbx := newTenant(t, sandbox.SeedSandbox)
	prod := newTenant(t, sandbox.SeedProduction)
	ctx := context.Background()
	want := sbx.export(t, "HR Contractors CSV")
	before := prod.export(t, "HR Contractors CSV")

	diff := sourcedoc.Compare(before, want)
	require.False(t, diff.Identical())
	assert.ElementsMatch(t, []string{
		"removed connectorAttributes › commentCharacter", "changed description", "changed owner › alias", "changed owner › name",
	}, changes(diff, sourcedoc.SectionSource))
	assert.Equal(t, []string{"added account › attributes › level"}, changes(diff, sourcedoc.SectionSchemas))
	assert.Equal(t, []string{"added CREATE › fields › email"}, changes(diff, sourcedoc.SectionProvisioningPolicies))
	assert.ElementsMatch(t, []string{"changed ACCOUNT_AGGREGATION › cronExpression", "added GROUP_AGGREGATION"}, changes(diff, sourcedoc.SectionSchedules))
	assert.Equal(t, []string{"changed attributeAssignments › email › ignoreCase"}, changes(diff, sourcedoc.SectionCorrelation))
	assert.Equal(t, []string{"changed attributes › email › enabled"}, changes(diff, sourcedoc.SectionAttributeSync))
	assert.Equal(t, []string{"changed accessRequest › requestCommentRequired"}, changes(diff, sourcedoc.SectionEntitlementRequest))
	assert.True(t, diff.Section(sourcedoc.SectionNativeChangeDetection).Same())
	assert.True(t, diff.Section(sourcedoc.SectionPasswordPolicies).Same())

	plan, err := sourcedoc.MakePlan(ctx, prod.Tenant, want)
	require.NoError(t, err)
	require.True(t, plan.Ready(), "blocking: %v", plan.Blocking)
	assert.Equal(t, []string{"updateSource", "putSourceSchema", "putProvisioningPolicy", "updateSourceSchedule", "createSourceSchedule",
		"putCorrelationConfig", "putSourceAttrSyncConfig", "updateSourceEntitlementRequestConfig"}, operations(plan.Steps),
		"the source, then schemas, policies, schedules and configurations")
	update := string(plan.Steps[0].Body)
	assert.Contains(t, update, sandbox.ProductionID("2c9180857a1b4c2d017a1b4c2d0e0002"), "the owner is the target tenant's identity")
	assert.NotContains(t, update, "2c9180857a1b4c2d017a1b4c2d0e0002", "no id of the exporting tenant")
	assert.Equal(t, "/sources/"+sandbox.ProductionID(sandbox.SeedDelimitedSourceID), plan.Steps[0].Path)
	assert.Contains(t, plan.Steps[1].Summary, "attributes › level added")
	assert.Empty(t, plan.Secrets)
	replan, err := sourcedoc.MakePlan(ctx, prod.Tenant, want)
	require.NoError(t, err)
	assert.Equal(t, plan.Fingerprint(), replan.Fingerprint(), "planned again unchanged, the same calls")

	var seen []string
	prod.sb.ResetCalls()
	res := sourcedoc.Apply(ctx, prod.Tenant, plan, func(p sourcedoc.Progress) {
		if p.Done {
			seen = append(seen, p.Step.Operation)
		}
	})
	require.True(t, res.OK(), "apply: %v", res.Err)
	assert.Equal(t, operations(plan.Steps), seen, "progress reports every step, in order")
	assert.Len(t, res.Done, len(plan.Steps))
	sent := map[string]int{}
	for _, op := range operations(plan.Steps) {
		sent[op]++
	}
	assert.Equal(t, sent, prod.sb.CallCounts(), "applying sends exactly the planned calls, nothing more")

	after := prod.export(t, "HR Contractors CSV")
	assert.True(t, sourcedoc.Compare(after, want).Identical(), "identical after promoting: %+v", sourcedoc.Compare(after, want).Sections)
	again, err := sourcedoc.MakePlan(ctx, prod.Tenant, want)
	require.NoError(t, err)
	assert.Empty(t, again.Steps, "nothing left to do")
}

// A source the target lacks is created, then filled in; its secrets are not
// copied but listed for the admin to fill in.
func TestPromoteCreatesASourceTheTargetLacks(t *testing.T) {
	t.Parallel()
	sbx := newTenant(t, sandbox.SeedSandbox)
	prod := newTenant(t, sandbox.SeedProduction)
	ctx := context.Background()
	want := sbx.export(t, "Azure AD Sandbox")
	id, err := sourcedoc.FindSource(ctx, prod.Tenant, "Azure AD Sandbox")
	require.NoError(t, err)
	require.Empty(t, id)

	plan, err := sourcedoc.MakePlan(ctx, prod.Tenant, want)
	require.NoError(t, err)
	require.True(t, plan.Ready(), "blocking: %v", plan.Blocking)
	assert.True(t, plan.Creates())
	assert.Equal(t, []string{"createSource", "getSourceSchemas", "putSourceSchema", "putSourceSchema", "createProvisioningPolicy",
		"putCorrelationConfig", "putNativeChangeDetectionConfig", "updateSourceEntitlementRequestConfig", "updatePasswordPolicyHolders"}, operations(plan.Steps))
	assert.Equal(t, []string{"clientSecret"}, plan.Secrets, "the secret is listed for the admin")
	for _, s := range plan.Steps {
		assert.NotContains(t, string(s.Body), ":ENC:", "%s sends no cipher text", s.Operation)
		assert.NotContains(t, string(s.Body), "clientSecret", s.Operation)
		assert.NotContains(t, string(s.Body), "2c9180", "%s sends no id of the exporting tenant", s.Operation)
	}
	assert.Equal(t, "/sources/{new-source-id}/schemas", plan.Steps[1].Path, "later steps name the source the first one makes")
	require.NotEmpty(t, plan.Notes)
	assert.Contains(t, strings.Join(plan.Notes, "\n"), "plan again after applying")

	res := sourcedoc.Apply(ctx, prod.Tenant, plan, nil)
	require.True(t, res.OK(), "apply: %v", res.Err)
	require.NotEmpty(t, res.SourceID)
	got, err := sourcedoc.Export(ctx, prod.Tenant, res.SourceID)
	require.NoError(t, err)
	diff := sourcedoc.Compare(got, want)
	for _, s := range diff.Sections {
		switch s.Key {
		case sourcedoc.SectionSource:
			assert.Equal(t, []string{"added secrets"}, changes(diff, s.Key), "only the secret the admin fills in differs")
		case sourcedoc.SectionAttributeSync:
			// ISC offers no attribute of a new source until planned again.
		default:
			assert.True(t, s.Same(), "%s: %+v", s.Title, s.Changes)
		}
	}
	assert.Equal(t, "Olivia Owner", got.Source.Owner.Name)
	src, err := prod.Client.GetSource(ctx, res.SourceID)
	require.NoError(t, err)
	assert.Equal(t, sandbox.ProductionID("2c9180857a1b4c2d017a1b4c2d0e0010"), src.Owner.ID, "the owner is production's identity")
	assert.NotContains(t, src.ConnectorAttributes, "clientSecret", "no secret was copied")
}

// A name the target tenant does not have blocks the plan with a message
// saying which and where, and a blocked plan sends nothing.
func TestPlanIsBlockedByANameTheTargetLacks(t *testing.T) {
	t.Parallel()
	sbx := newTenant(t, sandbox.SeedSandbox)
	prod := newTenant(t, sandbox.SeedProduction)
	ctx := context.Background()
	_, err := sbx.Client.UpdateSource(ctx, sandbox.SeedDelimitedSourceID, []api.JSONPatchOperation{
		api.PatchAdd("/cluster", api.Reference{Type: api.DtoCluster, ID: "2c9180866166b5b0016167c32ef31a68", Name: "Lab Cluster"})})
	require.NoError(t, err)
	want := sbx.export(t, "HR Contractors CSV")
	want.Source.Owner.Alias = "nobody.here"

	plan, err := sourcedoc.MakePlan(ctx, prod.Tenant, want)
	require.NoError(t, err)
	require.False(t, plan.Ready())
	assert.Contains(t, plan.Blocking, `cluster "Lab Cluster" does not exist on production`)
	assert.Contains(t, plan.Blocking, `owner "Sam Source-Admin": no identity with the alias "nobody.here" on production`)

	writes := prod.sb.Calls("") - prod.sb.CallsByMethod("GET")
	res := sourcedoc.Apply(ctx, prod.Tenant, plan, nil)
	assert.ErrorIs(t, res.Err, sourcedoc.ErrBlocked)
	assert.Empty(t, res.Done)
	assert.Equal(t, plan.Steps, res.NotDone)
	assert.Equal(t, writes, prod.sb.Calls("")-prod.sb.CallsByMethod("GET"), "nothing was sent")
}

// A call that fails in the middle stops the plan: the steps before it are
// done (and took effect), the ones after were never sent.
func TestApplyStopsAtTheFirstFailure(t *testing.T) {
	t.Parallel()
	sbx := newTenant(t, sandbox.SeedSandbox)
	prod := newTenant(t, sandbox.SeedProduction)
	ctx := context.Background()
	want := sbx.export(t, "HR Contractors CSV")
	plan, err := sourcedoc.MakePlan(ctx, prod.Tenant, want)
	require.NoError(t, err)
	failAt := slices.Index(operations(plan.Steps), "updateSourceSchedule")
	require.Greater(t, failAt, 1)

	prod.sb.SetFault("updateSourceSchedule", sandbox.Fault{Status: http.StatusInternalServerError})
	res := sourcedoc.Apply(ctx, prod.Tenant, plan, nil)
	require.False(t, res.OK())
	require.NotNil(t, res.Failed)
	assert.Equal(t, "updateSourceSchedule", res.Failed.Operation)
	assert.Equal(t, http.StatusInternalServerError, api.StatusOf(res.Err))
	assert.Equal(t, operations(plan.Steps[:failAt]), operations(res.Done), "done: every step before the failure")
	assert.Equal(t, operations(plan.Steps[failAt+1:]), operations(res.NotDone), "not done: every step after it")
	assert.Zero(t, prod.sb.Calls("createSourceSchedule"), "no step after the failure was sent")
	assert.Zero(t, prod.sb.Calls("updateSourceEntitlementRequestConfig"))

	after := prod.export(t, "HR Contractors CSV")
	diff := sourcedoc.Compare(after, want)
	assert.True(t, diff.Section(sourcedoc.SectionSchemas).Same(), "the schema step took effect")
	assert.False(t, diff.Section(sourcedoc.SectionEntitlementRequest).Same(), "the entitlement step did not run")
	replan, err := sourcedoc.MakePlan(ctx, prod.Tenant, want)
	require.NoError(t, err)
	assert.NotEqual(t, plan.Fingerprint(), replan.Fingerprint(), "the target changed: the reviewed plan is not the one to apply")
	assert.Equal(t, operations(plan.Steps[failAt:]), operations(replan.Steps), "planned again, only what is left")
}

// Compare says "identical" for the same source and names keyed items (not
// positions) in its paths; a reordering is its own kind of change.
func TestCompareNamesItemsAndSeesOrder(t *testing.T) {
	t.Parallel()
	tn := newTenant(t, sandbox.SeedSandbox)
	a := tn.export(t, "Corporate AD (EMEA)")
	b := tn.export(t, "Corporate AD (EMEA)")
	assert.True(t, sourcedoc.Compare(a, b).Identical())
	assert.Zero(t, sourcedoc.Compare(a, b).Count())

	attrs := b.Schemas[0].Attributes
	attrs[0], attrs[1] = attrs[1], attrs[0]
	b.Schemas[0].Attributes[2].IsMulti = true
	b.Source.Features = append(b.Source.Features, "NEW_FEATURE")
	d := sourcedoc.Compare(a, b)
	assert.ElementsMatch(t, []string{"changed account › attributes › mail › isMulti", "reordered account › attributes"}, changes(d, sourcedoc.SectionSchemas))
	assert.Equal(t, []string{"added features"}, changes(d, sourcedoc.SectionSource))
	assert.Equal(t, `"NEW_FEATURE"`, d.Section(sourcedoc.SectionSource).Changes[0].To)

	d = sourcedoc.Compare(nil, a)
	assert.False(t, d.Identical(), "a missing source differs from any")
	assert.Equal(t, []string{"added (whole section)"}, changes(d, sourcedoc.SectionSource))
}

// An uploaded file that is not a source document is refused with where and why.
func TestParseRefusesWhatIsNotASourceDocument(t *testing.T) {
	t.Parallel()
	tn := newTenant(t, sandbox.SeedSandbox)
	good := marshal(t, tn.export(t, "HR Contractors CSV"))
	for name, tc := range map[string]struct{ doc, want string }{
		"not JSON":       {"{", "not valid JSON"},
		"empty":          {" \n", "the file is empty"},
		"other format":   {`{"format":"something"}`, `format is "something"`},
		"newer version":  {strings.Replace(good, `"version": 1`, `"version": 2`, 1), "version 2 is not supported"},
		"wrong type":     {strings.Replace(good, `"deleteThreshold": 10`, `"deleteThreshold": "ten"`, 1), "at /source/deleteThreshold"},
		"unknown member": {strings.Replace(good, `"schedules": [`, `"schedule": 1, "schedules": [`, 1), "schedule"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := sourcedoc.Parse([]byte(tc.doc))
			require.ErrorIs(t, err, sourcedoc.ErrInvalid)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// A SOURCE_SUBADMIN promotes into the sources its governance groups manage,
// and into no other: the production roster is managed by another group, so
// the plan is blocked and applying it sends nothing.
func TestSubadminCannotPromoteIntoASourceItDoesNotManage(t *testing.T) {
	t.Parallel()
	sbx := newTenant(t, sandbox.SeedSandbox)
	prod := newTenant(t, sandbox.SeedProduction)
	ctx := context.Background()
	sub := prod.as("subadmin")

	roster := sbx.export(t, "Subadmin Team Roster")
	plan, err := sourcedoc.MakePlan(ctx, sub, roster)
	require.NoError(t, err)
	require.False(t, plan.Ready())
	assert.Empty(t, plan.Steps)
	assert.Contains(t, plan.Blocking[0], `none of the sources you manage on production is named "Subadmin Team Roster"`)
	writes := prod.sb.Calls("") - prod.sb.CallsByMethod("GET")
	res := sourcedoc.Apply(ctx, sub, plan, nil)
	assert.ErrorIs(t, res.Err, sourcedoc.ErrBlocked)
	assert.Equal(t, writes, prod.sb.Calls("")-prod.sb.CallsByMethod("GET"), "nothing was sent")

	// A source it does manage in production is promoted.
	want := sbx.export(t, "New Hires CSV")
	want.Source.Description = "Waiting for the first upload (promoted)."
	plan, err = sourcedoc.MakePlan(ctx, sub, want)
	require.NoError(t, err)
	require.True(t, plan.Ready(), "blocking: %v", plan.Blocking)
	assert.Equal(t, []string{"updateSource"}, operations(plan.Steps))
	require.True(t, sourcedoc.Apply(ctx, sub, plan, nil).OK())
	assert.True(t, sourcedoc.Compare(prod.export(t, "New Hires CSV"), want).Identical())
}

// A section the user's level may not read (ISC answers 403) is null in the
// export and named with the reason; such a document still follows the
// schema, compares as "could not compare" there, and a plan leaves the
// section alone, saying so.
func TestASectionTheUserMayNotReadIsLeftOutAndSaid(t *testing.T) {
	t.Parallel()
	sbx := newTenant(t, sandbox.SeedSandbox)
	prod := newTenant(t, sandbox.SeedProduction)
	ctx := context.Background()
	full := sbx.export(t, "HR Contractors CSV")
	sbx.sb.SetFault("getSourceAttrSyncConfig", sandbox.Fault{Status: http.StatusForbidden})
	part := sbx.export(t, "HR Contractors CSV")

	assert.Nil(t, part.AttributeSync)
	assert.Equal(t, map[string]string{"attributeSync": "not readable with your user level on sandbox (ISC answered 403)"}, part.Unread)
	_, err := sourcedoc.Parse([]byte(marshal(t, part)))
	require.NoError(t, err, "a partial export follows the schema")
	d := sourcedoc.Compare(full, part)
	assert.False(t, d.Identical(), "what could not be read is not claimed identical")
	assert.Contains(t, d.Section(sourcedoc.SectionAttributeSync).Unread, "not readable with your user level")
	assert.Zero(t, d.Count())

	plan, err := sourcedoc.MakePlan(ctx, prod.Tenant, part)
	require.NoError(t, err)
	assert.NotContains(t, operations(plan.Steps), "putSourceAttrSyncConfig")
	assert.Contains(t, strings.Join(plan.Notes, "\n"), "Attribute sync: not in the document")
}
