// Package sandbox is an embedded demo tenant: a faithful fake of SailPoint ISC's
// OAuth server and v2025 Sources API, served over real HTTP. Demo mode, every test
// and every benchmark talk to it instead of a real tenant.
//
// The package has two halves that meet at one seam:
//   - oauth*.go issues and verifies tokens (/oauth/authorize, /oauth/token, /oauth/info)
//     and answers authenticate(r) with the Principal a bearer token speaks for;
//   - api*.go serves /v2025/... for that Principal, with ISC's semantics.
//
// State lives in memory behind one mutex and is seeded deterministically.
package sandbox

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// User levels, as ISC names them.
const (
	LevelOrgAdmin       = "ORG_ADMIN"
	LevelSourceAdmin    = "SOURCE_ADMIN"
	LevelSourceSubadmin = "SOURCE_SUBADMIN"
	LevelHelpdesk       = "HELPDESK"
)

// DemoWorkgroupID is the governance group whose sources the demo subadmin manages.
const DemoWorkgroupID = "2c9180867c8a4d3e017c8b0f1e2d0001"

// TenantName is the default tenant's name, as /oauth/info and the token response
// report it (Config.TenantName changes it).
const TenantName = "sandbox"

// User is a person who can sign in on the sandbox login page.
type User struct {
	Username         string
	Password         string
	DisplayName      string
	IdentityID       string
	UserLevel        string
	GovernanceGroups []string // workgroup ids a SOURCE_SUBADMIN manages
}

// Client is an OAuth client registered with the sandbox.
type Client struct {
	ID           string
	Secret       string
	RedirectURIs []string // exact-match redirect URIs for the authorization-code grant
	// PATOwner, when set, makes this a personal access token: the
	// client_credentials grant issues tokens that speak for that username.
	PATOwner string
}

// Principal is who a bearer token speaks for.
type Principal struct {
	ClientID         string
	IdentityID       string
	Username         string
	DisplayName      string
	UserLevel        string
	GovernanceGroups []string
}

// Config configures a Sandbox. Zero values take the defaults documented per field.
type Config struct {
	// BaseURL is the sandbox's public base URL, as browsers reach it (e.g.
	// http://127.0.0.1:8090, or https://demo.example.com/sandbox when the sandbox
	// is mounted under a path of another server): /oauth/info reports endpoints
	// under it, and its path, if any, is the prefix every route is served under,
	// so the login form and any redirect stay under it too.
	BaseURL string
	// Seed chooses the seeded data: SeedSandbox (the zero value) or
	// SeedProduction, a second tenant with the same people and objects under
	// ids of its own and a few deliberate differences (see seed_production.go).
	Seed Seed
	// TenantName is the name /oauth/info, tokens and the sign-in page report;
	// default "sandbox", or "production" with SeedProduction.
	TenantName string
	// Clients are the OAuth clients besides the built-in demo PAT (demo-pat / demo-pat-secret).
	Clients []Client
	// Users defaults to DemoUsers().
	Users []User
	// AccessTokenTTL defaults to 749 s, RefreshTokenTTL to 24 h.
	AccessTokenTTL  time.Duration
	RefreshTokenTTL time.Duration
	// RateLimit requests per RateWindow per OAuth client; defaults 100 per 10 s. Negative disables.
	RateLimit  int
	RateWindow time.Duration
	// TaskStep is the time between an asynchronous task's progress steps; default 1 s.
	TaskStep time.Duration
	// ExtraSources adds that many generated sources after the seed, for load tests
	// of a production-sized tenant: every connector in turn, most healthy, some
	// failing or never checked, one in ten managed by the demo governance group,
	// aggregation schedules on those that have run (see seedExtra).
	ExtraSources int
	// RequireContentLength makes the API answer 411 Length Required to a
	// request whose body has no Content-Length (a chunked body), as a gateway
	// that takes only sized bodies would. Every SailPoint SDK sends uploads
	// with a Content-Length; whether ISC's gateway takes a chunked one is not
	// known, so tests turn this on to prove the console never relies on it.
	RequireContentLength bool
	// Now is the clock; defaults to time.Now.
	Now func() time.Time
	// Logger defaults to a discarding logger.
	Logger *slog.Logger
}

// DemoUsers returns the seeded demo users, one per user level; each password is its username.
func DemoUsers() []User {
	return []User{
		{Username: "admin", Password: "admin", DisplayName: "Ada Admin", IdentityID: "2c9180857a1b4c2d017a1b4c2d0e0001", UserLevel: LevelOrgAdmin},
		{Username: "source-admin", Password: "source-admin", DisplayName: "Sam Source-Admin", IdentityID: "2c9180857a1b4c2d017a1b4c2d0e0002", UserLevel: LevelSourceAdmin},
		{Username: "subadmin", Password: "subadmin", DisplayName: "Sub Admin", IdentityID: "2c9180857a1b4c2d017a1b4c2d0e0003", UserLevel: LevelSourceSubadmin, GovernanceGroups: []string{DemoWorkgroupID}},
		{Username: "helpdesk", Password: "helpdesk", DisplayName: "Hal Helpdesk", IdentityID: "2c9180857a1b4c2d017a1b4c2d0e0004", UserLevel: LevelHelpdesk},
	}
}

// Sandbox is the embedded tenant. Create it with New and serve Handler().
type Sandbox struct {
	cfg    Config
	log    *slog.Logger
	now    func() time.Time
	prefix string // the path of cfg.BaseURL without its trailing slash: every route is under it
	// localID maps an id of the standard seed to this tenant's id for the
	// same object (the identity for SeedSandbox).
	localID func(string) string

	mu    sync.Mutex // guards the state of both halves
	oauth *oauthState
	api   *apiState
}

// New returns a sandbox with its state seeded.
func New(cfg Config) *Sandbox {
	if cfg.AccessTokenTTL == 0 {
		cfg.AccessTokenTTL = 749 * time.Second
	}
	if cfg.RefreshTokenTTL == 0 {
		cfg.RefreshTokenTTL = 24 * time.Hour
	}
	if cfg.RateLimit == 0 {
		cfg.RateLimit = 100
	}
	if cfg.RateWindow == 0 {
		cfg.RateWindow = 10 * time.Second
	}
	if cfg.TaskStep == 0 {
		cfg.TaskStep = time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Users == nil {
		cfg.Users = DemoUsers()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	localID := func(id string) string { return id }
	if cfg.Seed == SeedProduction {
		localID = ProductionID
		cfg.Users = productionUsers(cfg.Users)
	}
	if cfg.TenantName == "" {
		cfg.TenantName = TenantName
		if cfg.Seed == SeedProduction {
			cfg.TenantName = string(SeedProduction)
		}
	}
	s := &Sandbox{cfg: cfg, log: cfg.Logger, now: cfg.Now, prefix: basePath(cfg.BaseURL), localID: localID}
	s.oauth = newOAuthState(s)
	s.api = newAPIState(s)
	return s
}

// TenantName is the tenant's name, as /oauth/info and tokens report it.
func (s *Sandbox) TenantName() string { return s.cfg.TenantName }

// Handler serves /oauth/... and /v2025/..., under the path of Config.BaseURL.
func (s *Sandbox) Handler() http.Handler {
	mux := http.NewServeMux()
	s.registerOAuthRoutes(mux)
	s.registerAPIRoutes(mux)
	return mux
}

// basePath is the path of a base URL without its trailing slash ("" for none or
// an unparsable URL, which then serves at the root).
func basePath(baseURL string) string {
	u, err := url.Parse(baseURL)
	if err != nil {
		return ""
	}
	return strings.TrimRight(u.Path, "/")
}
