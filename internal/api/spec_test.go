package api_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/stretchr/testify/require"
)

// specCheck validates every request the client sends against SailPoint's
// spec (the bundled v2025 subset) before the sandbox sees it: the contract
// is SailPoint's, so passing the sandbox alone is not enough.
type specCheck struct {
	routers []routers.Router // the Sources spec, then the pickers spec
	mu      sync.Mutex
	errs    []string
}

// newSpecCheck loads the spec with its server at base + "/v2025"; nil when
// ../shared is absent.
func newSpecCheck(t *testing.T, base string) *specCheck {
	t.Helper()
	if _, err := os.Stat(specPath); err != nil {
		return nil
	}
	s := &specCheck{}
	for _, path := range []string{specPath, pickersSpecPath} {
		doc, err := openapi3.NewLoader().LoadFromFile(path)
		require.NoError(t, err)
		doc.Servers = openapi3.Servers{{URL: base + "/v2025"}}
		router, err := legacy.NewRouter(doc)
		require.NoError(t, err)
		s.routers = append(s.routers, router)
	}
	return s
}

// wrap validates API requests (the test bodies are small enough to buffer)
// and passes them on unchanged.
func (s *specCheck) wrap(next http.Handler) http.Handler {
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

func (s *specCheck) validate(r *http.Request, body []byte) {
	r.Body = io.NopCloser(bytes.NewReader(body))
	// The router matches the full URL against the server.
	r.URL.Scheme, r.URL.Host = "http", r.Host
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
func (s *specCheck) verify(t *testing.T) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.errs {
		t.Errorf("request does not match the spec: %s", e)
	}
}
