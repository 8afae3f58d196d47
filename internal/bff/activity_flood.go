package bff

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"sourcedesk/internal/activity"
)

// A user who sends change after change (a script, a stuck key, a bulk action in a
// loop) must not be able to flood the team's log. Each user may add at most
// activityPerWindow entries per activityWindow, counted in the log itself, so the
// bound holds across replicas; what is over is counted here and written, once the
// window is over, as one entry saying how many similar requests were left out (one
// such entry per replica that left some out).
const (
	activityPerWindow = 30
	activityWindow    = time.Minute
	// suppressedAction is the action of the summary entry.
	suppressedAction = "activity.suppressed"
)

// suppressedLabel is the summary entry's action in words.
const suppressedLabel = "Similar requests not recorded"

// activityFlood holds this replica's counts of left-out entries, per user and window.
type activityFlood struct {
	mu      sync.Mutex
	pending map[floodKey]*floodCount
}

type floodKey struct {
	user   string
	tenant string // the summary goes to the log of the tenant the changes were on
	start  int64  // the window's start, Unix nanoseconds
}

type floodCount struct {
	userName string
	total    int
	byAction map[string]int
}

// appendBounded records e unless its user has used up this window's entries, in
// which case it is counted for the window's summary instead.
func (s *Server) appendBounded(ctx context.Context, e activity.Entry) {
	start := e.At.Truncate(activityWindow)
	_, n, err := s.dash.log.Query(ctx, activity.Filter{User: e.UserID, From: start, To: start.Add(activityWindow), Limit: 1})
	if err != nil || n < activityPerWindow {
		s.recordActivity(ctx, e) // when the count fails, recording wins over leaving out
		return
	}
	f := &s.flood
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pending == nil {
		f.pending = map[floodKey]*floodCount{}
	}
	k := floodKey{e.UserID, e.Tenant, start.UnixNano()}
	fc := f.pending[k]
	if fc == nil {
		fc = &floodCount{userName: e.UserName, byAction: map[string]int{}}
		f.pending[k] = fc
		// Written when the window is over: by this timer, or by the first request
		// after it (flushSuppressed runs on every request), whichever comes first.
		time.AfterFunc(start.Add(activityWindow).Sub(s.cfg.Now())+time.Second, func() {
			s.flushSuppressed(context.Background())
		})
	}
	fc.total++
	fc.byAction[e.Action]++
}

// flushSuppressed writes the summary entry of every window that is over.
func (s *Server) flushSuppressed(ctx context.Context) {
	f := &s.flood
	now := s.cfg.Now()
	f.mu.Lock()
	var due []activity.Entry
	for k, fc := range f.pending {
		end := time.Unix(0, k.start).Add(activityWindow)
		if now.Before(end) {
			continue
		}
		delete(f.pending, k)
		var acts []string
		for _, a := range slices.Sorted(maps.Keys(fc.byAction)) {
			acts = append(acts, fmt.Sprintf("%s ×%d", a, fc.byAction[a]))
		}
		due = append(due, activity.Entry{
			At: end.Add(-time.Millisecond), UserID: k.user, UserName: fc.userName, Tenant: k.tenant, Action: suppressedAction,
			Status: http.StatusTooManyRequests,
			Error:  fmt.Sprintf("More than %d changes in a minute: the rest were made but not recorded one by one.", activityPerWindow),
			Details: map[string]string{
				"count":   strconv.Itoa(fc.total) + " similar requests suppressed",
				"actions": strings.Join(acts, ", "),
			},
		})
	}
	f.mu.Unlock()
	for _, e := range due {
		s.recordActivity(ctx, e)
	}
}
