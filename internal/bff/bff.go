// Package bff is the console's web server: an Echo app that renders templ pages and
// htmx partials, and calls the ISC API on behalf of the signed-in user.
//
// Only this package and cmd/server import Echo, so a move to Echo v5 stays local.
// Handlers bind input into request structs, call upstream with the request's context,
// map results into web/templates view models and return s.render(...) or an error;
// they never write error responses themselves: httpErrorHandler does.
//
// # The helper kit
//
// Handlers share one helper for each job. Before writing a helper, find the one here;
// if you add one, put it in the file named for its job and list it.
//
//   - routes.go: every route, registered with its facts (its activity action, whether
//     it streams an upload) by the router.
//   - params.go: pathID and validID, the one check of an ISC id in a path or a form.
//   - forms.go: readForm, the one reader of a (small, urlencoded) form; formRows and
//     lines for repeating rows and textareas; iscRejection and fieldsFromISC, which
//     put ISC's refusal next to the fields it names. Per-field messages are
//     templates.FieldErrors; a message about the whole form is the view model's FormError.
//   - jsontext.go: JSON typed into textareas: decodeStrict, jsonProblem (in words, with
//     the line and column), parseJSONObject, patchJSON; prettyJSON and jsonText to show JSON.
//   - upstream.go: every call to ISC, as the signed-in user: callAPI, or fetchAPI for
//     one call that returns a value, and their Once forms for calls never repeated
//     (uploads, aggregations). Each names what it does ("get source 2c91…") and wraps
//     a failure with it, once, so handlers return errors as they come;
//     classifyUpstream and upstreamMessage say what went wrong in words.
//   - sourceshell.go: renderSourceTab renders every tab of a source, alone or in the
//     shell; formProblems answers 422 with a form re-rendered into the right place,
//     with and without htmx; sourceSummary is the one view of a source the tabs share.
//   - shared_reads.go: sharedRead, sourceRead and listRead read from ISC through the
//     answers shared between users (internal/readcache), never showing a user what
//     their own ISC answers would not; changed marks what a change touched.
//   - render.go: render (page or fragment), renderFragment, goTo after an action;
//     pageAround, the layout split around its body, for a page sent as it is made;
//     compress.go compresses what render writes.
//   - errors.go: UserError and userErrorf for problems the user can fix; classify,
//     the one status table; httpErrorHandler, the one error writer; inWords, what an
//     error tells the user, for a page that shows it itself.
//   - tenants.go: several tenants: tenantOf (the request's), tenantByKey, tenantPath
//     (a tenant's address), tenantName, needSignedIn (refuses a tenant the user is not
//     signed in to), readsOf and logTenants; callTenantAPI (upstream.go) calls a
//     tenant other than the request's, as the user signed in there.
//   - pickers.go: choosing an identity, cluster, governance group, password policy or
//     connector by name: pickerVM for a form, resolvePick (a typed name to exactly one
//     id, or a message), pickField (the same into a form's FieldErrors), nameRefs
//     (names for the ids a source references).
//   - sources.go: accessOf, what the user's level lets the pages offer (templates read it
//     from the context: CanWrite, AccessOf); canWrite for handlers.
//   - format.go: values in words (orNone, yesNo, plural, readableTime, refText); byte
//     sizes are upload.FormatSize, and the first non-empty string is cmp.Or.
//   - middleware.go, csrf.go, formfields.go: what every request goes through first.
//
// Uploads are read as streams by internal/upload, which knows nothing of Echo.
package bff

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"sourcedesk/internal/activity"
	"sourcedesk/internal/readcache"
)

// ReadyCheck is one dependency /readyz checks: the session store, the upstream tenant.
type ReadyCheck struct {
	Name  string
	Check func(ctx context.Context) error
	// Reported: a failure is named in /readyz's answer but does not make the replica
	// unready. For what every replica shares and none can fix by being taken out of
	// the balancer (the tenant): were it counted, an ISC outage would take every
	// replica out at once, and users would get the balancer's error instead of the
	// console's own page saying ISC cannot be reached.
	Reported bool
}

// Config is everything the server needs, built by cmd/server.
type Config struct {
	Logger  *slog.Logger
	Version string
	// DemoMode shows the demo hints (the console runs against the embedded sandbox).
	DemoMode bool
	// HSTS sends Strict-Transport-Security (the console is served over TLS).
	HSTS bool
	// BodyLimit caps request bodies outside the upload routes, e.g. "2M".
	BodyLimit string
	// UploadLimit caps an uploaded file, in bytes.
	UploadLimit int64
	// UploadTempDir is the folder where an upload is kept while it is checked,
	// before it goes to ISC ("" = the system's temporary folder).
	UploadTempDir string
	// BodyReadTimeout is how long a request outside the upload routes may take to
	// send its body (default 30 s): a client that trickles a form in holds a
	// connection no longer.
	BodyReadTimeout time.Duration
	// UploadMinRate is the slowest an upload may arrive, in bytes per second
	// averaged over UploadRateWindow (default 4096 over 30 s); a slower upload is
	// cut off and its upstream request aborted.
	UploadMinRate    int64
	UploadRateWindow time.Duration
	// Registry is served at /metrics; nil makes a private one.
	Registry *prometheus.Registry
	// Metrics records requests and upstream calls; nil registers new ones with Registry.
	// cmd/server makes them first so the API client can report into them.
	Metrics *Metrics
	// Tenants are the ISC tenants users sign in to, the first being the
	// default; handlers reach the request's through callAPI, bound to the
	// user's token there. With more than one, addresses carry their tenant
	// (tenants.go). None: one tenant without an API (tests of public pages).
	Tenants []Tenant
	// Ready lists what /readyz checks.
	Ready []ReadyCheck
	// Sessions signs users in and keeps their tokens (*session.Manager); nil means
	// nobody can sign in (tests of public pages).
	Sessions sessionManager
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names the
	// client's address (sign-in throttling per address); none means the address is
	// the connection's peer, and forwarding headers are ignored.
	TrustedProxies []*net.IPNet
	// Now is the clock (tests fake it); defaults to time.Now.
	Now func() time.Time
	// ScheduleZone is the zone ISC evaluates schedule cron expressions in
	// (ISC_SCHEDULE_ZONE): every fire time is computed in it, and a user's
	// "show times in" only converts the instants. nil means UTC.
	ScheduleZone *time.Location
	// Activity is the activity log, shared by the replicas through the
	// session store's backend; nil keeps it in memory.
	Activity activity.Store
	// Reads shares answers read from ISC between users and replicas
	// (shared_reads.go); nil keeps them in memory for DefaultReadTTL.
	Reads *readcache.Cache
}

// DefaultReadTTL is how long a shared answer from ISC is kept (READ_CACHE_TTL).
const DefaultReadTTL = 30 * time.Second

// Server is the console's HTTP handler.
type Server struct {
	cfg     Config
	log     *slog.Logger
	echo    *echo.Echo
	metrics *Metrics
	dash    *dashboard // per-user dashboard cache and the activity log
	// routeInfos holds each route's facts (routes.go), by "METHOD /path/:pattern".
	routeInfos map[string]routeInfo
	// flood counts the activity entries left out of a flooding user's minute.
	flood activityFlood
	// pickers keeps the pickers' lists per user (pickers.go).
	pickers pickerCache
	// reads shares answers from ISC between users and replicas (shared_reads.go).
	reads *readcache.Cache
	// tenantReads are reads's space for each tenant, by key: one tenant's answers
	// and change marks apart from another's.
	tenantReads map[string]*readcache.Cache
}

// New builds the server and its routes.
func New(cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		return nil, errors.New("bff: Config.Logger is required")
	}
	if cfg.BodyLimit == "" {
		cfg.BodyLimit = "2M"
	}
	if cfg.UploadLimit == 0 {
		cfg.UploadLimit = 512 << 20
	}
	if cfg.BodyReadTimeout == 0 {
		cfg.BodyReadTimeout = defaultBodyReadTimeout
	}
	if cfg.UploadMinRate == 0 {
		cfg.UploadMinRate = defaultUploadMinRate
	}
	if cfg.UploadRateWindow == 0 {
		cfg.UploadRateWindow = defaultUploadRateWindow
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if len(cfg.Tenants) == 0 {
		cfg.Tenants = []Tenant{{Key: "default"}}
	}
	if err := checkTenants(cfg.Tenants); err != nil {
		return nil, err
	}
	if cfg.ScheduleZone == nil {
		cfg.ScheduleZone = time.UTC
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(cfg.Registry)
	}
	if cfg.Reads == nil {
		cfg.Reads = readcache.New(readcache.NewMemory(), DefaultReadTTL, "sd:rc:")
	}
	s := &Server{cfg: cfg, log: cfg.Logger, metrics: cfg.Metrics, dash: newDashboard(cfg), routeInfos: map[string]routeInfo{}, reads: cfg.Reads}
	s.tenantReads = map[string]*readcache.Cache{}
	for _, t := range cfg.Tenants {
		s.tenantReads[t.Key] = cfg.Reads.Within(t.Key)
	}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.httpErrorHandler
	e.IPExtractor = ipExtractor(cfg.TrustedProxies)
	s.echo = e
	if cfg.Sessions != nil {
		cfg.Sessions.SetStoreErrorHandler(s.storeUnavailable)
	}
	s.routes()
	return s, nil
}

// Metrics returns the server's metrics, so cmd/server can hand ObserveUpstream to the API client.
func (s *Server) Metrics() *Metrics { return s.metrics }

// ServeHTTP serves the console.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }
