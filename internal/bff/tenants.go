package bff

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"sourcedesk/internal/api"
	"sourcedesk/internal/readcache"
	"sourcedesk/internal/session"
	"sourcedesk/web/templates"
)

// Several tenants in one console. With more than one tenant configured, every
// address of a tenant's pages carries it: /t/{key}/sources/… . So that routes,
// handlers and templates stay free of it, the prefix is handled at the edges, in
// this file alone:
//
//   - tenantRoute (a Pre middleware, before routing) takes /t/{key} off the path
//     and makes {key} the request's tenant, for the handlers (tenantOf) and the
//     session (session.WithTenant); an address without it is the default
//     tenant's, and a page asked for without it is redirected to carry it;
//   - write puts the prefix back on every same-origin address of the page it
//     sends (links, forms, htmx attributes), and a hook puts it on the redirect
//     headers (Location, HX-Redirect, HX-Location, HX-Push-Url, HX-Replace-Url).
//
// Two tabs on two tenants therefore never mix: each page's links lead to its own
// tenant. A few addresses belong to no tenant (globalPath): static files, the
// operations endpoints, the OAuth callback, sign-out and the cron previewer.
// With one tenant, addresses stay as they were, without /t/.

// Tenant is one ISC tenant the console works with.
type Tenant struct {
	// Key names it in addresses (/t/{key}/…), the session and the activity log.
	Key string
	// Name is what the nav shows.
	Name string
	// Color is one of TenantColors; the nav shows the tenant in it (production
	// red, by convention).
	Color string
	// API is the shared ISC client of the tenant; calls go through per-user views.
	API *api.Client
	// LogoutURL, when set, is the tenant's own sign-out page, offered on the
	// signed-out page.
	LogoutURL string
}

// TenantColors are the colours a tenant may be shown in (classes of app.css:
// the CSP allows no inline styles).
var TenantColors = []string{"red", "orange", "yellow", "green", "teal", "blue", "purple", "grey"}

// checkTenants reports configuration mistakes New refuses: keys missing or
// given twice, colours outside TenantColors.
func checkTenants(ts []Tenant) error {
	var problems []string
	seen := map[string]bool{}
	for _, t := range ts {
		switch {
		case t.Key == "":
			problems = append(problems, "a tenant has no key")
		case seen[t.Key]:
			problems = append(problems, "tenant key "+t.Key+" is given twice")
		}
		seen[t.Key] = true
		if t.Color != "" && !slices.Contains(TenantColors, t.Color) {
			problems = append(problems, "tenant "+t.Key+": colour "+t.Color+" is not one of "+strings.Join(TenantColors, ", "))
		}
	}
	if len(problems) > 0 {
		return errors.New("bff: " + strings.Join(problems, "; "))
	}
	return nil
}

// ctxTenant holds the request's *Tenant (tenantRoute).
const ctxTenant = "sd.tenant"

// ctxExternalURI is the request's address as the browser sent it, with its /t/{key}.
const ctxExternalURI = "sd.externalURI"

// tenantOf is the tenant the request is about.
func (s *Server) tenantOf(c echo.Context) *Tenant {
	if t, ok := c.Get(ctxTenant).(*Tenant); ok {
		return t
	}
	return &s.cfg.Tenants[0]
}

// tenantByKey is the configured tenant key (nil for none).
func (s *Server) tenantByKey(key string) *Tenant {
	for i := range s.cfg.Tenants {
		if s.cfg.Tenants[i].Key == key {
			return &s.cfg.Tenants[i]
		}
	}
	return nil
}

// multiTenant reports whether addresses carry their tenant.
func (s *Server) multiTenant() bool { return len(s.cfg.Tenants) > 1 }

// cutTenant splits /t/{key}/rest into key and /rest ("/" for none).
func cutTenant(path string) (key, rest string, ok bool) {
	after, found := strings.CutPrefix(path, "/t/")
	if !found {
		return "", "", false
	}
	key, rest, _ = strings.Cut(after, "/")
	return key, "/" + rest, key != ""
}

// globalPath reports whether an address belongs to no tenant.
func globalPath(path string) bool {
	for _, p := range []string{"/static/", "/t/", "/auth/"} {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	p, _, _ := strings.Cut(path, "?")
	p, _, _ = strings.Cut(p, "#")
	switch p {
	case "/favicon.ico", "/healthz", "/readyz", "/metrics", "/logout", "/signed-out", "/cron", "/cron/preview":
		return true
	}
	return false
}

// tenantPath is the address of a tenant's page: /t/{key} before a tenant's path
// when the console has several tenants, the path as it is otherwise.
func (s *Server) tenantPath(t *Tenant, path string) string {
	if !s.multiTenant() || !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") || globalPath(path) {
		return path
	}
	if path == "/" || strings.HasPrefix(path, "/?") {
		return "/t/" + t.Key + strings.TrimPrefix(path, "/")
	}
	return "/t/" + t.Key + path
}

// tenantRoute is the Pre middleware that finds the request's tenant (see the
// top of this file). An unknown tenant is a 404.
func (s *Server) tenantRoute(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		c.Set(ctxExternalURI, r.URL.RequestURI())
		t := &s.cfg.Tenants[0]
		if key, rest, ok := cutTenant(r.URL.Path); ok {
			if t = s.tenantByKey(key); t == nil {
				return echo.ErrNotFound
			}
			r.URL.Path, r.URL.RawPath = rest, ""
		} else if s.multiTenant() && !globalPath(r.URL.Path) && (r.Method == http.MethodGet || r.Method == http.MethodHead) &&
			r.Header.Get("HX-Request") != "true" {
			// A page asked for without its tenant (an old bookmark): the default tenant's.
			// A path a browser would read as another site's (//host, /\host) is no page:
			// sending it back in Location would make the console an open redirect.
			if strings.HasPrefix(r.URL.Path, "//") || strings.HasPrefix(r.URL.Path, "/\\") {
				return echo.ErrNotFound
			}
			return c.Redirect(http.StatusFound, s.tenantPath(t, r.URL.RequestURI()))
		}
		c.Set(ctxTenant, t)
		c.SetRequest(r.WithContext(session.WithTenant(r.Context(), t.Key)))
		if s.multiTenant() {
			c.Response().Before(func() { s.tenantHeaders(c, t) })
		}
		return next(c)
	}
}

// tenantHeaders puts the tenant on the redirect headers of a response.
func (s *Server) tenantHeaders(c echo.Context, t *Tenant) {
	h := c.Response().Header()
	for _, name := range []string{echo.HeaderLocation, "HX-Redirect", "HX-Push-Url", "HX-Replace-Url"} {
		if v := h.Get(name); v != "" {
			h.Set(name, s.tenantPath(t, v))
		}
	}
	if v := h.Get("HX-Location"); v != "" {
		var loc map[string]any
		if json.Unmarshal([]byte(v), &loc) == nil {
			if p, ok := loc["path"].(string); ok {
				loc["path"] = s.tenantPath(t, p)
				if b, err := json.Marshal(loc); err == nil {
					h.Set("HX-Location", string(b))
				}
			}
		} else {
			h.Set("HX-Location", s.tenantPath(t, v))
		}
	}
}

// addressAttr matches an attribute of a rendered page that holds a same-origin
// address. templ writes every attribute value in double quotes and escapes any
// quote inside it, so a value cannot end early.
var addressAttr = regexp.MustCompile(`\s(?:href|action|formaction|hx-get|hx-post|hx-put|hx-patch|hx-delete|hx-push-url|hx-replace-url)="(/[^"]*)"`)

// tenantLinks puts the request's tenant on the addresses of a rendered page.
// Only /t/{key} is inserted at the front of an address; the rest stays as
// templ escaped it.
func (s *Server) tenantLinks(c echo.Context, html []byte) []byte {
	if !s.multiTenant() {
		return html
	}
	t := s.tenantOf(c)
	return addressAttr.ReplaceAllFunc(html, func(m []byte) []byte {
		sub := addressAttr.FindSubmatchIndex(m)
		addr := string(m[sub[2]:sub[3]])
		ext := s.tenantPath(t, addr)
		if ext == addr {
			return m
		}
		return slices.Concat(m[:sub[2]], []byte(ext), m[sub[3]:])
	})
}

// readsOf is the shared read cache of the request's tenant (shared_reads.go).
func (s *Server) readsOf(c echo.Context) *readcache.Cache { return s.tenantReads[s.tenantOf(c).Key] }

// logTenants selects the activity log of the request's tenant: its entries, and
// for the default tenant those written before the console knew several tenants.
func (s *Server) logTenants(c echo.Context) []string {
	t := s.tenantOf(c)
	if t == &s.cfg.Tenants[0] {
		return []string{t.Key, ""}
	}
	return []string{t.Key}
}

// externalURI is the request's address as the browser sees it (with its tenant).
func externalURI(c echo.Context) string {
	if u, ok := c.Get(ctxExternalURI).(string); ok {
		return u
	}
	return c.Request().URL.RequestURI()
}

// tenantsVM is the nav's view of the tenants: none with one tenant; otherwise
// each, marked current and signed in, linked to its home or its sign-in.
func (s *Server) tenantsVM(c echo.Context) (*templates.TenantVM, []templates.TenantVM) {
	if !s.multiTenant() {
		return nil, nil
	}
	var signedIn []string
	if s.cfg.Sessions != nil {
		signedIn = s.cfg.Sessions.SignedIn(c.Request().Context())
	}
	cur := s.tenantOf(c)
	var current *templates.TenantVM
	out := make([]templates.TenantVM, 0, len(s.cfg.Tenants))
	for i := range s.cfg.Tenants {
		t := &s.cfg.Tenants[i]
		vm := templates.TenantVM{Key: t.Key, Name: t.Name, Color: t.Color, Current: t == cur, SignedIn: slices.Contains(signedIn, t.Key)}
		vm.URL = s.tenantPath(t, "/")
		if !vm.SignedIn {
			vm.URL = s.tenantPath(t, "/login")
		}
		if vm.Current {
			current = &vm
		}
		out = append(out, vm)
	}
	return current, out
}

// needSignedIn refuses to use tenant t for a user not signed in there, with the
// way to sign in.
func (s *Server) needSignedIn(c echo.Context, t *Tenant) error {
	if s.cfg.Sessions != nil && slices.Contains(s.cfg.Sessions.SignedIn(c.Request().Context()), t.Key) {
		return nil
	}
	return &UserError{Status: http.StatusConflict, Message: fmt.Sprintf("Sign in to %s first (%s), then try again.",
		tenantName(t), s.tenantPath(t, "/login"))}
}

// tenantName is what the console calls a tenant.
func tenantName(t *Tenant) string { return cmp.Or(t.Name, t.Key) }
