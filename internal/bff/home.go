package bff

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"sourcedesk/web/templates"
)

// home handles "GET /": the dashboard when signed in, a welcome page otherwise.
// The dashboard is only a frame; its tiles load themselves (dashboard_tiles.go).
func (s *Server) home(c echo.Context) error {
	u := currentUserVM(c)
	if u == nil && !s.signedIn(c) {
		vm := templates.HomeVM{DemoMode: s.cfg.DemoMode, LoginURL: "/login"}
		return s.render(c, http.StatusOK, Page{Title: "Home", Section: "home", Body: templates.Home(vm)})
	}
	vm := templates.DashboardVM{Zone: c.QueryParam("tz")}
	if zone, _ := scheduleZone(c); vm.Zone != "" {
		vm.Zone = zone // only a real zone name goes back into the page
	}
	if u != nil {
		vm.UserName = u.Name
	}
	return s.render(c, http.StatusOK, Page{Title: "Home", Section: "home", Body: templates.Dashboard(vm)})
}

// signedIn reports whether the request has a signed-in user: the auth middleware
// does not run on "/", so ask for the token source the way callAPI would.
func (s *Server) signedIn(c echo.Context) bool {
	ts, err := s.tokenSource(c.Request().Context())
	return err == nil && ts != nil
}
