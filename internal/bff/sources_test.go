package bff

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/sandbox"
)

// hxTo is the headers of an htmx request that targets the element with id target.
func hxTo(target string) map[string]string {
	return map[string]string{"HX-Request": "true", "HX-Target": target}
}

// postForm sends an urlencoded form through the console as htmx does.
func (e *testEnv) postForm(path string, form url.Values, headers map[string]string) *httptest.ResponseRecorder {
	e.t.Helper()
	h := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	for k, v := range headers {
		h[k] = v
	}
	return e.do(http.MethodPost, path, strings.NewReader(form.Encode()), h)
}

func rowNames(doc *goquery.Document) []string {
	var names []string
	doc.Find(`[data-testid="source-row"] [data-testid="source-link"]`).Each(func(_ int, s *goquery.Selection) {
		names = append(names, s.Text())
	})
	return names
}

func body(t *testing.T, rec *httptest.ResponseRecorder) *goquery.Document {
	t.Helper()
	return parse(t, strings.NewReader(rec.Body.String()))
}

// assertPageOrFragment checks what every page route must get right: Vary, and a full
// page (the layout, with its footer) only for non-htmx requests.
func assertPageOrFragment(t *testing.T, rec *httptest.ResponseRecorder, wantFull bool) *goquery.Document {
	t.Helper()
	assert.Contains(t, rec.Header().Values("Vary"), "HX-Request")
	doc := body(t, rec)
	assert.Equal(t, wantFull, doc.Find(`footer [data-testid="version"]`).Length() == 1, "full page iff not htmx")
	return doc
}

func TestSourcesListPageAndFragments(t *testing.T) {
	env := newTestEnv(t, nil)
	for _, tc := range []struct {
		name        string
		headers     map[string]string
		wantFull    bool
		wantFilters bool
	}{
		{"full page", nil, true, true},
		{"htmx navigation gets the list body", hxTo("main"), false, true},
		{"htmx filter gets only the results", hxTo("sources-results"), false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := env.do(http.MethodGet, "/sources", nil, tc.headers)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			assert.Contains(t, rec.Header().Values("Vary"), "HX-Target")
			doc := assertPageOrFragment(t, rec, tc.wantFull)
			assert.Equal(t, tc.wantFilters, doc.Find(`[data-testid="sources-filter"]`).Length() == 1)
			assert.Equal(t, "39", doc.Find(`[data-testid="sources-total"]`).Text(), "total from X-Total-Count (IdentityNow source hidden)")
			assert.Len(t, rowNames(doc), 25, "default page size")
			assert.Equal(t, 1, doc.Find(`[data-testid="page-next"]`).Length())
		})
	}
}

func TestSourcesListFilterSortPage(t *testing.T) {
	env := newTestEnv(t, nil)
	get := func(target string) *goquery.Document {
		t.Helper()
		rec := env.do(http.MethodGet, target, nil, hxTo("sources-results"))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		return body(t, rec)
	}
	t.Run("search by name", func(t *testing.T) {
		doc := get("/sources?q=okta")
		assert.Equal(t, []string{"Okta Customer Identity", "Okta Partners", "Okta Workforce"}, rowNames(doc))
	})
	t.Run("sort descending by name", func(t *testing.T) {
		doc := get("/sources?q=okta&sort=-name")
		assert.Equal(t, []string{"Okta Workforce", "Okta Partners", "Okta Customer Identity"}, rowNames(doc))
		th := doc.Find(`[data-testid="sort-name"]`).Parent()
		assert.Equal(t, "descending", th.AttrOr("aria-sort", ""))
		href := doc.Find(`[data-testid="sort-name"]`).AttrOr("href", "")
		assert.Contains(t, href, "q=okta", "a sort link keeps the filters")
		assert.NotContains(t, href, "sort=", "clicking the sorted column again goes back to the default (ascending name)")
		assert.Equal(t, "-name", doc.Find(`[data-testid="sort-state"]`).AttrOr("value", ""), "the sort is kept for the next filter change")
		rec := env.do(http.MethodGet, "/sources?q=okta&type=&status=&sort=-name&size=25", nil, hxTo("sources-results"))
		assert.Equal(t, "/sources?q=okta&sort=-name", rec.Header().Get("HX-Push-Url"), "the address bar gets the canonical URL")
	})
	t.Run("filters", func(t *testing.T) {
		doc := get("/sources?status=unhealthy&conn=direct&size=50")
		names := rowNames(doc)
		assert.Contains(t, names, "Corporate AD (EMEA)")
		assert.NotContains(t, names, "Vendor Access CSV", "file sources are filtered out")
		doc.Find(`[data-testid="source-row"] [data-testid="status-badge"]`).Each(func(_ int, s *goquery.Selection) {
			assert.Equal(t, "unhealthy", s.AttrOr("data-state", ""))
			assert.NotEmpty(t, s.AttrOr("title", ""), "the reason is on hover")
			assert.Contains(t, s.Text(), "Unhealthy", "status in words, not colour alone")
		})
		doc = get("/sources?auth=true")
		assert.Equal(t, []string{"Workday HR"}, rowNames(doc))
		doc = get("/sources?type=Delimited&owner=2c9180857a1b4c2d017a1b4c2d0e0011&size=10")
		assert.Equal(t, []string{`O'Brien "HR" feed`}, rowNames(doc))
	})
	t.Run("filter input cannot change the filter's structure", func(t *testing.T) {
		doc := get("/sources?" + url.Values{"q": {`x" or name co "`}}.Encode())
		assert.Empty(t, rowNames(doc))
		assert.Equal(t, 1, doc.Find(`[data-testid="sources-empty"]`).Length())
		assert.Contains(t, doc.Find(`[data-testid="sources-empty"]`).Text(), "Clear the filters", "the empty state says what to do")
	})
	t.Run("paging", func(t *testing.T) {
		doc := get("/sources?size=10&page=4")
		assert.Len(t, rowNames(doc), 9)
		assert.Contains(t, doc.Find(`[data-testid="sources-count"]`).Text(), "31–39 of")
		assert.Equal(t, 0, doc.Find(`[data-testid="page-next"]`).Length())
		assert.Contains(t, doc.Find(`[data-testid="page-prev"]`).AttrOr("href", ""), "page=3")
		doc = get("/sources?size=10&page=9")
		assert.Contains(t, doc.Find(`[data-testid="sources-empty"]`).Text(), "first page")
	})
}

func TestSourcesListRejectsBadParams(t *testing.T) {
	env := newTestEnv(t, nil)
	for _, tc := range []struct{ query, want string }{
		{"sort=password", "cannot be sorted by"},
		{"size=1000", "page size must be one of"},
		{"page=0", "page must be a whole number"},
		{"page=abc", "page must be a whole number"},
		{"status=broken", "Unknown status filter"},
		{"conn=ftp", "Unknown connection type"},
		{"auth=maybe", "must be true or false"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			env.sandbox.ResetCalls()
			rec := env.do(http.MethodGet, "/sources?"+tc.query, nil, nil)
			assert.Equal(t, http.StatusBadRequest, rec.Code)
			assert.Contains(t, rec.Body.String(), tc.want)
			assert.Zero(t, env.sandbox.Calls(""), "checked before any upstream call")
			rec = env.do(http.MethodGet, "/sources?"+tc.query, nil, hxTo("sources-results"))
			assert.Equal(t, http.StatusBadRequest, rec.Code)
			assert.Equal(t, "#alerts", rec.Header().Get("HX-Retarget"))
		})
	}
}

func TestSourcesListUpstreamErrors(t *testing.T) {
	env := newTestEnv(t, nil)
	env.sandbox.SetFault("listSources", sandbox.Fault{Force429: 10, RetryAfter: 7})
	rec := env.do(http.MethodGet, "/sources", nil, hxTo("sources-results"))
	assert.Equal(t, http.StatusTooManyRequests, rec.Code)
	doc := body(t, rec)
	assert.Contains(t, doc.Find(`[data-testid="alert"]`).Text(), "Retrying in 7 s")
	assert.Equal(t, 1, doc.Find(`[data-testid="retry"]`).Length(), "a retry control")
	env.sandbox.ClearFaults()
	env.sandbox.SetFault("listSources", sandbox.Fault{Status: http.StatusForbidden})
	rec = env.do(http.MethodGet, "/sources", nil, nil)
	assert.Equal(t, http.StatusForbidden, rec.Code)
	assert.Contains(t, rec.Body.String(), "Your user level cannot do this")
}

func TestSourcesExportCSV(t *testing.T) {
	env := newTestEnv(t, nil)
	rec := env.do(http.MethodGet, "/sources/export.csv?q=CSV&sort=-name", nil, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Header().Get("Content-Type"), "text/csv")
	assert.Contains(t, rec.Header().Get("Content-Disposition"), "attachment")
	lines := strings.Split(strings.TrimSpace(strings.TrimPrefix(rec.Body.String(), "\ufeff")), "\n")
	require.Greater(t, len(lines), 3)
	assert.True(t, strings.HasPrefix(lines[0], "id,name,type"))
	assert.Contains(t, lines[1], "Vendor Access CSV", "sorted as the list is")
	rec = env.do(http.MethodGet, "/sources/export.csv?size=0", nil, nil)
	assert.Equal(t, http.StatusBadRequest, rec.Code, "the same checks as the list")
}

func TestSourcesBulkTestConnection(t *testing.T) {
	env := newTestEnv(t, nil)
	form := url.Values{"id": {sandbox.SeedDelimitedSourceID, sandbox.SeedUnhealthySourceID, sandbox.SeedXSSSourceID}}
	rec := env.postForm("/sources/bulk/test-connection", form, htmxHeaders)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	doc := body(t, rec)
	results := map[string]string{}
	doc.Find(`[data-testid="bulk-row"]`).Each(func(_ int, s *goquery.Selection) {
		results[s.AttrOr("data-source-id", "")] = s.AttrOr("data-ok", "")
	})
	assert.Equal(t, map[string]string{
		sandbox.SeedDelimitedSourceID: "Yes",
		sandbox.SeedUnhealthySourceID: "No",
		sandbox.SeedXSSSourceID:       "Yes",
	}, results)
	assert.Contains(t, doc.Find(`[data-testid="bulk-outcome"] header`).Text(), "2 of 3 succeeded")
	assert.Zero(t, doc.Find("img").Length(), "the XSS-named source is text")

	rec = env.postForm("/sources/bulk/test-connection", url.Values{}, htmxHeaders)
	assert.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	assert.Contains(t, rec.Body.String(), "Select at least one source")
}

func TestSourcesBulkAggregateLinksTasks(t *testing.T) {
	env := newTestEnv(t, nil)
	form := url.Values{"id": {sandbox.SeedAuthoritativeSourceID, sandbox.SeedDelimitedSourceID}}
	rec := env.postForm("/sources/bulk/aggregate", form, htmxHeaders)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	doc := body(t, rec)
	row := doc.Find(`[data-testid="bulk-row"][data-source-id="` + sandbox.SeedAuthoritativeSourceID + `"]`)
	assert.Equal(t, "Yes", row.AttrOr("data-ok", ""))
	assert.Contains(t, row.Find("a[href^='/tasks/']").AttrOr("href", ""), "?source="+sandbox.SeedAuthoritativeSourceID)
	row = doc.Find(`[data-testid="bulk-row"][data-source-id="` + sandbox.SeedDelimitedSourceID + `"]`)
	assert.Equal(t, "No", row.AttrOr("data-ok", ""), "a Delimited File source needs a file: ISC's 400 is shown per row")
	assert.Equal(t, 2, env.sandbox.Calls("importAccounts"), "never repeated")
}

// TestSourcesXSSNameIsText: hostile source names (markup, htmx attributes) are text in the list, the detail page and every partial.
func TestSourcesXSSNameIsText(t *testing.T) {
	env := newTestEnv(t, nil)
	paths := []struct {
		path    string
		headers map[string]string
	}{
		{"/sources?q=onerror", nil},
		{"/sources?q=onerror", hxTo("sources-results")},
		{"/sources?q=hx-get", nil},
		{"/sources/" + sandbox.SeedXSSSourceID, nil},
		{"/sources/" + sandbox.SeedXSSSourceID, hxTo("source-tab")},
		{"/sources/" + sandbox.SeedXSSSourceID + "/configuration", nil},
		{"/sources/" + sandbox.SeedXSSSourceID + "/configuration", hxTo("source-tab")},
		{"/sources/" + sandbox.SeedHTMXSourceID, nil},
		{"/sources/" + sandbox.SeedHTMXSourceID + "/configuration", nil},
	}
	for _, p := range paths {
		t.Run(p.path+" "+p.headers["HX-Target"], func(t *testing.T) {
			rec := env.do(http.MethodGet, p.path, nil, p.headers)
			require.Equal(t, http.StatusOK, rec.Code)
			assert.NotContains(t, rec.Body.String(), sandbox.SeedXSSSourceName)
			assert.NotContains(t, rec.Body.String(), sandbox.SeedHTMXSourceName)
			doc := body(t, rec)
			assert.Zero(t, doc.Find("img").Length(), "no <img> from a name")
			assert.Zero(t, doc.Find(`[hx-get="/logout"]`).Length(), "no element from a name")
			assert.Zero(t, doc.Find("[onerror]").Length())
		})
	}
	doc := body(t, env.do(http.MethodGet, "/sources/"+sandbox.SeedXSSSourceID, nil, nil))
	assert.Equal(t, sandbox.SeedXSSSourceName, doc.Find(`[data-testid="source-name"]`).Text(), "shown as the literal text")
	assert.Contains(t, doc.Find("title").Text(), sandbox.SeedXSSSourceName)
}

func TestSourceShellAndTabs(t *testing.T) {
	env := newTestEnv(t, nil)
	base := "/sources/" + sandbox.SeedDelimitedSourceID
	for _, tc := range []struct {
		name      string
		path      string
		headers   map[string]string
		wantFull  bool
		wantShell bool
		tab       string
	}{
		{"overview page", base, nil, true, true, "overview"},
		{"overview htmx into main", base, hxTo("main"), false, true, "overview"},
		{"overview tab only", base, hxTo("source-tab"), false, false, "overview"},
		{"configuration page", base + "/configuration", nil, true, true, "configuration"},
		{"configuration tab only", base + "/configuration", hxTo("source-tab"), false, false, "configuration"},
		{"boosted gets the page", base + "/configuration", map[string]string{"HX-Request": "true", "HX-Boosted": "true", "HX-Target": "source-tab"}, true, true, "configuration"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := env.do(http.MethodGet, tc.path, nil, tc.headers)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			assert.Contains(t, rec.Header().Values("Vary"), "HX-Target")
			doc := assertPageOrFragment(t, rec, tc.wantFull)
			assert.Equal(t, tc.wantShell, doc.Find(`[data-testid="source-shell"]`).Length() == 1)
			cur := doc.Find(`[data-testid="source-tabs"] a[aria-current="page"]`)
			require.Equal(t, 1, cur.Length(), "exactly one current tab")
			assert.Equal(t, "tab-"+tc.tab, cur.AttrOr("data-testid", ""))
			assert.Equal(t, 1, cur.Find("strong").Length(), "the current tab is marked by more than colour")
			if !tc.wantShell {
				assert.Equal(t, "true", doc.Find(`[data-testid="source-tabs"]`).AttrOr("hx-swap-oob", ""), "the tab list is swapped out of band")
			}
			tabs := doc.Find(`[data-testid="source-tabs"] a[data-testid^="tab-"]`)
			assert.Equal(t, 14, tabs.Length())
			cfg := doc.Find(`[data-testid="tab-configuration"]`)
			assert.Equal(t, base+"/configuration", cfg.AttrOr("href", ""), "tabs work without JavaScript")
			assert.Equal(t, "#source-tab", cfg.AttrOr("hx-target", ""))
			assert.Equal(t, "true", cfg.AttrOr("hx-push-url", ""))
		})
	}
	t.Run("shell header", func(t *testing.T) {
		doc := body(t, env.do(http.MethodGet, base, nil, nil))
		assert.Equal(t, "HR Contractors CSV", doc.Find(`[data-testid="source-name"]`).Text())
		assert.Equal(t, "DelimitedFile", doc.Find(`[data-testid="source-type"]`).Text())
		assert.Equal(t, "healthy", doc.Find(`[data-testid="source-shell"] hgroup [data-testid="status-badge"]`).AttrOr("data-state", ""))
	})
	t.Run("unknown source", func(t *testing.T) {
		rec := env.do(http.MethodGet, "/sources/2c9180887e5f4a1b017e5f4a1bffffff", nil, nil)
		assert.Equal(t, http.StatusNotFound, rec.Code)
		rec = env.do(http.MethodGet, "/sources/bad%20id", nil, hxTo("source-tab"))
		assert.Equal(t, http.StatusNotFound, rec.Code)
		assert.Equal(t, "#alerts", rec.Header().Get("HX-Retarget"))
	})
}

// TestSourceOverview: the overview's first paint needs the source alone; the
// health and the connections load as parts of their own, and a failed part says
// so in place, with a retry, while the rest of the page shows.
func TestSourceOverview(t *testing.T) {
	env := newTestEnv(t, noSharedReads)
	id := sandbox.SeedBlockedDeleteSourceID
	env.sandbox.ResetCalls()
	doc := body(t, env.do(http.MethodGet, "/sources/"+id, nil, hxTo("source-tab")))
	assert.Equal(t, map[string]int{"getSource": 1}, env.sandbox.CallCounts(), "first paint: one call")
	env.sandbox.ResetCalls()
	page := body(t, env.do(http.MethodGet, "/sources/"+id, nil, nil))
	assert.Equal(t, map[string]int{"getSource": 1}, env.sandbox.CallCounts(), "the whole page, shell included: one call")
	assert.Equal(t, 1, page.Find(`[data-testid="source-shell"] [data-testid="lazy-health"]`).Length(), "its parts come after")
	ov := doc.Find(`[data-testid="source-overview"]`)
	require.Equal(t, 1, ov.Length())
	assert.NotEmpty(t, ov.Find(`[data-testid="source-owner"]`).Text())
	assert.Contains(t, ov.Find(`[data-testid="source-fields"]`).Text(), "Connector class")
	assert.Equal(t, 1, ov.Find("[data-autofocus]").Length(), "focus moves to the new tab")
	for _, part := range []string{"health", "connections"} {
		lazy := ov.Find(`[data-testid="source-` + part + `"] [data-testid="lazy-` + part + `"]`)
		require.Equal(t, 1, lazy.Length(), part)
		assert.Equal(t, "/sources/"+id+"/"+part, lazy.AttrOr("hx-get", ""))
		assert.Equal(t, "load", lazy.AttrOr("hx-trigger", ""))
		assert.Equal(t, "true", lazy.Find("[aria-busy]").AttrOr("aria-busy", ""), "said to be loading")
		assert.Equal(t, "polite", ov.Find(`[data-testid="source-`+part+`"]`).AttrOr("aria-live", ""), "announced when it arrives")
	}

	env.sandbox.ResetCalls()
	health := body(t, env.do(http.MethodGet, "/sources/"+id+"/health", nil, htmxHeaders))
	assert.Contains(t, health.Find(`[data-testid="health-part"]`).Text(), "Healthy")
	conns := body(t, env.do(http.MethodGet, "/sources/"+id+"/connections", nil, htmxHeaders))
	assert.Contains(t, conns.Find(`[data-testid="connections-part"]`).Text(), "Identity profiles")
	assert.Equal(t, map[string]int{"getSourceHealth": 1, "getSourceConnections": 1}, env.sandbox.CallCounts(), "one call each")

	env.sandbox.SetFault("getSourceHealth", sandbox.Fault{Status: http.StatusInternalServerError})
	rec := env.do(http.MethodGet, "/sources/"+id+"/health", nil, htmxHeaders)
	require.Equal(t, http.StatusOK, rec.Code, "the part answers; its error is inside")
	part := body(t, rec).Find(`[data-testid="part-error-health"]`)
	assert.Contains(t, part.Find(`[role="status"]`).Text(), "could not be read")
	assert.Equal(t, "/sources/"+id+"/health", part.Find("button").AttrOr("hx-get", ""), "with a retry in place")
	conns = body(t, env.do(http.MethodGet, "/sources/"+id+"/connections", nil, htmxHeaders))
	assert.Contains(t, conns.Text(), "Identity profiles", "the other part still shows")
	doc = body(t, env.do(http.MethodGet, "/sources/"+id, nil, nil))
	assert.Equal(t, 1, doc.Find(`[data-testid="source-fields"]`).Length(), "and so does the page")
}

// TestSourceGetRoutesOnlyReadUpstream: on the sources pages a GET makes only GET calls
// upstream, so a link or a prefetch never changes anything.
func TestSourceGetRoutesOnlyReadUpstream(t *testing.T) {
	env := newTestEnv(t, noSharedReads)
	id := sandbox.SeedDelimitedSourceID
	for _, path := range []string{
		"/sources", "/sources?q=a&status=healthy&sort=-modified", "/sources/export.csv",
		"/sources/" + id, "/sources/" + id + "/configuration",
		"/sources/" + id + "/correlation", "/sources/" + id + "/attribute-sync",
		"/sources/" + id + "/change-detection", "/sources/" + id + "/entitlement-requests",
		"/sources/" + id + "/password-policies", "/sources/" + id + "/tools", "/sources/" + id + "/danger",
		"/sources/new",
	} {
		env.sandbox.ResetCalls()
		rec := env.do(http.MethodGet, path, nil, nil)
		require.Equal(t, http.StatusOK, rec.Code, path)
		if path != "/sources/new" {
			require.Positive(t, env.sandbox.Calls(""), path)
		}
		assert.Equal(t, env.sandbox.Calls(""), env.sandbox.CallsByMethod(http.MethodGet), "%s made a non-GET call upstream", path)
	}
	// The counter tells the methods apart: a POST route does write.
	env.sandbox.ResetCalls()
	env.postForm("/sources/"+id+"/tools/test-connection", url.Values{}, hxTo("tool-result"))
	assert.Equal(t, 1, env.sandbox.CallsByMethod(http.MethodPost))
}

func TestSourceConfigReviewAndApply(t *testing.T) {
	env := newTestEnv(t, nil)
	id := sandbox.SeedDelimitedSourceID
	doc := body(t, env.do(http.MethodGet, "/sources/"+id+"/configuration", nil, hxTo("source-tab")))
	form := formValues(doc.Find(`[data-testid="config-form"]`))
	assert.Equal(t, "HR Contractors CSV", form.Get("name"))
	require.NotEmpty(t, form.Get("base_modified"))

	t.Run("no change", func(t *testing.T) {
		rec := env.postForm("/sources/"+id+"/configuration/review", form, hxTo("source-tab"))
		require.Equal(t, http.StatusOK, rec.Code)
		assert.Equal(t, 1, body(t, rec).Find(`[data-testid="no-changes"]`).Length())
	})

	edited := cloneValues(form)
	edited.Set("description", "Edited by the test")
	// The delimiter has its own field (from the connector's form); other
	// attributes are edited as JSON.
	assert.Equal(t, ",", form.Get("ca.delimiter"))
	edited.Set("ca.delimiter", ";")
	var attrs map[string]any
	require.NoError(t, json.Unmarshal([]byte(form.Get("connector_attributes")), &attrs))
	assert.NotContains(t, attrs, "delimiter", "a form field is not in the JSON too")
	attrs["new/key"] = true
	b, _ := json.Marshal(attrs)
	edited.Set("connector_attributes", string(b))

	env.sandbox.ResetCalls()
	rec := env.postForm("/sources/"+id+"/configuration/review", edited, hxTo("source-tab"))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	doc = body(t, rec)
	patch := doc.Find(`[data-testid="patch-json"]`).Text()
	var ops []map[string]any
	require.NoError(t, json.Unmarshal([]byte(patch), &ops), patch)
	assert.ElementsMatch(t, []map[string]any{
		{"op": "replace", "path": "/description", "value": "Edited by the test"},
		{"op": "replace", "path": "/connectorAttributes/delimiter", "value": ";"},
		{"op": "add", "path": "/connectorAttributes/new~1key", "value": true},
	}, ops)
	assert.Zero(t, env.sandbox.Calls("updateSource"), "reviewing changes nothing")
	assert.Equal(t, "Edited by the test", doc.Find(`[data-testid="config-description"]`).Text(), "the form keeps what was typed")

	rec = env.postForm("/sources/"+id+"/configuration", edited, hxTo("source-tab"))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	doc = body(t, rec)
	assert.Contains(t, doc.Find(`[data-testid="saved"]`).Text(), "3 change(s) applied")
	assert.Equal(t, "Edited by the test", doc.Find(`[data-testid="config-description"]`).Text())
	doc = body(t, env.do(http.MethodGet, "/sources/"+id, nil, nil))
	assert.Equal(t, "Edited by the test", doc.Find(`[data-testid="source-description"]`).Text(), "the overview shows the new value")

	t.Run("stale form is not applied", func(t *testing.T) {
		stale := cloneValues(edited)
		stale.Set("description", "Another edit")
		rec := env.postForm("/sources/"+id+"/configuration", stale, hxTo("source-tab"))
		assert.Equal(t, http.StatusConflict, rec.Code)
		doc := body(t, rec)
		assert.Contains(t, doc.Find(`[data-testid="form-error"]`).Text(), "changed this source")
		assert.Equal(t, "Another edit", doc.Find(`[data-testid="config-description"]`).Text())
		assert.Equal(t, 1, doc.Find(`[data-testid="patch-review"]`).Length())
	})
}

func TestSourceConfigValidation(t *testing.T) {
	env := newTestEnv(t, nil)
	id := sandbox.SeedDelimitedSourceID
	form := formValues(body(t, env.do(http.MethodGet, "/sources/"+id+"/configuration", nil, hxTo("source-tab"))).Find(`[data-testid="config-form"]`))
	for _, tc := range []struct {
		name, field, value, wantField, want string
	}{
		{"empty name", "name", "  ", "name", "Enter a name"},
		{"threshold", "delete_threshold", "150", "delete_threshold", "0 to 100"},
		{"bad json", "connector_attributes", "{\"a\": 1,\n \"b\": }", "connector_attributes", "line 2"},
		{"json array", "connector_attributes", "[1]", "connector_attributes", "JSON object"},
		{"no owner", "owner", "", "owner", "Choose the owner"},
		{"owner who does not exist", "owner", "Nobody Atall", "owner", `No identity is named "Nobody Atall"`},
		{"cluster that does not exist", "cluster", "Moon Cluster", "cluster", `No cluster is named "Moon Cluster"`},
		{"connection setting not offered", "ca.delimiter", "#", "ca.delimiter", "Choose one of the offered values"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env.sandbox.ResetCalls()
			f := cloneValues(form)
			f.Set(tc.field, tc.value)
			f.Set("description", "typed text survives")
			rec := env.postForm("/sources/"+id+"/configuration/review", f, hxTo("source-tab"))
			assert.Equal(t, http.StatusUnprocessableEntity, rec.Code)
			assert.Empty(t, rec.Header().Get("HX-Retarget"), "422 swaps the form in place")
			doc := body(t, rec)
			assert.Contains(t, doc.Find(`[data-testid="error-`+tc.wantField+`"]`).Text(), tc.want)
			assert.Equal(t, "typed text survives", doc.Find(`[data-testid="config-description"]`).Text())
			assert.Zero(t, env.sandbox.Calls("updateSource"))
		})
	}
	t.Run("ISC's 400 goes next to the field", func(t *testing.T) {
		f := cloneValues(form)
		f.Set("name", "Workday HR") // taken
		rec := env.postForm("/sources/"+id+"/configuration", f, hxTo("source-tab"))
		assert.Equal(t, http.StatusUnprocessableEntity, rec.Code)
		doc := body(t, rec)
		assert.Contains(t, doc.Find(`[data-testid="error-name"]`).Text(), "already exists")
		assert.Equal(t, "Workday HR", doc.Find(`#config-form-name`).AttrOr("value", ""))
	})
}

func TestSourceReplace(t *testing.T) {
	env := newTestEnv(t, nil)
	id := sandbox.SeedQuotesSourceID
	doc := body(t, env.do(http.MethodGet, "/sources/"+id+"/configuration", nil, hxTo("source-tab")))
	text := doc.Find(`[data-testid="replace-json"]`).Text()
	var obj map[string]any
	require.NoError(t, json.Unmarshal([]byte(text), &obj))
	obj["description"] = "Replaced"
	obj["type"] = "Hacked" // immutable: ignored
	b, _ := json.Marshal(obj)
	rec := env.postForm("/sources/"+id+"/replace", url.Values{"source_json": {string(b)}}, hxTo("source-tab"))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	doc = body(t, rec)
	assert.Contains(t, doc.Find(`[data-testid="saved"]`).Text(), "replaced")
	assert.Equal(t, "Replaced", doc.Find(`[data-testid="config-description"]`).Text())
	assert.NotContains(t, doc.Find(`[data-testid="config-readonly"]`).Text(), "Hacked")

	rec = env.postForm("/sources/"+id+"/replace", url.Values{"source_json": {`{"name": `}}, hxTo("source-tab"))
	assert.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	doc = body(t, rec)
	assert.Contains(t, doc.Find(`[data-testid="replace-error"]`).Text(), "not valid JSON")
	assert.Equal(t, `{"name": `, doc.Find(`[data-testid="replace-json"]`).Text(), "what was typed is kept")
}

// formValues collects what a browser would submit for the form (text inputs, checked
// boxes, textareas, selected options).
func formValues(form *goquery.Selection) url.Values {
	v := url.Values{}
	form.Find("input, textarea, select").Each(func(_ int, s *goquery.Selection) {
		name, ok := s.Attr("name")
		if !ok {
			return
		}
		switch {
		case goquery.NodeName(s) == "textarea":
			v.Add(name, s.Text())
		case goquery.NodeName(s) == "select":
			opt := s.Find("option[selected]")
			if opt.Length() == 0 {
				opt = s.Find("option").First()
			}
			v.Add(name, opt.AttrOr("value", ""))
		case s.AttrOr("type", "") == "checkbox" || s.AttrOr("type", "") == "radio":
			if _, checked := s.Attr("checked"); checked {
				v.Add(name, s.AttrOr("value", "on"))
			}
		default:
			v.Add(name, s.AttrOr("value", ""))
		}
	})
	return v
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// A SOURCE_SUBADMIN gets the list (ISC refuses it without for-subadmin) with only
// the sources of their governance group.
func TestSourcesListAsSubadmin(t *testing.T) {
	env := newTestEnvAs(t, "subadmin", nil)
	for _, hx := range []map[string]string{nil, htmxHeaders} {
		rec := env.do(http.MethodGet, "/sources", nil, hx)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		doc := parse(t, rec.Body)
		rows := doc.Find(`tbody tr`)
		require.Greater(t, rows.Length(), 0, "the subadmin sees their sources")
		assert.Contains(t, doc.Text(), "Interns 2026 CSV")
		assert.NotContains(t, doc.Text(), "Workday", "sources of other groups are not listed")
	}
}

// A page htmx loads and pushes (a filter, a link, HX-Location after a change) brings
// its title, so the window title follows the address; an answer to a POST (a review,
// a check) stays in its part of the page and leaves the title alone.
func TestHTMXPageLoadsBringTheirTitle(t *testing.T) {
	env := newTestEnv(t, nil)
	rec := env.do(http.MethodGet, "/sources?q=corp", nil, hxTo("main"))
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "Sources · Sourcedesk", body(t, rec).Find("title").Text())
	rec = env.do(http.MethodGet, "/activity", nil, hxTo("main"))
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "Activity · Sourcedesk", body(t, rec).Find("title").Text())
	rec = env.postForm("/sources/"+sandbox.SeedDelimitedSourceID+"/configuration/review", url.Values{"description": {"x"}}, hxTo("source-tab"))
	assert.Equal(t, 0, body(t, rec).Find("title").Length(), "a review (%d) keeps the page's title", rec.Code)
}
