package bff

// Cross-site request forgery: a change needs the token in the X-CSRF-Token header (or a
// same-origin Sec-Fetch-Site), a cross-site request is refused even with it, and the
// check reads headers only, so an upload is never parsed before its handler.

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCSRFRefusesCrossSiteAndTokenlessChanges: a cross-site request is refused even
// with the token, a same-site or unlabelled one without the token is refused, and a
// refusal makes no upstream call.
func TestCSRFRefusesCrossSiteAndTokenlessChanges(t *testing.T) {
	e := newTestEnvAs(t, "admin", nil)
	id := firstSourceID(t, e)
	target := "/sources/" + id + "/tools/test-connection"
	cases := []struct {
		name    string
		headers map[string]string
		want    int
	}{
		{"cross-site without token", map[string]string{"Sec-Fetch-Site": "cross-site", "X-CSRF-Token": ""}, http.StatusForbidden},
		{"cross-site even with the token", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"same-site without token", map[string]string{"Sec-Fetch-Site": "same-site", "X-CSRF-Token": ""}, http.StatusForbidden},
		{"no Sec-Fetch-Site, no token", map[string]string{"X-CSRF-Token": ""}, http.StatusForbidden},
		{"no Sec-Fetch-Site, wrong token", map[string]string{"X-CSRF-Token": "forged"}, http.StatusForbidden},
		{"valid header token", map[string]string{}, http.StatusOK},
		{"same-origin browser request", map[string]string{"Sec-Fetch-Site": "same-origin", "X-CSRF-Token": ""}, http.StatusOK},
	}
	for _, tc := range cases {
		for _, hx := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/htmx=%v", tc.name, hx), func(t *testing.T) {
				h := map[string]string{}
				for k, v := range tc.headers {
					h[k] = v
				}
				if hx {
					h["HX-Request"] = "true"
				}
				before := e.sandbox.CallCounts()["*"]
				rec := e.do(http.MethodPost, target, nil, h)
				assert.Equal(t, tc.want, rec.Code, rec.Body.String())
				if tc.want == http.StatusForbidden {
					assert.Equal(t, before, e.sandbox.CallCounts()["*"], "zero upstream calls")
					assert.Contains(t, rec.Body.String(), "did not come from a Sourcedesk page")
				}
			})
		}
	}
}

// TestCSRFRefusalReadsNoUploadByte: the CSRF check of an upload route looks
// at headers only, so a refused upload is refused before one body byte is read
// (Echo's form lookup would have parsed the whole multipart body first).
func TestCSRFRefusalReadsNoUploadByte(t *testing.T) {
	e := newTestEnvAs(t, "admin", nil)
	id := firstSourceID(t, e)
	body := &countingReader{r: strings.NewReader("--b\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\nforged\r\n--b\r\n" +
		"Content-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\nname\nx\n--b--\r\n")}
	rec := e.do(http.MethodPost, "/sources/"+id+"/import/accounts", body, map[string]string{
		"Content-Type": "multipart/form-data; boundary=b", "X-CSRF-Token": "", "HX-Request": "true",
	})
	assert.Equal(t, http.StatusForbidden, rec.Code)
	assert.Zero(t, body.n.Load(), "body bytes read before the CSRF refusal")
}

// TestCSRFLeavesTheUploadBodyToItsHandler: an upload that passes the CSRF
// check (token in the header) reaches its handler with the body untouched: the first
// read of the body happens in the handler's multipart stream, never in a form
// parser of the middleware (which would buffer the whole upload first, echo#2390).
// The refusals read no byte at all, on every upload route.
func TestCSRFLeavesTheUploadBodyToItsHandler(t *testing.T) {
	e := newTestEnv(t, nil)
	tok := e.headers.Get("X-CSRF-Token")
	require.NotEmpty(t, tok)

	schemaCSV := e.do(http.MethodGet, "/sources/"+delimitedID+"/schema-files/accounts", nil, nil).Body.Bytes()
	require.Contains(t, string(schemaCSV), "displayName")
	t.Run("token in the header: the first read is the handler's", func(t *testing.T) {
		for _, tc := range []struct {
			name    string
			headers map[string]string
		}{
			{"no Sec-Fetch-Site", map[string]string{}},
			{"Sec-Fetch-Site same-site", map[string]string{"Sec-Fetch-Site": "same-site"}},
			{"Sec-Fetch-Site same-origin, no token", map[string]string{"Sec-Fetch-Site": "same-origin", "X-CSRF-Token": ""}},
		} {
			for route, content := range map[string][]byte{"/import/accounts/preflight": []byte(goodCSV), "/schema-files/accounts/diff": schemaCSV} {
				t.Run(tc.name+" "+route, func(t *testing.T) {
					// A _csrf form field first in the body: a form lookup would find it.
					raw, ct := formFile(t, [][2]string{{"_csrf", tok}}, "a.csv", content)
					body := &stackReader{r: raw}
					h := map[string]string{"Content-Type": ct, "HX-Request": "true"}
					for k, v := range tc.headers {
						h[k] = v
					}
					rec := e.do(http.MethodPost, "/sources/"+delimitedID+route, body, h)
					require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
					stack := body.firstStack()
					require.NotEmpty(t, stack, "the handler read the upload")
					// The frames called from inside the CSRF middleware: the handler's
					// stream, not a form parser of the middleware itself.
					inner, _, found := strings.Cut(stack, "(*Server).csrfProtect.")
					require.True(t, found, "the read happened under the CSRF middleware:\n%s", stack)
					assert.Contains(t, inner, "upload.(*Stream)", "the first read is the handler's stream:\n%s", stack)
					for _, parser := range []string{"ParseMultipartForm", "ParseForm", "(*Reader).ReadForm", "FormValue", "valuesFromForm"} {
						assert.NotContains(t, stack, parser, "the body was first read by a form parser:\n%s", stack)
					}
				})
			}
		}
	})

	t.Run("refused: zero bytes read on every upload route", func(t *testing.T) {
		n := 0
		for _, r := range e.srv.uploadRoutes() {
			for _, headers := range []map[string]string{
				{"X-CSRF-Token": ""}, // no header token, forged form field
				{"X-CSRF-Token": "", "Sec-Fetch-Site": "same-site"}, // sibling subdomain without the token
				{"Sec-Fetch-Site": "cross-site"},                    // cross-site even with the token
			} {
				raw, ct := formFile(t, [][2]string{{"_csrf", tok}}, "a.csv", []byte(goodCSV))
				body := &countingReader{r: raw}
				h := map[string]string{"Content-Type": ct, "HX-Request": "true"}
				for k, v := range headers {
					h[k] = v
				}
				before := e.sandbox.Calls("")
				rec := e.do(http.MethodPost, routePath(r, delimitedID), body, h)
				assert.Equal(t, http.StatusForbidden, rec.Code, "%s %v", r, headers)
				assert.Zero(t, body.n.Load(), "%s %v: body bytes read before the refusal", r, headers)
				assert.Equal(t, before, e.sandbox.Calls(""), "%s: no upstream call", r)
				n++
			}
		}
		assert.Equal(t, 18, n, "six upload routes, three refusals each")
	})
}

// stackReader remembers the call stack of its first Read.
type stackReader struct {
	r     io.Reader
	once  sync.Once
	mu    sync.Mutex
	stack string
}

func (s *stackReader) Read(p []byte) (int, error) {
	s.once.Do(func() {
		pcs := make([]uintptr, 64)
		frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
		var b strings.Builder
		for {
			f, more := frames.Next()
			b.WriteString(f.Function + "\n")
			if !more {
				break
			}
		}
		s.mu.Lock()
		s.stack = b.String()
		s.mu.Unlock()
	})
	return s.r.Read(p)
}

func (s *stackReader) firstStack() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stack
}

// TestCSRFGuardsSourceCreation runs the same refusals on POST /sources, the route
// that creates an object (TestCSRFRefusesCrossSiteAndTokenlessChanges uses a tool route): cross-site, same-site without the
// token and no Sec-Fetch-Site without the token are refused with 403 and no upstream
// call; the header token creates the source.
func TestCSRFGuardsSourceCreation(t *testing.T) {
	e, _, _ := tappedEnv(t)
	require.Equal(t, http.StatusOK, e.signIn("admin", "/").Code)
	form := func(name string) io.Reader {
		return strings.NewReader(url.Values{"name": {name}, "owner_id": {adminIdentity}, "provision_as_csv": {"true"}}.Encode())
	}
	for i, tc := range []struct {
		name    string
		headers map[string]string
		want    int
	}{
		{"cross-site, no token", map[string]string{"Sec-Fetch-Site": "cross-site", "X-CSRF-Token": ""}, http.StatusForbidden},
		{"cross-site with the token", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"same-site, no token", map[string]string{"Sec-Fetch-Site": "same-site", "X-CSRF-Token": ""}, http.StatusForbidden},
		{"no Sec-Fetch-Site, no token", map[string]string{"X-CSRF-Token": ""}, http.StatusForbidden},
		{"header token", map[string]string{}, http.StatusOK},
	} {
		for _, hx := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s htmx=%v", tc.name, hx), func(t *testing.T) {
				h := withHX(hx, map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
				for k, v := range tc.headers {
					h[k] = v
				}
				before := e.sandbox.Calls("")
				rec := e.do(http.MethodPost, "/sources", form(fmt.Sprintf("CSRF audit %d %v", i, hx)), h)
				if tc.want == http.StatusOK {
					assert.Less(t, rec.Code, 400, rec.Body.String())
					assert.Equal(t, 1, e.sandbox.Calls("createSource"), "the source was created")
					e.sandbox.ResetCalls()
					return
				}
				assert.Equal(t, tc.want, rec.Code)
				assert.NotEqual(t, http.StatusBadRequest, rec.Code, "a missing token is 403, not Echo's 400")
				assert.Contains(t, rec.Body.String(), "did not come from a Sourcedesk page")
				assert.Equal(t, before, e.sandbox.Calls(""), "zero upstream calls")
			})
		}
	}
}
