package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"sourcedesk/internal/sandbox"
)

// Demo mode starts two sandbox tenants, "sandbox" and "production", seeded
// differently (the same people and objects under other ids, drifted sources), so
// that the console's several-tenant features can be tried: they are served on
// the console's own port under sandboxPath and productionPath (unless
// SANDBOX_ADDR gives the sandbox a listener of its own): one port, one origin, so
// a container or a reverse proxy needs to expose only the console.
const (
	sandboxPath    = "/sandbox"
	productionPath = "/production"
)

// demoTenant is one of demo mode's embedded sandbox tenants and the URLs it is reached at.
type demoTenant struct {
	// path is where it is mounted on the console's port.
	path    string
	sandbox *sandbox.Sandbox
	handler http.Handler
	// publicURL is its base URL as browsers reach it: PUBLIC_URL/sandbox, or the
	// address of its own listener. Everything it writes (the login form, the
	// endpoints /oauth/info reports, the logout URL) is under it.
	publicURL string
	// internalURL is where the console's own calls (token, API, readiness) go:
	// loopback, to a listener that stays open until the console has finished its
	// in-flight requests, so they can still reach the tenant during shutdown.
	internalURL string
	// mounted: served under sandboxPath on the console's port too.
	mounted bool
	srv     *http.Server
	ln      net.Listener
}

// startSandbox starts a sandbox tenant of the given seed with the console
// registered as an OAuth client (clientSecret, the redirect URI under
// PUBLIC_URL) and serves it on its listener: ownAddr, or a private loopback port
// when it is mounted under path on the console's port.
func startSandbox(cfg *Config, seed sandbox.Seed, path, ownAddr, clientSecret string, logger *slog.Logger) (*demoTenant, error) {
	d := &demoTenant{path: path, mounted: ownAddr == ""}
	addr := ownAddr
	if d.mounted {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sandbox listener (SANDBOX_ADDR): %w", err)
	}
	d.ln = ln
	if d.mounted {
		d.publicURL = strings.TrimSuffix(cfg.PublicURL.String(), "/") + path
		d.internalURL = "http://" + ln.Addr().String() + path
	} else {
		d.publicURL = "http://" + ln.Addr().String()
		d.internalURL = d.publicURL
	}
	d.sandbox = sandbox.New(sandbox.Config{
		BaseURL: d.publicURL,
		Seed:    seed,
		Clients: []sandbox.Client{{
			ID:           demoClientID,
			Secret:       clientSecret,
			RedirectURIs: []string{strings.TrimSuffix(cfg.PublicURL.String(), "/") + "/auth/callback"},
		}},
		Logger: logger.With(slog.String("component", "sandbox"), slog.String("tenant", string(seed))),
	})
	d.handler = d.sandbox.Handler()
	d.srv = newHTTPServer(d.handler, logger)
	go serve(d.srv, ln, logger, "sandbox")
	return d, nil
}

// withSandbox serves the mounted sandboxes under their paths beside the console. A sandbox is
// a different application (the tenant's, not the console's): it gets none of the
// console's middleware (no console session, CSRF check or CSRF cookie; its login form
// keeps its own protections), but every answer carries headers that keep it inert in
// the console's origin: no scripts, no framing, no sniffing. Its own pages replace
// that CSP with their stricter, nonce-based one.
func withSandbox(console http.Handler, ds ...*demoTenant) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var d *demoTenant
		for _, t := range ds {
			if t.mounted && (r.URL.Path == t.path || strings.HasPrefix(r.URL.Path, t.path+"/")) {
				d = t
			}
		}
		if d == nil {
			console.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		d.handler.ServeHTTP(w, r)
	})
}
