package bff

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/api"
	"sourcedesk/internal/sandbox"
)

const delimitedID = sandbox.SeedDelimitedSourceID

// goodCSV matches the seeded Delimited File source's account schema.
const goodCSV = "id,displayName,email,department,startDate,active,level,groups\n" +
	"u1,Ann Archer,ann@example.com,IT,2024-01-02,true,1,admins\n" +
	"u2,Bob Baker,bob@example.com,HR,2023-05-06,false,2,users\n" +
	"u3,Cy Cole,cy@example.com,IT,2022-07-08,true,3,users\n"

// badCSV has an error a user should see with its line number: a duplicate id and a
// value that is not an integer.
const badCSV = "id,displayName,email,department,startDate,active,level,groups\n" +
	"u1,Ann Archer,ann@example.com,IT,2024-01-02,true,1,admins\n" +
	"u1,Bob Baker,bob@example.com,HR,2023-05-06,false,two,users\n"

// formFile is a multipart body with plain fields first, then the file part.
func formFile(t *testing.T, fields [][2]string, filename string, content []byte) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		require.NoError(t, mw.WriteField(f[0], f[1]))
	}
	if filename != "" {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename="%s"`, filename))
		h.Set("Content-Type", "text/csv")
		w, err := mw.CreatePart(h)
		require.NoError(t, err)
		_, err = w.Write(content)
		require.NoError(t, err)
	}
	require.NoError(t, mw.Close())
	return &buf, mw.FormDataContentType()
}

func withHX(hx bool, h map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range h {
		out[k] = v
	}
	if hx {
		out["HX-Request"] = "true"
	}
	return out
}

// upload posts a file to a console route.
func (e *testEnv) upload(target string, hx bool, fields [][2]string, filename string, content []byte) *httptest.ResponseRecorder {
	e.t.Helper()
	body, ct := formFile(e.t, fields, filename, content)
	return e.do(http.MethodPost, target, body, withHX(hx, map[string]string{"Content-Type": ct}))
}

// waitTask polls the task page until the task is done and returns the final panel.
func (e *testEnv) waitTask(taskURL string) *httptest.ResponseRecorder {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		rec := e.do(http.MethodGet, taskURL+"&wait=1", nil, htmxHeaders)
		require.Equal(e.t, http.StatusOK, rec.Code, rec.Body.String())
		if !strings.Contains(rec.Body.String(), `data-state="running"`) || time.Now().After(deadline) {
			return rec
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestImportTab(t *testing.T) {
	env := newTestEnv(t, nil)
	for _, tc := range []struct {
		name     string
		source   string
		hx       bool
		wantForm bool
	}{
		{"delimited, full page", delimitedID, false, true},
		{"delimited, htmx", delimitedID, true, true},
		{"connector source, full page", sandbox.SeedAuthoritativeSourceID, false, false},
		{"connector source, htmx", sandbox.SeedAuthoritativeSourceID, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := env.do(http.MethodGet, "/sources/"+tc.source+"/import", nil, withHX(tc.hx, nil))
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			assert.Contains(t, rec.Header().Values("Vary"), "HX-Request")
			doc := parse(t, rec.Body)
			assert.Equal(t, !tc.hx, doc.Find(`footer [data-testid="version"]`).Length() == 1)
			assert.Equal(t, 1, doc.Find(`[data-testid="import-tab"]`).Length())
			assert.Equal(t, tc.wantForm, doc.Find(`[data-testid="upload-accounts"]`).Length() == 1)
			assert.Equal(t, !tc.wantForm, doc.Find(`[data-testid="aggregate-now"]`).Length() == 1)
			if tc.wantForm {
				form := doc.Find(`#form-accounts`)
				assert.Equal(t, "multipart/form-data", form.AttrOr("hx-encoding", ""))
				// Options precede the file input: the server reads the form as a stream.
				html, _ := form.Html()
				assert.Less(t, strings.Index(html, "disableOptimization"), strings.Index(html, `type="file"`))
				assert.Contains(t, doc.Find(`[data-testid="expected-columns"]`).Text(), "displayName")
			}
		})
	}
	t.Run("unknown source is 404", func(t *testing.T) {
		rec := env.do(http.MethodGet, "/sources/2c9180887e5f4a1b017e5f4a1bffffff/import", nil, htmxHeaders)
		assert.Equal(t, http.StatusNotFound, rec.Code)
		assert.Equal(t, "#alerts", rec.Header().Get("HX-Retarget"))
	})
}

func TestPreflightReportsFindings(t *testing.T) {
	env := newTestEnv(t, nil)
	target := "/sources/" + delimitedID + "/import/accounts/preflight"
	for _, hx := range []bool{false, true} {
		t.Run(fmt.Sprintf("htmx=%v", hx), func(t *testing.T) {
			env.sandbox.ResetCalls()
			rec := env.upload(target, hx, nil, "bad.csv", []byte(badCSV))
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			assert.Contains(t, rec.Header().Values("Vary"), "HX-Request")
			doc := parse(t, rec.Body)
			rep := doc.Find(`[data-testid="preflight-report"]`)
			require.Equal(t, 1, rep.Length())
			assert.Equal(t, "2", doc.Find(`[data-testid="preflight-rows"]`).Text())
			errs := doc.Find(`tr[data-severity="error"]`)
			assert.Positive(t, errs.Length(), "errors are listed")
			assert.Contains(t, errs.Find(`[data-testid="finding-lines"]`).Text(), "3", "with the line number")
			assert.Equal(t, 0, doc.Find(`[data-testid="upload-button"]`).Length(), "errors block the upload")
			assert.Equal(t, 1, doc.Find(`[data-testid="upload-blocked"]`).Length())
			assert.Zero(t, env.sandbox.Calls("importAccounts"), "a pre-flight sends nothing to ISC")
		})
	}
	t.Run("a good file can be sent", func(t *testing.T) {
		rec := env.upload(target, true, nil, "good.csv", []byte(goodCSV))
		require.Equal(t, http.StatusOK, rec.Code)
		doc := parse(t, rec.Body)
		assert.Equal(t, "3", doc.Find(`[data-testid="preflight-rows"]`).Text())
		btn := doc.Find(`[data-testid="upload-button"]`)
		require.Equal(t, 1, btn.Length())
		assert.Equal(t, "/sources/"+delimitedID+"/import/accounts", btn.AttrOr("hx-post", ""))
		assert.Equal(t, 3, doc.Find(`[data-testid="preview"] tbody tr`).Length())
	})
	t.Run("no file is 422", func(t *testing.T) {
		rec := env.upload(target, true, nil, "", nil)
		assert.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	})
}

func TestUploadAccountsToTaskSuccess(t *testing.T) {
	for _, hx := range []bool{true, false} {
		t.Run(fmt.Sprintf("htmx=%v", hx), func(t *testing.T) {
			env := newTestEnv(t, nil)
			src := sandbox.SeedEmptyDelimitedSourceID
			rec := env.upload("/sources/"+src+"/import/accounts", hx,
				[][2]string{{"disableOptimization", "true"}}, "people.csv", []byte(goodCSV))
			if hx {
				require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
				assert.Empty(t, rec.Header().Get("Location"))
			} else {
				require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
				assert.Empty(t, rec.Header().Get("HX-Location"))
			}
			taskURL := goneTo(t, rec.Header())
			require.True(t, strings.HasPrefix(taskURL, "/tasks/"), taskURL)
			assert.Contains(t, taskURL, "?source="+src)
			assert.Equal(t, 1, env.sandbox.Calls("importAccounts"))

			// The task page, full and as a fragment, while it runs.
			page := env.do(http.MethodGet, taskURL, nil, nil)
			require.Equal(t, http.StatusOK, page.Code)
			doc := parse(t, page.Body)
			assert.Equal(t, 1, doc.Find(`footer [data-testid="version"]`).Length())
			panel := doc.Find(`[data-testid="task-panel"]`)
			require.Equal(t, 1, panel.Length())
			// As htmx loads it after the upload (HX-Location into #main): the page
			// without a second layout, focus going to its heading.
			frag := parse(t, env.do(http.MethodGet, taskURL, nil, map[string]string{"HX-Request": "true", "HX-Target": "main"}).Body)
			assert.Equal(t, 0, frag.Find(`footer [data-testid="version"]`).Length(), "a fragment for #main")
			assert.Equal(t, 1, frag.Find(`[data-testid="task-page"] [data-testid="task-panel"]`).Length())
			assert.Equal(t, "Task", frag.Find(`[data-testid="task-page"] h1[data-autofocus]`).Text())

			final := env.waitTask(taskURL)
			assert.Contains(t, final.Header().Values("Vary"), "HX-Request")
			doc = parse(t, final.Body)
			assert.Equal(t, 0, doc.Find(`footer [data-testid="version"]`).Length(), "a poll gets the panel alone")
			panel = doc.Find(`[data-testid="task-panel"]`)
			assert.Equal(t, "success", panel.AttrOr("data-state", ""))
			_, polling := panel.Attr("hx-get")
			assert.False(t, polling, "polling stops when the task is done")
			assert.Equal(t, "3", doc.Find(`[data-testid="count-total"]`).Text(), "counts match the file")
			assert.Equal(t, "3", doc.Find(`[data-testid="count-created"]`).Text())
			assert.Equal(t, "100", panel.Find(`progress`).AttrOr("value", ""))
		})
	}
}

func TestTaskPanelBacksOff(t *testing.T) {
	env := newTestEnv(t, nil)
	rec := env.upload("/sources/"+sandbox.SeedEmptyDelimitedSourceID+"/import/accounts", true, nil, "p.csv", []byte(goodCSV))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	taskURL := goneTo(t, rec.Header())
	for _, tc := range []struct {
		wait     string
		wantNext string
	}{
		{"1", "2"}, {"2", "4"}, {"4", "8"}, {"8", "10"}, {"10", "10"}, {"garbage", "1"},
	} {
		t.Run("wait="+tc.wait, func(t *testing.T) {
			got := nextPollDelay(tc.wait)
			assert.Equal(t, tc.wantNext, fmt.Sprint(got))
		})
	}
	first := parse(t, env.do(http.MethodGet, taskURL, nil, nil).Body).Find(`[data-testid="task-panel"]`)
	if first.AttrOr("data-state", "") == "running" {
		assert.Equal(t, "load delay:1s", first.AttrOr("hx-trigger", ""))
		assert.Contains(t, first.AttrOr("hx-get", ""), "wait=1")
	}
	t.Run("unknown task is 404", func(t *testing.T) {
		for _, hx := range []bool{false, true} {
			r := env.do(http.MethodGet, "/tasks/2c9180887e5f4a1b017e5f4a1bffffff", nil, withHX(hx, nil))
			assert.Equal(t, http.StatusNotFound, r.Code)
			assert.Equal(t, hx, r.Header().Get("HX-Retarget") == "#alerts")
		}
	})
	t.Run("hostile id never reaches ISC", func(t *testing.T) {
		env.sandbox.ResetCalls()
		r := env.do(http.MethodGet, "/tasks/..%2f..%2fsources", nil, nil)
		assert.Equal(t, http.StatusNotFound, r.Code)
		assert.Zero(t, env.sandbox.Calls(""))
	})
}

func TestAggregateNowWithoutFile(t *testing.T) {
	env := newTestEnv(t, nil)
	for _, hx := range []bool{true, false} {
		t.Run(fmt.Sprintf("htmx=%v", hx), func(t *testing.T) {
			rec := env.do(http.MethodPost, "/sources/"+sandbox.SeedAuthoritativeSourceID+"/import/aggregate",
				strings.NewReader("disableOptimization=true"),
				withHX(hx, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}))
			if hx {
				require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			} else {
				require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
			}
			task := goneTo(t, rec.Header())
			assert.True(t, strings.HasPrefix(task, "/tasks/"), task)
			env.waitTask(task)
		})
	}
}

func TestImportSchemasPoliciesTabsInSourceShell(t *testing.T) {
	env := newTestEnv(t, nil)
	for _, tab := range []struct{ slug, testid string }{
		{"schemas", "schemas-tab"}, {"import", "import-tab"}, {"provisioning", "policies-tab"},
	} {
		for _, tc := range []struct {
			name      string
			headers   map[string]string
			wantShell bool
			wantPage  bool
		}{
			{"full page", nil, true, true},
			{"tab swap", map[string]string{"HX-Request": "true", "HX-Target": "source-tab"}, false, false},
			{"htmx elsewhere gets the shell", htmxHeaders, true, false},
		} {
			t.Run(tab.slug+" "+tc.name, func(t *testing.T) {
				rec := env.do(http.MethodGet, "/sources/"+delimitedID+"/"+tab.slug, nil, tc.headers)
				require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
				vary := strings.Join(rec.Header().Values("Vary"), ",")
				assert.Contains(t, vary, "HX-Request")
				assert.Contains(t, vary, "HX-Target")
				doc := parse(t, rec.Body)
				assert.Equal(t, 1, doc.Find(`[data-testid="`+tab.testid+`"]`).Length())
				assert.Equal(t, tc.wantShell, doc.Find(`[data-testid="source-shell"]`).Length() == 1)
				assert.Equal(t, tc.wantPage, doc.Find(`footer [data-testid="version"]`).Length() == 1)
				assert.Equal(t, 1, doc.Find(`[data-autofocus]`).Length(), "focus lands on the tab's heading")
			})
		}
	}
}

// The upload checks the file again while it streams: a file with errors, sent without
// the pre-flight, is refused with the report and no aggregation starts; warnings need
// the explicit "send anyway".
func TestUploadEnforcesPreflight(t *testing.T) {
	env, sk := newSinkEnv(t, nil)
	warningsOnly := strings.Replace(goodCSV, ",1,admins", ",two,admins", 1) // a type mismatch is a warning
	for _, tc := range []struct {
		name      string
		query     string
		content   string
		wantCode  int
		wantCheck string // the pre-flight's verdict: data-errors/data-warnings non-zero
	}{
		{"errors block even with send anyway", "?sendAnyway=1", badCSV, http.StatusUnprocessableEntity, "errors"},
		{"warnings block without send anyway", "", warningsOnly, http.StatusUnprocessableEntity, "warnings"},
		{"warnings pass with send anyway", "?sendAnyway=1", warningsOnly, http.StatusOK, "warnings"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pre := parse(t, env.upload("/sources/"+delimitedID+"/import/accounts/preflight", true, nil, "f.csv", []byte(tc.content)).Body)
			rep := pre.Find(`[data-testid="preflight-report"]`)
			if tc.wantCheck == "warnings" {
				require.Equal(t, "0", rep.AttrOr("data-errors", ""), "warnings only")
				require.NotEqual(t, "0", rep.AttrOr("data-warnings", "0"))
				assert.Contains(t, pre.Find(`[data-testid="upload-button"]`).AttrOr("hx-post", ""), "sendAnyway=1")
			} else {
				require.NotEqual(t, "0", rep.AttrOr("data-errors", "0"))
			}
			_, before, _ := sk.counts()
			rec := env.upload("/sources/"+delimitedID+"/import/accounts"+tc.query, true, nil, "f.csv", []byte(tc.content))
			require.Equal(t, tc.wantCode, rec.Code, rec.Body.String())
			_, after, _ := sk.counts()
			if tc.wantCode == http.StatusOK {
				assert.Equal(t, before+1, after)
				return
			}
			assert.Equal(t, 1, parse(t, rec.Body).Find(`[data-testid="preflight-report"]`).Length())
			assert.Equal(t, before, after, "ISC never got a complete file")
		})
	}
}

// TestEveryUploadSendsAContentLength: every upload path goes through the console to a
// tenant that refuses a body without a Content-Length (as a gateway taking only sized
// bodies would), and succeeds: SailPoint's SDKs send uploads sized, never chunked.
func TestEveryUploadSendsAContentLength(t *testing.T) {
	env := newTestEnv(t, nil)
	// The tenant of these tests does refuse a chunked body.
	chunked, err := http.NewRequest(http.MethodPost, env.sbURL+"/v2025/sources/"+delimitedID+"/load-accounts", io.MultiReader(strings.NewReader("x")))
	require.NoError(t, err)
	chunked.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	resp, err := http.DefaultClient.Do(chunked)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusLengthRequired, resp.StatusCode)

	empty := sandbox.SeedEmptyDelimitedSourceID
	schema := strings.Join(attributeNames(env.schemaByName(delimitedID, "account")), ",") + ",badge\n"
	for _, tc := range []struct {
		name, target, op, file string
		content                []byte
		want                   int
	}{
		{"accounts", "/sources/" + empty + "/import/accounts", "importAccounts", "accounts.csv", []byte(goodCSV), http.StatusOK},
		{"entitlements", "/sources/" + delimitedID + "/import/entitlements", "importEntitlements", "groups.csv",
			[]byte("id,name,description\nHR,HR,Human resources\n"), http.StatusOK},
		{"uncorrelated accounts", "/sources/" + delimitedID + "/import/uncorrelated", "importUncorrelatedAccounts", "correlation.csv",
			[]byte("account,displayName,userName,type\n" + sandboxAccount(env, delimitedID) + ",,admin,\n"), http.StatusOK},
		{"account schema file", "/sources/" + delimitedID + "/schema-files/accounts", "importAccountsSchema", "schema.csv", []byte(schema), http.StatusOK},
		{"entitlement schema file", "/sources/" + delimitedID + "/schema-files/entitlements?schemaName=group", "importEntitlementsSchema", "groups.csv",
			[]byte("id,name,description,owner\n"), http.StatusOK},
		{"connector file", "/sources/" + sandbox.SeedAuthoritativeSourceID + "/tools/connector-file", "importConnectorFile", "driver.jar",
			[]byte("PK\x03\x04 a jar"), http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env.sandbox.ResetCalls()
			rec := env.upload(tc.target, true, nil, tc.file, tc.content)
			require.Equal(t, tc.want, rec.Code, rec.Body.String())
			assert.Equal(t, 1, env.sandbox.Calls(tc.op), "the upload reached ISC once, sized")
		})
	}
}

// sandboxAccount is the id of one account of the source, as peek-resource-objects shows it.
func sandboxAccount(env *testEnv, sourceID string) string {
	env.t.Helper()
	objs, err := env.upstream().SearchResourceObjects(context.Background(), sourceID, api.ResourceObjectsRequest{ObjectType: "account", MaxCount: 1})
	require.NoError(env.t, err)
	require.NotEmpty(env.t, objs.ResourceObjects)
	return objs.ResourceObjects[0].Identity
}

// TestCorrelationFile: the uncorrelated-accounts upload takes ISC's manual correlation
// file. Its pre-flight checks that format (the header, empty or repeated accounts, a
// missing userName), a template is offered, and ISC's answer (the rows it could not
// correlate, with their lines) shows on the task panel.
func TestCorrelationFile(t *testing.T) {
	env := newTestEnv(t, nil)
	base := "/sources/" + delimitedID + "/import/uncorrelated"

	t.Run("the tab offers the template and names the columns", func(t *testing.T) {
		doc := parse(t, env.do(http.MethodGet, "/sources/"+delimitedID+"/import", nil, nil).Body)
		form := doc.Find(`[data-testid="upload-uncorrelated"]`)
		assert.Equal(t, "account, displayName, userName, type", strings.Join(strings.Fields(form.Find(`[data-testid="expected-columns"]`).Text()), " "))
		link := form.Find(`[data-testid="template-download"]`)
		assert.Equal(t, base+"/template", link.AttrOr("href", ""))

		rec := env.do(http.MethodGet, base+"/template", nil, nil)
		require.Equal(t, http.StatusOK, rec.Code)
		assert.Equal(t, "account,displayName,userName,type\n", rec.Body.String())
		assert.True(t, strings.HasPrefix(rec.Header().Get("Content-Disposition"), "attachment;"))
		assert.Equal(t, "nosniff", rec.Header().Get("X-Content-Type-Options"))
	})

	bad := "account,displayName,userName,type\n" +
		"A1,Ann,ann.a,\n" + // 2
		",Nobody,bob.b,\n" + // 3: no account
		"A2,Bob,,\n" + // 4: no userName
		"A1,Ann again,ann.a,\n" // 5: listed again
	t.Run("the pre-flight checks the correlation format", func(t *testing.T) {
		env.sandbox.ResetCalls()
		rec := env.upload(base+"/preflight", true, nil, "correlation.csv", []byte(bad))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		doc := parse(t, rec.Body)
		for code, line := range map[string]string{"empty-id": "3", "empty-username": "4", "duplicate-id": "5"} {
			row := doc.Find(`tr[data-code="` + code + `"]`)
			require.Equal(t, 1, row.Length(), code)
			assert.Equal(t, "error", row.AttrOr("data-severity", ""), code)
			assert.Equal(t, line, row.Find(`[data-testid="finding-lines"]`).Text(), code)
		}
		assert.Zero(t, doc.Find(`[data-testid="upload-button"]`).Length())
		assert.Zero(t, env.sandbox.Calls("importUncorrelatedAccounts"))
	})
	t.Run("an account file is not a correlation file", func(t *testing.T) {
		rec := env.upload(base+"/preflight", true, nil, "accounts.csv", []byte(goodCSV))
		require.Equal(t, http.StatusOK, rec.Code)
		row := parse(t, rec.Body).Find(`tr[data-code="missing-required-column"]`)
		assert.Contains(t, row.Text(), "account,displayName,userName,type")
	})
	t.Run("an upload that skipped the pre-flight is checked all the same", func(t *testing.T) {
		env.sandbox.ResetCalls()
		rec := env.upload(base+"?sendAnyway=1", true, nil, "correlation.csv", []byte(bad))
		assert.Equal(t, http.StatusUnprocessableEntity, rec.Code)
		assert.Zero(t, env.sandbox.Calls("importUncorrelatedAccounts"), "nothing sent")
	})
	t.Run("a connector source takes correlation files too", func(t *testing.T) {
		src := sandbox.SeedAuthoritativeSourceID
		doc := parse(t, env.do(http.MethodGet, "/sources/"+src+"/import", nil, nil).Body)
		assert.Equal(t, 1, doc.Find(`[data-testid="upload-uncorrelated"]`).Length())
		assert.Zero(t, doc.Find(`[data-testid="upload-accounts"]`).Length(), "its accounts come from the connector")
		file := "account,displayName,userName,type\n" + sandboxAccount(env, src) + ",,admin,\n"
		rec := env.upload("/sources/"+src+"/import/uncorrelated", true, nil, "correlation.csv", []byte(file))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		assert.Contains(t, env.waitTask(goneTo(t, rec.Header())).Body.String(), `data-state="success"`)
	})
	t.Run("ISC correlates what it can and reports the rest by line", func(t *testing.T) {
		account := sandboxAccount(env, delimitedID)
		file := "account,displayName,userName,type\n" + account + ",,alice.archer,\nNOPE1,,admin,\n"
		rec := env.upload(base, true, nil, "correlation.csv", []byte(file))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		final := env.waitTask(goneTo(t, rec.Header()))
		assert.Contains(t, final.Body.String(), `Line 3: account &#34;NOPE1&#34; is not an account of this source`)
		assert.NotEmpty(t, env.sandbox.CorrelatedIdentity(delimitedID, account), "the known account was correlated")
	})
}
