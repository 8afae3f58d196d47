package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"sourcedesk/internal/sandbox"
)

// sandboxPath is where demo mode serves the sandbox tenant on the console's own port
// (unless SANDBOX_ADDR gives it a listener of its own): one port, one origin, so a
// container or a reverse proxy needs to expose only the console.
const sandboxPath = "/sandbox"

// demoTenant is demo mode's embedded sandbox tenant and the URLs it is reached at.
type demoTenant struct {
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

// startSandbox starts the sandbox tenant with the console registered as an OAuth
// client (clientSecret, the redirect URI under PUBLIC_URL) and serves it on its
// listener: SANDBOX_ADDR, or a private loopback port when it is mounted.
func startSandbox(cfg *Config, clientSecret string, logger *slog.Logger) (*demoTenant, error) {
	d := &demoTenant{mounted: cfg.SandboxAddr == ""}
	addr := cfg.SandboxAddr
	if d.mounted {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sandbox listener (SANDBOX_ADDR): %w", err)
	}
	d.ln = ln
	if d.mounted {
		d.publicURL = strings.TrimSuffix(cfg.PublicURL.String(), "/") + sandboxPath
		d.internalURL = "http://" + ln.Addr().String() + sandboxPath
	} else {
		d.publicURL = "http://" + ln.Addr().String()
		d.internalURL = d.publicURL
	}
	d.sandbox = sandbox.New(sandbox.Config{
		BaseURL: d.publicURL,
		Clients: []sandbox.Client{{
			ID:           demoClientID,
			Secret:       clientSecret,
			RedirectURIs: []string{strings.TrimSuffix(cfg.PublicURL.String(), "/") + "/auth/callback"},
		}},
		Logger: logger.With(slog.String("component", "sandbox")),
	})
	d.handler = d.sandbox.Handler()
	d.srv = newHTTPServer(d.handler, logger)
	go serve(d.srv, ln, logger, "sandbox")
	return d, nil
}

// withSandbox serves the sandbox under sandboxPath beside the console. The sandbox is
// a different application (the tenant's, not the console's): it gets none of the
// console's middleware (no console session, CSRF check or CSRF cookie; its login form
// keeps its own protections), but every answer carries headers that keep it inert in
// the console's origin: no scripts, no framing, no sniffing. Its own pages replace
// that CSP with their stricter, nonce-based one.
func withSandbox(console http.Handler, d *demoTenant) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != sandboxPath && !strings.HasPrefix(r.URL.Path, sandboxPath+"/") {
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
