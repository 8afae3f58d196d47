package bff

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/PuerkitoBio/goquery"
	gbytes "github.com/labstack/gommon/bytes"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2/clientcredentials"

	"sourcedesk/internal/activity"
	"sourcedesk/internal/api"
	"sourcedesk/internal/sandbox"
	"sourcedesk/internal/sourcedoc"
)

// applyForm is the apply form of a plan page, as the browser would post it.
func applyForm(t *testing.T, page string) url.Values {
	t.Helper()
	form := parse(t, strings.NewReader(page)).Find(`[data-testid="apply-form"]`)
	require.Equal(t, 1, form.Length(), "the plan page has an apply form")
	v := url.Values{}
	form.Find(`input[type="hidden"]`).Each(func(_ int, s *goquery.Selection) { v.Set(s.AttrOr("name", ""), s.AttrOr("value", "")) })
	return v
}

// writes counts the calls a tenant received that could change something.
func writes(sb *sandbox.Sandbox) int { return sb.Calls("") - sb.CallsByMethod("GET") }

// The As code tab downloads a source as its document: the format's JSON, no
// secret, a file name from the source's name.
func TestSourceExportDownloadsTheDocument(t *testing.T) {
	env := newTestEnv(t, nil)
	rec := env.do(http.MethodGet, "/sources/"+sandbox.SeedUnhealthySourceID+"/code/export", nil, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Equal(t, "attachment; filename=Corporate_AD__EMEA.source.json", rec.Header().Get("Content-Disposition"))
	assert.Equal(t, "source.source.json", documentFileName(" () "), "a name with nothing safe in it still names the file")
	assert.LessOrEqual(t, len(documentFileName(strings.Repeat("a", 500))), 80+len(".source.json"), "a long name is cut")
	assert.Contains(t, rec.Header().Get("Content-Type"), "application/json")
	doc, err := sourcedoc.Parse(rec.Body.Bytes())
	require.NoError(t, err, "the download is a source document")
	assert.Equal(t, "Corporate AD (EMEA)", doc.Source.Name)
	assert.Equal(t, []string{"password"}, doc.Source.Secrets)
	assert.NotContains(t, rec.Body.String(), ":ENC:")

	tab := env.do(http.MethodGet, "/sources/"+sandbox.SeedUnhealthySourceID+"/code", nil, nil)
	require.Equal(t, http.StatusOK, tab.Code)
	assert.Equal(t, "/sources/"+sandbox.SeedUnhealthySourceID+"/code/export",
		parse(t, tab.Body).Find(`[data-testid="export-download"]`).AttrOr("href", ""))
}

// Compared with production, the sandbox's source differs; the plan made from it,
// reviewed and applied, makes production's the same, and both tenants' logs
// record the promotion.
func TestPromoteFromTheComparisonToIdentical(t *testing.T) {
	e := newTwoTenantEnv(t, nil)
	e.signInTo("sandbox", "admin", "/")
	e.signInTo("production", "admin", "/")
	hr := sandbox.SeedDelimitedSourceID
	compare := "/t/sandbox/sources/" + hr + "/code/compare?" + url.Values{"tenant": {"production"}, "name": {"HR Contractors CSV"}}.Encode()

	rec := e.do(http.MethodGet, compare, nil, map[string]string{"HX-Request": "true", "HX-Target": "compare-result"})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	doc := parse(t, rec.Body)
	assert.Equal(t, "false", doc.Find(`[data-testid="compare"]`).AttrOr("data-identical", ""))
	assert.Equal(t, "Production: HR Contractors CSV", doc.Find(`[data-testid="compare-from"]`).Text())
	assert.Equal(t, "true", doc.Find(`[data-section="nativeChangeDetection"]`).AttrOr("data-same", ""))
	assert.Equal(t, "false", doc.Find(`[data-section="schemas"]`).AttrOr("data-same", ""))
	assert.Contains(t, doc.Find(`[data-section="schemas"]`).Text(), "account › attributes › level")
	planURL := doc.Find(`[data-testid="plan-link"]`).AttrOr("href", "")
	assert.Equal(t, "/t/production/promote?from=sandbox&source="+hr, planURL)

	// The plan, reviewed: nothing sent yet.
	before := writes(e.prod)
	rec = e.do(http.MethodGet, planURL, nil, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	page := rec.Body.String()
	doc = parse(t, strings.NewReader(page))
	assert.Equal(t, "true", doc.Find(`[data-testid="plan"]`).AttrOr("data-ready", ""))
	var ops []string
	doc.Find(`[data-testid="plan-step"]`).Each(func(_ int, s *goquery.Selection) { ops = append(ops, s.AttrOr("data-operation", "")) })
	assert.Equal(t, []string{"updateSource", "putSourceSchema", "putProvisioningPolicy", "updateSourceSchedule", "createSourceSchedule",
		"putCorrelationConfig", "putSourceAttrSyncConfig", "updateSourceEntitlementRequestConfig"}, ops)
	assert.Contains(t, doc.Find(`[data-testid="plan-step-body"]`).First().Text(), sandbox.ProductionID("2c9180857a1b4c2d017a1b4c2d0e0002"),
		"the body names production's own ids")
	assert.Equal(t, before, writes(e.prod), "reviewing sends nothing")

	// Applied: every call done, in order, shown as it goes.
	rec = e.postForm("/t/production/promote/apply", applyForm(t, page), nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	doc = parse(t, rec.Body)
	var states []string
	doc.Find(`[data-testid="apply-step"]`).Each(func(_ int, s *goquery.Selection) { states = append(states, s.AttrOr("data-state", "")) })
	assert.Equal(t, []string{"done", "done", "done", "done", "done", "done", "done", "done"}, states)
	assert.Equal(t, "true", doc.Find(`[data-testid="apply-result"]`).AttrOr("data-ok", ""))
	again := doc.Find(`[data-testid="apply-compare"]`).AttrOr("href", "")
	assert.True(t, strings.HasPrefix(again, "/t/sandbox/sources/"+hr+"/code/compare?"), again)

	rec = e.do(http.MethodGet, again, nil, map[string]string{"HX-Request": "true", "HX-Target": "compare-result"})
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "true", parse(t, rec.Body).Find(`[data-testid="compare"]`).AttrOr("data-identical", ""), "identical after the promotion")

	for _, key := range []string{"sandbox", "production"} {
		es, _, err := e.srv.dash.log.Query(context.Background(), activity.Filter{Tenants: []string{key}, Action: "source.promote"})
		require.NoError(t, err)
		require.Len(t, es, 1, "%s's log records the promotion", key)
		assert.Equal(t, "8", es[0].Details["done"])
	}
}

// A plan is applied only as it was reviewed: when the target changed since, the
// plan is made again and shown, and nothing is sent.
func TestApplyRefusesAPlanTheTargetChangedSince(t *testing.T) {
	e := newTwoTenantEnv(t, nil)
	e.signInTo("sandbox", "admin", "/")
	e.signInTo("production", "admin", "/")
	rec := e.do(http.MethodGet, "/t/production/promote?from=sandbox&source="+sandbox.SeedDelimitedSourceID, nil, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	form := applyForm(t, rec.Body.String())

	// Someone changes production's source meanwhile.
	rec = e.do(http.MethodPost, "/t/production/sources/"+sandbox.ProductionID(sandbox.SeedDelimitedSourceID)+"/schedules/ACCOUNT_AGGREGATION",
		strings.NewReader(url.Values{"cronExpression": {"0 0 5 * * ?"}}.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true"})
	require.Less(t, rec.Code, 300, rec.Body.String())
	before := writes(e.prod)

	rec = e.postForm("/t/production/promote/apply", form, nil)
	assert.Equal(t, http.StatusConflict, rec.Code)
	doc := parse(t, rec.Body)
	assert.Equal(t, 1, doc.Find(`[data-testid="plan-changed"]`).Length(), "says the target changed")
	assert.Equal(t, 1, doc.Find(`[data-testid="apply-form"]`).Length(), "and offers the new plan")
	assert.Equal(t, before, writes(e.prod), "nothing was sent")
}

// A SOURCE_SUBADMIN cannot promote into a source it does not manage, nor a
// helpdesk user into any: the plan is blocked with the reason, and an apply,
// even one carrying the blocked plan's fingerprint, sends nothing.
func TestSubadminCannotPromoteIntoASourceItDoesNotManage(t *testing.T) {
	e := newTwoTenantEnv(t, nil)
	e.signInTo("sandbox", "admin", "/")
	e.signInTo("production", "subadmin", "/")
	roster := sandbox.SeedSubadminSourceID // managed by the subadmin's group in the sandbox, by another in production
	before := writes(e.prod)
	rec := e.do(http.MethodGet, "/t/production/promote?from=sandbox&source="+roster, nil, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	doc := parse(t, rec.Body)
	assert.Equal(t, "false", doc.Find(`[data-testid="plan"]`).AttrOr("data-ready", ""))
	assert.Contains(t, doc.Find(`[data-testid="plan-blocking"]`).Text(), `none of the sources you manage on Production is named "Subadmin Team Roster"`)
	assert.Zero(t, doc.Find(`[data-testid="apply-form"]`).Length(), "no apply form for a blocked plan")
	rec = e.postForm("/t/production/promote/apply", url.Values{"from": {"sandbox"}, "source": {roster}, "fingerprint": {"x"}}, nil)
	assert.Equal(t, http.StatusConflict, rec.Code)
	assert.Equal(t, before, writes(e.prod), "a forged apply sends nothing to production")

	// And a helpdesk user, who may change nothing, is blocked too.
	e.signInTo("production", "helpdesk", "/")
	rec = e.do(http.MethodGet, "/t/production/promote?from=sandbox&source="+sandbox.SeedDelimitedSourceID, nil, nil)
	assert.Contains(t, parse(t, rec.Body).Find(`[data-testid="plan-blocking"]`).Text(), "Your user level on Production (HELPDESK) can change no source.")

	// Posting an apply anyway, a forged form carrying the blocked plan's own
	// fingerprint (the helpdesk user's plan has calls; only what blocks it stops
	// them), is refused: the plan is shown again, blocked, not as changed.
	ctx := context.Background()
	hr := sandbox.SeedDelimitedSourceID
	rec = e.do(http.MethodGet, "/t/sandbox/sources/"+hr+"/code/export", nil, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	src, err := sourcedoc.Parse(rec.Body.Bytes())
	require.NoError(t, err)
	pat := clientcredentials.Config{ClientID: "pat-helpdesk", ClientSecret: "secret-helpdesk", TokenURL: e.prodURL + "/oauth/token"}
	helpdesk, err := api.New(api.Config{BaseURL: e.prodURL, HTTPClient: http.DefaultClient, Limiter: e.sessions.Limiter("production")})
	require.NoError(t, err)
	blocked, err := sourcedoc.MakePlan(ctx, sourcedoc.Tenant{Name: "Production", Client: helpdesk.With(pat.TokenSource(ctx))}, src)
	require.NoError(t, err)
	blocked.Blocking = append(blocked.Blocking, "Your user level on Production (HELPDESK) can change no source.")
	require.NotEmpty(t, blocked.Steps, "the plan has calls to send")
	rec = e.postForm("/t/production/promote/apply", url.Values{"from": {"sandbox"}, "source": {hr}, "fingerprint": {blocked.Fingerprint()}}, nil)
	assert.Equal(t, http.StatusConflict, rec.Code)
	doc = parse(t, rec.Body)
	assert.Zero(t, doc.Find(`[data-testid="plan-changed"]`).Length(), "refused as blocked, not as changed since the review")
	assert.Contains(t, doc.Find(`[data-testid="plan-blocking"]`).Text(), "Your user level on Production (HELPDESK) can change no source.")
	assert.Equal(t, before, writes(e.prod), "nothing was sent to production")
}

// A document uploaded on a source's tab is compared with it and can be applied
// to its tenant; a file that is not a document is refused, saying why.
func TestCompareAndApplyAnUploadedDocument(t *testing.T) {
	e := newTwoTenantEnv(t, nil)
	e.signInTo("sandbox", "admin", "/")
	e.signInTo("production", "admin", "/")
	prodHR := sandbox.ProductionID(sandbox.SeedDelimitedSourceID)
	rec := e.do(http.MethodGet, "/t/production/sources/"+prodHR+"/code/export", nil, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	document := rec.Body.Bytes()

	upload := func(name string, content []byte) *httptest.ResponseRecorder {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, err := mw.CreateFormFile("file", name)
		require.NoError(t, err)
		_, _ = fw.Write(content)
		require.NoError(t, mw.Close())
		return e.do(http.MethodPost, "/t/sandbox/sources/"+sandbox.SeedDelimitedSourceID+"/code/compare", &body,
			map[string]string{"Content-Type": mw.FormDataContentType(), "HX-Request": "true", "HX-Target": "compare-result"})
	}
	rec = upload("hr.source.json", document)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	doc := parse(t, rec.Body)
	assert.Equal(t, "false", doc.Find(`[data-testid="compare"]`).AttrOr("data-identical", ""))
	form := doc.Find(`[data-testid="plan-document-form"]`)
	assert.Equal(t, "/t/sandbox/promote", form.AttrOr("action", ""))
	v := url.Values{}
	form.Find(`input[type="hidden"]`).Each(func(_ int, s *goquery.Selection) { v.Set(s.AttrOr("name", ""), s.AttrOr("value", "")) })
	rec = e.postForm("/t/sandbox/promote", v, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	rec = e.postForm("/t/sandbox/promote/apply", applyForm(t, rec.Body.String()), nil)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "true", parse(t, rec.Body).Find(`[data-testid="apply-result"]`).AttrOr("data-ok", ""))
	rec = upload("hr.source.json", document)
	assert.Equal(t, "true", parse(t, rec.Body).Find(`[data-testid="compare"]`).AttrOr("data-identical", ""), "the sandbox's source is the document now")

	rec = upload("notes.json", []byte(`{"format": "something else"}`))
	assert.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	assert.Contains(t, rec.Body.String(), "notes.json is not a source document: format is &#34;something else&#34;")
	rec = upload("cut.json", document[:len(document)/2])
	assert.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	assert.Contains(t, rec.Body.String(), "cut.json is not a source document: not valid JSON")
	broken := strings.Replace(string(document), `"schedules": [`, `"schedules": 7, "x": [`, 1)
	rec = upload("edited.json", []byte(broken))
	assert.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	assert.Contains(t, rec.Body.String(), "edited.json is not a source document: at /schedules:", "names where the document breaks the format")
}

// Applying stops at the first call that fails: the page marks the calls before
// it done, it failed with ISC's reason, every later one not done (never sent),
// and says so; both tenants' logs record the failed promotion.
func TestApplyStopsAtTheFirstFailureAndSaysWhatWasNotDone(t *testing.T) {
	e := newTwoTenantEnv(t, nil)
	e.signInTo("sandbox", "admin", "/")
	e.signInTo("production", "admin", "/")
	rec := e.do(http.MethodGet, "/t/production/promote?from=sandbox&source="+sandbox.SeedDelimitedSourceID, nil, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	form := applyForm(t, rec.Body.String())

	e.prod.SetFault("updateSourceSchedule", sandbox.Fault{Status: http.StatusInternalServerError})
	rec = e.postForm("/t/production/promote/apply", form, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	doc := parse(t, rec.Body)
	var states []string
	doc.Find(`[data-testid="apply-step"]`).Each(func(_ int, s *goquery.Selection) {
		states = append(states, s.AttrOr("data-operation", "")+" "+s.AttrOr("data-state", ""))
	})
	assert.Equal(t, []string{"updateSource done", "putSourceSchema done", "putProvisioningPolicy done", "updateSourceSchedule failed",
		"createSourceSchedule not-done", "putCorrelationConfig not-done", "putSourceAttrSyncConfig not-done",
		"updateSourceEntitlementRequestConfig not-done"}, states)
	assert.NotEmpty(t, strings.TrimSpace(doc.Find(`[data-testid="apply-error"]`).Text()), "the failure says why")
	result := doc.Find(`[data-testid="apply-result"]`)
	assert.Equal(t, "false", result.AttrOr("data-ok", ""))
	assert.Contains(t, strings.Join(strings.Fields(result.Text()), " "), "Stopped: updateSourceSchedule failed. Done: 3 of 8; not done: 4 (never sent).")
	assert.Zero(t, e.prod.Calls("createSourceSchedule"), "nothing after the failure was sent")

	for _, key := range []string{"sandbox", "production"} {
		es, _, err := e.srv.dash.log.Query(context.Background(), activity.Filter{Tenants: []string{key}, Action: "source.promote"})
		require.NoError(t, err)
		require.Len(t, es, 1, "%s's log records the promotion", key)
		assert.Equal(t, "3", es[0].Details["done"])
		assert.Equal(t, "updateSourceSchedule", es[0].Details["failed"])
		assert.NotEmpty(t, es[0].Error)
	}
}

// A source the target lacks is created by the plan's first call; its secret is
// never copied: the plan lists it as a field to fill in on the target, no call
// carries it, and the applied page says so again and links to the new source.
func TestPromotingASourceTheTargetLacksCreatesItAndListsItsSecrets(t *testing.T) {
	e := newTwoTenantEnv(t, nil)
	e.signInTo("sandbox", "admin", "/")
	e.signInTo("production", "admin", "/")
	const azure = "2c9180887e5f4a1b017e5f4a1b000010" // Azure AD Sandbox, only in the sandbox
	rec := e.do(http.MethodGet, "/t/production/promote?from=sandbox&source="+azure, nil, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	page := rec.Body.String()
	doc := parse(t, strings.NewReader(page))
	assert.Equal(t, 1, doc.Find(`[data-testid="plan-creates"]`).Length(), "says the first call creates it")
	assert.Equal(t, "createSource", doc.Find(`[data-testid="plan-step"]`).First().AttrOr("data-operation", ""))
	assert.Equal(t, "clientSecret", doc.Find(`[data-testid="plan-secrets"] code`).Text())
	assert.NotContains(t, doc.Find(`[data-testid="plan-steps"]`).Text(), "clientSecret", "no call sends the secret")

	rec = e.postForm("/t/production/promote/apply", applyForm(t, page), nil)
	require.Equal(t, http.StatusOK, rec.Code)
	doc = parse(t, rec.Body)
	assert.Equal(t, "true", doc.Find(`[data-testid="apply-result"]`).AttrOr("data-ok", ""))
	assert.Equal(t, "clientSecret", doc.Find(`[data-testid="apply-secrets"] code`).Text())
	link := doc.Find(`[data-testid="apply-source"]`).AttrOr("href", "")
	require.True(t, strings.HasPrefix(link, "/t/production/sources/"), link)
	rec = e.do(http.MethodGet, link, nil, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), "Azure AD Sandbox", "production has the source now")
}

// A source compares with another source of its own tenant, with itself
// (identical), and with a name the other side lacks; comparing with a tenant
// the user is not signed in to says to sign in there first.
func TestCompareWithinATenantAndWithATenantNotSignedIn(t *testing.T) {
	e := newTwoTenantEnv(t, nil)
	e.signInTo("sandbox", "admin", "/")
	hr := sandbox.SeedDelimitedSourceID
	compare := func(tenant, name string) *httptest.ResponseRecorder {
		return e.do(http.MethodGet, "/t/sandbox/sources/"+hr+"/code/compare?"+url.Values{"tenant": {tenant}, "name": {name}}.Encode(), nil,
			map[string]string{"HX-Request": "true", "HX-Target": "compare-result"})
	}
	tab := parse(t, e.do(http.MethodGet, "/t/sandbox/sources/"+hr+"/code", nil, nil).Body)
	var offered []string
	tab.Find(`[data-testid="compare-tenant"] option`).Each(func(_ int, s *goquery.Selection) { offered = append(offered, s.AttrOr("value", "")) })
	assert.Equal(t, []string{"sandbox"}, offered, "only tenants the user is signed in to are offered")

	rec := compare("sandbox", "Interns 2026 CSV")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	doc := parse(t, rec.Body)
	assert.Equal(t, "false", doc.Find(`[data-testid="compare"]`).AttrOr("data-identical", ""))
	assert.Equal(t, "Sandbox: Interns 2026 CSV", doc.Find(`[data-testid="compare-from"]`).Text())
	assert.Contains(t, doc.Find(`[data-section="source"]`).Text(), "description")
	assert.Zero(t, doc.Find(`[data-testid="plan-link"]`).Length(), "no promotion between two sources of one tenant")

	rec = compare("sandbox", "HR Contractors CSV")
	assert.Equal(t, "true", parse(t, rec.Body).Find(`[data-testid="compare"]`).AttrOr("data-identical", ""), "a source is identical to itself")
	rec = compare("sandbox", "No Such Source")
	assert.Equal(t, 1, parse(t, rec.Body).Find(`[data-testid="compare-missing"]`).Length(), "says the other side has no such source")

	rec = compare("production", "HR Contractors CSV")
	assert.Equal(t, http.StatusConflict, rec.Code)
	assert.Contains(t, rec.Body.String(), "Sign in to Production first")
}

// holdTransport holds the first request of one operation (method and a part of
// the path) until release is closed, after saying it was reached; every other
// request goes to the tenant at once.
type holdTransport struct {
	method, part string
	once         sync.Once
	reached      chan struct{}
	release      chan struct{}
}

func (h *holdTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == h.method && strings.Contains(r.URL.Path, h.part) {
		held := false
		h.once.Do(func() { held = true })
		if held {
			close(h.reached)
			<-h.release
		}
	}
	return http.DefaultTransport.RoundTrip(r)
}

// A user who closes the tab (or whose connection drops) while a promotion is
// applied does not leave the target half-promoted: every call of the plan is
// still sent, and the log records the whole promotion.
func TestApplyGoesOnWhenTheClientGoesAway(t *testing.T) {
	e := newTwoTenantEnv(t, nil)
	hold := &holdTransport{method: http.MethodPut, part: "/schemas/",
		reached: make(chan struct{}), release: make(chan struct{})}
	cl, err := api.New(api.Config{BaseURL: e.prodURL, HTTPClient: &http.Client{Transport: hold}, Limiter: e.sessions.Limiter("production")})
	require.NoError(t, err)
	e.srv.cfg.Tenants[1].API = cl
	e.signInTo("sandbox", "admin", "/")
	e.signInTo("production", "admin", "/")
	rec := e.do(http.MethodGet, "/t/production/promote?from=sandbox&source="+sandbox.SeedDelimitedSourceID, nil, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	calls := parse(t, strings.NewReader(rec.Body.String())).Find(`[data-testid="plan-step"]`).Length()
	require.Greater(t, calls, 2, "the plan has calls after the held one")
	form := applyForm(t, rec.Body.String())
	before := writes(e.prod)

	// The apply, from a client that goes away while the schema's call is held.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req := httptest.NewRequest(http.MethodPost, "/t/production/promote/apply", strings.NewReader(form.Encode())).WithContext(ctx)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, vs := range e.headers {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	e.mu.Lock()
	for name, v := range e.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: v})
	}
	e.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.srv.ServeHTTP(httptest.NewRecorder(), req)
	}()
	select {
	case <-hold.reached:
	case <-done:
		t.Fatal("the apply ended without sending the schema's call")
	}
	cancel()
	close(hold.release)
	<-done

	assert.Equal(t, before+calls, writes(e.prod), "every call of the plan reached production")
	es, _, err := e.srv.dash.log.Query(context.Background(), activity.Filter{Tenants: []string{"production"}, Action: "source.promote"})
	require.NoError(t, err)
	require.Len(t, es, 1, "production's log records the promotion")
	assert.Equal(t, strconv.Itoa(calls), es[0].Details["done"])
}

// A document is accepted for comparison only when it can also be planned and
// applied: it travels on in forms the body limit caps, so one whose encoding
// fits the limit (less the form's other fields) goes all the way to a plan, and
// one byte more is refused at upload, naming the limit.
func TestUploadedDocumentMustFitThePromotionForm(t *testing.T) {
	e := newTwoTenantEnv(t, func(c *Config) { c.BodyLimit = "64K" })
	e.signInTo("sandbox", "admin", "/")
	e.signInTo("production", "admin", "/")
	rec := e.do(http.MethodGet, "/t/production/sources/"+sandbox.ProductionID(sandbox.SeedDelimitedSourceID)+"/code/export", nil, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	document := rec.Body.Bytes() // production's HR source, which differs from the sandbox's
	limit, err := gbytes.Parse("64K")
	require.NoError(t, err)
	room := int(limit) - formRoom - len(url.QueryEscape(string(document))) // each space encodes as one byte
	require.Positive(t, room)

	upload := func(content []byte) *httptest.ResponseRecorder {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, err := mw.CreateFormFile("file", "hr.source.json")
		require.NoError(t, err)
		_, _ = fw.Write(content)
		require.NoError(t, mw.Close())
		return e.do(http.MethodPost, "/t/sandbox/sources/"+sandbox.SeedDelimitedSourceID+"/code/compare", &body,
			map[string]string{"Content-Type": mw.FormDataContentType(), "HX-Request": "true", "HX-Target": "compare-result"})
	}
	atLimit := append(append([]byte{}, document...), bytes.Repeat([]byte(" "), room)...)
	rec = upload(atLimit)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	v := url.Values{}
	parse(t, rec.Body).Find(`[data-testid="plan-document-form"] input[type="hidden"]`).Each(func(_ int, s *goquery.Selection) {
		v.Set(s.AttrOr("name", ""), s.AttrOr("value", ""))
	})
	rec = e.postForm("/t/sandbox/promote", v, nil)
	require.Equal(t, http.StatusOK, rec.Code, "the plan's form fits the limit: %s", rec.Body.String())
	apply := applyForm(t, rec.Body.String())
	assert.LessOrEqual(t, int64(len(apply.Encode())), limit, "and so does the apply form")

	rec = upload(append(atLimit, ' '))
	assert.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
	assert.Contains(t, rec.Body.String(), "hr.source.json is too large to promote")
	assert.Contains(t, rec.Body.String(), "its forms are capped at 64K")
}
