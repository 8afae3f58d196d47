package bff

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"sourcedesk/internal/activity"
)

// ctxActivity holds the *activityDetails of a change request (recordDetail).
const ctxActivity = "sd.activity"

// activityDetails collects what a handler knows beyond the request: a patch, a
// file's name, size and hash, a task id. Handlers may fill it from goroutines.
type activityDetails struct {
	mu sync.Mutex
	m  map[string]string
}

// recordDetail attaches a detail to the activity entry of this request, e.g.
// recordDetail(c, "patch", string(patchJSON)), recordDetail(c, "file", name),
// recordDetail(c, "size", "1234"), recordDetail(c, "sha256", hex),
// recordDetail(c, "taskId", id). The key "taskId" fills the entry's task id; "error"
// its error text. Never pass secrets, tokens or file contents: values are stored as
// they are, and long ones are cut at maxDetail bytes.
func recordDetail(c echo.Context, key, value string) {
	d, ok := c.Get(ctxActivity).(*activityDetails)
	if !ok {
		return // not a recorded request (a GET, or no activity middleware)
	}
	if len(value) > maxDetail {
		value = value[:maxDetail] + "…"
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.m == nil {
		d.m = map[string]string{}
	}
	d.m[key] = value
}

// maxDetail caps one detail value (a big patch is cut, not refused).
const maxDetail = 8 << 10

// activityTimeout bounds one write to the log; the request's own context may be
// gone already (the user closed the tab) and the change must still be recorded.
const activityTimeout = 3 * time.Second

// recordActivity appends e to the activity log. The sign-in handlers call it for
// "sign-in" and "sign-out" (with UserID, UserName, Status, RequestID); the change
// middleware calls it for everything else. A failure is logged, not returned: the
// change it describes has happened either way.
func (s *Server) recordActivity(ctx context.Context, e activity.Entry) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), activityTimeout)
	defer cancel()
	if e.At.IsZero() {
		e.At = s.cfg.Now()
	}
	if err := s.dash.log.Append(ctx, e); err != nil {
		s.log.Error("activity: could not record", "action", e.Action, "request_id", e.RequestID, "error", err)
	}
}

// recordChanges is the middleware that writes the activity log: after every
// non-GET request that reached a signed-in route it records who did what, on which
// source, and how it ended, and invalidates the user's dashboard after a success.
// Requests that change nothing (previews, reviews, pre-flight checks) and the
// sign-in routes (their handlers record sign-in and sign-out themselves) are skipped.
func (s *Server) recordChanges(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		m := c.Request().Method
		if m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions {
			return next(c)
		}
		d := &activityDetails{}
		c.Set(ctxActivity, d)
		err := next(c)
		route := c.Path()
		if !recordedRoute(route) || s.userKey(c) == "" {
			return err // nothing worth logging, or nobody signed in to name
		}
		status := c.Response().Status
		var errText string
		if err != nil {
			o := classify(err)
			if o.status == http.StatusUnauthorized || errors.Is(err, errNeedLogin) {
				return err // not signed in: nothing happened, and nobody to name
			}
			status, errText = o.status, o.message
		}
		d.mu.Lock()
		details := d.m
		d.mu.Unlock()
		e := activity.Entry{
			At: s.cfg.Now(), UserID: s.userKey(c), SourceID: c.Param("id"), Action: actionName(c),
			Method: m, Route: route, Status: status, Error: errText, RequestID: requestIDOf(c),
		}
		if id, ok := c.Get(ctxUserID).(string); ok {
			e.UserID = id
		}
		if u := currentUserVM(c); u != nil {
			e.UserName = u.Name
		}
		if v, ok := details["taskId"]; ok {
			e.TaskID = v
			delete(details, "taskId")
		} else {
			e.TaskID = taskFromResponse(c.Response().Header())
		}
		if v, ok := details["error"]; ok && e.Error == "" {
			e.Error = v
			delete(details, "error")
		}
		if len(details) > 0 {
			e.Details = details
		}
		s.recordActivity(c.Request().Context(), e)
		if err == nil && status < 300 {
			s.invalidateDashboard(c)
		}
		return err
	}
}

// recordedRoute reports whether a non-GET route changes something worth logging.
func recordedRoute(route string) bool {
	if route == "" || route == "/*" {
		return false // no route matched
	}
	for _, p := range []string{"/login", "/logout", "/auth/"} {
		if strings.HasPrefix(route, p) {
			return false
		}
	}
	for _, suffix := range []string{"/preview", "/review", "/preflight", "/diff"} {
		if strings.HasSuffix(route, suffix) {
			return false
		}
	}
	return true
}

// taskFromResponse finds the task a handler sent the user to follow: the handlers
// that start a task (aggregations, uploads, tools) answer it with HX-Location, HX-Redirect or Location to /tasks/<id>.
func taskFromResponse(h http.Header) string {
	for _, v := range []string{h.Get("HX-Location"), h.Get("HX-Redirect"), h.Get(echo.HeaderLocation)} {
		i := strings.Index(v, "/tasks/")
		if i < 0 {
			continue
		}
		rest := v[i+len("/tasks/"):]
		if j := strings.IndexAny(rest, `?"#/`); j >= 0 {
			rest = rest[:j]
		}
		if id, err := url.PathUnescape(rest); err == nil && validSourceID(id) {
			return id
		}
	}
	return ""
}

// actionNames names the changes the console makes, by method and route pattern.
var actionNames = map[string]string{
	"POST /sources":                                    "source.create",
	"POST /sources/bulk/test-connection":               "tool.test-connection",
	"POST /sources/bulk/aggregate":                     "aggregation.start",
	"POST /sources/:id/configuration":                  "source.update",
	"POST /sources/:id/replace":                        "source.replace",
	"POST /sources/:id/delete":                         "source.delete",
	"POST /sources/:id/remove-accounts":                "source.remove-accounts",
	"POST /sources/:id/tools/test-connection":          "tool.test-connection",
	"POST /sources/:id/tools/test-configuration":       "tool.test-configuration",
	"POST /sources/:id/tools/ping-cluster":             "tool.ping-cluster",
	"POST /sources/:id/tools/peek":                     "tool.peek",
	"POST /sources/:id/tools/connector-file":           "tool.connector-file",
	"POST /sources/:id/correlation":                    "config.correlation",
	"POST /sources/:id/attribute-sync":                 "config.attribute-sync",
	"POST /sources/:id/attribute-sync/run":             "attribute-sync.run",
	"POST /sources/:id/change-detection":               "config.change-detection",
	"POST /sources/:id/change-detection/delete":        "config.change-detection-delete",
	"POST /sources/:id/entitlement-requests":           "config.entitlement-requests",
	"POST /sources/:id/password-policies":              "config.password-policies",
	"POST /sources/:id/import/aggregate":               "aggregation.start",
	"POST /sources/:id/schemas":                        "schema.create",
	"DELETE /sources/:id/schemas/:schemaId":            "schema.delete",
	"POST /sources/:id/schemas/:schemaId/patch":        "schema.update",
	"POST /sources/:id/schema-files/:kind":             "schema.import",
	"POST /sources/:id/schedules":                      "schedule.create",
	"POST /sources/:id/schedules/:type":                "schedule.update",
	"DELETE /sources/:id/schedules/:type":              "schedule.delete",
	"POST /sources/:id/import/:kind":                   "upload",
	"POST /sources/:id/provisioning-policies":          "policy.create",
	"POST /sources/:id/provisioning-policies/:usage":   "policy.update",
	"DELETE /sources/:id/provisioning-policies/:usage": "policy.delete",
}

// actionName names the request's change: from the table, with the upload kind
// appended ("upload.accounts"), or derived from the route for routes added later.
func actionName(c echo.Context) string {
	key := c.Request().Method + " " + c.Path()
	if a, ok := actionNames[key]; ok {
		if a == "upload" && c.Param("kind") != "" {
			a += "." + c.Param("kind")
		}
		return a
	}
	p := strings.TrimPrefix(c.Path(), "/sources/:id/")
	var parts []string
	for _, seg := range strings.Split(strings.Trim(p, "/"), "/") {
		if seg != "" && !strings.HasPrefix(seg, ":") {
			parts = append(parts, seg)
		}
	}
	return strings.ToLower(c.Request().Method) + ":" + strings.Join(parts, ".")
}

// actionLabels are the actions in words for the pages.
var actionLabels = map[string]string{
	"source.create":           "Create source",
	"source.update":           "Edit source",
	"source.replace":          "Replace source",
	"source.delete":           "Delete source",
	"source.remove-accounts":  "Remove accounts",
	"tool.test-connection":    "Test connection",
	"tool.test-configuration": "Test configuration",
	"tool.ping-cluster":       "Ping cluster",
	"tool.peek":               "Peek objects",
	"tool.connector-file":     "Upload connector file",
	"aggregation.start":       "Aggregate",
	"attribute-sync.run":      "Attribute sync",
	"schema.create":           "Create schema",
	"schema.update":           "Edit schema",
	"schema.delete":           "Delete schema",
	"schema.import":           "Import schema",
	"schedule.create":         "Create schedule",
	"schedule.update":         "Change schedule",
	"schedule.delete":         "Delete schedule",
	"upload.accounts":         "Upload accounts",
	"upload.entitlements":     "Upload entitlements",
	"upload.uncorrelated":     "Upload uncorrelated accounts",
	"sign-in":                 "Sign in",
	"sign-out":                "Sign out",
}

// actionLabel is an action in words (the action itself when it has no label).
func actionLabel(a string) string {
	if l, ok := actionLabels[a]; ok {
		return l
	}
	return a
}
