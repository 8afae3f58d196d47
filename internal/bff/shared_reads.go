package bff

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/oauth2"

	"sourcedesk/internal/api"
	"sourcedesk/internal/readcache"
)

// Shared reads. Every user of the console spends one budget at ISC (100 calls per
// 10 s per OAuth client), so answers that do not depend on who asks (a source, its
// health, connections, schemas and schedules) and list pages (per query, and per
// user level or per person, see viewKey) are kept for READ_CACHE_TTL in the
// session store's backend, shared by users and replicas, and N users asking at
// once cost one call (internal/readcache).
//
// Nobody is shown what their own ISC answers would not show them:
//   - a list page is shared only among users with the same view (viewKey): one
//     user level whose view does not depend on the person, or one person;
//   - a source's own answers are served from the cache only to a user who sees
//     every source (ORG_ADMIN, SOURCE_ADMIN) or whose own visible set (the ids
//     their own list call returned, kept per view) holds the source; anyone else
//     asks ISC with their own token, and that answer is not stored;
//   - requests that change something, and reviews and previews (every non-GET),
//     always read from ISC, and store nothing;
//   - every change that reached ISC marks what it touched (recordChanges), on
//     every replica at once, so no one is served the copy from before it; the
//     one exception is the home page's list of every source after a change of
//     statuses only (visibleSources): the same sources, shown with their age
//     while one refresh runs, and still per view (the visible sets never take
//     it past READ_CACHE_TTL).
//
// Pages show the age of a copy and a refresh control (templates.Freshness); the
// control sends Cache-Control: no-cache, as a browser's hard reload does, which
// skips the copies.

// Change scopes (readcache.Read.Scopes).
const (
	// scopeLists changes when a change may move a source into or out of a list
	// or filter: a source created, deleted, renamed, its owner changed.
	scopeLists = "lists"
	// scopeStatus changes when a change may change sources' status (a connection
	// test, the end of an aggregation): lists filtered or sorted by status, and
	// the home page's counts, depend on it too.
	scopeStatus = "lists:status"
)

// sourceScope changes with any change made to one source or its parts.
func sourceScope(id string) string { return "src:" + id }

// schedulesTTLFactor: schedules change rarely, and the home page's upcoming tile
// reads those of every source (a tenant of 1,000 sources costs 1,000 calls, 100 s
// of ISC's whole budget), so they are kept 60 times as long (30 minutes by
// default) for the tile; a page about one source takes a copy no older than
// READ_CACHE_TTL (sharedSchedules), and any change through the console drops
// them at once.
const schedulesTTLFactor = 60

// seesEverySource reports whether ISC shows the user level every source of the
// tenant (the spec's listSources without for-subadmin).
func seesEverySource(level string) bool {
	switch strings.ToUpper(level) {
	case "ORG_ADMIN", "SOURCE_ADMIN":
		return true
	}
	return false
}

// viewKey names the view of the tenant the signed-in user has: their user level
// when what ISC shows does not depend on the person (ORG_ADMIN, SOURCE_ADMIN,
// HELPDESK), the person otherwise (a SOURCE_SUBADMIN sees the sources of their
// governance groups; a level the console does not know is treated the same way).
// "" when nobody is signed in.
func (s *Server) viewKey(c echo.Context) string {
	u := currentUserVM(c)
	if u == nil {
		return ""
	}
	switch lvl := strings.ToUpper(u.UserLevel); lvl {
	case "ORG_ADMIN", "SOURCE_ADMIN", "HELPDESK":
		return "level:" + u.Tenant + ":" + lvl
	}
	if k := s.userKey(c); k != "" {
		return "user:" + k
	}
	return ""
}

// wantsFresh reports whether the user asked for ISC's current answer: the
// refresh control, or a browser's hard reload, sends Cache-Control: no-cache.
func wantsFresh(c echo.Context) bool {
	h := c.Request().Header
	return strings.Contains(strings.ToLower(h.Get("Cache-Control")), "no-cache") || strings.EqualFold(h.Get("Pragma"), "no-cache")
}

// sharedRead returns what call reads for the signed-in user: a shared copy when
// the cache holds a valid one, else call's answer (coalesced with other users'
// identical reads), stored for the next readers. call returns the answer and the
// scopes it depends on beyond r.Scopes.
//
// A read with r.StaleScopes may answer with a copy changed in those only (see
// readcache.Read); call then reads it again apart from the request (revalidate),
// so call must not use c.
func sharedRead[T any](s *Server, c echo.Context, what string, r readcache.Read, call func(ctx context.Context, cl *api.Client) (T, []string, error)) (T, error) {
	var out T
	err := s.callAPI(c, what, func(ctx context.Context, cl *api.Client) error {
		var (
			err error
			res readcache.Result
		)
		out, res, err = sharedLookup(ctx, s, c, r, func(ctx context.Context) (T, []string, error) { return call(ctx, cl) })
		if err == nil && res.Stale {
			revalidate(ctx, s, s.readsOf(c), r, cl, call)
		}
		return err
	})
	return out, err
}

// detachedClient is cl for calls that outlive the request: with the user's token
// as it is now (a token that expires meanwhile ends them; the next load goes on).
func (s *Server) detachedClient(ctx context.Context, cl *api.Client) (*api.Client, error) {
	ts, err := s.tokenSource(ctx)
	if err != nil {
		return nil, err
	}
	tok, err := ts.Token()
	if err != nil {
		return nil, err
	}
	return cl.With(oauth2.StaticTokenSource(tok)), nil
}

// revalidateTimeout bounds a refresh of a stale copy, which runs apart from any
// request.
const revalidateTimeout = time.Minute

// revalidate reads again, apart from the request, a copy that was served stale:
// with the user's token as it is now, as background work in the budget (after
// page loads and bulk actions), and at most once per half READ_CACHE_TTL for all
// users and replicas (readcache.Revalidate). Readers meanwhile get the copy with
// its age.
func revalidate[T any](ctx context.Context, s *Server, reads *readcache.Cache, r readcache.Read, cl *api.Client, call func(ctx context.Context, cl *api.Client) (T, []string, error)) {
	bcl, err := s.detachedClient(ctx, cl)
	if err != nil {
		return
	}
	r.Fresh = false
	go func() {
		bg, cancel := context.WithTimeout(api.WithPriority(context.WithoutCancel(ctx), api.PriorityBackground), revalidateTimeout)
		defer cancel()
		_, err := readcache.Revalidate(bg, reads, r, reads.TTL()/2, func(ctx context.Context) (T, []string, error) { return call(ctx, bcl) })
		if err != nil {
			s.log.Debug("shared reads: refresh of a stale copy failed; readers keep the copy until it expires", "key", r.Key, "error", err)
		}
	}()
}

// sharedGet is sharedRead for a caller that holds a client already (inside
// callAPI, whose ctx it passes): fetch reads with it. Non-GET requests, and users
// with no view, always fetch, and store nothing. Safe for concurrent use within
// one request.
func sharedGet[T any](ctx context.Context, s *Server, c echo.Context, r readcache.Read, fetch readcache.Fetch[T]) (T, error) {
	r.StaleScopes = nil // nothing here reads a stale copy again
	v, _, err := sharedLookup(ctx, s, c, r, fetch)
	return v, err
}

// sharedLookup is sharedGet with what the cache said of the answer.
func sharedLookup[T any](ctx context.Context, s *Server, c echo.Context, r readcache.Read, fetch readcache.Fetch[T]) (T, readcache.Result, error) {
	if c.Request().Method != http.MethodGet || s.viewKey(c) == "" {
		v, _, err := fetch(ctx)
		return v, readcache.Result{}, err
	}
	r.Fresh = r.Fresh || wantsFresh(c)
	v, res, err := readcache.Get(ctx, s.readsOf(c), r, fetch)
	if err == nil && res.Cached {
		noteCopy(c, res.FetchedAt)
	}
	return v, res, err
}

// ctxOldestCopy holds the *copyNote of a request that used a shared copy.
const ctxOldestCopy = "sd.oldestCopy"

// copyNote is the time the oldest shared copy a request used was read.
type copyNote struct{ at time.Time }

// copyNotes guards every request's copyNote (a request's reads may run at once).
var copyNotes sync.Mutex

// noteCopy records that the page shows a copy read at t.
func noteCopy(c echo.Context, t time.Time) {
	copyNotes.Lock()
	defer copyNotes.Unlock()
	if n, ok := c.Get(ctxOldestCopy).(*copyNote); ok {
		if t.Before(n.at) {
			n.at = t
		}
		return
	}
	c.Set(ctxOldestCopy, &copyNote{at: t})
}

// copyAge is how old the oldest shared copy the request used is, and whether it
// used one.
func (s *Server) copyAge(c echo.Context) (time.Duration, bool) {
	copyNotes.Lock()
	defer copyNotes.Unlock()
	n, ok := c.Get(ctxOldestCopy).(*copyNote)
	if !ok {
		return 0, false
	}
	return max(time.Since(n.at), 0), true
}

// sourceRead is sharedRead for one of source id's own answers (r names it in the
// cache: sourceReadOf; what says what is done, for errors), shared only with users
// who may see the source (see the comment at the top of this file).
func sourceRead[T any](s *Server, c echo.Context, what, id string, r readcache.Read, call func(ctx context.Context, cl *api.Client) (T, error)) (T, error) {
	var out T
	err := s.callAPI(c, what, func(ctx context.Context, cl *api.Client) error {
		var err error
		out, err = sourceGet(ctx, s, c, id, r, func(ctx context.Context) (T, error) { return call(ctx, cl) })
		return err
	})
	return out, err
}

// sourceGet is sourceRead for a caller inside callAPI.
func sourceGet[T any](ctx context.Context, s *Server, c echo.Context, id string, r readcache.Read, fetch func(ctx context.Context) (T, error)) (T, error) {
	if !s.maySeeShared(c, id) {
		return fetch(ctx) // the user's own answer, not stored
	}
	return sharedGet(ctx, s, c, r, func(ctx context.Context) (T, []string, error) {
		v, err := fetch(ctx)
		return v, nil, err
	})
}

// sourceReadOf names one of a source's own answers in the cache.
func sourceReadOf(kind, id string, ttlFactor int) readcache.Read {
	return readcache.Read{Key: kind + ":" + id, Scopes: []string{sourceScope(id)}, TTLFactor: ttlFactor}
}

// ctxVisible caches the user's visible set for the request.
const ctxVisible = "sd.visible"

// maySeeShared reports whether a shared copy of source id's answers may be
// served to the signed-in user: they see every source, or their own visible set
// holds it. When that cannot be told (ISC cannot be asked right now) it is no.
func (s *Server) maySeeShared(c echo.Context, id string) bool {
	u := currentUserVM(c)
	if u == nil || !s.reads.On() {
		return false
	}
	if seesEverySource(u.UserLevel) {
		return true
	}
	ids, ok := c.Get(ctxVisible).([]string)
	if !ok {
		var err error
		if ids, err = s.visibleIDs(c); err != nil {
			s.log.Debug("shared reads: visible set unavailable", "error", err)
			ids = nil
		}
		c.Set(ctxVisible, ids)
	}
	_, found := slices.BinarySearch(ids, id)
	return found
}

// visibleIDs is the sorted ids of the sources the user's own list call shows
// (visibleSources), kept per view; it changes only with the lists. It never
// takes a list older than READ_CACHE_TTL (a change made outside the console
// shows within it).
func (s *Server) visibleIDs(c echo.Context) ([]string, error) {
	r := readcache.Read{Key: "visible-ids:" + s.viewKey(c), Scopes: []string{scopeLists}}
	return sharedRead(s, c, "list the sources the user sees", r, func(context.Context, *api.Client) ([]string, []string, error) {
		list, err := s.visibleSourcesWithin(c, s.reads.TTL())
		if err != nil {
			return nil, nil, err
		}
		ids := make([]string, len(list))
		for i := range list {
			ids[i] = list[i].ID
		}
		slices.Sort(ids)
		return ids, nil, nil
	})
}

// listRead is sharedRead for one page of the source list, kept per view and
// query; it depends on the lists, on every source it holds, and on the sources'
// statuses when byStatus (the query filters or sorts by status).
func listRead(s *Server, c echo.Context, p api.ListSourcesParams, byStatus bool) (api.Page[api.Source], error) {
	key := fmt.Sprintf("%d|%d|%t|%s|%s|%s|%t", p.Limit, p.Offset, p.Count, p.Filters.String(),
		strings.Join(p.Sorters, ","), p.ForSubadmin, p.IncludeIDNSource)
	sum := sha256.Sum256([]byte(key))
	r := readcache.Read{Key: "list:" + s.viewKey(c) + ":" + hex.EncodeToString(sum[:16]), Scopes: []string{scopeLists}}
	if byStatus {
		r.Scopes = append(r.Scopes, scopeStatus)
	}
	return sharedRead(s, c, "list sources", r, func(ctx context.Context, cl *api.Client) (api.Page[api.Source], []string, error) {
		page, err := cl.ListSources(ctx, p)
		return page, sourceScopes(page.Items), err
	})
}

// sourceScopes are the change scopes of the sources in list.
func sourceScopes(list []api.Source) []string {
	out := make([]string, len(list))
	for i := range list {
		out[i] = sourceScope(list[i].ID)
	}
	return out
}

// changed marks, in the shared reads, what a change request that reached ISC
// touched: its source (the route's :id, or the sources a bulk action names in its
// form) and the lists, unless the route says the change cannot move a source
// into or out of a list (listsUnchanged) or may change statuses only (statusOnly). recordChanges calls it before the
// answer is written, whatever ISC answered (a failure may hide a change made).
func (s *Server) changed(c echo.Context, ri routeInfo) {
	var scopes []string
	if id := c.Param("id"); id != "" {
		scopes = append(scopes, sourceScope(id))
	} else if isURLEncoded(c.Request()) {
		if form, err := c.FormParams(); err == nil {
			for _, id := range form["id"] {
				if validID(id) {
					scopes = append(scopes, sourceScope(id))
				}
			}
		}
	}
	switch {
	case ri.statusOnly:
		scopes = append(scopes, scopeStatus)
	case !ri.listsUnchanged:
		scopes = append(scopes, scopeLists)
	}
	if err := s.readsOf(c).Changed(c.Request().Context(), scopes...); err != nil {
		s.log.Warn("shared reads: a change could not be marked; copies may show the state before it until they expire",
			"route", c.Path(), "error", err)
	}
}
