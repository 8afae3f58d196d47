package bff

import (
	"bytes"
	"cmp"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"sourcedesk/internal/activity"
	"sourcedesk/internal/csvcheck"
	"sourcedesk/web/templates"
)

// activityExportMax caps one CSV export.
const activityExportMax = 10000

// parseActivityQuery reads and checks the activity page's URL parameters.
func parseActivityQuery(v url.Values) (templates.ActivityQuery, activity.Filter, error) {
	q := templates.ActivityQuery{
		User:   strings.TrimSpace(v.Get("user")),
		Source: strings.TrimSpace(v.Get("source")),
		Action: strings.TrimSpace(v.Get("action")),
		From:   v.Get("from"),
		To:     v.Get("to"),
		Page:   1,
	}
	f := activity.Filter{User: q.User, SourceID: q.Source, Action: q.Action, Limit: templates.ActivityPageSize}
	if len(q.User) > 200 || len(q.Action) > 100 {
		return q, f, userErrorf(http.StatusBadRequest, "Filter texts are limited to 200 characters.")
	}
	if q.Source != "" && !validID(q.Source) {
		return q, f, userErrorf(http.StatusBadRequest, "The source filter must be a source id.")
	}
	day := func(name, s string) (time.Time, error) {
		if s == "" {
			return time.Time{}, nil
		}
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return t, userErrorf(http.StatusBadRequest, "The %q date must look like 2026-11-29, not %q.", name, s)
		}
		return t, nil
	}
	var err error
	if f.From, err = day("from", q.From); err != nil {
		return q, f, err
	}
	if f.To, err = day("to", q.To); err != nil {
		return q, f, err
	}
	if !f.To.IsZero() {
		f.To = f.To.AddDate(0, 0, 1) // "to" names a day, inclusive
	}
	if p := v.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 100000 {
			return q, f, userErrorf(http.StatusBadRequest, "The page must be a whole number from 1, not %q.", p)
		}
		q.Page = n
	}
	f.Offset = (q.Page - 1) * templates.ActivityPageSize
	return q, f, nil
}

// restrictActivity limits what the user reads to the log of the tenant the page is
// about, and a subadmin's to their own actions: the log names sources they may
// not see.
func (s *Server) restrictActivity(c echo.Context, q *templates.ActivityQuery, f *activity.Filter) bool {
	f.Tenants = s.logTenants(c)
	if !isSubadmin(c) {
		return false
	}
	f.User = s.userKey(c)
	q.User = ""
	return true
}

// activityPage handles "GET /activity": the log, filtered and paged; htmx
// requests from the filter form get the results region only.
func (s *Server) activityPage(c echo.Context) error {
	q, f, err := parseActivityQuery(c.QueryParams())
	if err != nil {
		return err
	}
	own := s.restrictActivity(c, &q, &f)
	entries, total, err := s.dash.log.Query(c.Request().Context(), f)
	if err != nil {
		return fmt.Errorf("activity query: %w", err)
	}
	vm := templates.ActivityVM{Query: q, Total: total, OnlyOwn: own, Actions: slices.Sorted(maps.Keys(actionLabels))}
	names := s.sourceNames(c)
	for _, e := range entries {
		r := activityRow(e)
		r.SourceName = names[e.SourceID]
		if r.SourceName == "" && e.Details["sourceName"] != "" {
			r.SourceName = e.Details["sourceName"] + " (deleted)"
		}
		vm.Rows = append(vm.Rows, r)
	}
	c.Response().Header().Add("Vary", "HX-Target")
	if isHTMX(c) && c.Request().Header.Get("HX-Target") == "activity-results" {
		return s.renderFragment(c, http.StatusOK, templates.Announce(fmt.Sprintf("%d entries match.", vm.Total), templates.ActivityResults(vm)))
	}
	return s.render(c, http.StatusOK, Page{Title: "Activity", Section: "activity", Body: templates.ActivityPage(vm)})
}

// sourceNames maps the ids of the user's sources to their names, for pages that
// show a source by name (from the dashboard's cached list; empty when ISC cannot
// be asked right now, and the ids are shown instead).
func (s *Server) sourceNames(c echo.Context) map[string]string {
	list, err := s.visibleSources(c)
	if err != nil {
		return map[string]string{}
	}
	names := make(map[string]string, len(list))
	for i := range list {
		names[list[i].ID] = list[i].Name
	}
	return names
}

// activityRow maps one entry to a row.
func activityRow(e activity.Entry) templates.ActivityRowVM {
	r := templates.ActivityRowVM{
		When: e.At.UTC().Format("2006-01-02 15:04:05 UTC"), WhenISO: templates.ISOTime(e.At),
		User: cmp.Or(e.UserName, e.UserID), UserID: e.UserID, SourceID: e.SourceID,
		Action: actionLabel(e.Action), Route: e.Method + " " + e.Route, Status: e.Status, OK: e.OK(),
		Error: e.Error, TaskID: e.TaskID, TaskStatus: e.TaskStatus, RequestID: e.RequestID,
	}
	if e.TaskID != "" {
		r.TaskURL = taskURL(e.TaskID, e.SourceID)
	}
	for _, k := range slices.Sorted(maps.Keys(e.Details)) {
		r.Details = append(r.Details, templates.KV{Label: k, Value: e.Details[k]})
	}
	return r
}

// activityExport handles "GET /activity/export.csv": the filtered log as CSV, with
// cells a spreadsheet would run as formulas made inert.
func (s *Server) activityExport(c echo.Context) error {
	q, f, err := parseActivityQuery(c.QueryParams())
	if err != nil {
		return err
	}
	s.restrictActivity(c, &q, &f)
	f.Offset, f.Limit = 0, activity.MaxLimit
	var buf bytes.Buffer
	buf.WriteString(csvcheck.BOM)
	w := csvcheck.NewSafeWriter(&buf)
	if err := w.Write([]string{"time", "user id", "user", "source id", "action", "method", "route", "status",
		"error", "task id", "task status", "request id", "details"}); err != nil {
		return err
	}
	for n := 0; n < activityExportMax; {
		entries, _, err := s.dash.log.Query(c.Request().Context(), f)
		if err != nil {
			return fmt.Errorf("activity export: %w", err)
		}
		for _, e := range entries {
			var det []string
			for _, k := range slices.Sorted(maps.Keys(e.Details)) {
				det = append(det, k+"="+e.Details[k])
			}
			if err := w.Write([]string{e.At.UTC().Format(time.RFC3339), e.UserID, e.UserName, e.SourceID, e.Action,
				e.Method, e.Route, strconv.Itoa(e.Status), e.Error, e.TaskID, e.TaskStatus, e.RequestID,
				strings.Join(det, "; ")}); err != nil {
				return err
			}
		}
		n += len(entries)
		if len(entries) < f.Limit {
			break
		}
		f.Offset += len(entries)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentDisposition, `attachment; filename="activity.csv"`)
	h.Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}
