// Command server runs the Sourcedesk console. It is the only place that reads the
// environment: it loads and validates the configuration, wires the packages together
// and serves until SIGINT or SIGTERM, then shuts down gracefully.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"
	_ "time/tzdata" // time zones for the cron previewer, also where the OS has none (distroless)

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"sourcedesk/internal/api"
	"sourcedesk/internal/bff"
	"sourcedesk/internal/sandbox"
	"sourcedesk/internal/session"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "healthcheck" {
		os.Exit(healthcheck(os.Getenv, os.Args[2:], os.Stdout))
	}
	for _, a := range os.Args[1:] {
		if a == "-h" || a == "--help" || a == "-help" || a == "help" {
			printHelp(os.Stdout)
			return
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := serveFromEnv(ctx, os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// serveFromEnv loads the configuration from getenv and serves until ctx is done,
// logging JSON to stdout. Once the console listens it tells the person who
// started it, on stderr, where to open it and how to sign in (printWelcome). It
// returns the process's exit code.
func serveFromEnv(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, err := loadConfig(getenv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		fmt.Fprintln(stderr, "Run with --help to see every setting.")
		return 2
	}
	logger := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: cfg.LogLevel}))
	if err := run(ctx, cfg, logger, func(app *App) { printWelcome(stderr, app) }); err != nil {
		logger.Error("sourcedesk stopped", slog.String("error", err.Error()))
		return 1
	}
	return 0
}

// printWelcome is the first thing a person reads after `make run`, among the
// JSON log lines: the URL to open and, in demo mode, the users to sign in as.
func printWelcome(w io.Writer, app *App) {
	fmt.Fprintf(w, "\nSourcedesk is running: open %s\n", app.ConsoleURL)
	if app.Sandbox != nil {
		fmt.Fprintf(w, "Demo mode: two embedded tenants stand in for ISC, sandbox (%s) and production (%s).\n", app.SandboxURL, app.ProductionURL)
		fmt.Fprintln(w, "Sign in to each as one of these demo users; the password is the username:")
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, u := range sandbox.DemoUsers() {
			fmt.Fprintf(tw, "  %s\t%s\n", u.Username, u.UserLevel)
		}
		_ = tw.Flush()
		fmt.Fprintf(w, "or with the personal access token %s / %s.\n", sandbox.DemoPATClientID, sandbox.DemoPATClientSecret)
	}
	fmt.Fprintln(w, "Stop with Ctrl+C.")
	fmt.Fprintln(w)
}

// App is what run started; tests use it to find the servers.
type App struct {
	ConsoleURL string
	SandboxURL string           // the sandbox as browsers reach it; "" unless in demo mode
	Sandbox    *sandbox.Sandbox // nil unless in demo mode
	// Production is demo mode's second tenant, "production"; ProductionURL as browsers reach it.
	Production    *sandbox.Sandbox
	ProductionURL string
	Console       *bff.Server
}

// run starts the console, and in demo mode the sandbox tenant, and serves until ctx
// is done. started, when not nil, is called once both are listening.
func run(ctx context.Context, cfg *Config, logger *slog.Logger, started func(*App)) error {
	app := &App{}
	var stopping atomic.Bool // ctx is done: /readyz answers 503
	demo := cfg.DemoMode()   // asked once: demo mode points the tenant URLs at the sandbox below

	consoleLn, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("console listener: %w", err)
	}
	defer consoleLn.Close()
	if cfg.PublicURL.Host == cfg.Addr {
		// Derived from ADDR: follow the real port (ADDR may say :0 in tests).
		cfg.PublicURL.Host = consoleLn.Addr().String()
	}
	app.ConsoleURL = cfg.PublicURL.String()

	var demoTenants []*demoTenant
	if demo {
		// The console's client secret in the sandboxes: random per run, given to both sides.
		demoSecret := randomSecret()
		cfg.ClientID, cfg.ClientSecret = demoClientID, demoSecret
		cfg.Tenants = nil
		for _, dt := range []struct {
			seed      sandbox.Seed
			path, own string
			name      string
			color     string
		}{
			{sandbox.SeedSandbox, sandboxPath, cfg.SandboxAddr, "Sandbox", "blue"},
			{sandbox.SeedProduction, productionPath, "", "Production", "red"},
		} {
			d, err := startSandbox(cfg, dt.seed, dt.path, dt.own, demoSecret, logger)
			if err != nil {
				return err
			}
			defer d.ln.Close()
			demoTenants = append(demoTenants, d)
			// The browser is sent to the public URL; the console's own calls stay on loopback.
			cfg.Tenants = append(cfg.Tenants, TenantConfig{Key: d.sandbox.TenantName(), Name: dt.name, Color: dt.color,
				APIURL: d.internalURL, AuthorizeURL: d.publicURL + "/oauth/authorize", TokenURL: d.internalURL + "/oauth/token",
				ClientID: demoClientID, ClientSecret: demoSecret, LogoutURL: d.publicURL + "/logout"})
			logger.Info("demo mode: sandbox tenant started", slog.String("tenant", d.sandbox.TenantName()), slog.String("url", d.publicURL))
		}
		app.Sandbox, app.SandboxURL = demoTenants[0].sandbox, demoTenants[0].publicURL
		app.Production, app.ProductionURL = demoTenants[1].sandbox, demoTenants[1].publicURL
	}

	// One connection pool to SESSION_STORE, shared by the sessions and the activity
	// log; closed after both (defers run last first).
	store, err := session.OpenStore(ctx, cfg.SessionStore)
	if err != nil {
		return fmt.Errorf("sessions: %w", err)
	}
	defer store.Close()
	sessions, err := newSessions(ctx, cfg, store, logger)
	if err != nil {
		return fmt.Errorf("sessions: %w", err)
	}
	defer sessions.Close()
	pruneCtx, stopPruning := context.WithCancel(ctx)
	defer stopPruning()
	activityLog, err := newActivityLog(pruneCtx, cfg, store, logger)
	if err != nil {
		return fmt.Errorf("activity log: %w", err)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := bff.NewMetrics(reg)
	upstream := &http.Client{Timeout: 10 * time.Second}
	// The API client has no overall timeout (it would cut uploads short): calls are
	// bounded by their contexts, and a silent server by ResponseHeaderTimeout.
	apiTransport := http.DefaultTransport.(*http.Transport).Clone()
	apiTransport.ResponseHeaderTimeout = cfg.UpstreamTimeout
	apiHTTP := &http.Client{Transport: apiTransport}
	var tenants []bff.Tenant
	ready := []bff.ReadyCheck{{Name: "session store", Check: sessions.Ready}}
	for _, tc := range cfg.Tenants {
		iscClient, err := api.New(api.Config{
			BaseURL:    tc.APIURL,
			HTTPClient: apiHTTP,
			Observe:    metrics.ObserveUpstream,
			// Each tenant's budget lives in the session store: shared by every
			// replica on Redis/Postgres, and its own (ISC counts per OAuth client).
			Limiter: sessions.Limiter(tc.Key),
		})
		if err != nil {
			return fmt.Errorf("API client of %s: %w", tc.Key, err)
		}
		tenants = append(tenants, bff.Tenant{Key: tc.Key, Name: tc.Name, Color: tc.Color, API: iscClient, LogoutURL: tc.LogoutURL})
		name, apiURL := "tenant", tc.APIURL
		if len(cfg.Tenants) > 1 {
			name = "tenant " + tc.Key
		}
		ready = append(ready, bff.ReadyCheck{Name: name, Reported: true, Check: func(ctx context.Context) error { return checkTenant(ctx, upstream, apiURL) }})
	}
	ready = append(ready, bff.ReadyCheck{Name: "replica", Check: func(context.Context) error {
		if stopping.Load() {
			return errShuttingDown
		}
		return nil
	}})
	console, err := bff.New(bff.Config{
		BodyReadTimeout: cfg.BodyReadTimeout,
		UploadMinRate:   cfg.UploadMinRate,
		TrustedProxies:  cfg.TrustedProxies,
		Logger:          logger,
		Version:         version,
		DemoMode:        demo,
		HSTS:            cfg.Secure(),
		UploadLimit:     cfg.UploadMaxBytes,
		UploadTempDir:   cfg.UploadTempDir,
		Registry:        reg,
		Metrics:         metrics,
		Tenants:         tenants,
		Sessions:        sessions,
		Activity:        activityLog,
		Reads:           newReads(cfg, store, logger),
		ScheduleZone:    cfg.ScheduleZone,
		Ready:           ready,
	})
	if err != nil {
		return err
	}
	app.Console = console
	var handler http.Handler = console
	if len(demoTenants) > 0 {
		handler = withSandbox(console, demoTenants...)
	}
	srv := newHTTPServer(handler, logger)
	go serve(srv, consoleLn, logger, "console")
	logger.Info("console listening", slog.String("url", app.ConsoleURL), slog.Bool("demo", demo))
	if started != nil {
		started(app)
	}

	<-ctx.Done()
	// Not ready from now on, so load balancers route new requests elsewhere; they
	// are still served during the drain, then the listener closes and what is in
	// flight gets SHUTDOWN_TIMEOUT to finish.
	stopping.Store(true)
	logger.Info("shutting down", slog.Duration("drain", cfg.ShutdownDrain), slog.Duration("timeout", cfg.ShutdownTimeout))
	if cfg.ShutdownDrain > 0 {
		drain := time.NewTimer(cfg.ShutdownDrain)
		<-drain.C
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	// The console first: its in-flight requests may still call the sandbox.
	servers := []*http.Server{srv}
	for _, d := range demoTenants {
		servers = append(servers, d.srv)
	}
	var errs []error
	for _, s := range servers {
		if err := s.Shutdown(sctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// errShuttingDown is why a replica that received SIGTERM is not ready.
var errShuttingDown = errors.New("shutting down")

// demoClientID is the console's OAuth client in the sandbox.
const demoClientID = "sourcedesk-console"

// newHTTPServer sets the server-wide timeouts. There is no overall read or write
// timeout because uploads may take minutes; upload handlers set their own deadlines.
func newHTTPServer(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

func serve(srv *http.Server, ln net.Listener, logger *slog.Logger, name string) {
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Error("server failed", slog.String("server", name), slog.String("error", err.Error()))
	}
}

// checkTenant reports whether the tenant's API host answers its OAuth discovery call.
func checkTenant(ctx context.Context, c *http.Client, apiURL string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, apiURL+"/oauth/info", nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("unreachable: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 500 {
		return fmt.Errorf("answers %d", resp.StatusCode)
	}
	return nil
}

func randomSecret() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
