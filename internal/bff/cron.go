package bff

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"sourcedesk/web/templates"
)

// cronQuery is the previewer's input, from the query string.
type cronQuery struct {
	Expr string `query:"expr"`
	// CronExpression is the same, under the name the schedule forms use, so they
	// can preview their field inline.
	CronExpression string `query:"cronExpression"`
	Zone           string `query:"tz"`
	Count          string `query:"n"`
}

// cronPreviewJSON is the previewer's answer for scripts (Accept: application/json).
type cronPreviewJSON struct {
	Valid       bool     `json:"valid"`
	Error       string   `json:"error,omitempty"`
	Field       string   `json:"field,omitempty"`
	Description string   `json:"description,omitempty"`
	Next        []string `json:"next"`
	Warnings    []string `json:"warnings,omitempty"`
}

// bindCron reads and checks the previewer's query. A bad count is a clear 400; an
// empty zone means UTC (the page's script fills in the browser's zone).
func bindCron(c echo.Context) (expr, zone string, count int, err error) {
	var q cronQuery
	if err := (&echo.DefaultBinder{}).BindQueryParams(c, &q); err != nil {
		return "", "", 0, userErrorf(http.StatusBadRequest, "The query could not be read.")
	}
	count = cronDefaultCount
	if q.Count != "" {
		n, err := strconv.Atoi(q.Count)
		if err != nil || n < 1 || n > cronMaxCount {
			return "", "", 0, userErrorf(http.StatusBadRequest, "n must be a whole number from 1 to %d.", cronMaxCount)
		}
		count = n
	}
	zone = strings.TrimSpace(q.Zone)
	if zone == "" {
		zone = "UTC"
	}
	if q.Expr == "" {
		q.Expr = q.CronExpression
	}
	return q.Expr, zone, count, nil
}

// cronPage handles "GET /cron": the previewer page, with the expression in the URL
// so a preview can be bookmarked and shared.
func (s *Server) cronPage(c echo.Context) error {
	expr, zone, count, err := bindCron(c)
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return s.cronPreview(c)
	}
	vm := templates.CronPageVM{
		Expr: expr, Zone: zone, Count: count, Zones: commonZones, Presets: cronPresets,
		Result: previewCron(expr, zone, count, s.cfg.Now(), s.cfg.ScheduleZone),
	}
	if c.QueryParam("tz") == "" {
		vm.Zone = "" // let the browser's zone fill in
	}
	return s.render(c, http.StatusOK, Page{Title: "Cron previewer", Section: "cron", Body: templates.CronPage(vm)})
}

// cronPreview handles "GET /cron/preview": the result fragment (htmx), or JSON for
// scripts that send Accept: application/json.
func (s *Server) cronPreview(c echo.Context) error {
	expr, zone, count, err := bindCron(c)
	if err != nil {
		return err
	}
	r := previewCron(expr, zone, count, s.cfg.Now(), s.cfg.ScheduleZone)
	if wantsJSON(c) {
		out := cronPreviewJSON{Valid: r.Valid, Error: r.Error, Field: r.ErrorField, Description: r.Description,
			Next: []string{}, Warnings: r.Warnings}
		if r.Empty {
			out.Error = "expr is empty"
		}
		for _, f := range r.Next {
			out.Next = append(out.Next, f.ISO)
		}
		return c.JSON(http.StatusOK, out)
	}
	if !isHTMX(c) {
		return c.Redirect(http.StatusSeeOther, "/cron?"+c.QueryString())
	}
	// The previewer's form updates the address bar to the page's URL (not this
	// fragment's), so a reload or a shared link shows the same preview. The
	// schedule forms reuse this endpoint inline and must not move the page.
	if c.Request().Header.Get("HX-Target") == "cron-result" {
		c.Response().Header().Set("HX-Push-Url", "/cron?"+c.QueryString())
	}
	return s.renderFragment(c, http.StatusOK, templates.CronResult(r))
}

// wantsJSON reports whether the client asked for JSON rather than HTML.
func wantsJSON(c echo.Context) bool {
	accept := c.Request().Header.Get("Accept")
	return strings.Contains(accept, "application/json") && !strings.Contains(accept, "text/html")
}
