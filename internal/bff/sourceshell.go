package bff

// The source detail page's shell (header with the source's name, type and status, the
// tab list, the tab panel) and how every tab is rendered into it, including a form that
// comes back with its problems.

import (
	"context"
	"net/http"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
	"golang.org/x/sync/errgroup"

	"sourcedesk/internal/api"
	"sourcedesk/web/templates"
)

// isSourceTabRequest reports whether htmx asks for a tab's content only: a tab link
// (or a form inside the tab) targeting the tab panel. Any other request gets the
// whole source detail shell around the tab.
func isSourceTabRequest(c echo.Context) bool {
	return isHTMX(c) && c.Request().Header.Get("HX-Target") == templates.SourceTabPanelID
}

// renderSourceTab renders one tab of the source detail page. An htmx request that
// targets the tab panel gets body alone (plus the tab list, swapped out of band so
// the current tab is marked); any other request gets the shell around body. src is
// the source when the handler has read it; when it is nil the shell reads source id,
// and only for a request that needs the shell. Every tab handler uses it:
//
//	return s.renderSourceTab(c, http.StatusOK, id, nil, "correlation", templates.SourceCorrelation(vm))
//	return s.renderSourceTab(c, http.StatusUnprocessableEntity, src.ID, src, "configuration", templates.SourceConfig(vm))
func (s *Server) renderSourceTab(c echo.Context, status int, id string, src *api.Source, tab string, body templ.Component) error {
	c.Response().Header().Add("Vary", "HX-Target")
	if isSourceTabRequest(c) {
		return s.renderFragment(c, status, templates.SourceTabFragment(id, tab, body))
	}
	if src == nil {
		var err error
		if src, err = s.sharedSource(c, id); err != nil {
			return err
		}
	}
	sum := sourceSummary(src)
	title := sum.Name
	if l := templates.SourceTabLabel(tab); l != "" && tab != "" {
		title = l + " · " + sum.Name
	}
	return s.render(c, status, Page{Title: title, Section: "sources", Body: templates.SourceShell(sum, tab, body)})
}

// formProblems answers 422 with a form of a source tab shown again, as typed, with
// its problems. An htmx request gets the form alone, swapped over the one on the page
// (HX-Retarget "#formID", outerHTML), whatever the form's target on success; any other
// request gets the whole tab, with that form in it, inside the source shell: page
// builds it, and is called only then.
func (s *Server) formProblems(c echo.Context, formID string, form templ.Component, tab string,
	page func() (*api.Source, templ.Component, error)) error {
	if isHTMX(c) {
		h := c.Response().Header()
		h.Set("HX-Retarget", "#"+formID)
		h.Set("HX-Reswap", "outerHTML")
		return s.renderFragment(c, http.StatusUnprocessableEntity, form)
	}
	src, body, err := page()
	if err != nil {
		return err
	}
	return s.renderSourceTab(c, http.StatusUnprocessableEntity, src.ID, src, tab, body)
}

// sourceSummary maps a source to the shell's header and what its tabs need to know.
func sourceSummary(src *api.Source) templates.SourceSummaryVM {
	return templates.SourceSummaryVM{
		ID:          src.ID,
		Name:        src.Name,
		Type:        src.Type,
		Connector:   src.ConnectorName,
		Description: src.Description,
		Status:      sourceState(src.Status),
		Delimited:   isDelimited(src),
	}
}

// isDelimited reports whether the source is a Delimited File source, whose
// aggregations and schema files take CSV.
func isDelimited(src *api.Source) bool {
	return strings.EqualFold(src.Type, "DelimitedFile") || strings.EqualFold(src.Connector, "delimited-file") ||
		strings.EqualFold(src.ConnectionType, "file") && strings.Contains(strings.ToLower(src.ConnectorName), "delimited")
}

// sharedSource reads a source for display (the overview, the shell around the
// tabs), from the shared copy when the user may see it (shared_reads.go). Forms
// that edit a source read it with getSource, from ISC.
func (s *Server) sharedSource(c echo.Context, id string) (*api.Source, error) {
	return sourceRead(s, c, "get source "+id, id, sourceReadOf("source", id, 1), func(ctx context.Context, cl *api.Client) (*api.Source, error) {
		return cl.GetSource(ctx, id)
	})
}

// getSource reads source id for a handler and, at the same time, its extras: more
// reads the page needs. An extra keeps its own result. One the page cannot do without
// returns its error; one the page shows in place when it fails (the source's health,
// its connections, its connector's form) keeps the error too and returns
// signInLost(err), so only a lost sign-in stops the page.
func (s *Server) getSource(c echo.Context, id string, extras ...func(ctx context.Context, cl *api.Client) error) (*api.Source, error) {
	var src *api.Source
	err := s.callAPI(c, "get source "+id, func(ctx context.Context, cl *api.Client) error {
		g, gctx := errgroup.WithContext(ctx)
		g.Go(func() error {
			var err error
			src, err = cl.GetSource(gctx, id)
			return err
		})
		for _, extra := range extras {
			g.Go(func() error { return extra(gctx, cl) })
		}
		return g.Wait()
	})
	if err != nil {
		return nil, err
	}
	return src, nil
}
