package bff

import (
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"sourcedesk/internal/api"
)

// routes registers every route of the console with what the console knows about it
// (its activity action, whether it streams an upload). Keep them all here, so this
// function is the map of the application.
func (s *Server) routes() {
	e := s.echo
	// A page address with a trailing slash (/sources/) is moved to the one without,
	// so a hand-typed or pasted URL finds its page instead of a 404.
	// /t/{tenant}/… names the tenant a request is about (tenants.go); it comes
	// first, so that the redirect below gets the tenant back on its way out.
	e.Pre(s.tenantRoute)
	e.Pre(middleware.RemoveTrailingSlashWithConfig(middleware.TrailingSlashConfig{
		RedirectCode: http.StatusMovedPermanently,
		Skipper: func(c echo.Context) bool {
			m := c.Request().Method
			return m != http.MethodGet && m != http.MethodHead
		},
	}))
	// Everything: Recover, request ID, request log + metrics, security headers, body
	// limit, and the activity log of every change (activity.go), which also drops the
	// user's cached dashboard after a successful change.
	e.Use(middleware.Recover())
	e.Use(requestID)
	e.Use(countUpstream)
	e.Use(s.requestLog())
	e.Use(s.securityHeaders)
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{
		Limit:   s.cfg.BodyLimit,
		Skipper: func(c echo.Context) bool { return s.route(c).upload }, // uploads enforce UploadLimit while streaming
	}))
	e.Use(s.bodyDeadlines) // slow bodies are cut off (body_deadline.go)
	e.Use(s.recordChanges)

	// Operations endpoints: no session.
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(s.cfg.Registry, promhttp.HandlerOpts{})))

	// Static assets: content-hashed URLs, cached as immutable, text compressed.
	e.GET("/favicon.ico", s.favicon)
	st := e.Group("/static", middleware.Gzip())
	st.GET("/:hash/*", s.staticFile)

	// Dynamic pages: session and CSRF; protected pages also need a signed-in user.
	dyn := s.router(e.Group("", s.sessionMiddleware()...))
	protected := dyn.with(s.requireAuth)
	dyn.GET("/", s.home)

	// -- sign-in and sessions --
	dyn.GET("/login", s.login)
	dyn.GET("/auth/callback", s.authCallback)
	dyn.GET("/login/pat", s.patForm)
	// The two small urlencoded forms may carry the CSRF token as a field (csrf.go).
	// Their handlers write the activity entry themselves: the user changes halfway.
	dyn.POST("/login/pat", s.patLogin, recordedByHandler("sign-in"), use(s.csrfProtect(true)))
	dyn.POST("/logout", s.logout, recordedByHandler("sign-out"), use(s.csrfProtect(true)))
	dyn.GET("/signed-out", s.signedOut)

	// -- sources pages --
	// The list, its export and bulk actions, and creating a source.
	protected.GET("/sources", s.sourcesList)
	protected.GET("/sources/new", s.sourceNew)
	protected.POST("/sources", s.sourceCreate, action("source.create"))
	protected.GET("/sources/export.csv", s.sourcesExport)
	protected.POST("/sources/bulk/test-connection", s.sourcesBulkTest, action("tool.test-connection"), bulk, statusOnly)
	protected.POST("/sources/bulk/aggregate", s.sourcesBulkAggregate, action("aggregation.start"), bulk, listsUnchanged)
	// The source detail tabs (shell: sources_detail.go) and their actions.
	protected.GET("/sources/:id", s.sourceOverview)
	protected.GET("/sources/:id/health", s.sourceHealth)
	protected.GET("/sources/:id/connections", s.sourceConnectionsPart)
	protected.GET("/sources/:id/configuration", s.sourceConfig)
	protected.POST("/sources/:id/configuration/review", s.sourceConfigReview, changesNothing)
	protected.POST("/sources/:id/configuration", s.sourceConfigApply, action("source.update"))
	protected.POST("/sources/:id/replace", s.sourceReplace, action("source.replace"))
	protected.GET("/sources/:id/tools", s.sourceTools)
	protected.POST("/sources/:id/tools/test-connection", s.sourceTool("Test connection", (*api.Client).TestSourceConnection), action("tool.test-connection"), statusOnly)
	protected.POST("/sources/:id/tools/test-configuration", s.sourceTool("Test configuration", (*api.Client).TestSourceConfiguration), action("tool.test-configuration"), statusOnly)
	protected.POST("/sources/:id/tools/ping-cluster", s.sourceTool("Ping cluster", (*api.Client).PingCluster), action("tool.ping-cluster"), listsUnchanged)
	protected.POST("/sources/:id/tools/peek", s.sourcePeek, action("tool.peek"), listsUnchanged)
	protected.POST("/sources/:id/tools/connector-file", s.sourceConnectorFile, action("tool.connector-file"), streamsUpload)
	protected.GET("/sources/:id/danger", s.sourceDanger)
	protected.POST("/sources/:id/remove-accounts", s.sourceRemoveAccounts, action("source.remove-accounts"), listsUnchanged)
	protected.POST("/sources/:id/delete", s.sourceDelete, action("source.delete"))
	protected.GET("/sources/:id/correlation", s.sourceCorrelation)
	protected.POST("/sources/:id/correlation", s.sourceCorrelationSave, action("config.correlation"), listsUnchanged)
	protected.GET("/sources/:id/attribute-sync", s.sourceAttrSync)
	protected.POST("/sources/:id/attribute-sync", s.sourceAttrSyncSave, action("config.attribute-sync"), listsUnchanged)
	protected.POST("/sources/:id/attribute-sync/run", s.sourceAttrSyncRun, action("attribute-sync.run"), listsUnchanged)
	protected.GET("/sources/:id/change-detection", s.sourceChangeDetection)
	protected.POST("/sources/:id/change-detection", s.sourceChangeDetectionSave, action("config.change-detection"), listsUnchanged)
	protected.POST("/sources/:id/change-detection/delete", s.sourceChangeDetectionDelete, action("config.change-detection-delete"), listsUnchanged)
	protected.GET("/sources/:id/entitlement-requests", s.sourceEntitlementRequests)
	protected.POST("/sources/:id/entitlement-requests", s.sourceEntitlementRequestsSave, action("config.entitlement-requests"), listsUnchanged)
	protected.GET("/sources/:id/password-policies", s.sourcePasswordPolicies)
	protected.POST("/sources/:id/password-policies", s.sourcePasswordPoliciesSave, action("config.password-policies"), listsUnchanged)
	// Sources as code (promote.go): a source's document, comparisons, and
	// promotions planned and applied on the target tenant's address.
	protected.GET("/sources/:id/code", s.sourceCode)
	protected.GET("/sources/:id/code/export", s.sourceExport)
	protected.GET("/sources/:id/code/compare", s.sourceCompare)
	protected.POST("/sources/:id/code/compare", s.sourceCompareDocument, changesNothing, streamsUpload)
	protected.GET("/promote", s.promotePlan)
	protected.POST("/promote", s.promoteDocumentPlan, changesNothing, use(s.csrfProtect(true)))
	protected.POST("/promote/apply", s.promoteApply, recordedByHandler("source.promote"), use(s.csrfProtect(true)))
	// Type-ahead suggestions for the pickers (pickers.go).
	protected.GET("/pickers/:kind", s.pickerOptions)

	// -- schemas, uploads, tasks, provisioning policies --
	protected.GET("/tasks/:id", s.taskPage)
	protected.GET("/sources/:id/import", s.importTab)
	protected.POST("/sources/:id/import/aggregate", s.importAggregate, action("aggregation.start"), listsUnchanged)
	protected.GET("/sources/:id/import/uncorrelated/template", s.correlationTemplate)
	protected.POST("/sources/:id/import/:kind/preflight", s.importPreflight, changesNothing, streamsUpload)
	protected.POST("/sources/:id/import/:kind", s.importUpload, action("upload.:kind"), listsUnchanged, streamsUpload)
	protected.GET("/sources/:id/schemas", s.schemasTab)
	protected.POST("/sources/:id/schemas", s.schemaCreate, action("schema.create"), listsUnchanged)
	protected.GET("/sources/:id/schemas/:schemaId", s.schemaView)
	protected.DELETE("/sources/:id/schemas/:schemaId", s.schemaDelete, action("schema.delete"), listsUnchanged)
	protected.PUT("/sources/:id/schemas/:schemaId", s.schemaReplace, action("schema.replace"), listsUnchanged)
	protected.POST("/sources/:id/schemas/:schemaId/preview", s.schemaPatchPreview, changesNothing)
	protected.POST("/sources/:id/schemas/:schemaId/patch", s.schemaPatchApply, action("schema.update"), listsUnchanged)
	protected.GET("/sources/:id/schema-files/:kind", s.schemaFileDownload)
	protected.POST("/sources/:id/schema-files/:kind/diff", s.schemaFileDiff, changesNothing, streamsUpload)
	protected.POST("/sources/:id/schema-files/:kind", s.schemaFileUpload, action("schema.import"), listsUnchanged, streamsUpload)
	protected.GET("/sources/:id/provisioning", s.policiesTab)
	protected.POST("/sources/:id/provisioning", s.policyCreate, action("policy.create"), listsUnchanged)
	protected.POST("/sources/:id/provisioning/bulk", s.policiesBulk, action("policy.update-all"), listsUnchanged)
	protected.GET("/sources/:id/provisioning/:usage", s.policyView)
	protected.PUT("/sources/:id/provisioning/:usage", s.policyReplace, action("policy.replace"), listsUnchanged)
	protected.PATCH("/sources/:id/provisioning/:usage", s.policyPatch, action("policy.update"), listsUnchanged)
	protected.DELETE("/sources/:id/provisioning/:usage", s.policyDelete, action("policy.delete"), listsUnchanged)
	protected.POST("/sources/:id/provisioning/:usage/fields/edit", s.policyFieldsEdit, changesNothing)
	protected.POST("/sources/:id/provisioning/:usage/fields", s.policyFieldsSave, action("policy.replace"), listsUnchanged)

	// -- cron previewer and schedules --
	// The previewer needs no tenant data, so scripts may call it without signing in.
	dyn.GET("/cron", s.cronPage)
	dyn.GET("/cron/preview", s.cronPreview)
	protected.GET("/sources/:id/schedules", s.sourceSchedules)
	protected.GET("/sources/:id/schedules/next", s.sourceNextRuns)
	protected.GET("/sources/:id/schedules/:type", s.sourceSchedule)
	protected.GET("/sources/:id/schedules/:type/preview", s.schedulePreview)
	protected.POST("/sources/:id/schedules", s.saveSchedule, action("schedule.create"), listsUnchanged)
	protected.POST("/sources/:id/schedules/:type", s.saveSchedule, action("schedule.update"), listsUnchanged)
	protected.DELETE("/sources/:id/schedules/:type", s.deleteSchedule, action("schedule.delete"), listsUnchanged)

	// -- dashboard and activity log --
	// The home page's tiles load themselves (dashboard_tiles.go).
	protected.GET("/dashboard/status", s.dashStatus, background)
	protected.GET("/dashboard/unhealthy", s.dashUnhealthy, background)
	protected.GET("/dashboard/upcoming", s.dashUpcoming, background)
	protected.GET("/dashboard/tasks", s.dashTasks, background)
	protected.GET("/activity", s.activityPage)
	protected.GET("/activity/export.csv", s.activityExport)
}

// routeInfo is what the console knows about a route besides its handler.
type routeInfo struct {
	// action names the change a request to this route makes, in the activity log:
	// "source.create", or "upload.:kind" for one filled in from the path.
	action string
	// byHandler: the handler writes the activity entry itself (sign-in, sign-out).
	byHandler bool
	// readOnly: a POST that changes nothing (a review, a preview, a file check).
	readOnly bool
	// upload: the request streams a file, so BodyLimit must not cap it at the form
	// limit; the handler enforces UploadLimit while streaming.
	upload bool
	// listsUnchanged: the change touches a source's parts (schemas, schedules,
	// policies, settings), never what the source list filters on (name, type,
	// status, owner…), so list pages without the source stay valid (shared_reads.go).
	// A change that starts a task (an upload, an aggregation) may change the
	// source's status when the task ends: the task's end marks it (tasks.go).
	listsUnchanged bool
	// statusOnly: the change may change its sources' status (a connection test),
	// nothing else a list filters on, so only lists filtered or sorted by status
	// are read again.
	statusOnly bool
	// priority is how the route's calls queue for the shared rate budget: pages
	// and parts people wait for are interactive (the zero value), bulk actions and
	// work nobody is looking at yet (tiles that refresh themselves) yield to them.
	priority api.Priority
	// middleware runs for this route only, after the group's.
	middleware []echo.MiddlewareFunc
}

// records reports whether the activity middleware writes an entry for this route.
func (ri routeInfo) records() bool { return ri.action != "" && !ri.byHandler }

// routeOpt states one fact of a route at its registration.
type routeOpt func(*routeInfo)

// action names the change a route makes, for the activity log. A ":param" segment of
// name is filled in from the request's path ("upload.:kind" → "upload.accounts").
func action(name string) routeOpt { return func(ri *routeInfo) { ri.action = name } }

// recordedByHandler names the route's action, which its handler records itself.
func recordedByHandler(name string) routeOpt {
	return func(ri *routeInfo) { ri.action, ri.byHandler = name, true }
}

// changesNothing marks a POST that only checks or previews: nothing to record.
func changesNothing(ri *routeInfo) { ri.readOnly = true }

// background marks a route whose calls yield to page loads in the budget: home
// page tiles, which load after the page and refresh themselves.
func background(ri *routeInfo) { ri.priority = api.PriorityBackground }

// bulk marks a bulk action (many sources at once): its calls yield to page loads.
func bulk(ri *routeInfo) { ri.priority = api.PriorityBulk }

// statusOnly marks a change that may change a source's status and nothing else a
// list filters on.
func statusOnly(ri *routeInfo) { ri.statusOnly = true }

// listsUnchanged marks a change that cannot move a source into or out of a list.
func listsUnchanged(ri *routeInfo) { ri.listsUnchanged = true }

// streamsUpload marks a route that receives a file upload as a stream.
func streamsUpload(ri *routeInfo) { ri.upload = true }

// use adds middleware to one route.
func use(m ...echo.MiddlewareFunc) routeOpt {
	return func(ri *routeInfo) { ri.middleware = append(ri.middleware, m...) }
}

// router registers routes on an Echo group, with their facts and any middleware each
// route needs before its own. Protected routes get requireAuth per route (with) rather
// than through an echo.Group with middleware: Echo gives such a group a catch-all
// route, which would turn every unknown URL into a sign-in redirect instead of a 404.
type router struct {
	s      *Server
	g      *echo.Group
	before []echo.MiddlewareFunc
}

func (s *Server) router(g *echo.Group) router { return router{s: s, g: g} }

// with is the same router with m run before every route it registers.
func (r router) with(m ...echo.MiddlewareFunc) router {
	r.before = append(slices.Clone(r.before), m...)
	return r
}

func (r router) add(method, path string, h echo.HandlerFunc, opts ...routeOpt) {
	var ri routeInfo
	for _, o := range opts {
		o(&ri)
	}
	r.s.routeInfos[method+" "+path] = ri
	mw := slices.Clone(r.before)
	if ri.records() {
		mw = append(mw, r.s.requireLevel) // a change the user's level cannot make never reaches ISC
	}
	r.g.Add(method, path, h, append(mw, ri.middleware...)...)
}

func (r router) GET(path string, h echo.HandlerFunc, opts ...routeOpt) {
	r.add(http.MethodGet, path, h, opts...)
}

func (r router) POST(path string, h echo.HandlerFunc, opts ...routeOpt) {
	r.add(http.MethodPost, path, h, opts...)
}

func (r router) PUT(path string, h echo.HandlerFunc, opts ...routeOpt) {
	r.add(http.MethodPut, path, h, opts...)
}

func (r router) PATCH(path string, h echo.HandlerFunc, opts ...routeOpt) {
	r.add(http.MethodPatch, path, h, opts...)
}

func (r router) DELETE(path string, h echo.HandlerFunc, opts ...routeOpt) {
	r.add(http.MethodDelete, path, h, opts...)
}

// route is what the console knows about the request's route (nothing for a URL no
// route matched).
func (s *Server) route(c echo.Context) routeInfo {
	return s.routeInfos[c.Request().Method+" "+c.Path()]
}
