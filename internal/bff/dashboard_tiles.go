package bff

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/sync/errgroup"

	"sourcedesk/internal/activity"
	"sourcedesk/internal/api"
	"sourcedesk/internal/cron"
	"sourcedesk/internal/readcache"
	"sourcedesk/web/templates"
)

// unhealthyShown caps the rows of the unhealthy tile; the rest is a link to the list.
const unhealthyShown = 10

// upcomingShown caps the runs the upcoming tile lists; the rest is counted.
const upcomingShown = 20

// tileFailure turns a failed call into what a tile shows inside itself, with the
// status to answer. An ended sign-in is not a tile's business: it is returned as an
// error, so the error handler sends the browser to sign in.
func tileFailure(err error) (*templates.TileErrorVM, int, error) {
	o := classify(err)
	if o.status == http.StatusUnauthorized || errors.Is(err, errNeedLogin) {
		return nil, 0, err
	}
	msg := o.message
	if o.status == http.StatusTooManyRequests {
		msg = fmt.Sprintf("ISC is rate limiting this console; retrying in %d s.", o.retryAfter)
	}
	return &templates.TileErrorVM{Message: msg, RetryAfter: o.retryAfter}, o.status, nil
}

// dashStatus handles "GET /dashboard/status": the sources counted by health and type.
func (s *Server) dashStatus(c echo.Context) error {
	list, err := s.visibleSources(c)
	if err != nil {
		te, status, err := tileFailure(err)
		if err != nil {
			return err
		}
		return s.renderFragment(c, status, templates.StatusTile(templates.StatusTileVM{Error: te}))
	}
	return s.renderFragment(c, http.StatusOK, templates.StatusTile(statusTile(list)))
}

// statusTile counts sources; pure, so it is tested directly.
func statusTile(list []api.Source) templates.StatusTileVM {
	vm := templates.StatusTileVM{Total: len(list)}
	byType := map[string]*templates.TypeCountVM{}
	for i := range list {
		st := sourceState(list[i].Status).State
		switch st {
		case "healthy":
			vm.Healthy++
		case "unhealthy":
			vm.Unhealthy++
		default:
			vm.Unchecked++
		}
		typ := list[i].Type
		if typ == "" {
			typ = list[i].ConnectorName
		}
		tc := byType[typ]
		if tc == nil {
			tc = &templates.TypeCountVM{Type: typ}
			byType[typ] = tc
		}
		tc.Total++
		if st == "unhealthy" {
			tc.Unhealthy++
		}
	}
	for _, tc := range byType {
		vm.Types = append(vm.Types, *tc)
	}
	slices.SortFunc(vm.Types, func(a, b templates.TypeCountVM) int {
		return cmp.Or(cmp.Compare(b.Unhealthy, a.Unhealthy), cmp.Compare(b.Total, a.Total), strings.Compare(a.Type, b.Type))
	})
	return vm
}

// dashUnhealthy handles "GET /dashboard/unhealthy": the unhealthy sources, why, and
// a connection test for each.
func (s *Server) dashUnhealthy(c echo.Context) error {
	list, err := s.visibleSources(c)
	if err != nil {
		te, status, err := tileFailure(err)
		if err != nil {
			return err
		}
		return s.renderFragment(c, status, templates.UnhealthyTile(templates.UnhealthyTileVM{Error: te}))
	}
	vm := templates.UnhealthyTileVM{CanWrite: canWrite(c)}
	for i := range list {
		st := sourceState(list[i].Status)
		if st.State != "unhealthy" {
			continue
		}
		if len(vm.Rows) == unhealthyShown {
			vm.More++
			continue
		}
		vm.Rows = append(vm.Rows, templates.UnhealthyRowVM{ID: list[i].ID, Name: list[i].Name, Type: list[i].Type, Status: st, Since: list[i].Since})
	}
	return s.renderFragment(c, http.StatusOK, templates.UnhealthyTile(vm))
}

// dashUpcoming handles "GET /dashboard/upcoming": the aggregations of the next 24
// hours across the user's sources, in the user's zone. Schedules are read at most
// scheduleBatch sources per load (the tile continues by itself) and shared between
// users (shared reads, kept 60 times READ_CACHE_TTL), so a tenant with hundreds of
// sources stays within budget.
func (s *Server) dashUpcoming(c echo.Context) error {
	zone, loc := scheduleZone(c)
	fail := func(err error) error {
		te, status, err := tileFailure(err)
		if err != nil {
			return err
		}
		return s.renderFragment(c, status, templates.UpcomingTile(templates.UpcomingTileVM{Zone: zone, Error: te}))
	}
	list, err := s.visibleSources(c)
	if err != nil {
		return fail(err)
	}
	ids := make([]string, len(list))
	for i := range list {
		ids[i] = list[i].ID
	}
	have, missing := s.storedSchedules(c, ids)
	batch := missing[:min(len(missing), scheduleBatch)]
	if len(batch) > 0 {
		// What arrived before a failure is shown (and was stored), so a retry starts further on.
		got, err := s.readSchedules(c, batch)
		maps.Copy(have, got)
		if err != nil {
			return fail(err)
		}
	}
	vm := upcomingTile(list, have, s.cfg.Now().In(s.cfg.ScheduleZone), 24*time.Hour, loc, &s.dash.runs)
	vm.Zone = zone
	if s.reads.On() {
		// The tile continues with the next sources; without shared reads it
		// would read the same first batch again and again.
		vm.ContinueIn = int(scheduleBatchDelay / time.Second)
	}
	return s.renderFragment(c, http.StatusOK, templates.UpcomingTile(vm))
}

// readSchedules reads the schedules of the sources ids for the upcoming tile, at
// most dashConcurrency at a time, and returns those that arrived. With shared
// reads on, the sources the user may share are read apart from the request (their
// answers are shared copies, which the tile's next load shows), as prefetch in the
// budget (after page loads and the other tiles' reads), and the tile waits for them
// at most upcomingWait: a tile should not keep its user waiting for them. Without shared reads
// nothing would keep what comes late, so the request waits for all.
func (s *Server) readSchedules(c echo.Context, ids []string) (map[string][]api.Schedule, error) {
	got := map[string][]api.Schedule{}
	var (
		mu       sync.Mutex
		shared   []string
		own      []string
		fresh    = wantsFresh(c)
		reads    = s.readsOf(c)
		detached = reads.On() && s.viewKey(c) != ""
	)
	for _, id := range ids {
		if detached && s.maySeeShared(c, id) {
			shared = append(shared, id)
		} else {
			own = append(own, id)
		}
	}
	keep := func(id string, sc []api.Schedule) {
		mu.Lock()
		defer mu.Unlock()
		got[id] = sc
	}
	read := func(ctx context.Context, cl *api.Client, id string) ([]api.Schedule, error) {
		sc, err := cl.GetSourceSchedules(ctx, id)
		if api.IsNotFound(err) {
			return nil, nil // deleted since the list was read
		}
		return sc, err
	}
	err := s.callAPI(c, "read schedules", func(ctx context.Context, cl *api.Client) error {
		var done chan error
		if len(shared) > 0 {
			bcl, err := s.detachedClient(ctx, cl) // the reads outlive the request
			if err != nil {
				return err
			}
			bg, cancel := context.WithTimeout(api.WithPriority(context.WithoutCancel(ctx), api.PriorityPrefetch), upcomingFillTimeout)
			done = make(chan error, 1)
			go func() {
				defer cancel()
				g, gctx := errgroup.WithContext(bg)
				g.SetLimit(dashConcurrency)
				for _, id := range shared {
					g.Go(func() error {
						r := sourceReadOf("schedules", id, schedulesTTLFactor)
						r.Fresh = fresh
						sc, _, err := readcache.Get(gctx, reads, r, func(ctx context.Context) ([]api.Schedule, []string, error) {
							sc, err := read(ctx, bcl, id)
							return sc, nil, err
						})
						if err == nil {
							keep(id, sc)
						}
						return err
					})
				}
				done <- g.Wait()
			}()
		}
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(dashConcurrency)
		for _, id := range own {
			g.Go(func() error {
				sc, err := sourceGet(gctx, s, c, id, sourceReadOf("schedules", id, schedulesTTLFactor), func(ctx context.Context) ([]api.Schedule, error) {
					return read(ctx, cl, id)
				})
				if err == nil {
					keep(id, sc)
				}
				return err
			})
		}
		err := g.Wait()
		if done == nil {
			return err
		}
		wait := time.NewTimer(upcomingWait)
		defer wait.Stop()
		select {
		case ferr := <-done:
			return cmp.Or(err, ferr)
		case <-wait.C:
			return err // the rest are shown at the next load
		case <-ctx.Done():
			return cmp.Or(err, ctx.Err())
		}
	})
	mu.Lock()
	defer mu.Unlock()
	return maps.Clone(got), err
}

// overlapWindow: two aggregations of one source that start closer than this overlap,
// and ISC refuses the second while the first runs.
const overlapWindow = 15 * time.Minute

// upcomingPerSchedule caps the starts expanded per schedule in the tile's window:
// a schedule that fires every second would otherwise mean 86,400 starts per
// source and day. 100 covers a schedule every 15 minutes with room to spare;
// one that fires more often is shown with its first starts and counted as capped.
const upcomingPerSchedule = 100

// upcomingRun is one start of one source's schedule.
type upcomingRun struct {
	at          time.Time
	label, cron string
	near        int // index in the source's runs of the nearest other start within overlapWindow; -1 for none
}

// sourceRuns is one source's starts in a window, in time order, with overlaps found.
type sourceRuns struct {
	runs       []upcomingRun
	unreadable int // schedules whose expression cannot be read
	capped     int // schedules with more than upcomingPerSchedule starts in the window
}

// expandRuns computes a source's starts in [from, end): at most upcomingPerSchedule
// per schedule, sorted, and each start's nearest neighbour within overlapWindow.
// The nearest other start is always a neighbour in time order, so one sweep over
// the sorted starts finds every overlap: linear in the starts, not quadratic.
func expandRuns(scheds []api.Schedule, from, end time.Time) sourceRuns {
	var sr sourceRuns
	for _, sc := range scheds {
		e, err := cron.ParseAt(sc.CronExpression, from)
		if err != nil {
			sr.unreadable++
			continue
		}
		label := scheduleLabel(string(sc.Type))
		if label == "" {
			label = string(sc.Type)
		}
		n := 0
		for at := e.Next(from); !at.IsZero() && at.Before(end); at = e.Next(at) {
			if n == upcomingPerSchedule {
				sr.capped++
				break
			}
			sr.runs = append(sr.runs, upcomingRun{at: at, label: label, cron: sc.CronExpression, near: -1})
			n++
		}
	}
	slices.SortStableFunc(sr.runs, func(a, b upcomingRun) int { return a.at.Compare(b.at) })
	for j := range sr.runs {
		best := overlapWindow
		for _, k := range []int{j - 1, j + 1} {
			if k < 0 || k >= len(sr.runs) {
				continue
			}
			if d := sr.runs[k].at.Sub(sr.runs[j].at).Abs(); d < best {
				best, sr.runs[j].near = d, k
			}
		}
	}
	return sr
}

// runsCache keeps each source's expanded starts for the minute they were computed
// in, shared by every user who sees the source: the tile reloads itself, and every
// home page shows it. An entry is recomputed when the minute or the source's
// schedules change, so the map holds at most one entry per source.
type runsCache struct {
	mu      sync.Mutex
	entries map[string]runsEntry // by source id
}

type runsEntry struct {
	minute int64  // Unix minute the window starts in
	key    string // the schedules it was computed from
	runs   sourceRuns
}

// get returns src's starts in [minute start, minute start + horizon + 1 minute).
func (rc *runsCache) get(id string, scheds []api.Schedule, now time.Time, horizon time.Duration) sourceRuns {
	from := now.Truncate(time.Minute)
	end := from.Add(horizon + time.Minute)
	if rc == nil {
		return expandRuns(scheds, from, end)
	}
	var key strings.Builder
	for _, sc := range scheds {
		key.WriteString(string(sc.Type) + "\x00" + sc.CronExpression + "\x00")
	}
	minute := from.Unix() / 60
	rc.mu.Lock()
	if e, ok := rc.entries[id]; ok && e.minute == minute && e.key == key.String() {
		rc.mu.Unlock()
		return e.runs
	}
	rc.mu.Unlock()
	sr := expandRuns(scheds, from, end)
	rc.mu.Lock()
	if rc.entries == nil {
		rc.entries = map[string]runsEntry{}
	}
	rc.entries[id] = runsEntry{minute: minute, key: key.String(), runs: sr}
	rc.mu.Unlock()
	return sr
}

// upcomingTile lists the starts in [now, now+horizon) of the schedules read so
// far, first upcomingShown of them in time order, and flags starts of one source
// within overlapWindow of each other. Starts are computed in now's zone (the zone
// ISC evaluates schedules in) and shown in show. Its work is bounded by the number
// of schedules (upcomingPerSchedule starts each) and shared through cache (nil:
// no cache); only the listed starts are formatted.
func upcomingTile(list []api.Source, schedules map[string][]api.Schedule, now time.Time, horizon time.Duration, show *time.Location, cache *runsCache) templates.UpcomingTileVM {
	vm := templates.UpcomingTileVM{Sources: len(list)}
	var all []upcomingRef
	end := now.Add(horizon)
	for i := range list {
		src := &list[i]
		scheds, ok := schedules[src.ID]
		if !ok {
			continue
		}
		vm.Checked++
		sr := cache.get(src.ID, scheds, now, horizon)
		vm.Unreadable += sr.unreadable
		vm.Capped += sr.capped
		for j, r := range sr.runs {
			if r.at.Before(now) || !r.at.Before(end) {
				continue
			}
			all = append(all, upcomingRef{src, sr.runs, j})
			if r.near >= 0 {
				vm.Overlaps++
			}
		}
	}
	slices.SortStableFunc(all, func(a, b upcomingRef) int {
		return cmp.Or(a.runs[a.i].at.Compare(b.runs[b.i].at), strings.Compare(a.src.Name, b.src.Name))
	})
	shown := all[:min(len(all), upcomingShown)]
	vm.More = len(all) - len(shown)
	for _, x := range shown {
		r := x.runs[x.i]
		run := templates.UpcomingRunVM{SourceID: x.src.ID, SourceName: x.src.Name, Label: r.label, Cron: r.cron, Fire: fireVM(r.at, show)}
		if r.near >= 0 {
			o := x.runs[r.near]
			run.Warning = fmt.Sprintf("%s also starts at %s, %s apart: the two overlap and ISC refuses one of them.",
				o.label, o.at.In(show).Format("15:04:05"), o.at.Sub(r.at).Abs().Round(time.Second))
		}
		vm.Runs = append(vm.Runs, run)
	}
	vm.Timeline = upcomingTimeline(all, now, horizon, show)
	return vm
}

// upcomingRef is one start: the i-th of a source's expanded runs.
type upcomingRef struct {
	src  *api.Source
	runs []upcomingRun
	i    int
}

// Timeline bounds: rows (sources) and marks per row, so a tenant of a thousand
// sources still gets a small picture (the list and the counts say the rest).
const (
	timelineRows  = 12
	timelineMarks = 48
)

// upcomingTimeline draws the starts (in time order) as one row per source: the
// first timelineRows sources to start, each with its first timelineMarks starts.
// Starts and Overlaps count every start. One pass; the hour ticks every 6 hours
// of show's clock.
func upcomingTimeline(all []upcomingRef, now time.Time, horizon time.Duration, show *time.Location) templates.TimelineVM {
	var tl templates.TimelineVM
	row := map[string]int{}
	hidden := map[string]bool{}
	for _, x := range all {
		src, r := x.src, x.runs[x.i]
		tl.Starts++
		if r.near >= 0 {
			tl.Overlaps++
		}
		k, ok := row[src.ID]
		if !ok {
			if len(tl.Rows) == timelineRows {
				hidden[src.ID] = true
				continue
			}
			k = len(tl.Rows)
			row[src.ID] = k
			tl.Rows = append(tl.Rows, templates.TimelineRowVM{SourceID: src.ID, SourceName: src.Name})
		}
		if len(tl.Rows[k].Marks) == timelineMarks {
			continue
		}
		m := templates.TimelineMarkVM{X: float64(r.at.Sub(now)) / float64(horizon), Overlap: r.near >= 0,
			Title: r.label + " at " + r.at.In(show).Format("15:04")}
		if m.Overlap {
			m.Title += ", overlapping another aggregation of this source"
		}
		tl.Rows[k].Marks = append(tl.Rows[k].Marks, m)
	}
	tl.HiddenRows = len(hidden)
	local := now.In(show)
	h := time.Date(local.Year(), local.Month(), local.Day(), local.Hour(), 0, 0, 0, show).Add(time.Hour)
	for ; h.Before(now.Add(horizon)); h = h.Add(time.Hour) {
		// Every 6 hours, but not where "now" or the right edge would cover it.
		if x := float64(h.Sub(now)) / float64(horizon); h.Hour()%6 == 0 && x > .06 && x < .96 {
			tl.Ticks = append(tl.Ticks, templates.TimelineTickVM{X: x, Label: h.Format("15:04")})
		}
	}
	return tl
}

// pollTasks asks ISC about the running tasks apart from the request, as
// background work in the budget (after page loads and bulk actions), each status
// shared by every user's tile for taskStatusMaxAge, and records in the log each
// task that finished. It waits for them at most upcomingWait and returns the
// final statuses that arrived meanwhile, by task id; those that come later are
// in the log at the tile's next load (it polls itself while a task runs).
func (s *Server) pollTasks(c echo.Context, tasks []activity.Entry) (map[string]string, error) {
	var (
		mu    sync.Mutex
		final = map[string]string{}
		reads = s.readsOf(c)
	)
	err := s.callAPI(c, "read task statuses", func(ctx context.Context, cl *api.Client) error {
		bcl, err := s.detachedClient(ctx, cl)
		if err != nil {
			return err
		}
		bg, cancel := context.WithTimeout(api.WithPriority(context.WithoutCancel(ctx), api.PriorityBackground), upcomingFillTimeout)
		done := make(chan error, 1)
		go func() {
			defer cancel()
			g, gctx := errgroup.WithContext(bg)
			g.SetLimit(dashConcurrency)
			for _, e := range tasks {
				g.Go(func() error {
					r := readcache.Read{Key: "task:" + e.TaskID, MaxAge: taskStatusMaxAge}
					ts, _, err := readcache.Get(gctx, reads, r, func(ctx context.Context) (*api.TaskStatus, []string, error) {
						ts, err := bcl.GetTaskStatus(ctx, e.TaskID)
						if api.IsNotFound(err) {
							return nil, nil, nil // ISC no longer knows it; it stays "running" until the horizon
						}
						return ts, nil, err
					})
					if err != nil || ts == nil || !ts.Done() {
						return err
					}
					s.taskFinished(bg, reads, e, string(ts.CompletionStatus))
					mu.Lock()
					defer mu.Unlock()
					final[e.TaskID] = string(ts.CompletionStatus)
					return nil
				})
			}
			done <- g.Wait()
		}()
		wait := time.NewTimer(upcomingWait)
		defer wait.Stop()
		select {
		case err := <-done:
			return err
		case <-wait.C:
			return nil // the rest are in the log at the next load
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	mu.Lock()
	defer mu.Unlock()
	return maps.Clone(final), err
}

// taskFinished records a task's final status in the log and marks what it
// changed in the shared reads: its source's copies and the statuses (an
// aggregation) or, for a deletion, every list.
func (s *Server) taskFinished(ctx context.Context, reads *readcache.Cache, e activity.Entry, status string) {
	if err := s.dash.log.SetTaskStatus(ctx, e.TaskID, status); err != nil {
		s.log.Warn("activity: record task status", "task", e.TaskID, "error", err)
	}
	if e.SourceID == "" {
		return
	}
	scopes := []string{sourceScope(e.SourceID), scopeStatus}
	if e.Action == "source.delete" {
		scopes = append(scopes, scopeLists)
	}
	_ = reads.Changed(ctx, scopes...)
}

// Tasks tile limits.
const (
	tasksScanned  = 50 // log entries with a task read per load
	tasksFinished = 5  // finished tasks shown
	tasksPollIn   = 5  // seconds between loads while a task runs
)

// dashTasks handles "GET /dashboard/tasks": the tasks started from this console on
// the user's sources, running ones first. It asks ISC about at most taskPolls
// running tasks per load (pollTasks), and records a task's final status in the
// log once.
func (s *Server) dashTasks(c echo.Context) error {
	fail := func(err error) error {
		te, status, err := tileFailure(err)
		if err != nil {
			return err
		}
		return s.renderFragment(c, status, templates.TasksTile(templates.TasksTileVM{Error: te}))
	}
	ctx := c.Request().Context()
	entries, _, err := s.dash.log.Query(ctx, activity.Filter{Tenants: s.logTenants(c), WithTask: true, Limit: tasksScanned})
	if err != nil {
		return fmt.Errorf("dashboard tasks: %w", err)
	}
	list, err := s.visibleSources(c)
	if err != nil {
		return fail(err)
	}
	names := make(map[string]string, len(list))
	for i := range list {
		names[list[i].ID] = list[i].Name
	}
	// A task whose source the user cannot see is left out, except when the source
	// is gone: its deletion (or what ran before it) stays on the tile. ISC lists a
	// subadmin only its own sources, so a subadmin keeps only its own tasks there.
	sub, me := isSubadmin(c), s.userKey(c)
	entries = slices.DeleteFunc(entries, func(e activity.Entry) bool {
		_, visible := names[e.SourceID]
		if e.SourceID == "" || visible {
			return false
		}
		return sub && e.UserID != me
	})
	for _, e := range entries {
		if _, visible := names[e.SourceID]; !visible && e.SourceID != "" {
			names[e.SourceID] = cmp.Or(e.Details["sourceName"], e.SourceID) + " (deleted)"
		}
	}
	now := s.cfg.Now()
	var poll []int
	for i, e := range entries {
		if e.TaskStatus == "" && now.Sub(e.At) < taskPollHorizon && len(poll) < taskPolls {
			poll = append(poll, i)
		}
	}
	if len(poll) > 0 {
		tasks := make([]activity.Entry, len(poll))
		for j, i := range poll {
			tasks[j] = entries[i]
		}
		final, err := s.pollTasks(c, tasks)
		if err != nil {
			return fail(err)
		}
		for _, i := range poll {
			if st, ok := final[entries[i].TaskID]; ok {
				entries[i].TaskStatus = st
			}
		}
	}
	_, loc := scheduleZone(c)
	var vm templates.TasksTileVM
	for _, e := range entries {
		row := templates.TaskRowVM{TaskID: e.TaskID, URL: taskURL(e.TaskID, e.SourceID), Action: actionLabel(e.Action),
			SourceID: e.SourceID, SourceName: names[e.SourceID], UserName: cmp.Or(e.UserName, e.UserID, "someone"),
			Started: e.At.In(loc).Format("Mon 15:04 MST"), StartedISO: templates.ISOTime(e.At), Outcome: e.TaskStatus,
			OutcomeOK: api.CompletionStatus(e.TaskStatus).Is(api.CompletionSuccess)}
		switch {
		case e.TaskStatus != "":
			if len(vm.Finished) < tasksFinished {
				vm.Finished = append(vm.Finished, row)
			}
		case now.Sub(e.At) < taskPollHorizon:
			vm.Running = append(vm.Running, row)
		}
	}
	if len(vm.Running) > 0 {
		vm.PollIn = tasksPollIn
	}
	return s.renderFragment(c, http.StatusOK, templates.TasksTile(vm))
}
