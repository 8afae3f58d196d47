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

// recordChanges is the middleware that writes the activity log: after every request
// to a route that changes something (its action, routes.go) made by a signed-in user
// and that reached ISC, it records who did what, on which source, and how it ended
// (at most activityPerWindow entries per user and minute, activity_flood.go), and
// marks what the change touched in the shared reads (whatever ISC answered), so
// nobody is served a copy from before it. Routes that change nothing
// (pages, previews, reviews, pre-flight checks) and requests the console refused
// before calling ISC are not recorded; the sign-in routes record sign-in and sign-out
// in their handlers.
func (s *Server) recordChanges(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		s.flushSuppressed(c.Request().Context()) // flood summaries of windows that are over
		ri := s.route(c)
		if !ri.records() {
			return next(c)
		}
		d := &activityDetails{}
		c.Set(ctxActivity, d)
		calls := upstreamCalls(c)
		// Before the answer leaves (the browser's next request must not meet a copy
		// from before the change): mark what a change that reached ISC touched.
		c.Response().Before(func() {
			if calls.N() > 0 {
				s.changed(c, ri)
			}
		})
		err := next(c)
		if s.userKey(c) == "" {
			return err // nobody signed in to name
		}
		if calls.N() == 0 {
			// Refused before any call to ISC (a form error, a level or CSRF check): it
			// changed nothing, and recording it would let anyone flood the log.
			return err
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
			At: s.cfg.Now(), Tenant: s.tenantOf(c).Key, UserID: s.userKey(c), SourceID: c.Param("id"), Action: actionName(c, ri.action),
			Method: c.Request().Method, Route: c.Path(), Status: status, Error: errText, RequestID: requestIDOf(c),
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
		s.appendBounded(c.Request().Context(), e)
		return err
	}
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
		if id, err := url.PathUnescape(rest); err == nil && validID(id) {
			return id
		}
	}
	return ""
}

// actionName fills in the ":param" segments of a route's action from the request's
// path: "upload.:kind" is "upload.accounts" for /sources/x/import/accounts.
func actionName(c echo.Context, action string) string {
	parts := strings.Split(action, ".")
	for i, p := range parts {
		if name, ok := strings.CutPrefix(p, ":"); ok {
			parts[i] = c.Param(name)
		}
	}
	return strings.Join(parts, ".")
}

// actionLabels are the actions in words for the pages.
var actionLabels = map[string]string{
	"source.create":                  "Create source",
	"source.update":                  "Edit source",
	"source.replace":                 "Replace source",
	"source.delete":                  "Delete source",
	"source.promote":                 "Promote source",
	"source.remove-accounts":         "Remove accounts",
	"tool.test-connection":           "Test connection",
	"tool.test-configuration":        "Test configuration",
	"tool.ping-cluster":              "Ping cluster",
	"tool.peek":                      "Peek objects",
	"tool.connector-file":            "Upload connector file",
	"aggregation.start":              "Aggregate",
	"attribute-sync.run":             "Attribute sync",
	"config.correlation":             "Edit correlation",
	"config.attribute-sync":          "Edit attribute sync",
	"config.change-detection":        "Edit change detection",
	"config.change-detection-delete": "Delete change detection",
	"config.entitlement-requests":    "Edit entitlement requests",
	"config.password-policies":       "Edit password policies",
	"schema.create":                  "Create schema",
	"schema.update":                  "Edit schema",
	"schema.replace":                 "Replace schema",
	"schema.delete":                  "Delete schema",
	"schema.import":                  "Import schema",
	"policy.create":                  "Create provisioning policy",
	"policy.replace":                 "Replace provisioning policy",
	"policy.update":                  "Edit provisioning policy",
	"policy.update-all":              "Update all provisioning policies",
	"policy.delete":                  "Delete provisioning policy",
	"schedule.create":                "Create schedule",
	"schedule.update":                "Change schedule",
	"schedule.delete":                "Delete schedule",
	"upload.accounts":                "Upload accounts",
	"upload.entitlements":            "Upload entitlements",
	"upload.uncorrelated":            "Upload uncorrelated accounts",
	"sign-in":                        "Sign in",
	"sign-out":                       "Sign out",
}

// actionLabel is an action in words (the action itself when it has no label).
func actionLabel(a string) string {
	if a == suppressedAction {
		return suppressedLabel
	}
	if l, ok := actionLabels[a]; ok {
		return l
	}
	return a
}
