package sandbox

// This file is the Sources API half's core: state, routing, the per-call
// pipeline (count → authenticate → rate limit → injected fault → handler),
// ISC's error bodies and the authorization rules by user level.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// apiPrefix is the version segment every API route lives under.
const apiPrefix = "/v2025"

// apiState is the Sources API half's state; guarded by Sandbox.mu.
type apiState struct {
	sources map[string]*sourceRec
	order   []string // source ids in creation order (the default list order)
	tasks   map[string]*task
	pending []*task // tasks not completed yet, oldest first
	// lastSweep is when finished tasks past retention were last dropped.
	lastSweep time.Time

	rng      *rand.Rand     // deterministic ids and fault decisions
	calls    map[string]int // by operationId; "*" = all
	byMethod map[string]int // by HTTP method
	faults   map[string]Fault
	forced   map[string]int // remaining forced 429s per op
	windows  map[string]*rateWindow
	trackSeq int
	// keepLimit is how many identities per source an aggregation remembers
	// row by row (maxKeptAccounts; tests lower it).
	keepLimit int

	// authOverride, when set (tests only), replaces s.authenticate.
	authOverride func(*http.Request) (*Principal, bool)
}

type rateWindow struct {
	start time.Time
	count int
}

func newAPIState(s *Sandbox) *apiState {
	a := &apiState{
		sources:   map[string]*sourceRec{},
		tasks:     map[string]*task{},
		rng:       rand.New(rand.NewPCG(20251, seedStream(s.cfg.Seed))),
		calls:     map[string]int{},
		byMethod:  map[string]int{},
		faults:    map[string]Fault{},
		forced:    map[string]int{},
		windows:   map[string]*rateWindow{},
		keepLimit: maxKeptAccounts,
	}
	seed(a, s.now())
	if s.cfg.Seed == SeedProduction {
		seedProduction(a)
	}
	seedExtra(a, s.cfg.ExtraSources)
	return a
}

// seedStream picks the stream of the id generator, so that two tenants never
// make the same ids for the objects created in them.
func seedStream(seed Seed) uint64 {
	if seed == SeedProduction {
		return 43
	}
	return 42
}

// newID returns a 32-hex-digit id like ISC's; callers hold s.mu.
func (a *apiState) newID() string {
	return fmt.Sprintf("%016x%016x", a.rng.Uint64(), a.rng.Uint64())
}

// apiError is an error response: status plus ISC's detail code and text.
type apiError struct {
	status int
	code   string
	text   string
}

func (e *apiError) Error() string { return e.text }

func badRequest(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "400.1 Bad Request Content", fmt.Sprintf(format, args...)}
}

func forbidden(text string) *apiError {
	return &apiError{http.StatusForbidden, "403 Forbidden", text}
}

func notFound(format string, args ...any) *apiError {
	return &apiError{http.StatusNotFound, "404 Not found", fmt.Sprintf(format, args...)}
}

// errorBody is ISC's ErrorResponseDto.
type errorBody struct {
	DetailCode string       `json:"detailCode"`
	TrackingID string       `json:"trackingId"`
	Messages   []errMessage `json:"messages"`
	Causes     []errMessage `json:"causes"`
}

type errMessage struct {
	Locale       *string `json:"locale"`
	LocaleOrigin *string `json:"localeOrigin"`
	Text         string  `json:"text"`
}

func (s *Sandbox) writeError(w http.ResponseWriter, e *apiError) {
	switch e.status {
	case http.StatusUnauthorized:
		writeJSON(w, e.status, map[string]string{"error": e.text})
		return
	case http.StatusTooManyRequests:
		writeJSON(w, e.status, map[string]string{"message": " Rate Limit Exceeded "})
		return
	}
	s.mu.Lock()
	s.api.trackSeq++
	tracking := fmt.Sprintf("%032x", s.api.trackSeq)
	s.mu.Unlock()
	locale, origin := "en-US", "DEFAULT"
	writeJSON(w, e.status, errorBody{
		DetailCode: e.code,
		TrackingID: tracking,
		Messages:   []errMessage{{Locale: &locale, LocaleOrigin: &origin, Text: e.text}},
		Causes:     []errMessage{},
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// call is what a handler sees: the request, its principal and the operation.
type call struct {
	r  *http.Request
	w  http.ResponseWriter
	p  *Principal
	op string
}

// handlerFunc serves one operation. It returns the status and body to send
// as JSON, or an error; handlers that stream their own response return
// status 0.
type handlerFunc func(c *call) (int, any, error)

// route is one operation of the API.
type route struct {
	pattern string // Go 1.22 ServeMux pattern, without the /v2025 prefix
	op      string // the spec's operationId
	h       handlerFunc
}

func (s *Sandbox) registerAPIRoutes(mux *http.ServeMux) {
	for _, rt := range append(s.routes(), s.pickerRoutes()...) {
		method, path, _ := strings.Cut(rt.pattern, " ")
		mux.Handle(method+" "+s.prefix+apiPrefix+path, s.serveOp(rt.op, rt.h))
	}
	mux.Handle(s.prefix+apiPrefix+"/", s.serveOp("", func(c *call) (int, any, error) {
		return 0, nil, notFound("The server did not find a current representation for the target resource.")
	}))
}

// countCall records one call and returns the test auth override. The lock is
// released by defer, so a panic here cannot leave s.mu held for the recover
// path in serveOp (which takes s.mu again to write the error).
func (s *Sandbox) countCall(op, method string) func(*http.Request) (*Principal, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.api.calls[op]++
	s.api.calls["*"]++
	s.api.byMethod[method]++
	return s.api.authOverride
}

// serveOp wraps a handler in the per-call pipeline.
func (s *Sandbox) serveOp(op string, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			// A bug in a handler answers like ISC's internal fault instead
			// of dropping the connection.
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("sandbox handler panic", "op", op, "panic", v)
				s.writeError(w, &apiError{http.StatusInternalServerError, "500.0 Internal Fault", "An internal fault occurred."})
			}
		}()
		override := s.countCall(op, r.Method)
		if s.cfg.RequireContentLength && r.ContentLength < 0 {
			s.writeError(w, &apiError{http.StatusLengthRequired, "411 Length Required", "A request body must be sent with a Content-Length."})
			return
		}

		authn := s.authenticate
		if override != nil {
			authn = override
		}
		p, ok := authn(r)
		if !ok {
			msg := "JWT validation failed: JWT is missing"
			if strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
				msg = "JWT validation failed: JWT is invalid or expired"
			}
			s.writeError(w, &apiError{status: http.StatusUnauthorized, text: msg})
			return
		}
		if retry := s.rateLimit(p.ClientID); retry > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(retry))
			s.writeError(w, &apiError{status: http.StatusTooManyRequests})
			return
		}
		if done := s.applyFault(w, r, op); done {
			return
		}
		s.mu.Lock()
		s.advanceTasks()
		s.mu.Unlock()

		status, body, err := h(&call{r: r, w: w, p: p, op: op})
		if err != nil {
			var ae *apiError
			if !errors.As(err, &ae) {
				s.log.Error("sandbox handler", "op", op, "err", err)
				ae = &apiError{http.StatusInternalServerError, "500.0 Internal Fault", "An internal fault occurred."}
			}
			s.writeError(w, ae)
			return
		}
		switch {
		case status == 0:
			// the handler wrote its own response
		case status == http.StatusNoContent:
			w.WriteHeader(status)
		default:
			writeJSON(w, status, body)
		}
	})
}

// rateLimit counts a call against the client's fixed window and returns the
// seconds to wait when the budget is spent (0 = allowed).
func (s *Sandbox) rateLimit(clientID string) int {
	if s.cfg.RateLimit < 0 {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	win := s.api.windows[clientID]
	if win == nil || now.Sub(win.start) >= s.cfg.RateWindow {
		win = &rateWindow{start: now}
		s.api.windows[clientID] = win
	}
	if win.count >= s.cfg.RateLimit {
		wait := win.start.Add(s.cfg.RateWindow).Sub(now)
		return max(1, int((wait+time.Second-1)/time.Second))
	}
	win.count++
	return 0
}

// decodeJSON reads a JSON request body into v, requiring a JSON content type.
func decodeJSON(r *http.Request, v any) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return badRequest("Content-Type must be application/json, got %q", r.Header.Get("Content-Type"))
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		return badRequest("reading the request body: %v", err)
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return badRequest("The request body is required.")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return badRequest("The request body is not valid JSON for this operation: %v", err)
	}
	return nil
}

// readPatch reads an RFC 6902 patch body (application/json-patch+json).
func readPatch(r *http.Request) ([]byte, error) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json-patch+json" {
		return nil, badRequest("Content-Type must be application/json-patch+json, got %q", r.Header.Get("Content-Type"))
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		return nil, badRequest("reading the request body: %v", err)
	}
	var ops []map[string]any
	if err := json.Unmarshal(b, &ops); err != nil {
		return nil, badRequest("The request body must be a JSON array of patch operations: %v", err)
	}
	for i, o := range ops {
		if _, ok := o["op"].(string); !ok {
			return nil, badRequest("patch operation %d has no op", i)
		}
		if _, ok := o["path"].(string); !ok {
			return nil, badRequest("patch operation %d has no path", i)
		}
	}
	return b, nil
}

// Authorization by user level.

func (p *Principal) isAdmin() bool {
	return p.UserLevel == LevelOrgAdmin || p.UserLevel == LevelSourceAdmin
}

func (p *Principal) inGroup(id string) bool {
	for _, g := range p.GovernanceGroups {
		if g == id {
			return true
		}
	}
	return false
}

// canSee reports whether p may read src.
func (p *Principal) canSee(src *sourceRec) bool {
	switch p.UserLevel {
	case LevelOrgAdmin, LevelSourceAdmin, LevelHelpdesk:
		return true
	case LevelSourceSubadmin:
		return p.inGroup(src.workgroup())
	}
	return false
}

// canManage reports whether p may change src.
func (p *Principal) canManage(src *sourceRec) bool {
	if p.isAdmin() {
		return true
	}
	return p.UserLevel == LevelSourceSubadmin && p.inGroup(src.workgroup())
}

// source looks up the path's source for reading (write=false) or changing.
// Callers must not hold s.mu. Unknown ids give 404, or 400 with ISC's
// "referenced object not found" code where the operation declares no 404.
func (s *Sandbox) source(c *call, write bool) (*sourceRec, error) {
	id := c.r.PathValue("id")
	if id == "" {
		id = c.r.PathValue("sourceId")
	}
	if write && c.p.UserLevel == LevelHelpdesk {
		return nil, forbidden("The server understood the request but refuses to authorize it: HELPDESK users cannot change sources.")
	}
	s.mu.Lock()
	src := s.api.sources[id]
	s.mu.Unlock()
	if src == nil {
		if noNotFound[c.op] {
			return nil, &apiError{http.StatusBadRequest, "400.1.404 Referenced object not found", fmt.Sprintf("Referenced source %q was not found.", id)}
		}
		return nil, notFound("Source %q was not found.", id)
	}
	if !c.p.canSee(src) || (write && !c.p.canManage(src)) {
		return nil, forbidden("The server understood the request but refuses to authorize it: source " + id + " is not managed by your governance groups.")
	}
	return src, nil
}

// noNotFound lists the operations whose spec declares no 404 response.
var noNotFound = map[string]bool{
	"createSourceSchema": true, "importAccountsSchema": true, "importEntitlementsSchema": true,
	"importConnectorFile": true, "deleteAccountsAsync": true, "importAccounts": true,
	"importUncorrelatedAccounts": true, "getSourceEntitlementRequestConfig": true,
	"updateSourceEntitlementRequestConfig": true, "importEntitlements": true,
}

// requireExperimental enforces the X-SailPoint-Experimental header.
func requireExperimental(r *http.Request) error {
	if !strings.EqualFold(strings.TrimSpace(r.Header.Get("X-SailPoint-Experimental")), "true") {
		return badRequest("This endpoint is experimental: send the header X-SailPoint-Experimental: true.")
	}
	return nil
}

// clone deep-copies a JSON value so callers can hand it out without holding s.mu.
func clone[T any](v T) T {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
