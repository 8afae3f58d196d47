package bff

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"sourcedesk/web/templates"
)

// Page describes what a handler shows: the title and section for the layout, and the
// body component, which is also the htmx fragment.
type Page struct {
	Title   string
	Section string
	Body    templ.Component
}

// isHTMX reports whether the request comes from htmx and wants a fragment: htmx
// requests that are not boosted navigations.
func isHTMX(c echo.Context) bool {
	h := c.Request().Header
	return h.Get("HX-Request") == "true" && h.Get("HX-Boosted") != "true"
}

// render is the only write path for pages. It renders into a buffer first (a failed
// render must not leave half a page on the wire), marks the response as varying by
// HX-Request, sends the fragment to htmx and the full page otherwise, compressed
// when the browser accepts it (compress.go).
func (s *Server) render(c echo.Context, status int, p Page) error {
	var comp templ.Component = p.Body
	switch {
	case !isHTMX(c):
		comp = templates.Page(s.chrome(c, p.Title, p.Section), p.Body)
	case p.Title != "" && c.Request().Method == http.MethodGet:
		// A page loaded by htmx (a link, a filter, HX-Location after a change) pushes its
		// URL: it brings its title along. Answers to a POST (a preview, a check) stay
		// in their part of the page and leave the title alone.
		comp = templates.WithTitle(p.Title, p.Body)
	}
	return s.write(c, status, comp)
}

// renderFragment sends a component on its own, whatever the request: for endpoints
// that only htmx calls (tiles, previews, table bodies).
func (s *Server) renderFragment(c echo.Context, status int, comp templ.Component) error {
	return s.write(c, status, comp)
}

func (s *Server) write(c echo.Context, status int, comp templ.Component) error {
	buf := templ.GetBuffer()
	defer templ.ReleaseBuffer(buf)
	// Rendering is in memory; it must finish even when the request's context has
	// ended, e.g. to answer 408 after the server cancelled it for a body too slow.
	ctx := templ.WithNonce(context.WithoutCancel(c.Request().Context()), cspNonce(c))
	ctx = templates.WithAccess(ctx, accessOf(c))
	if age, ok := s.copyAge(c); ok {
		ctx = templates.WithCopyAge(ctx, age)
	}
	if err := comp.Render(ctx, buf); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Add("Vary", "HX-Request")
	h.Set("Cache-Control", "no-store")
	h.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	return writeCompressed(c.Response(), c.Request(), status, s.tenantLinks(c, buf.Bytes()))
}

// chrome builds the layout's view model for this request.
func (s *Server) chrome(c echo.Context, title, section string) templates.Chrome {
	ch := templates.Chrome{
		Title:     title,
		Section:   section,
		Version:   s.cfg.Version,
		CSRFToken: s.csrfToken(c),
		User:      currentUserVM(c),
		DemoMode:  s.cfg.DemoMode,
		RequestID: requestIDOf(c),
	}
	ch.Tenant, ch.Tenants = s.tenantsVM(c)
	return ch
}

// csrfToken is the CSRF token of the request's session ("" when it has none yet:
// a signed-out visitor gets a session only on a page with a form, see patForm).
func (s *Server) csrfToken(c echo.Context) string {
	if s.cfg.Sessions == nil {
		return ""
	}
	return s.cfg.Sessions.CSRFToken(c.Request().Context())
}

// currentUserVM is the signed-in user for the nav (nil when signed out).
func currentUserVM(c echo.Context) *templates.UserVM {
	if u, ok := c.Get(ctxUser).(*templates.UserVM); ok {
		return u
	}
	return nil
}

// Context keys set by middleware.
const (
	ctxRequestID = "sd.requestID"
	ctxNonce     = "sd.cspNonce"
	ctxUser      = "sd.user" // *templates.UserVM, set by the auth middleware
)

// notice tells the user what a change did, in words: htmx shows it in the alerts
// region once the answer (or the page HX-Location loads next) is in place (app.js).
// Plain form posts without JavaScript do not show it; the page they land on does.
func notice(c echo.Context, message string) {
	b, _ := json.Marshal(map[string]map[string]string{"sd:notice": {"message": message}})
	c.Response().Header().Set("HX-Trigger", string(b))
}

// goTo sends the user to a console page after an action (a task started, an object
// created or deleted): htmx requests get HX-Location aimed at #main, so htmx loads the
// page as a fragment into the kept layout and pushes its URL (it ignores headers on
// a 3xx); plain requests get a 303.
// done is the notice that says what the change did (see notice).
func (s *Server) goTo(c echo.Context, path, done string) error {
	if c.Request().Header.Get("HX-Request") == "true" {
		notice(c, done)
		loc, err := json.Marshal(map[string]string{"path": path, "target": "#main"})
		if err != nil {
			return err
		}
		c.Response().Header().Set("HX-Location", string(loc))
		return c.NoContent(http.StatusOK)
	}
	return c.Redirect(http.StatusSeeOther, path)
}

// pageAround renders the layout of a page with nothing in it, split where its
// body goes, both halves with the tenant on their addresses.
func (s *Server) pageAround(c echo.Context, title, section string) (head, tail []byte, err error) {
	const mark = "<!--sd:body-->"
	var buf bytes.Buffer
	ctx := templ.WithNonce(context.WithoutCancel(c.Request().Context()), cspNonce(c))
	ctx = templates.WithAccess(ctx, accessOf(c))
	if err := templates.Page(s.chrome(c, title, section), templ.Raw(mark)).Render(ctx, &buf); err != nil {
		return nil, nil, err
	}
	page := s.tenantLinks(c, buf.Bytes())
	i := bytes.Index(page, []byte(mark))
	if i < 0 {
		return nil, nil, fmt.Errorf("bff: the layout lost its body")
	}
	return page[:i], page[i+len(mark):], nil
}
