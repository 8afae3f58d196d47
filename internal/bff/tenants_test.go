package bff

import (
	"context"
	"io/fs"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"sourcedesk/internal/activity"
	"sourcedesk/internal/api"
	"sourcedesk/internal/sandbox"
	"sourcedesk/internal/session"
	"sourcedesk/web/static"
)

// newTwoTenantEnv is a console with two tenants, "sandbox" (the default, blue)
// and "production" (red), each a sandbox over loopback HTTP seeded as its name
// says, with nobody signed in.
func newTwoTenantEnv(t *testing.T, mutate func(*Config)) *testEnv {
	t.Helper()
	sb, hs := newTestSandbox(t)
	// Production also takes a personal access token per demo user ("pat-" and
	// "secret-" + username), so a test can read it as any of them directly.
	clients := []sandbox.Client{{ID: testClientID, Secret: testClientSecret, RedirectURIs: []string{testRedirectURI}}}
	for _, u := range sandbox.DemoUsers() {
		clients = append(clients, sandbox.Client{ID: "pat-" + u.Username, Secret: "secret-" + u.Username, PATOwner: u.Username})
	}
	prod := sandbox.New(sandbox.Config{Seed: sandbox.SeedProduction, TaskStep: 20 * time.Millisecond, Clients: clients})
	phs := httptest.NewServer(prod.Handler())
	t.Cleanup(phs.Close)
	client := func(base string) *oauth2.Config {
		return &oauth2.Config{ClientID: testClientID, ClientSecret: testClientSecret, RedirectURL: testRedirectURI,
			Endpoint: oauth2.Endpoint{AuthURL: base + "/oauth/authorize", TokenURL: base + "/oauth/token"}}
	}
	mgr, err := session.New(context.Background(), session.Config{
		Store: "memory", Keys: [][]byte{testSessionKey}, HTTPClient: hs.Client(),
		Tenants: []session.Tenant{{Key: "sandbox", OAuth2: client(hs.URL)}, {Key: "production", OAuth2: client(phs.URL)}},
	})
	require.NoError(t, err)
	t.Cleanup(func() { mgr.Close() })
	apiOf := func(base string, key string) *api.Client {
		cl, err := api.New(api.Config{BaseURL: base, HTTPClient: hs.Client(), Limiter: mgr.Limiter(key)})
		require.NoError(t, err)
		return cl
	}
	srv := newTestServer(t, func(c *Config) {
		c.Tenants = []Tenant{
			{Key: "sandbox", Name: "Sandbox", Color: "blue", API: apiOf(hs.URL, "sandbox")},
			{Key: "production", Name: "Production", Color: "red", API: apiOf(phs.URL, "production")},
		}
		c.Sessions = mgr
		if mutate != nil {
			mutate(c)
		}
	})
	return &testEnv{t: t, srv: srv, sandbox: sb, sbURL: hs.URL, prod: prod, prodURL: phs.URL, sessions: mgr,
		headers: http.Header{}, cookies: map[string]string{}}
}

// signInTo signs in to tenant key as username through that tenant's login page
// and follows the bounce to next; it returns where the sign-in led.
func (e *testEnv) signInTo(key, username, next string) string {
	e.t.Helper()
	rec := e.do(http.MethodGet, "/t/"+key+"/login?next="+url.QueryEscape(next), nil, nil)
	require.Equal(e.t, http.StatusFound, rec.Code, rec.Body.String())
	base := e.sbURL
	if key == "production" {
		base = e.prodURL
	}
	require.True(e.t, strings.HasPrefix(rec.Header().Get("Location"), base+"/oauth/authorize"), "the %s tenant's login page", key)
	cb := sandboxLogin(e.t, base, rec.Header().Get("Location"), username)
	rec = e.do(http.MethodGet, cb.RequestURI(), nil, nil)
	require.Equal(e.t, http.StatusOK, rec.Code, "callback")
	doc := parse(e.t, rec.Body)
	landed := doc.Find(`[data-testid="bounce-next"]`).AttrOr("href", "")
	e.headers.Set("X-CSRF-Token", e.pageCSRFToken("/t/"+key))
	return landed
}

// addresses lists the same-origin addresses a page links, posts or loads.
func addresses(doc *goquery.Document) []string {
	var out []string
	doc.Find("[href], [action], [formaction], [hx-get], [hx-post], [hx-put], [hx-patch], [hx-delete]").Each(func(_ int, s *goquery.Selection) {
		for _, a := range []string{"href", "action", "formaction", "hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete"} {
			if v, ok := s.Attr(a); ok && strings.HasPrefix(v, "/") && !strings.HasPrefix(v, "//") {
				out = append(out, v)
			}
		}
	})
	return out
}

// Every address a tenant's page leads to carries that tenant, so a tab on one
// tenant never wanders into another; only the addresses that belong to no tenant
// (static files, sign-out, the cron previewer) do not.
func TestEveryAddressOfATenantsPageCarriesTheTenant(t *testing.T) {
	e := newTwoTenantEnv(t, nil)
	assert.Equal(t, "/t/sandbox/sources", e.signInTo("sandbox", "admin", "/sources"))
	assert.Equal(t, "/t/production", e.signInTo("production", "admin", ""), "a sign-in without next lands on the tenant's home")
	prodSource := "/sources/" + sandbox.ProductionID(sandbox.SeedUnhealthySourceID)
	for _, page := range []string{"/t/production", "/t/production/sources", "/t/production" + prodSource, "/t/production" + prodSource + "/schedules", "/t/production/activity"} {
		rec := e.do(http.MethodGet, page, nil, nil)
		require.Equal(t, http.StatusOK, rec.Code, page)
		addrs := addresses(parse(t, rec.Body))
		require.NotEmpty(t, addrs, page)
		for _, a := range addrs {
			if globalPath(a) && !strings.HasPrefix(a, "/t/") {
				continue
			}
			assert.True(t, strings.HasPrefix(a, "/t/production") || a == "/t/sandbox" || strings.HasPrefix(a, "/t/sandbox/login"),
				"%s leads to %s", page, a)
		}
	}
	// A fragment htmx swaps in carries it too.
	rec := e.do(http.MethodGet, "/t/production/sources?q=Corp", nil, map[string]string{"HX-Request": "true"})
	require.Equal(t, http.StatusOK, rec.Code)
	for _, a := range addresses(parse(t, rec.Body)) {
		assert.True(t, strings.HasPrefix(a, "/t/production"), "fragment address %s", a)
	}
	// So does where an action sends the browser (HX-Location, Location).
	rec = e.do(http.MethodPost, "/t/production/sources/"+sandbox.ProductionID(sandbox.SeedUncheckedSourceID)+"/schedules?type=GROUP_AGGREGATION",
		strings.NewReader(url.Values{"cronExpression": {"0 0 4 * * ?"}}.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if loc := goneTo(t, rec.Header()); loc != "" {
		assert.True(t, strings.HasPrefix(loc, "/t/production/"), "after an action: %s", loc)
	}
}

// Two tabs of one browser on two tenants never mix: each address shows its own
// tenant's data, as the user signed in there, under that tenant's ids.
func TestTwoTabsOnTwoTenantsNeverMix(t *testing.T) {
	e := newTwoTenantEnv(t, nil)
	e.signInTo("sandbox", "admin", "/")
	e.signInTo("production", "helpdesk", "/")

	sbx := e.do(http.MethodGet, "/t/sandbox/sources", nil, nil)
	prod := e.do(http.MethodGet, "/t/production/sources", nil, nil)
	require.Equal(t, http.StatusOK, sbx.Code)
	require.Equal(t, http.StatusOK, prod.Code)
	assert.Contains(t, sbx.Body.String(), "Interns 2026 CSV", "a source only the sandbox has")
	assert.NotContains(t, prod.Body.String(), "Interns 2026 CSV")
	assert.Contains(t, sbx.Body.String(), sandbox.SeedDelimitedSourceID)
	assert.Contains(t, prod.Body.String(), sandbox.ProductionID(sandbox.SeedDelimitedSourceID), "production's own ids")
	assert.NotContains(t, prod.Body.String(), sandbox.SeedDelimitedSourceID)

	nav := func(body string) (user, tenant, class string) {
		doc := parse(t, strings.NewReader(body))
		cur := doc.Find(`[data-testid="tenant-current"]`)
		return doc.Find(`[data-testid="nav-user"]`).Text(), cur.AttrOr("data-tenant", ""), cur.Find("span").AttrOr("class", "")
	}
	user, tenant, class := nav(sbx.Body.String())
	assert.Contains(t, user, "ORG_ADMIN")
	assert.Equal(t, "sandbox", tenant)
	assert.Contains(t, class, "sd-tenant-blue")
	user, tenant, class = nav(prod.Body.String())
	assert.Contains(t, user, "HELPDESK", "the user level is the tenant's")
	assert.Equal(t, "production", tenant)
	assert.Contains(t, class, "sd-tenant-red", "production in red")

	// The helpdesk user may change nothing on production, the admin everything on the sandbox.
	form := url.Values{"cronExpression": {"0 0 4 * * ?"}}.Encode()
	hdr := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true"}
	rec := e.do(http.MethodPost, "/t/production/sources/"+sandbox.ProductionID(sandbox.SeedUncheckedSourceID)+"/schedules?type=GROUP_AGGREGATION", strings.NewReader(form), hdr)
	assert.Equal(t, http.StatusForbidden, rec.Code)
	rec = e.do(http.MethodPost, "/t/sandbox/sources/"+sandbox.SeedUncheckedSourceID+"/schedules?type=GROUP_AGGREGATION", strings.NewReader(form), hdr)
	assert.Less(t, rec.Code, 300, rec.Body.String())
}

// An address without its tenant is the default tenant's: a page asked for so is
// redirected to carry it; an unknown tenant is a 404; what belongs to no tenant
// stays where it is.
func TestAnAddressWithoutItsTenantIsTheDefaultTenants(t *testing.T) {
	e := newTwoTenantEnv(t, nil)
	e.signInTo("sandbox", "admin", "/")
	rec := e.do(http.MethodGet, "/sources?q=HR", nil, nil)
	assert.Equal(t, http.StatusFound, rec.Code)
	assert.Equal(t, "/t/sandbox/sources?q=HR", rec.Header().Get("Location"))
	rec = e.do(http.MethodGet, "/", nil, nil)
	assert.Equal(t, "/t/sandbox", rec.Header().Get("Location"))
	rec = e.do(http.MethodGet, "/t/staging/sources", nil, nil)
	assert.Equal(t, http.StatusNotFound, rec.Code)
	rec = e.do(http.MethodGet, "/cron?expr=0+0+12+*+*+%3F", nil, nil)
	assert.Equal(t, http.StatusOK, rec.Code, "the cron previewer belongs to no tenant")
	rec = e.do(http.MethodGet, "/t/sandbox/sources/", nil, nil)
	assert.Equal(t, http.StatusMovedPermanently, rec.Code)
	assert.Equal(t, "/t/sandbox/sources", rec.Header().Get("Location"), "the trailing slash is dropped, the tenant kept")
	rec = e.do(http.MethodGet, "/t/production/sources", nil, nil)
	assert.Equal(t, http.StatusSeeOther, rec.Code, "not signed in to production")
	assert.Equal(t, "/t/production/login?next=%2Ft%2Fproduction%2Fsources", rec.Header().Get("Location"))
}

// The activity log records the tenant of every entry and shows each tenant's own.
func TestEachTenantHasItsOwnActivityLog(t *testing.T) {
	e := newTwoTenantEnv(t, nil)
	e.signInTo("sandbox", "admin", "/")
	e.signInTo("production", "admin", "/")
	form := url.Values{"cronExpression": {"0 0 4 * * ?"}}.Encode()
	hdr := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true"}
	rec := e.do(http.MethodPost, "/t/production/sources/"+sandbox.ProductionID(sandbox.SeedUncheckedSourceID)+"/schedules?type=GROUP_AGGREGATION", strings.NewReader(form), hdr)
	require.Less(t, rec.Code, 300, rec.Body.String())

	entries, _, err := e.srv.dash.log.Query(context.Background(), activity.Filter{Action: "schedule.create"})
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, "production", entries[0].Tenant)
	prod := e.do(http.MethodGet, "/t/production/activity", nil, nil).Body.String()
	sbx := e.do(http.MethodGet, "/t/sandbox/activity", nil, nil).Body.String()
	assert.Contains(t, prod, sandbox.ProductionID(sandbox.SeedUncheckedSourceID))
	assert.NotContains(t, sbx, sandbox.ProductionID(sandbox.SeedUncheckedSourceID), "the sandbox's log shows none of production's changes")
	assert.Contains(t, sbx, "sign-in")

	// Signing out ends both tenants, and each log says so.
	rec = e.do(http.MethodPost, "/logout", nil, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	for _, key := range []string{"sandbox", "production"} {
		out, _, err := e.srv.dash.log.Query(context.Background(), activity.Filter{Action: "sign-out"})
		require.NoError(t, err)
		found := false
		for _, en := range out {
			found = found || en.Tenant == key
		}
		assert.True(t, found, "%s's log records the sign-out", key)
	}
	assert.Equal(t, http.StatusSeeOther, e.do(http.MethodGet, "/t/production/sources", nil, nil).Code)
	assert.Equal(t, http.StatusSeeOther, e.do(http.MethodGet, "/t/sandbox/sources", nil, nil).Code)
}

// Answers shared between users (the read cache) stay within their tenant: the
// same user level on two tenants reads two lists, and a change made on one
// tenant through the console (a promotion to production) has that tenant's list
// read again while the other keeps serving its copy.
func TestSharedReadsStayWithinTheirTenant(t *testing.T) {
	e := newTwoTenantEnv(t, nil)
	e.signInTo("sandbox", "admin", "/")
	e.signInTo("production", "admin", "/")
	for range 2 { // the second time from the copies
		assert.Contains(t, e.do(http.MethodGet, "/t/sandbox/sources", nil, nil).Body.String(), "Interns 2026 CSV")
		assert.NotContains(t, e.do(http.MethodGet, "/t/production/sources", nil, nil).Body.String(), "Interns 2026 CSV",
			"production has no such source, whatever the sandbox's copy says")
	}

	// A change on production: the sandbox's HR source promoted to it.
	rec := e.do(http.MethodGet, "/t/production/promote?from=sandbox&source="+sandbox.SeedDelimitedSourceID, nil, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	rec = e.postForm("/t/production/promote/apply", applyForm(t, rec.Body.String()), nil)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "true", parse(t, rec.Body).Find(`[data-testid="apply-result"]`).AttrOr("data-ok", ""))

	calls := e.sandbox.Calls("listSources")
	assert.Contains(t, e.do(http.MethodGet, "/t/sandbox/sources", nil, nil).Body.String(), "Interns 2026 CSV")
	assert.Equal(t, calls, e.sandbox.Calls("listSources"), "the sandbox's list is still served from its copy")
	calls = e.prod.Calls("listSources")
	e.do(http.MethodGet, "/t/production/sources", nil, nil)
	assert.Equal(t, calls+1, e.prod.Calls("listSources"), "production's list is read again after the change")
}

// TestEveryTenantColourKeepsItsNameReadable: the nav writes the tenant's name in
// white on the colour its configuration gives it; every colour offered keeps that
// text at WCAG AA contrast (4.5:1), so no configuration makes the name unreadable.
func TestEveryTenantColourKeepsItsNameReadable(t *testing.T) {
	css, err := fs.ReadFile(static.FS(), "css/app.css")
	require.NoError(t, err)
	luminance := func(hex string) float64 {
		var rgb [3]float64
		for i := range rgb {
			v, err := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
			require.NoError(t, err, hex)
			c := float64(v) / 255
			if c <= 0.03928 {
				rgb[i] = c / 12.92
			} else {
				rgb[i] = math.Pow((c+0.055)/1.055, 2.4)
			}
		}
		return 0.2126*rgb[0] + 0.7152*rgb[1] + 0.0722*rgb[2]
	}
	for _, colour := range TenantColors {
		m := regexp.MustCompile(`\.sd-tenant-` + colour + ` \{ background: (#[0-9a-fA-F]{6}); \}`).FindSubmatch(css)
		require.NotNil(t, m, "app.css gives .sd-tenant-%s a background", colour)
		ratio := 1.05 / (luminance(string(m[1])) + 0.05)
		assert.GreaterOrEqual(t, ratio, 4.5, "white on %s (%s)", colour, m[1])
	}
}
