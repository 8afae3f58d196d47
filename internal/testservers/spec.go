package testservers

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/stretchr/testify/require"
)

// SpecCheck validates every request a client sends to the sandbox against
// SailPoint's spec (the bundled v2025 Sources subset and the picker lists,
// in ../shared/isc beside the repository) before the sandbox sees it: the
// contract is SailPoint's, so passing the sandbox alone is not enough.
type SpecCheck struct {
	routers []routers.Router // the Sources spec, then the pickers spec
	mu      sync.Mutex
	errs    []string
}

// SpecFiles are the bundled specs SpecCheck loads, found beside the
// repository; absent when ../shared is not checked out. The repository is
// found from the working directory (go test runs a package's tests in its
// directory), not from this file's compiled-in path, which -trimpath (make
// test) turns into an import path.
func SpecFiles() []string {
	dir := filepath.Join(moduleRoot(), "..", "shared", "isc")
	return []string{filepath.Join(dir, "isc-sources-v2025.yaml"), filepath.Join(dir, "isc-pickers-v2025.yaml")}
}

// moduleRoot is the nearest directory at or above the working directory that
// holds go.mod (the working directory itself when there is none).
func moduleRoot() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			return wd
		}
	}
}

// NewSpecCheck checks the requests a test's sandbox receives against the specs, and fails t, when it ends, for every request that broke them. It
// returns nil (whose Wrap passes requests on unchecked) when ../shared is
// absent. The specs are loaded once per test binary.
func NewSpecCheck(t testing.TB) *SpecCheck {
	t.Helper()
	if _, err := os.Stat(SpecFiles()[0]); err != nil {
		return nil
	}
	rs, err := specRouters()
	require.NoError(t, err)
	s := &SpecCheck{routers: rs}
	t.Cleanup(func() { s.verify(t) })
	return s
}

// specHost is the host requests are matched under, so that one router serves
// every sandbox whatever its port.
const specHost = "sandbox.test"

// specRouters loads the specs with their server at http://sandbox.test/v2025.
var specRouters = sync.OnceValues(func() ([]routers.Router, error) {
	var out []routers.Router
	for _, path := range SpecFiles() {
		doc, err := openapi3.NewLoader().LoadFromFile(path)
		if err != nil {
			return nil, err
		}
		doc.Servers = openapi3.Servers{{URL: "http://" + specHost + "/v2025"}}
		router, err := legacy.NewRouter(doc)
		if err != nil {
			return nil, err
		}
		out = append(out, router)
	}
	return out, nil
})

// Wrap validates API requests (test bodies are small enough to buffer) and
// passes them on unchanged.
func (s *SpecCheck) Wrap(next http.Handler) http.Handler {
	if s == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v2025/") {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			s.validate(r.Clone(r.Context()), body)
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		next.ServeHTTP(w, r)
	})
}

func (s *SpecCheck) validate(r *http.Request, body []byte) {
	r.Body = io.NopCloser(bytes.NewReader(body))
	// The router matches the full URL against the server.
	r.URL.Scheme, r.URL.Host = "http", specHost
	var route *routers.Route
	var params map[string]string
	var err error
	for _, router := range s.routers {
		if route, params, err = router.FindRoute(r); err == nil {
			break
		}
	}
	if err == nil {
		err = openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
			Request: r, PathParams: params, Route: route,
			Options: &openapi3filter.Options{MultiError: true, SkipSettingDefaults: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		})
	}
	if err != nil {
		s.mu.Lock()
		s.errs = append(s.errs, r.Method+" "+r.URL.Path+": "+err.Error())
		s.mu.Unlock()
	}
}

// verify fails t for every request that broke the spec.
func (s *SpecCheck) verify(t testing.TB) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.errs {
		t.Errorf("request does not match the spec: %s", e)
	}
}
