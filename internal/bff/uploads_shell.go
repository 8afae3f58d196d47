package bff

import (
	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"sourcedesk/internal/api"
)

// renderSourceTabBody renders one of this package's source tabs (schemas, import,
// provisioning) in the source pages' shell (sources_detail.go): the tab alone for htmx
// requests aimed at the tab panel (#source-tab), the whole shell otherwise.
func (s *Server) renderSourceTabBody(c echo.Context, status int, src *api.Source, tab string, body templ.Component) error {
	return s.renderSourceTabFor(c, status, src, tab, body)
}
