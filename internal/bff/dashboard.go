package bff

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/sync/singleflight"

	"sourcedesk/internal/activity"
	"sourcedesk/internal/api"
)

// The dashboard's API budget. ISC allows 100 requests per 10 s per OAuth client,
// shared by every user and replica of the console, so one home page may spend only
// a part of it however many sources the tenant has.
const (
	// dashTTL is how long a user's source list is reused across tiles and visits.
	dashTTL = 30 * time.Second
	// scheduleTTL is how long a source's schedules are reused, for every user who
	// can see the source. Schedules change rarely, and changes made through the
	// console drop the entry at once.
	scheduleTTL = 5 * time.Minute
	// scheduleBatch bounds the schedule calls of one load of the upcoming tile; the
	// tile loads itself again after scheduleBatchDelay until every source is covered.
	scheduleBatch      = 40
	scheduleBatchDelay = 10 * time.Second
	// dashConcurrency bounds the calls the dashboard has in flight for one user.
	dashConcurrency = 4
	// taskPolls bounds the task-status calls of one load of the tasks tile.
	taskPolls = 5
	// taskPollHorizon: tasks older than this are not polled any more (ISC keeps
	// task status, but a task this old that never reported is not "running").
	taskPollHorizon = 24 * time.Hour
)

// dashboard holds the home page's caches and the activity log.
type dashboard struct {
	log   activity.Store
	now   func() time.Time
	group singleflight.Group

	mu        sync.Mutex
	sources   map[string]sourcesEntry  // by user key
	schedules map[string]scheduleEntry // by source id, shared by users
	runs      runsCache                // each source's upcoming starts, shared by users
}

type sourcesEntry struct {
	at      time.Time
	sources []api.Source
}

type scheduleEntry struct {
	at        time.Time
	schedules []api.Schedule
}

func newDashboard(cfg Config) *dashboard {
	log := cfg.Activity
	if log == nil {
		log = activity.NewMemory()
	}
	return &dashboard{log: log, now: cfg.Now, sources: map[string]sourcesEntry{}, schedules: map[string]scheduleEntry{}}
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

// isSubadmin reports whether ISC shows the user only the sources they manage.
func isSubadmin(c echo.Context) bool {
	u := currentUserVM(c)
	return u != nil && strings.EqualFold(u.UserLevel, "SOURCE_SUBADMIN")
}

// invalidateDashboard forgets what the dashboard cached for the signed-in user, and
// the schedules of the request's source: called after the user changed something,
// so their next look at the home page shows it. The activity middleware calls it
// after every successful change; handlers need not.
func (s *Server) invalidateDashboard(c echo.Context) {
	d := s.dash
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.sources, s.userKey(c))
	if id := c.Param("id"); id != "" {
		delete(d.schedules, id)
	}
	if strings.HasPrefix(c.Path(), "/sources/bulk/") {
		clear(d.schedules) // bulk actions name their sources in the form
	}
}

// visibleSources lists every source the user can see, from the cache when it is
// fresh. Tiles that load at the same time share one upstream call (singleflight).
func (s *Server) visibleSources(c echo.Context) ([]api.Source, error) {
	d := s.dash
	key := s.userKey(c)
	d.mu.Lock()
	if e, ok := d.sources[key]; ok && d.now().Sub(e.at) < dashTTL {
		d.mu.Unlock()
		return e.sources, nil
	}
	d.mu.Unlock()
	sub := isSubadmin(c)
	v, err, _ := d.group.Do("sources\x00"+key, func() (any, error) {
		var list []api.Source
		err := s.callAPI(c, "list sources", func(ctx context.Context, cl *api.Client) error {
			list = list[:0]
			p := api.ListSourcesParams{Limit: api.MaxLimit, Sorters: []string{"name", "id"}}
			if sub {
				p.ForSubadmin = "me" // ISC narrows the list to the subadmin's sources
			}
			for src, err := range cl.AllSources(ctx, p) {
				if err != nil {
					return err
				}
				list = append(list, src)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		d.mu.Lock()
		d.sources[key] = sourcesEntry{at: d.now(), sources: list}
		d.mu.Unlock()
		return list, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]api.Source), nil
}

// cachedSchedules returns the schedules of the sources that are cached and fresh,
// and the ids of those that are not.
func (d *dashboard) cachedSchedules(ids []string) (map[string][]api.Schedule, []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	got := map[string][]api.Schedule{}
	var missing []string
	now := d.now()
	for _, id := range ids {
		if e, ok := d.schedules[id]; ok && now.Sub(e.at) < scheduleTTL {
			got[id] = e.schedules
		} else {
			missing = append(missing, id)
		}
	}
	return got, missing
}

func (d *dashboard) storeSchedules(id string, list []api.Schedule) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.schedules[id] = scheduleEntry{at: d.now(), schedules: list}
}
