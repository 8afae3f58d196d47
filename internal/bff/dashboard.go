package bff

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"sourcedesk/internal/activity"
	"sourcedesk/internal/api"
	"sourcedesk/internal/readcache"
)

// The dashboard's API budget. ISC allows 100 requests per 10 s per OAuth client,
// shared by every user and replica of the console, so one home page may spend only
// a part of it however many sources the tenant has. The source list and the
// schedules are shared reads (shared_reads.go): one list per view and one set of
// schedules per source serve every user for READ_CACHE_TTL (schedules 60 times
// as long), and changes made through the console drop them at once.
const (
	// scheduleBatch bounds the schedule calls of one load of the upcoming tile; the
	// tile loads itself again after scheduleBatchDelay until every source is covered.
	scheduleBatch      = 40
	scheduleBatchDelay = 10 * time.Second
	// upcomingWait bounds the tile's wait for the schedules it reads; the reads go
	// on without it for up to upcomingFillTimeout (readSchedules).
	upcomingWait        = time.Second
	upcomingFillTimeout = 30 * time.Second
	// dashConcurrency bounds the calls the dashboard has in flight for one user.
	dashConcurrency = 4
	// taskPolls bounds the task-status calls of one load of the tasks tile.
	taskPolls = 5
	// taskStatusMaxAge: a task's status read for one user's tile serves every
	// user's tile this long (the tile polls every tasksPollIn seconds per user).
	taskStatusMaxAge = 3 * time.Second
	// taskPollHorizon: tasks older than this are not polled any more (ISC keeps
	// task status, but a task this old that never reported is not "running").
	taskPollHorizon = 24 * time.Hour
)

// dashboard holds the activity log the home page and the activity page show.
type dashboard struct {
	log  activity.Store
	now  func() time.Time
	runs runsCache // each source's upcoming starts, shared by users
}

func newDashboard(cfg Config) *dashboard {
	log := cfg.Activity
	if log == nil {
		log = activity.NewMemory()
	}
	return &dashboard{log: log, now: cfg.Now}
}

// ctxUserID caches the signed-in user's ISC identity id for the request
// (templates.UserVM, which the nav uses, has no identity id).
const ctxUserID = "sd.userID"

// userKey identifies the signed-in user for caches and the log: the ISC identity
// id from the session, else name, tenant and level.
func (s *Server) userKey(c echo.Context) string {
	if id, ok := c.Get(ctxUserID).(string); ok && id != "" {
		return id
	}
	if s.cfg.Sessions != nil {
		if u, ok := s.cfg.Sessions.Current(c.Request().Context()); ok && u.IdentityID != "" {
			c.Set(ctxUserID, u.IdentityID)
			return u.IdentityID
		}
	}
	if u := currentUserVM(c); u != nil {
		return u.Tenant + "/" + u.Name + "/" + u.UserLevel
	}
	return ""
}

// userCacheKey names the signed-in user on the request's tenant, for caches: a
// user has one identity per tenant, and each tenant's data its own entries.
func (s *Server) userCacheKey(c echo.Context) string {
	return s.tenantOf(c).Key + "\x00" + s.userKey(c)
}

// isSubadmin reports whether ISC shows the user only the sources they manage.
func isSubadmin(c echo.Context) bool {
	u := currentUserVM(c)
	return u != nil && strings.EqualFold(u.UserLevel, "SOURCE_SUBADMIN")
}

// visibleSources lists every source the user can see (their own list call, for a
// SOURCE_SUBADMIN with for-subadmin=me), shared per view (viewKey). Tiles that
// load at the same time share one upstream call. The copy leaves out connector
// attributes, which no tile shows, and depends on the lists and the statuses
// only: a change to one source's parts (a schedule, a schema) leaves the tiles'
// counts as they are. A change of statuses only (a connection test, an
// aggregation's end: the same sources) leaves the copy served, with its age, while
// one refresh reads it again in the background (at most one per half
// READ_CACHE_TTL for all users and replicas): a bulk connection test marks the
// statuses every few seconds, and reading the whole list after each would spend
// the budget page loads need. So is a copy past READ_CACHE_TTL (kept ten times
// as long), so that the tiles do not wait for a busy budget to show what they hold.
func (s *Server) visibleSources(c echo.Context) ([]api.Source, error) {
	return s.visibleSourcesWithin(c, 0)
}

// visibleSourcesWithin is visibleSources from a copy read at most maxAge ago (0:
// any copy visibleSources takes).
func (s *Server) visibleSourcesWithin(c echo.Context, maxAge time.Duration) ([]api.Source, error) {
	r := readcache.Read{Key: "sources:" + s.viewKey(c), Scopes: []string{scopeLists, scopeStatus}, StaleScopes: []string{scopeStatus}, MaxAge: maxAge}
	p := api.ListSourcesParams{Limit: api.MaxLimit, Sorters: []string{"name", "id"}, ForSubadmin: subadminScope(c)}
	return sharedRead(s, c, "list sources", r, func(ctx context.Context, cl *api.Client) ([]api.Source, []string, error) {
		var list []api.Source
		for src, err := range cl.AllSources(ctx, p) {
			if err != nil {
				return nil, nil, err
			}
			src.ConnectorAttributes = nil
			list = append(list, src)
		}
		return list, nil, nil
	})
}

// storedSchedules returns the schedules of the sources ids that the shared cache
// holds (for a user who may see them), and the ids of those it does not.
func (s *Server) storedSchedules(c echo.Context, ids []string) (map[string][]api.Schedule, []string) {
	have := map[string][]api.Schedule{}
	if c.Request().Method != http.MethodGet || s.viewKey(c) == "" || !s.reads.On() {
		return have, ids
	}
	var asked []string
	var rs []readcache.Read
	var missing []string
	for _, id := range ids {
		if s.maySeeShared(c, id) {
			asked = append(asked, id)
			r := sourceReadOf("schedules", id, schedulesTTLFactor)
			r.Fresh = wantsFresh(c)
			rs = append(rs, r)
		} else {
			missing = append(missing, id)
		}
	}
	vals, res, ok, err := readcache.Stored[[]api.Schedule](c.Request().Context(), s.readsOf(c), rs)
	for i, id := range asked {
		if err == nil && ok[i] {
			have[id] = vals[i]
			noteCopy(c, res[i].FetchedAt)
		} else {
			missing = append(missing, id)
		}
	}
	return have, missing
}
