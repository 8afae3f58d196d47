package bff

import (
	"net/http"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"sourcedesk/web/templates"
)

// renderSourceTabBody renders one of this package's source tabs (schemas, import,
// provisioning). INTERIM: until the source pages' shell (renderSourceTab) is available,
// the tab is framed by a breadcrumb; htmx requests get the tab alone either way.
func (s *Server) renderSourceTabBody(c echo.Context, src templates.SourceHeadVM, tab, title string, body templ.Component) error {
	return s.render(c, http.StatusOK, Page{
		Title:   title + " · " + src.Name,
		Section: "sources",
		Body:    templates.SourceTabFrame(src, tab, body),
	})
}
