package bff

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"sourcedesk/internal/api"
)

// routes registers every route of the console. Keep them all here, so this function
// is the map of the application.
func (s *Server) routes() {
	e := s.echo
	// Everything: Recover, request ID, request log + metrics, security headers, body limit.
	e.Use(middleware.Recover())
	e.Use(requestID)
	e.Use(s.requestLog())
	e.Use(s.securityHeaders)
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{
		Limit:   s.cfg.BodyLimit,
		Skipper: isUploadRoute, // uploads enforce UploadLimit while streaming
	}))

	// Operations endpoints: no session.
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(s.cfg.Registry, promhttp.HandlerOpts{})))

	// Static assets: content-hashed URLs, cached as immutable, text compressed.
	e.GET("/favicon.ico", s.favicon)
	st := e.Group("/static", middleware.Gzip())
	st.GET("/:hash/*", s.staticFile)

	// Dynamic pages: session and CSRF; protected pages also need a signed-in user.
	dyn := e.Group("", s.sessionMiddleware()...)
	dyn.GET("/", s.home)

	// -- sign-in and sessions --
	dyn.GET("/login", s.login)
	dyn.GET("/auth/callback", s.authCallback)
	dyn.GET("/login/pat", s.patForm)
	// The two small urlencoded forms may carry the CSRF token as a field (csrf.go).
	dyn.POST("/login/pat", s.patLogin, s.csrfProtect(true))
	dyn.POST("/logout", s.logout, s.csrfProtect(true))
	dyn.GET("/signed-out", s.signedOut)

	protected := authGroup{dyn, s.requireAuth}

	// -- sources pages --
	// The list, its export and bulk actions, and creating a source.
	protected.GET("/sources", s.sourcesList)
	protected.GET("/sources/new", s.sourceNew)
	protected.POST("/sources", s.sourceCreate)
	protected.GET("/sources/export.csv", s.sourcesExport)
	protected.POST("/sources/bulk/test-connection", s.sourcesBulkTest)
	protected.POST("/sources/bulk/aggregate", s.sourcesBulkAggregate)
	// The source detail tabs (shell: sources_detail.go) and their actions.
	protected.GET("/sources/:id", s.sourceOverview)
	protected.GET("/sources/:id/configuration", s.sourceConfig)
	protected.POST("/sources/:id/configuration/review", s.sourceConfigReview)
	protected.POST("/sources/:id/configuration", s.sourceConfigApply)
	protected.POST("/sources/:id/replace", s.sourceReplace)
	protected.GET("/sources/:id/tools", s.sourceTools)
	protected.POST("/sources/:id/tools/test-connection", s.sourceTool("Test connection", (*api.Client).TestSourceConnection))
	protected.POST("/sources/:id/tools/test-configuration", s.sourceTool("Test configuration", (*api.Client).TestSourceConfiguration))
	protected.POST("/sources/:id/tools/ping-cluster", s.sourceTool("Ping cluster", (*api.Client).PingCluster))
	protected.POST("/sources/:id/tools/peek", s.sourcePeek)
	protected.POST("/sources/:id/tools/connector-file", s.sourceConnectorFile)
	protected.GET("/sources/:id/danger", s.sourceDanger)
	protected.POST("/sources/:id/remove-accounts", s.sourceRemoveAccounts)
	protected.POST("/sources/:id/delete", s.sourceDelete)
	protected.GET("/sources/:id/correlation", s.sourceCorrelation)
	protected.POST("/sources/:id/correlation", s.sourceCorrelationSave)
	protected.GET("/sources/:id/attribute-sync", s.sourceAttrSync)
	protected.POST("/sources/:id/attribute-sync", s.sourceAttrSyncSave)
	protected.POST("/sources/:id/attribute-sync/run", s.sourceAttrSyncRun)
	protected.GET("/sources/:id/change-detection", s.sourceChangeDetection)
	protected.POST("/sources/:id/change-detection", s.sourceChangeDetectionSave)
	protected.POST("/sources/:id/change-detection/delete", s.sourceChangeDetectionDelete)
	protected.GET("/sources/:id/entitlement-requests", s.sourceEntitlementRequests)
	protected.POST("/sources/:id/entitlement-requests", s.sourceEntitlementRequestsSave)
	protected.GET("/sources/:id/password-policies", s.sourcePasswordPolicies)
	protected.POST("/sources/:id/password-policies", s.sourcePasswordPoliciesSave)

	// -- schemas, uploads, tasks, provisioning policies --
	protected.GET("/tasks/:id", s.taskPage)
	protected.GET("/sources/:id/import", s.importTab)
	protected.POST("/sources/:id/import/aggregate", s.importAggregate)
	protected.POST("/sources/:id/import/:kind/preflight", s.importPreflight)
	protected.POST("/sources/:id/import/:kind", s.importUpload)
	protected.GET("/sources/:id/schemas", s.schemasTab)
	protected.POST("/sources/:id/schemas", s.schemaCreate)
	protected.GET("/sources/:id/schemas/:schemaId", s.schemaView)
	protected.DELETE("/sources/:id/schemas/:schemaId", s.schemaDelete)
	protected.POST("/sources/:id/schemas/:schemaId/preview", s.schemaPatchPreview)
	protected.POST("/sources/:id/schemas/:schemaId/patch", s.schemaPatchApply)
	protected.GET("/sources/:id/schema-files/:kind", s.schemaFileDownload)
	protected.POST("/sources/:id/schema-files/:kind/diff", s.schemaFileDiff)
	protected.POST("/sources/:id/schema-files/:kind", s.schemaFileUpload)
	protected.GET("/sources/:id/provisioning", s.policiesTab)
	protected.POST("/sources/:id/provisioning", s.policyCreate)
	protected.POST("/sources/:id/provisioning/bulk", s.policiesBulk)
	protected.GET("/sources/:id/provisioning/:usage", s.policyView)
	protected.PUT("/sources/:id/provisioning/:usage", s.policyReplace)
	protected.PATCH("/sources/:id/provisioning/:usage", s.policyPatch)
	protected.DELETE("/sources/:id/provisioning/:usage", s.policyDelete)

	// -- cron previewer and schedules --
	// The previewer needs no tenant data, so scripts may call it without signing in.
	dyn.GET("/cron", s.cronPage)
	dyn.GET("/cron/preview", s.cronPreview)
	protected.GET("/sources/:id/schedules", s.sourceSchedules)
	protected.GET("/sources/:id/schedules/next", s.sourceNextRuns)
	protected.POST("/sources/:id/schedules", s.saveSchedule)
	protected.POST("/sources/:id/schedules/:type", s.saveSchedule)
	protected.DELETE("/sources/:id/schedules/:type", s.deleteSchedule)

	// -- dashboard and activity log --
	// The home page's tiles load themselves (dashboard_tiles.go). Every change made
	// through the console is recorded by one middleware (activity.go), which also
	// drops the user's cached dashboard after a successful change.
	s.dash = newDashboard(s.cfg)
	e.Use(s.recordChanges) // e.Use applies to every route, whenever it was added
	protected.GET("/dashboard/status", s.dashStatus)
	protected.GET("/dashboard/unhealthy", s.dashUnhealthy)
	protected.GET("/dashboard/upcoming", s.dashUpcoming)
	protected.GET("/dashboard/tasks", s.dashTasks)
	protected.GET("/activity", s.activityPage)
	protected.GET("/activity/export.csv", s.activityExport)
}

// authGroup registers routes that need a signed-in user. It adds requireAuth to each
// route rather than being an echo.Group with middleware: Echo gives such a group a
// catch-all route, which would turn every unknown URL into a sign-in redirect
// instead of a 404.
type authGroup struct {
	g    *echo.Group
	auth echo.MiddlewareFunc
}

func (a authGroup) GET(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return a.g.GET(path, h, append([]echo.MiddlewareFunc{a.auth}, m...)...)
}

func (a authGroup) POST(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return a.g.POST(path, h, append([]echo.MiddlewareFunc{a.auth}, m...)...)
}

func (a authGroup) PUT(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return a.g.PUT(path, h, append([]echo.MiddlewareFunc{a.auth}, m...)...)
}

func (a authGroup) PATCH(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return a.g.PATCH(path, h, append([]echo.MiddlewareFunc{a.auth}, m...)...)
}

func (a authGroup) DELETE(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return a.g.DELETE(path, h, append([]echo.MiddlewareFunc{a.auth}, m...)...)
}

// isUploadRoute reports whether the request streams a file upload, which BodyLimit
// must not cap at the small form limit.
func isUploadRoute(c echo.Context) bool {
	return c.Request().Method == http.MethodPost && uploadRoutes[c.Path()]
}

// uploadRoutes lists the routes (Echo path patterns) that receive file uploads.
var uploadRoutes = map[string]bool{
	"/sources/:id/import/:kind/preflight":  true, // streamed, UploadLimit enforced by the handler
	"/sources/:id/import/:kind":            true,
	"/sources/:id/schema-files/:kind/diff": true,
	"/sources/:id/schema-files/:kind":      true,
	"/sources/:id/tools/connector-file":    true, // streamed, UploadLimit enforced by the handler
}
