// Package activity is the console's activity log: who changed what through the
// console, when, on which source, and how it ended.
//
// The log lives in the same backend as the sessions (memory, an SQLite file,
// Postgres or Redis), so every replica writes to and reads one log. Entries are
// immutable once written except for the final status of the task they started,
// which arrives later (SetTaskStatus). Secrets, tokens and file contents are never
// recorded: callers pass only names, sizes, hashes and patches.
package activity

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// DefaultRetention is how long entries are kept when nothing else is configured.
const DefaultRetention = 90 * 24 * time.Hour

// MaxLimit caps one page of Query.
const MaxLimit = 500

// Entry is one recorded action.
type Entry struct {
	// ID orders entries: it starts with the time in hex nanoseconds, so it sorts like At.
	ID string    `json:"id"`
	At time.Time `json:"at"`
	// Tenant is the key of the ISC tenant the action was on ("" in entries
	// written before the console knew several tenants).
	Tenant string `json:"tenant,omitempty"`
	// UserID is the ISC identity id; UserName the name ISC gave at sign-in.
	UserID   string `json:"userId,omitempty"`
	UserName string `json:"userName,omitempty"`
	SourceID string `json:"sourceId,omitempty"`
	// Action names the operation, e.g. "source.update", "schedule.create", "sign-in".
	Action string `json:"action"`
	// Method and Route are the console request (Route is the pattern, not the URL).
	Method string `json:"method,omitempty"`
	Route  string `json:"route,omitempty"`
	// Status is the HTTP status the console answered with.
	Status int `json:"status,omitempty"`
	// Error is what ISC or the console said when it failed, in words.
	Error string `json:"error,omitempty"`
	// TaskID is the ISC task the action started; TaskStatus its final status
	// ("" while it runs or when unknown).
	TaskID     string `json:"taskId,omitempty"`
	TaskStatus string `json:"taskStatus,omitempty"`
	RequestID  string `json:"requestId,omitempty"`
	// Details holds what the handler knew more: the patch, a file's name, size and hash.
	Details map[string]string `json:"details,omitempty"`
}

// OK reports whether the console answered with success.
func (e Entry) OK() bool { return e.Status >= 200 && e.Status < 400 }

// Filter selects entries for Query. Zero fields do not filter.
type Filter struct {
	// Tenants keeps the entries of these tenants ("" stands for entries written
	// before the console knew several tenants); none keeps every tenant's.
	Tenants []string
	// User matches the identity id or the user name exactly.
	User     string
	SourceID string
	// Action matches exactly, or every action with that prefix when it ends in ".".
	Action string
	// From and To bound At: From <= At < To.
	From, To time.Time
	// WithTask keeps only entries that started a task.
	WithTask bool
	// Offset and Limit page through the newest-first result; Limit 0 means 50.
	Offset, Limit int
}

// Store keeps the activity log. Every implementation returns Query results newest
// first (by ID) and the total number of entries the filter matches.
type Store interface {
	// Append records e. It fills ID and At when they are empty.
	Append(ctx context.Context, e Entry) error
	// Query returns one page of the entries f selects and how many match in all.
	Query(ctx context.Context, f Filter) ([]Entry, int, error)
	// SetTaskStatus records the final status of a task on the entries that started it.
	SetTaskStatus(ctx context.Context, taskID, status string) error
	// Prune deletes the entries older than before (retention).
	Prune(ctx context.Context, before time.Time) error
}

// prepare fills the ID and time of e and checks the filter's page.
func prepare(e *Entry, now func() time.Time) {
	if e.At.IsZero() {
		e.At = now()
	}
	e.At = e.At.UTC()
	if e.ID == "" {
		e.ID = NewID(e.At)
	}
}

// NewID returns an id that sorts by time: 16 hex digits of Unix nanoseconds, then
// 8 random hex digits so that two replicas writing in the same nanosecond differ.
func NewID(at time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%016x%s", uint64(at.UnixNano()), hex.EncodeToString(b[:]))
}

// limits applies the page defaults.
func (f Filter) limits() (offset, limit int) {
	offset, limit = max(f.Offset, 0), f.Limit
	if limit <= 0 {
		limit = 50
	}
	return offset, min(limit, MaxLimit)
}

// Match reports whether e passes f (the time and text fields; not the page).
func (f Filter) Match(e Entry) bool {
	if len(f.Tenants) > 0 && !slices.Contains(f.Tenants, e.Tenant) {
		return false
	}
	if f.User != "" && e.UserID != f.User && e.UserName != f.User {
		return false
	}
	if f.SourceID != "" && e.SourceID != f.SourceID {
		return false
	}
	if f.Action != "" {
		if strings.HasSuffix(f.Action, ".") {
			if !strings.HasPrefix(e.Action, f.Action) {
				return false
			}
		} else if e.Action != f.Action {
			return false
		}
	}
	if !f.From.IsZero() && e.At.Before(f.From) {
		return false
	}
	if !f.To.IsZero() && !e.At.Before(f.To) {
		return false
	}
	if f.WithTask && e.TaskID == "" {
		return false
	}
	return true
}

// KeepFor deletes the entries older than retention now and then every interval,
// until ctx ends; cmd/server runs it in a goroutine. Replicas may all run it: a
// prune is idempotent. Errors go to onErr (e.g. a log) and the loop goes on.
func KeepFor(ctx context.Context, s Store, retention, every time.Duration, now func() time.Time, onErr func(error)) {
	if retention <= 0 {
		retention = DefaultRetention
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := s.Prune(ctx, now().Add(-retention)); err != nil && ctx.Err() == nil {
			onErr(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
