package bff

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2/clientcredentials"

	"sourcedesk/internal/api"
	"sourcedesk/internal/sandbox"
)

// upstream is an API client of the test's sandbox, for setting up and checking state
// behind the console's back.
func (e *testEnv) upstream() *api.Client {
	e.t.Helper()
	hc := &http.Client{}
	cl, err := api.New(api.Config{BaseURL: e.sbURL, HTTPClient: hc})
	require.NoError(e.t, err)
	cc := clientcredentials.Config{ClientID: sandbox.DemoPATClientID, ClientSecret: sandbox.DemoPATClientSecret, TokenURL: e.sbURL + "/oauth/token"}
	return cl.With(cc.TokenSource(context.Background()))
}

func (e *testEnv) schemaByName(sourceID, name string) *api.Schema {
	e.t.Helper()
	list, err := e.upstream().GetSourceSchemas(context.Background(), sourceID, api.SchemaFilter{IncludeNames: name})
	require.NoError(e.t, err)
	for i := range list {
		if list[i].Name == name {
			return &list[i]
		}
	}
	e.t.Fatalf("no schema %q on %s", name, sourceID)
	return nil
}

func formPost(e *testEnv, target string, hx bool, v url.Values) *httptest.ResponseRecorder {
	return e.do(http.MethodPost, target, strings.NewReader(v.Encode()),
		withHX(hx, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}))
}

func TestSchemasTab(t *testing.T) {
	env := newTestEnv(t, nil)
	for _, tc := range []struct {
		name      string
		query     string
		hx        bool
		wantNames []string
	}{
		{"all, full page", "", false, []string{"account", "group"}},
		{"all, htmx", "", true, []string{"account", "group"}},
		{"group only", "?include-types=group", true, []string{"group"}},
		{"by name", "?include-names=account", false, []string{"account"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := env.do(http.MethodGet, "/sources/"+delimitedID+"/schemas"+tc.query, nil, withHX(tc.hx, nil))
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			assert.Contains(t, rec.Header().Values("Vary"), "HX-Request")
			doc := parse(t, rec.Body)
			assert.Equal(t, !tc.hx, doc.Find(`footer [data-testid="version"]`).Length() == 1)
			var names []string
			doc.Find(`[data-testid="schema-list"] tbody tr`).Each(func(_ int, s *goquery.Selection) {
				names = append(names, s.AttrOr("data-schema", ""))
			})
			assert.Equal(t, tc.wantNames, names)
			assert.Equal(t, 1, doc.Find(`[data-testid="schema-file-accounts"]`).Length(), "delimited sources offer the schema CSV")
		})
	}
	t.Run("connector source has no schema files", func(t *testing.T) {
		doc := parse(t, env.do(http.MethodGet, "/sources/"+sandbox.SeedAuthoritativeSourceID+"/schemas", nil, htmxHeaders).Body)
		assert.Equal(t, 0, doc.Find(`[data-testid^="schema-file-"]`).Length())
	})
}

func TestSchemaEditByJSONPatch(t *testing.T) {
	env := newTestEnv(t, nil)
	account := env.schemaByName(delimitedID, "account")
	base := "/sources/" + delimitedID + "/schemas/" + account.ID

	t.Run("view, full and htmx", func(t *testing.T) {
		for _, hx := range []bool{false, true} {
			rec := env.do(http.MethodGet, base, nil, withHX(hx, nil))
			require.Equal(t, http.StatusOK, rec.Code)
			doc := parse(t, rec.Body)
			assert.Equal(t, !hx, doc.Find(`footer [data-testid="version"]`).Length() == 1)
			assert.Equal(t, "id", doc.Find(`[data-testid="identity-attribute"]`).Text())
			assert.Equal(t, len(account.Attributes), doc.Find(`[data-testid="attributes"] tbody tr`).Length())
			assert.Equal(t, "yes", doc.Find(`tr[data-attribute="groups"] td`).Eq(4).Text(), "group column")
			// The last column holds one link per row, no form.
			assert.Zero(t, doc.Find(`[data-testid="attributes"] form`).Length())
			edit := doc.Find(`tr[data-attribute="groups"] [data-testid="edit-groups"]`)
			assert.Equal(t, base+"?edit=groups", edit.AttrOr("href", ""))
			assert.Equal(t, "false", edit.AttrOr("aria-expanded", ""))
		}
	})

	t.Run("an attribute edits in a row opened below it", func(t *testing.T) {
		for _, hx := range []bool{false, true} {
			rec := env.do(http.MethodGet, base+"?edit=groups", nil, withHX(hx, nil))
			require.Equal(t, http.StatusOK, rec.Code)
			doc := parse(t, rec.Body)
			row := doc.Find(`tr[data-attribute="groups"]`)
			assert.Equal(t, "true", row.Find(`[data-testid="edit-groups"]`).AttrOr("aria-expanded", ""))
			assert.Equal(t, base, row.Find(`[data-testid="edit-groups"]`).AttrOr("href", ""), "Close goes back to the schema")
			open := row.Next()
			require.Equal(t, "attribute-edit-row", open.AttrOr("data-testid", ""), "the edit row follows the attribute")
			assert.Equal(t, "7", open.Find("td").AttrOr("colspan", ""), "across the whole table")
			form := open.Find(`form[data-testid^="attr-form-"]`)
			assert.Equal(t, "groups", form.Find(`input[name="name"]`).AttrOr("value", ""), "filled in with the attribute")
			assert.Equal(t, "groups", form.Find(`input[name="original"]`).AttrOr("value", ""))
			assert.Equal(t, 1, form.Find(`input[name="group"][checked]`).Length())
			assert.Equal(t, 1, open.Find(`[data-testid="remove-groups"]`).Length(), "remove is there too")
			assert.Equal(t, 1, doc.Find(`[data-testid="attribute-edit-row"]`).Length(), "one row open")
		}
		// A name the schema does not have (an old link) opens nothing.
		rec := env.do(http.MethodGet, base+"?edit=nosuch", nil, htmxHeaders)
		require.Equal(t, http.StatusOK, rec.Code)
		assert.Zero(t, parse(t, rec.Body).Find(`[data-testid="attribute-edit-row"]`).Length())
	})

	var patch string
	t.Run("add shows the patch first", func(t *testing.T) {
		env.sandbox.ResetCalls()
		rec := formPost(env, base+"/preview", true, url.Values{"action": {"add"}, "name": {"costCenter"}, "type": {"STRING"}, "description": {"Cost centre"}})
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		doc := parse(t, rec.Body)
		patch = doc.Find(`[data-testid="patch-json"]`).Text()
		assert.Contains(t, patch, `"op": "add"`)
		assert.Contains(t, patch, `"path": "/attributes/-"`)
		assert.Contains(t, patch, `"costCenter"`)
		assert.Zero(t, env.sandbox.Calls("updateSourceSchema"), "nothing applied yet")
	})
	t.Run("apply", func(t *testing.T) {
		rec := formPost(env, base+"/patch", true, url.Values{"patch": {patch}})
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		doc := parse(t, rec.Body)
		assert.Equal(t, "Schema updated.", doc.Find(`[data-testid="schema-notice"]`).Text())
		assert.Equal(t, 1, doc.Find(`tr[data-attribute="costCenter"]`).Length())
		assert.Equal(t, "costCenter", env.schemaByName(delimitedID, "account").Attributes[len(account.Attributes)].Name)
	})
	t.Run("validation failures re-render the form with 422", func(t *testing.T) {
		for _, tc := range []struct {
			name    string
			form    url.Values
			problem string
		}{
			{"duplicate name", url.Values{"action": {"add"}, "name": {"email"}, "type": {"STRING"}}, "problem-name"},
			{"empty name", url.Values{"action": {"add"}, "name": {""}, "type": {"STRING"}}, "problem-name"},
			{"group without entitlement", url.Values{"action": {"add"}, "name": {"roles"}, "type": {"STRING"}, "group": {"true"}}, "problem-group"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				rec := formPost(env, base+"/preview", true, tc.form)
				require.Equal(t, http.StatusUnprocessableEntity, rec.Code, rec.Body.String())
				assert.Equal(t, "#attr-form-add", rec.Header().Get("HX-Retarget"))
				assert.Equal(t, "outerHTML", rec.Header().Get("HX-Reswap"))
				doc := parse(t, rec.Body)
				assert.Equal(t, 1, doc.Find(`[data-testid="`+tc.problem+`"]`).Length())
				assert.Equal(t, 1, doc.Find(`form#attr-form-add`).Length())
			})
		}
	})
	t.Run("group attribute references the group schema", func(t *testing.T) {
		rec := formPost(env, base+"/preview", true, url.Values{"action": {"add"}, "name": {"roles"}, "type": {"STRING"},
			"entitlement": {"true"}, "group": {"true"}, "multi": {"true"}})
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		p := parse(t, rec.Body).Find(`[data-testid="patch-json"]`).Text()
		group := env.schemaByName(delimitedID, "group")
		assert.Contains(t, p, `"isGroup": true`)
		assert.Contains(t, p, group.ID, "the reference to the group schema")
		rec = formPost(env, base+"/patch", false, url.Values{"patch": {p}})
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	})
	t.Run("edit, identity and remove", func(t *testing.T) {
		sc := env.schemaByName(delimitedID, "account")
		idx := -1
		for i, a := range sc.Attributes {
			if a.Name == "costCenter" {
				idx = i
			}
		}
		require.GreaterOrEqual(t, idx, 0)
		rec := formPost(env, base+"/preview", true, url.Values{"action": {"edit"}, "index": {fmt.Sprint(idx)}, "original": {"costCenter"},
			"name": {"costCentre"}, "type": {"INT"}})
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		p := parse(t, rec.Body).Find(`[data-testid="patch-json"]`).Text()
		assert.Contains(t, p, `"op": "test"`, "the patch checks it edits the attribute the user saw")
		require.Equal(t, http.StatusOK, formPost(env, base+"/patch", true, url.Values{"patch": {p}}).Code)

		rec = formPost(env, base+"/preview", true, url.Values{"action": {"keys"}, "identityAttribute": {"email"}, "displayAttribute": {"displayName"}})
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		p = parse(t, rec.Body).Find(`[data-testid="patch-json"]`).Text()
		assert.Contains(t, p, `"/identityAttribute"`)
		require.Equal(t, http.StatusOK, formPost(env, base+"/patch", true, url.Values{"patch": {p}}).Code)
		assert.Equal(t, "email", env.schemaByName(delimitedID, "account").IdentityAttribute)

		rec = formPost(env, base+"/preview", true, url.Values{"action": {"remove"}, "index": {fmt.Sprint(idx)}, "original": {"costCentre"}})
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		p = parse(t, rec.Body).Find(`[data-testid="patch-json"]`).Text()
		require.Equal(t, http.StatusOK, formPost(env, base+"/patch", true, url.Values{"patch": {p}}).Code)
		for _, a := range env.schemaByName(delimitedID, "account").Attributes {
			assert.NotEqual(t, "costCentre", a.Name)
		}
		// The same removal again is stale: the test operation fails, nothing changes.
		env.sandbox.ResetCalls()
		rec = formPost(env, base+"/patch", true, url.Values{"patch": {p}})
		assert.Equal(t, http.StatusConflict, rec.Code)
		assert.Zero(t, env.sandbox.Calls("updateSourceSchema"))
	})
	t.Run("a patch from the browser is checked again", func(t *testing.T) {
		sc := env.schemaByName(delimitedID, "account")
		identity := -1
		for i, a := range sc.Attributes {
			if a.Name == sc.IdentityAttribute {
				identity = i
			}
		}
		require.GreaterOrEqual(t, identity, 0)
		env.sandbox.ResetCalls()
		for _, p := range []string{
			`[{"op":"replace","path":"/name","value":"x"}]`,
			`[{"op":"move","from":"/attributes/0","path":"/attributes/1"}]`,
			fmt.Sprintf(`[{"op":"remove","path":"/attributes/%d"}]`, identity),
			`[{"op":"add","path":"/attributes/-","value":{"name":"email","type":"STRING"}}]`, // a duplicate
			`not json`,
		} {
			rec := formPost(env, base+"/patch", true, url.Values{"patch": {p}})
			assert.Contains(t, []int{http.StatusUnprocessableEntity, http.StatusConflict}, rec.Code, p)
			assert.Equal(t, "#alerts", rec.Header().Get("HX-Retarget"))
		}
		assert.Zero(t, env.sandbox.Calls("updateSourceSchema"))
	})
}

func TestSchemaCreateAndDelete(t *testing.T) {
	env := newTestEnv(t, nil)
	list := "/sources/" + delimitedID + "/schemas"
	t.Run("invalid is 422 with the form", func(t *testing.T) {
		rec := formPost(env, list, true, url.Values{"name": {"bad name!"}, "identityAttribute": {"id"}})
		require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
		doc := parse(t, rec.Body)
		assert.Equal(t, 1, doc.Find(`[data-testid="problem-name"]`).Length())
		assert.Equal(t, 1, doc.Find(`[data-testid="problem-displayAttribute"]`).Length())
	})
	var schemaURL string
	t.Run("create", func(t *testing.T) {
		rec := formPost(env, list, true, url.Values{"name": {"role"}, "nativeObjectType": {"role"}, "identityAttribute": {"id"}, "displayAttribute": {"name"}})
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		schemaURL = goneTo(t, rec.Header())
		assert.True(t, strings.HasPrefix(schemaURL, list+"/"), schemaURL)
		doc := parse(t, env.do(http.MethodGet, schemaURL, nil, nil).Body)
		assert.Equal(t, "role", doc.Find(`[data-testid="schema-name"]`).Text())
		assert.Equal(t, 2, doc.Find(`[data-testid="attributes"] tbody tr`).Length())
	})
	t.Run("delete", func(t *testing.T) {
		for _, hx := range []bool{true, false} {
			rec := env.do(http.MethodDelete, schemaURL, nil, withHX(hx, nil))
			if hx {
				require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
				assert.Equal(t, list, goneTo(t, rec.Header()))
			} else {
				assert.Equal(t, http.StatusNotFound, rec.Code, "already deleted")
			}
		}
	})
}

// TestSchemaExportsRawAndFormulaSafe: the raw schema CSV is byte-identical to ISC's and an
// attachment; the spreadsheet export prefixes formula cells with an apostrophe.
func TestSchemaExportsRawAndFormulaSafe(t *testing.T) {
	env := newTestEnv(t, nil)
	up := env.upstream()
	ctx := context.Background()
	account := env.schemaByName(delimitedID, "account")
	// The schema CSV is the header row of attribute names: hostile names are its cells.
	cells := []string{`=HYPERLINK("http://evil.example","x")`, "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"}
	var ops []api.JSONPatchOperation
	for i, c := range cells {
		ops = append(ops, api.PatchReplace(fmt.Sprintf("/attributes/%d/name", i+2), c)) // identity and display stay
	}
	_, err := up.UpdateSourceSchema(ctx, delimitedID, account.ID, ops)
	require.NoError(t, err)
	rc, err := up.GetAccountsSchema(ctx, delimitedID)
	require.NoError(t, err)
	want, err := io.ReadAll(rc)
	require.NoError(t, err)
	rc.Close()

	base := "/sources/" + delimitedID + "/schema-files/accounts"
	raw := env.do(http.MethodGet, base+"?format=raw", nil, nil)
	require.Equal(t, http.StatusOK, raw.Code)
	assert.Equal(t, want, raw.Body.Bytes(), "byte-identical")
	assert.Equal(t, "nosniff", raw.Header().Get("X-Content-Type-Options"))
	assert.True(t, strings.HasPrefix(raw.Header().Get("Content-Disposition"), "attachment;"), raw.Header().Get("Content-Disposition"))
	assert.Contains(t, raw.Header().Get("Content-Disposition"), `filename=source-`+delimitedID+`-account-schema.csv`)
	assert.True(t, strings.HasPrefix(raw.Header().Get("Content-Type"), "text/csv"))

	sheet := env.do(http.MethodGet, base+"?format=spreadsheet", nil, nil)
	require.Equal(t, http.StatusOK, sheet.Code)
	body := sheet.Body.String()
	assert.True(t, strings.HasPrefix(body, "\ufeff"), "BOM for Excel")
	for _, c := range []string{`'=HYPERLINK(""http://evil.example"",""x"")`, "'+1", "'-2+3", "'@SUM(A1)", "'\tx", "'\rx"} {
		assert.Contains(t, body, c)
	}
	assert.True(t, strings.HasPrefix(sheet.Header().Get("Content-Disposition"), "attachment;"))
	assert.Contains(t, sheet.Header().Get("Content-Disposition"), "spreadsheet")
}

// formFileThen is formFile with fields after the file, as a confirmation below the file
// input in a form is sent.
func formFileThen(t *testing.T, filename string, content []byte, after [][2]string) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	w, err := mw.CreateFormFile("file", filename)
	require.NoError(t, err)
	_, err = w.Write(content)
	require.NoError(t, err)
	for _, f := range after {
		require.NoError(t, mw.WriteField(f[0], f[1]))
	}
	require.NoError(t, mw.Close())
	return &buf, mw.FormDataContentType()
}

func attributeNames(sc *api.Schema) []string {
	var out []string
	for _, a := range sc.Attributes {
		out = append(out, a.Name)
	}
	return out
}

// TestSchemaFileIsTheFlatFileTemplate: the schema CSV is ISC's flat-file template, one
// header row naming the attributes. The download is that row; an upload shows what it
// adds, removes and keeps first, and removing attributes needs a confirmation naming them.
func TestSchemaFileIsTheFlatFileTemplate(t *testing.T) {
	env := newTestEnv(t, nil)
	base := "/sources/" + delimitedID + "/schema-files/accounts"
	current := attributeNames(env.schemaByName(delimitedID, "account"))

	raw := env.do(http.MethodGet, base, nil, nil)
	require.Equal(t, http.StatusOK, raw.Code)
	assert.Equal(t, strings.Join(current, ",")+"\n", raw.Body.String(), "the download is the header row")

	// Edit the template: drop "level" and "groups", add "manager"; a row of data comes along.
	header := strings.Replace(strings.Replace(strings.TrimSpace(raw.Body.String()), ",level", "", 1), ",groups", "", 1) + ",manager"
	edited := []byte(header + "\nDF1,Dee,dee@example.com,HR,2024-01-15,true,M1\n")
	upload := func(target string, after [][2]string) *httptest.ResponseRecorder {
		body, ct := formFileThen(t, "account-schema.csv", edited, after)
		return env.do(http.MethodPost, target, body, map[string]string{"Content-Type": ct, "HX-Request": "true"})
	}

	var token string
	for _, hx := range []bool{true, false} {
		t.Run(fmt.Sprintf("the diff comes first, htmx=%v", hx), func(t *testing.T) {
			env.sandbox.ResetCalls()
			rec := env.upload(base+"/diff", hx, nil, "account-schema.csv", edited)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			doc := parse(t, rec.Body)
			assert.Equal(t, "manager", strings.TrimSpace(doc.Find(`[data-testid="diff-added"]`).Text()))
			removed := doc.Find(`[data-testid="diff-removed"] li`).Map(func(_ int, s *goquery.Selection) string { return strings.Join(strings.Fields(s.Text()), " ") })
			assert.Equal(t, []string{"level INT", "groups STRING"}, removed)
			assert.Contains(t, doc.Find(`[data-testid="diff-kept"]`).Text(), "displayName")
			assert.Contains(t, doc.Find(`[data-testid="diff-summary"]`).Text(), "1 added, 2 removed, 6 kept")
			confirm := doc.Find(`[data-testid="confirm-remove"]`)
			assert.Contains(t, doc.Find(`[data-testid="diff-remove-confirm"]`).Text(), "these 2 attributes: level, groups")
			token = confirm.AttrOr("value", "")
			assert.NotEmpty(t, token)
			assert.Equal(t, "confirmRemove", confirm.AttrOr("name", ""))
			assert.Equal(t, base, doc.Find(`[data-testid="schema-upload-button"]`).AttrOr("hx-post", ""))
			assert.Contains(t, doc.Find(`[data-testid="schema-upload-button"]`).Text(), "Upload and remove 2")
			assert.Zero(t, env.sandbox.Calls("importAccountsSchema"), "nothing sent")
		})
	}
	t.Run("removing without the confirmation sends nothing", func(t *testing.T) {
		env.sandbox.ResetCalls()
		for _, after := range [][][2]string{nil, {{"confirmRemove", "not-the-token"}}} {
			rec := upload(base, after)
			require.Equal(t, http.StatusUnprocessableEntity, rec.Code, rec.Body.String())
			doc := parse(t, rec.Body)
			assert.NotEmpty(t, doc.Find(`[data-testid="diff-refused"]`).Text())
			assert.Equal(t, 1, doc.Find(`[data-testid="confirm-remove"]`).Length(), "the confirmation is offered again")
		}
		assert.Zero(t, env.sandbox.Calls("importAccountsSchema"))
		assert.Equal(t, current, attributeNames(env.schemaByName(delimitedID, "account")))
	})
	t.Run("with the confirmation the upload goes through", func(t *testing.T) {
		rec := upload(base, [][2]string{{"confirmRemove", token}})
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		assert.Contains(t, rec.Body.String(), "1 added, 2 removed, 6 kept")
		assert.Equal(t, 1, env.sandbox.Calls("importAccountsSchema"))
		assert.Equal(t, strings.Split(header, ","), attributeNames(env.schemaByName(delimitedID, "account")))
	})
	t.Run("a confirmation given for another list does not count", func(t *testing.T) {
		env.sandbox.ResetCalls()
		edited = []byte(strings.Replace(header, ",manager", "", 1) + "\n") // now removes manager
		rec := upload(base, [][2]string{{"confirmRemove", token}})
		require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
		assert.Contains(t, parse(t, rec.Body).Find(`[data-testid="diff-refused"]`).Text(), "changed since the comparison")
		assert.Zero(t, env.sandbox.Calls("importAccountsSchema"))
	})
	t.Run("a file that adds only needs no confirmation", func(t *testing.T) {
		edited = []byte(header + ",badge\n")
		rec := upload(base, nil)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		assert.Contains(t, attributeNames(env.schemaByName(delimitedID, "account")), "badge")
	})
}

// TestSchemaFileProblemsAreShownBeforeAnythingIsSent: the old attribute-definition
// layout, a header that leaves out the identity attribute, and empty or repeated
// names are shown on the diff and refused on upload, with no call to ISC.
func TestSchemaFileProblemsAreShownBeforeAnythingIsSent(t *testing.T) {
	env := newTestEnv(t, nil)
	base := "/sources/" + delimitedID + "/schema-files/accounts"
	before := attributeNames(env.schemaByName(delimitedID, "account"))
	for _, tc := range []struct {
		name, content string
		shows         string // data-testid that must be on the diff
		text          string
	}{
		{"the old attribute-definition layout", "name,type,description,isMulti,isEntitlement,isGroup\nid,STRING,,false,false,false\n",
			"diff-old-layout", "not a schema file"},
		{"the identity attribute left out", "displayName,email\n", "diff-lost", `identity attribute "id"`},
		{"a repeated name", "id,displayName,email,email\n", "findings", "repeats"},
		{"an empty name", "id,displayName,,email\n", "findings", "Every column of a schema file names an attribute"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env.sandbox.ResetCalls()
			rec := env.upload(base+"/diff", true, nil, "schema.csv", []byte(tc.content))
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			doc := parse(t, rec.Body)
			assert.Contains(t, doc.Find(`[data-testid="`+tc.shows+`"]`).Text(), tc.text)
			assert.Zero(t, doc.Find(`[data-testid="schema-upload-button"]`).Length(), "no upload button")

			body, ct := formFileThen(t, "schema.csv", []byte(tc.content), [][2]string{{"sendAnyway", "1"}, {"confirmRemove", "x"}})
			rec = env.do(http.MethodPost, base+"?sendAnyway=1", body, map[string]string{"Content-Type": ct, "HX-Request": "true"})
			assert.Equal(t, http.StatusUnprocessableEntity, rec.Code, rec.Body.String())
			assert.Zero(t, env.sandbox.Calls("importAccountsSchema"), "nothing sent")
			assert.Equal(t, before, attributeNames(env.schemaByName(delimitedID, "account")))
		})
	}
	t.Run("binary schema file is 415", func(t *testing.T) {
		env.sandbox.ResetCalls()
		rec := env.upload(base, true, nil, "s.csv", []byte("PK\x03\x04zip"))
		assert.Equal(t, http.StatusUnsupportedMediaType, rec.Code)
		assert.Zero(t, env.sandbox.Calls("importAccountsSchema"))
	})
}

// TestSchemaFileHeaderIsReadAsThePreflightReadsIt: the account file itself may serve as
// the template (its rows are not read), and its header is read exactly as the accounts
// pre-flight reads it: byte order mark, comment line, the source's delimiter.
func TestSchemaFileHeaderIsReadAsThePreflightReadsIt(t *testing.T) {
	env := newTestEnv(t, nil)
	base := "/sources/" + delimitedID + "/schema-files/accounts"
	current := attributeNames(env.schemaByName(delimitedID, "account"))
	file := []byte("\ufeff# exported from HR\n" + strings.Join(current, ",") + "\n" + strings.Repeat("A1,\"broken\n", 1000))

	pre := env.upload("/sources/"+delimitedID+"/import/accounts/preflight", true, nil, "accounts.csv", file)
	require.Equal(t, http.StatusOK, pre.Code)
	var preCols []string
	parse(t, pre.Body).Find(`[data-testid="preview"] th`).Each(func(_ int, s *goquery.Selection) { preCols = append(preCols, s.Text()) })
	assert.Equal(t, current, preCols, "the pre-flight's columns")

	rec := env.upload(base+"/diff", true, nil, "accounts.csv", file)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	doc := parse(t, rec.Body)
	assert.Equal(t, 1, doc.Find(`[data-testid="diff-none"]`).Length(), "the same columns: nothing added or removed")
	assert.Zero(t, doc.Find(`[data-code="unterminated-quote"]`).Length(), "the rows are not read")
	assert.Equal(t, 1, doc.Find(`[data-testid="schema-upload-button"]`).Length())
}

// TestEntitlementSchemaFile: the group schema's template downloads and uploads the same way.
func TestEntitlementSchemaFile(t *testing.T) {
	env := newTestEnv(t, nil)
	base := "/sources/" + delimitedID + "/schema-files/entitlements?schemaName=group"
	raw := env.do(http.MethodGet, base, nil, nil)
	require.Equal(t, http.StatusOK, raw.Code)
	assert.Equal(t, "id,name,description\n", raw.Body.String())
	body, ct := formFileThen(t, "groups.csv", []byte("id,name,description,owner\n"), nil)
	rec := env.do(http.MethodPost, base, body, map[string]string{"Content-Type": ct, "HX-Request": "true"})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Equal(t, []string{"id", "name", "description", "owner"}, attributeNames(env.schemaByName(delimitedID, "group")))
}

// The whole schema can be edited as JSON (putSourceSchema); the fields ISC keeps
// fixed stay as they are, and bad JSON comes back in the editor as typed.
func TestSchemaWholeJSONEdit(t *testing.T) {
	env := newTestEnv(t, nil)
	account := env.schemaByName(delimitedID, "account")
	base := "/sources/" + delimitedID + "/schemas/" + account.ID
	doc := parse(t, env.do(http.MethodGet, base, nil, nil).Body)
	text := doc.Find(`#schema-json textarea`).Text()
	var obj map[string]any
	require.NoError(t, json.Unmarshal([]byte(text), &obj))
	obj["displayAttribute"] = "email"
	obj["name"] = "renamed" // fixed by ISC: kept
	b, _ := json.Marshal(obj)

	env.sandbox.ResetCalls()
	rec := formSend(env, http.MethodPut, base, true, url.Values{"schema": {string(b)}})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Equal(t, 1, env.sandbox.Calls("putSourceSchema"))
	d := parse(t, rec.Body)
	assert.Equal(t, "Schema replaced.", d.Find(`[data-testid="schema-notice"]`).Text())
	assert.Equal(t, "email", d.Find(`[data-testid="display-attribute"]`).Text())
	assert.Equal(t, "account", d.Find(`[data-testid="schema-name"]`).Text())

	rec = formSend(env, http.MethodPut, base, true, url.Values{"schema": {`{"displayAttribute": }`}})
	assert.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	assert.Equal(t, "#schema-json", rec.Header().Get("HX-Retarget"))
	d = parse(t, rec.Body)
	assert.NotEmpty(t, d.Find(`[data-testid="json-errors"]`).Text())
	assert.Equal(t, `{"displayAttribute": }`, d.Find(`textarea`).Text(), "what was typed stays")
}
