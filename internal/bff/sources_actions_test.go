package bff

import (
	"bytes"
	"encoding/csv"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/sandbox"
)

func TestSourceToolsChecks(t *testing.T) {
	env := newTestEnv(t, nil)
	doc := body(t, env.do(http.MethodGet, "/sources/"+sandbox.SeedDelimitedSourceID+"/tools", nil, nil))
	require.Equal(t, 1, doc.Find(`[data-testid="source-tools"]`).Length())
	assert.Equal(t, "/sources/"+sandbox.SeedDelimitedSourceID+"/tools/test-connection",
		doc.Find(`[data-testid="tool-test-connection"]`).AttrOr("hx-post", ""))
	for _, tc := range []struct {
		id, tool, op string
		wantOK       string
	}{
		{sandbox.SeedDelimitedSourceID, "test-connection", "testSourceConnection", "Yes"},
		{sandbox.SeedUnhealthySourceID, "test-connection", "testSourceConnection", "No"},
		{sandbox.SeedDelimitedSourceID, "test-configuration", "testSourceConfiguration", "Yes"},
		{sandbox.SeedDelimitedSourceID, "ping-cluster", "pingCluster", ""},
	} {
		t.Run(tc.tool+" "+tc.wantOK, func(t *testing.T) {
			env.sandbox.ResetCalls()
			rec := env.postForm("/sources/"+tc.id+"/tools/"+tc.tool, url.Values{}, hxTo("tool-result"))
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			res := body(t, rec).Find(`[data-testid="tool-result"]`)
			require.Equal(t, 1, res.Length())
			if tc.wantOK != "" {
				assert.Equal(t, tc.wantOK, res.AttrOr("data-ok", ""))
			}
			assert.Contains(t, res.Text(), "ms")
			assert.Equal(t, 1, env.sandbox.Calls(tc.op))
		})
	}
	t.Run("upstream failure goes to the alerts", func(t *testing.T) {
		env.sandbox.SetFault("testSourceConnection", sandbox.Fault{Status: http.StatusForbidden})
		defer env.sandbox.ClearFaults()
		rec := env.postForm("/sources/"+sandbox.SeedDelimitedSourceID+"/tools/test-connection", url.Values{}, hxTo("tool-result"))
		assert.Equal(t, http.StatusForbidden, rec.Code)
		assert.Equal(t, "#alerts", rec.Header().Get("HX-Retarget"))
		assert.Contains(t, rec.Body.String(), "Your user level cannot do this")
	})
}

func TestSourcePeek(t *testing.T) {
	env := newTestEnv(t, nil)
	path := "/sources/" + sandbox.SeedDelimitedSourceID + "/tools/peek"
	rec := env.postForm(path, url.Values{"object_type": {"account"}, "max_count": {"5"}}, hxTo("peek"))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	doc := body(t, rec)
	assert.Equal(t, 1, doc.Find(`[data-testid="peek-summary"]`).Length())
	rows := doc.Find(`[data-testid="peek-table"] tbody tr`)
	assert.Positive(t, rows.Length())
	assert.LessOrEqual(t, rows.Length(), 5)
	assert.Equal(t, "Identity", doc.Find(`[data-testid="peek-table"] th`).First().Text())

	env.sandbox.ResetCalls()
	rec = env.postForm(path, url.Values{"object_type": {"acc ount\""}, "max_count": {"9999"}}, hxTo("peek"))
	assert.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	doc = body(t, rec)
	assert.Contains(t, doc.Find(`[data-testid="error-object_type"]`).Text(), "object type")
	assert.Contains(t, doc.Find(`[data-testid="error-max_count"]`).Text(), "1 to 250")
	assert.Equal(t, "9999", doc.Find(`#peek-max`).AttrOr("value", ""), "what was typed is kept")
	assert.Zero(t, env.sandbox.Calls("searchResourceObjects"))
}

func TestSourceConnectorFileUpload(t *testing.T) {
	const limit = 64 << 10
	env := newTestEnv(t, func(c *Config) { c.UploadLimit = limit; c.BodyLimit = "4K" })
	path := "/sources/" + sandbox.SeedAuthoritativeSourceID + "/tools/connector-file"
	t.Run("a jar larger than the form body limit streams through", func(t *testing.T) {
		b, ct := formFileThen(t, "../../ojdbc11.jar", bytes.Repeat([]byte{0xCA, 0xFE}, 16<<10), nil)
		rec := env.do(http.MethodPost, path, b, map[string]string{"Content-Type": ct, "HX-Request": "true"})
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		msg := body(t, rec).Find(`[data-testid="upload-result"]`).Text()
		assert.Contains(t, msg, "Uploaded ojdbc11.jar", "the name is sanitized")
		assert.Contains(t, msg, "32 KiB")
		assert.Equal(t, 1, env.sandbox.Calls("importConnectorFile"))
	})
	t.Run("past the cap is 413", func(t *testing.T) {
		env.sandbox.ResetCalls()
		b, ct := formFileThen(t, "big.jar", make([]byte, limit+1), nil)
		rec := env.do(http.MethodPost, path, b, map[string]string{"Content-Type": ct, "HX-Request": "true"})
		assert.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
		assert.Contains(t, rec.Body.String(), "larger than")
	})
	t.Run("no file", func(t *testing.T) {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		require.NoError(t, w.WriteField("note", "x"))
		require.NoError(t, w.Close())
		rec := env.do(http.MethodPost, path, &buf, map[string]string{"Content-Type": w.FormDataContentType(), "HX-Request": "true"})
		assert.Equal(t, http.StatusUnprocessableEntity, rec.Code)
		assert.Contains(t, rec.Body.String(), "Choose a file")
	})
	t.Run("not multipart", func(t *testing.T) {
		rec := env.postForm(path, url.Values{"file": {"x"}}, htmxHeaders)
		assert.Equal(t, http.StatusUnsupportedMediaType, rec.Code)
	})
}

func TestSourceDangerZone(t *testing.T) {
	env := newTestEnv(t, nil)
	t.Run("blocked source shows what blocks it", func(t *testing.T) {
		doc := body(t, env.do(http.MethodGet, "/sources/"+sandbox.SeedBlockedDeleteSourceID+"/danger", nil, hxTo("source-tab")))
		assert.Equal(t, 1, doc.Find(`[data-testid="delete-blocked"]`).Length())
		assert.Contains(t, doc.Find(`[data-testid="connections-list"]`).Text(), "Identity profiles")
		rec := env.postForm("/sources/"+sandbox.SeedBlockedDeleteSourceID+"/delete",
			url.Values{"confirm_name": {"ServiceNow ITSM"}}, hxTo("source-tab"))
		assert.Equal(t, http.StatusUnprocessableEntity, rec.Code)
		assert.Contains(t, body(t, rec).Find(`[data-testid="form-error"]`).Text(), "in use")
	})
	t.Run("name mismatch", func(t *testing.T) {
		env.sandbox.ResetCalls()
		rec := env.postForm("/sources/"+sandbox.SeedEmptyDelimitedSourceID+"/delete",
			url.Values{"confirm_name": {"New Hires"}}, hxTo("source-tab"))
		assert.Equal(t, http.StatusUnprocessableEntity, rec.Code)
		doc := body(t, rec)
		assert.Contains(t, doc.Find(`[data-testid="error-confirm_name"]`).Text(), "does not match")
		assert.Equal(t, "New Hires", doc.Find(`[data-testid="delete-confirm"]`).AttrOr("value", ""))
		assert.Zero(t, env.sandbox.Calls("deleteSource"))
	})
	t.Run("delete follows the task", func(t *testing.T) {
		rec := env.postForm("/sources/"+sandbox.SeedEmptyDelimitedSourceID+"/delete",
			url.Values{"confirm_name": {"New Hires CSV"}}, hxTo("source-tab"))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		task := goneTo(t, rec.Header())
		assert.True(t, strings.HasPrefix(task, "/tasks/"), task)
		assert.Contains(t, task, "?source="+sandbox.SeedEmptyDelimitedSourceID)
		assert.Equal(t, 1, env.sandbox.Calls("deleteSource"))
		// Following the task (as its panel does) until it ends also drops the
		// source's shared copies, so the next look at it asks ISC.
		assert.Eventually(t, func() bool {
			env.do(http.MethodGet, task, nil, nil)
			return env.do(http.MethodGet, "/sources/"+sandbox.SeedEmptyDelimitedSourceID, nil, nil).Code == http.StatusNotFound
		}, 5*time.Second, 50*time.Millisecond, "the task deletes the source")
	})
	t.Run("remove accounts", func(t *testing.T) {
		rec := env.postForm("/sources/"+sandbox.SeedDelimitedSourceID+"/remove-accounts", url.Values{}, htmxHeaders)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		assert.Contains(t, goneTo(t, rec.Header()), "/tasks/")
		rec = env.postForm("/sources/"+sandbox.SeedAuthoritativeSourceID+"/remove-accounts", url.Values{}, nil)
		assert.Equal(t, http.StatusSeeOther, rec.Code, "without htmx, a redirect")
		assert.True(t, strings.HasPrefix(rec.Header().Get("Location"), "/tasks/"))
	})
}

func TestSourceCreate(t *testing.T) {
	env := newTestEnv(t, nil)
	rec := env.do(http.MethodGet, "/sources/new", nil, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	assertPageOrFragment(t, rec, true)
	page := body(t, rec)
	assert.Equal(t, 1, page.Find(`[data-testid="create-form"]`).Length())
	assert.Equal(t, "Delimited File", page.Find(`#create-form-connector option[value="delimited-file"]`).Text(),
		"connectors are offered by name from ISC's list, keeping the script name")

	t.Run("checked before the call", func(t *testing.T) {
		env.sandbox.ResetCalls()
		rec := env.postForm("/sources", url.Values{"name": {""}, "description": {"kept"}, "owner_id": {"bad id"}}, htmxHeaders)
		assert.Equal(t, http.StatusUnprocessableEntity, rec.Code)
		doc := body(t, rec)
		assert.Contains(t, doc.Find(`[data-testid="error-name"]`).Text(), "Enter a name")
		assert.Contains(t, doc.Find(`[data-testid="error-owner"]`).Text(), `No identity is named "bad id"`)
		assert.Contains(t, doc.Find(`[data-testid="error-connector"]`).Text(), "Choose a connector")
		assert.Equal(t, "kept", doc.Find(`#create-form-description`).Text())
		assert.Equal(t, "true", doc.Find(`#create-form-name`).AttrOr("aria-invalid", ""))
		assert.Zero(t, env.sandbox.Calls("createSource"), "only the pickers' lookups reach ISC")
	})
	t.Run("ISC's errors onto fields", func(t *testing.T) {
		rec := env.postForm("/sources", url.Values{"name": {"Workday HR"}, "owner_id": {"2c9180857a1b4c2d017a1b4c2d0e0001"},
			"provision_as_csv": {"true"}}, htmxHeaders)
		assert.Equal(t, http.StatusUnprocessableEntity, rec.Code)
		assert.Contains(t, body(t, rec).Find(`[data-testid="error-name"]`).Text(), "already exists")
	})
	t.Run("a delimited file source", func(t *testing.T) {
		rec := env.postForm("/sources", url.Values{"name": {"Test CSV feed"}, "owner_id": {"2c9180857a1b4c2d017a1b4c2d0e0001"},
			"provision_as_csv": {"true"}, "description": {"made by a test"}}, htmxHeaders)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		path := goneTo(t, rec.Header())
		require.True(t, strings.HasPrefix(path, "/sources/"), path)
		assert.JSONEq(t, `{"sd:notice":{"message":"Source Test CSV feed created."}}`, rec.Header().Get("HX-Trigger"), "the change says what it did")
		doc := body(t, env.do(http.MethodGet, path, nil, nil))
		assert.Equal(t, "Test CSV feed", doc.Find(`[data-testid="source-name"]`).Text())
		assert.Equal(t, "DelimitedFile", doc.Find(`[data-testid="source-type"]`).Text())
	})
}

func TestSourceSettingsTabs(t *testing.T) {
	env := newTestEnv(t, nil)
	id := sandbox.SeedDelimitedSourceID
	base := "/sources/" + id
	t.Run("correlation", func(t *testing.T) {
		rec := env.postForm(base+"/correlation", url.Values{"rows": {"2"},
			"property_0": {"attribute.email"}, "value_0": {"email"}, "match_0": {""}, "ignore_0": {"true"},
			"property_1": {""}, "value_1": {"orphan"}}, hxTo("source-tab"))
		assert.Equal(t, http.StatusUnprocessableEntity, rec.Code)
		doc := body(t, rec)
		assert.Contains(t, doc.Find(`[data-testid="error-property_1"]`).Text(), "identity property")
		assert.Equal(t, "orphan", doc.Find(`input[name="value_1"]`).AttrOr("value", ""))

		rec = env.postForm(base+"/correlation", url.Values{"rows": {"1"},
			"property_0": {"attribute.email"}, "value_0": {"email"}, "ignore_0": {"true"}}, hxTo("source-tab"))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		doc = body(t, rec)
		assert.Contains(t, doc.Find(`[data-testid="saved"]`).Text(), "1 assignment")
		doc = body(t, env.do(http.MethodGet, base+"/correlation", nil, nil))
		assert.Equal(t, "attribute.email", doc.Find(`input[name="property_0"]`).AttrOr("value", ""), "saved upstream")
		assert.Equal(t, 2, doc.Find(`[data-testid="correlation-row"]`).Length(), "plus an empty row to add one")
	})
	t.Run("change detection", func(t *testing.T) {
		rec := env.postForm(base+"/change-detection", url.Values{"enabled": {"true"}, "operations": {"ACCOUNT_UPDATED"},
			"selected_attributes": {"email\n\n department "}}, hxTo("source-tab"))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		doc := body(t, env.do(http.MethodGet, base+"/change-detection", nil, hxTo("source-tab")))
		_, on := doc.Find(`[data-testid="ncd-enabled"]`).Attr("checked")
		assert.True(t, on)
		assert.Equal(t, "email\ndepartment", doc.Find(`#ncd-sel-attr`).Text())
		rec = env.postForm(base+"/change-detection/delete", url.Values{}, hxTo("source-tab"))
		require.Equal(t, http.StatusOK, rec.Code)
		assert.Contains(t, body(t, rec).Find(`[data-testid="saved"]`).Text(), "Deleted")
	})
	t.Run("entitlement requests", func(t *testing.T) {
		form := url.Values{"access_rows": {"2"}, "access_type_0": {"MANAGER"}, "access_type_1": {"GOVERNANCE_GROUP"},
			"revoke_rows": {"1"}, "request_comment": {"true"}, "max_value": {"3"}, "max_unit": {"WEEKS"}}
		rec := env.postForm(base+"/entitlement-requests", form, hxTo("source-tab"))
		assert.Equal(t, http.StatusUnprocessableEntity, rec.Code, "a governance group needs its id")
		assert.Contains(t, body(t, rec).Find(`[data-testid="error-access_id_1"]`).Text(), "needs its id")
		form.Set("access_id_1", "2c9180867c8a4d3e017c8b0f1e2d0001")
		rec = env.postForm(base+"/entitlement-requests", form, hxTo("source-tab"))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		doc := body(t, env.do(http.MethodGet, base+"/entitlement-requests", nil, hxTo("source-tab")))
		assert.Equal(t, 3, doc.Find(`[data-testid="access-approval"]`).Length(), "two steps and an empty row")
		assert.Equal(t, "3", doc.Find(`#entreq-max`).AttrOr("value", ""))
	})
	t.Run("attribute sync", func(t *testing.T) {
		rec := env.do(http.MethodGet, base+"/attribute-sync", nil, hxTo("source-tab"))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		rec = env.postForm(base+"/attribute-sync/run", url.Values{}, htmxHeaders)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		assert.Contains(t, goneTo(t, rec.Header()), "/tasks/")
	})
	t.Run("password policies", func(t *testing.T) {
		rec := env.postForm(base+"/password-policies", url.Values{"rows": {"1"}, "policy_0": {"2c91808e7d976f3b017d9f5ceae440c8"},
			"selectors_0": {"no equals sign"}}, hxTo("source-tab"))
		assert.Equal(t, http.StatusUnprocessableEntity, rec.Code)
		assert.Contains(t, body(t, rec).Find(`[data-testid="error-selectors_0"]`).Text(), "attribute=value")
		rec = env.do(http.MethodGet, base+"/password-policies", nil, nil)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	})
}

// TestSourceWritesForbiddenForHelpdesk: a HELPDESK user may read sources, but every
// write comes back as 403 in plain words, and the list hides the write controls.
func TestSourceWritesForbiddenForHelpdesk(t *testing.T) {
	env := newTestEnvAs(t, "helpdesk", nil)
	rec := env.do(http.MethodGet, "/sources", nil, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	doc := body(t, rec)
	assert.NotEmpty(t, rowNames(doc), "helpdesk can read")
	assert.Zero(t, doc.Find(`[data-testid="new-source"]`).Length(), "no create control")
	assert.Zero(t, doc.Find(`[data-testid="bulk-test"]`).Length(), "no bulk controls")

	id := sandbox.SeedDelimitedSourceID
	page := body(t, env.do(http.MethodGet, "/sources/"+id+"/configuration", nil, hxTo("source-tab")))
	assert.Zero(t, page.Find(`form[data-testid="config-form"]`).Length(), "helpdesk is shown no form it cannot submit")
	assert.Equal(t, 1, page.Find(`[data-testid="read-only-note"]`).Length())
	// A hand-made request is still refused, by the console, before any call to ISC.
	form := formValues(page.Find(`[data-testid="config-readonly-fields"]`))
	form.Set("description", "helpdesk was here")
	for _, tc := range []struct {
		name string
		path string
		form url.Values
	}{
		{"apply configuration", "/sources/" + id + "/configuration", form},
		{"create", "/sources", url.Values{"name": {"Helpdesk source"}, "owner_id": {"2c9180857a1b4c2d017a1b4c2d0e0001"}, "provision_as_csv": {"true"}}},
		{"delete", "/sources/" + id + "/delete", url.Values{"confirm_name": {"HR Contractors CSV"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := env.postForm(tc.path, tc.form, hxTo("source-tab"))
			assert.Equal(t, http.StatusForbidden, rec.Code, rec.Body.String())
			assert.Equal(t, "#alerts", rec.Header().Get("HX-Retarget"), "the form stays as typed; the message goes to the alerts")
			assert.Contains(t, body(t, rec).Find(`[data-testid="alert"]`).Text(), "Your user level (HELPDESK) cannot do this")
		})
	}
}

// TestSourcesBulkIsBounded checks the concurrency bound of bulk actions: with every
// check taking 150 ms upstream, eight sources at four at a time take two rounds.
func TestSourcesBulkIsBounded(t *testing.T) {
	env := newTestEnv(t, nil)
	var ids []string
	doc := body(t, env.do(http.MethodGet, "/sources?size=10", nil, hxTo("sources-results")))
	doc.Find(`[data-testid="source-row"]`).Each(func(i int, s *goquery.Selection) {
		if i < 8 {
			ids = append(ids, s.AttrOr("data-source-id", ""))
		}
	})
	require.Len(t, ids, 8)
	env.sandbox.SetFault("testSourceConnection", sandbox.Fault{Latency: 150 * time.Millisecond})
	start := time.Now()
	rec := env.postForm("/sources/bulk/test-connection", url.Values{"id": ids}, htmxHeaders)
	elapsed := time.Since(start)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, 8, body(t, rec).Find(`[data-testid="bulk-row"]`).Length(), "one result per source")
	assert.Equal(t, 8, env.sandbox.Calls("testSourceConnection"))
	assert.GreaterOrEqual(t, elapsed, 2*150*time.Millisecond, "at most %d checks run at once", bulkConcurrency)
	assert.Less(t, elapsed, 8*150*time.Millisecond, "but they do run in parallel")
}

// TestSourcesExportMakesFormulasInert: a source name that a spreadsheet would run
// as a formula is exported as text, so opening the export runs nothing.
func TestSourcesExportMakesFormulasInert(t *testing.T) {
	env := newTestEnv(t, nil)
	rec := env.postForm("/sources", url.Values{"name": {`=HYPERLINK("http://evil.example","x")`},
		"owner_id": {"2c9180857a1b4c2d017a1b4c2d0e0001"}, "provision_as_csv": {"true"}, "description": {"@SUM(A1)"}}, htmxHeaders)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	rec = env.do(http.MethodGet, "/sources/export.csv?q=HYPERLINK", nil, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	records, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(rec.Body.String(), "\ufeff"))).ReadAll()
	require.NoError(t, err)
	require.Len(t, records, 2)
	assert.Equal(t, `'=HYPERLINK("http://evil.example","x")`, records[1][1])
	assert.Equal(t, `'@SUM(A1)`, records[1][10])
}

// After a source is deleted nothing points at it: its task page links to the
// sources list, and the home page's task tile keeps the deletion, named.
func TestDeletedSourceLeavesNothingDangling(t *testing.T) {
	env := newTestEnv(t, nil)
	id := sandbox.SeedEmptyDelimitedSourceID
	rec := env.postForm("/sources/"+id+"/delete", url.Values{"confirm_name": {"New Hires CSV"}}, hxTo("source-tab"))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	taskPath := goneTo(t, rec.Header())
	require.True(t, strings.HasPrefix(taskPath, "/tasks/"), taskPath)

	var doc *goquery.Document
	require.Eventually(t, func() bool {
		doc = body(t, env.do(http.MethodGet, taskPath, nil, nil))
		return doc.Find(`[data-testid="task-state"]`).AttrOr("data-state", "") == "success"
	}, 10*time.Second, 20*time.Millisecond, "the deletion finishes")
	link := doc.Find(`[data-testid="task-source-link"]`)
	assert.Equal(t, "/sources", link.AttrOr("href", ""), "no link to the deleted source's page")
	assert.Contains(t, doc.Find(`[data-testid="task-source-gone"]`).Text(), "no longer exists")
	assert.Equal(t, http.StatusNotFound, env.do(http.MethodGet, "/sources/"+id, nil, nil).Code, "the source is gone")

	tile := body(t, env.do(http.MethodGet, "/dashboard/tasks", nil, htmxHeaders))
	row := tile.Find(`[data-testid="task-row"]`).FilterFunction(func(_ int, s *goquery.Selection) bool {
		return strings.Contains(s.Text(), "New Hires CSV (deleted)")
	})
	assert.Equal(t, 1, row.Length(), "the deletion stays on the home page's task tile: %s", tile.Text())
}

// A page address with a trailing slash is moved to the canonical one.
func TestTrailingSlashRedirectsToTheCanonicalURL(t *testing.T) {
	env := newTestEnv(t, nil)
	id := sandbox.SeedDelimitedSourceID
	for in, want := range map[string]string{
		"/sources/":                         "/sources",
		"/sources/?q=csv&status=healthy":    "/sources?q=csv&status=healthy",
		"/sources/" + id + "/":              "/sources/" + id,
		"/sources/" + id + "/schedules/":    "/sources/" + id + "/schedules",
		"/activity/":                        "/activity",
		"/cron/?expr=0+0+12+*+*+%3F&tz=UTC": "/cron?expr=0+0+12+*+*+%3F&tz=UTC",
	} {
		rec := env.do(http.MethodGet, in, nil, nil)
		assert.Equal(t, http.StatusMovedPermanently, rec.Code, in)
		assert.Equal(t, want, rec.Header().Get("Location"), in)
		assert.Equal(t, http.StatusOK, env.do(http.MethodGet, want, nil, nil).Code, want)
	}
	assert.Equal(t, http.StatusOK, env.do(http.MethodGet, "/", nil, nil).Code, "the home page is its own canonical URL")
}
