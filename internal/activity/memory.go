package activity

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"
)

// Memory is a Store in this process's memory: for tests and single-process demos
// (the log is lost on restart).
type Memory struct {
	mu      sync.Mutex
	entries []Entry // in ID order
	now     func() time.Time
}

// NewMemory returns an empty in-memory log.
func NewMemory() *Memory { return &Memory{now: time.Now} }

// Append records e.
func (m *Memory) Append(_ context.Context, e Entry) error {
	prepare(&e, m.now)
	e.Details = maps.Clone(e.Details)
	m.mu.Lock()
	defer m.mu.Unlock()
	i, _ := slices.BinarySearchFunc(m.entries, e.ID, func(x Entry, id string) int {
		switch {
		case x.ID < id:
			return -1
		case x.ID > id:
			return 1
		}
		return 0
	})
	m.entries = slices.Insert(m.entries, i, e)
	return nil
}

// Query returns the entries f selects, newest first.
func (m *Memory) Query(_ context.Context, f Filter) ([]Entry, int, error) {
	offset, limit := f.limits()
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Entry
	total := 0
	for i := len(m.entries) - 1; i >= 0; i-- {
		e := m.entries[i]
		if !f.Match(e) {
			continue
		}
		if total >= offset && len(out) < limit {
			e.Details = maps.Clone(e.Details)
			out = append(out, e)
		}
		total++
	}
	return out, total, nil
}

// SetTaskStatus records a task's final status.
func (m *Memory) SetTaskStatus(_ context.Context, taskID, status string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.entries {
		if m.entries[i].TaskID == taskID {
			m.entries[i].TaskStatus = status
		}
	}
	return nil
}

// Prune deletes entries older than before.
func (m *Memory) Prune(_ context.Context, before time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries = slices.DeleteFunc(m.entries, func(e Entry) bool { return e.At.Before(before) })
	return nil
}
