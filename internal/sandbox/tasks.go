package sandbox

// Asynchronous tasks (aggregations, account removal, source deletion…).
// A task's whole timeline is fixed when it starts: it is queued, launched
// one TaskStep later, reports progress, and completes three steps after
// creation. Nothing runs in the background: every API call first advances
// the clock-driven state (advanceTasks), which applies the effects of tasks
// that have completed. That keeps the sandbox goroutine-free and lets tests
// drive time with Config.Now.

import (
	"time"
)

// taskSteps is the number of TaskSteps from creation to completion.
const taskSteps = 3

// task is one asynchronous task. Guarded by s.mu.
type task struct {
	id, uniqueName, description string
	launcher                    string
	sourceID, sourceName        string
	created                     time.Time
	status                      string            // final completionStatus: SUCCESS, WARNING, ERROR
	messages                    []taskMessage     // final messages
	counts                      map[string]int    // final returns/attributes
	progress                    [taskSteps]string // progress text per step
	labels                      map[string]string // display labels of counts, when not countLabels
	onComplete                  func()            // applied once, under s.mu, when the task completes
	done                        bool
}

type taskMessage struct {
	typ  string // INFO, WARN, ERROR
	key  string
	text string
}

// newTask registers a task starting now; callers hold s.mu.
func (s *Sandbox) newTask(uniqueName, description string, c *call, src *sourceRec) *task {
	t := &task{
		id:          s.api.newID(),
		uniqueName:  uniqueName,
		description: description,
		launcher:    c.p.DisplayName,
		created:     s.now(),
		status:      "SUCCESS",
		counts:      map[string]int{},
		progress:    [taskSteps]string{"Initializing...", "Processing", "Finalizing"},
	}
	if t.launcher == "" {
		t.launcher = c.p.ClientID
	}
	if src != nil {
		t.sourceID, t.sourceName = src.id(), src.name()
	}
	s.api.tasks[t.id] = t
	s.api.pending = append(s.api.pending, t)
	return t
}

func (s *Sandbox) taskStep() time.Duration { return s.cfg.TaskStep }

// step returns how many steps of t have elapsed (0..taskSteps).
func (s *Sandbox) step(t *task, now time.Time) int {
	n := int(now.Sub(t.created) / s.taskStep())
	return min(max(n, 0), taskSteps)
}

// taskRetention is how long finished tasks stay visible, as in ISC.
const taskRetention = 90 * 24 * time.Hour

// advanceTasks completes due tasks and applies their effects, oldest first,
// and forgets tasks past retention; callers hold s.mu.
func (s *Sandbox) advanceTasks() {
	now := s.now()
	keep := s.api.pending[:0]
	for _, t := range s.api.pending {
		if s.step(t, now) < taskSteps {
			keep = append(keep, t)
			continue
		}
		t.done = true
		if t.onComplete != nil {
			t.onComplete()
		}
	}
	clear(s.api.pending[len(keep):])
	s.api.pending = keep
	if now.Sub(s.api.lastSweep) < time.Minute {
		return
	}
	s.api.lastSweep = now
	for id, t := range s.api.tasks {
		if t.done && now.Sub(t.created) > taskRetention {
			delete(s.api.tasks, id)
		}
	}
}

// taskStatus renders t as the TaskStatus shape; callers hold s.mu.
func (s *Sandbox) taskStatus(t *task) map[string]any {
	now := s.now()
	st := s.step(t, now)
	var launched, completed, completionStatus, modified any
	progress := any(t.progress[min(st, taskSteps-1)])
	percent := []int{0, 40, 80, 100}[st]
	if st >= 1 {
		launched = isoTime(t.created.Add(s.taskStep()))
		modified = isoTime(t.created.Add(time.Duration(st) * s.taskStep()))
	}
	messages := []any{}
	returns := []any{}
	attrs := map[string]any{"appId": t.sourceID}
	if st >= taskSteps {
		completed = isoTime(t.created.Add(taskSteps * s.taskStep()))
		completionStatus = t.status
		progress = "Completed"
		for _, m := range t.messages {
			messages = append(messages, map[string]any{
				"type": m.typ, "key": m.key, "parameters": nil,
				"localizedText": map[string]any{"locale": "en-US", "message": m.text},
			})
		}
		for _, k := range countKeys {
			if v, ok := t.counts[k]; ok {
				attrs[k] = v
				returns = append(returns, map[string]any{"name": t.label(k), "attributeName": k})
			}
		}
	}
	var target any
	if t.sourceID != "" {
		target = map[string]any{"id": t.sourceID, "type": "APPLICATION", "name": t.sourceName + " [source]"}
	}
	return map[string]any{
		"id": t.id, "type": "QUARTZ", "uniqueName": t.uniqueName, "description": t.description,
		"parentName": nil, "launcher": t.launcher, "target": target,
		"created": isoTime(t.created), "modified": modified, "launched": launched, "completed": completed,
		"completionStatus": completionStatus, "messages": messages, "returns": returns,
		"attributes": attrs, "progress": progress, "percentComplete": percent,
		"taskDefinitionSummary": map[string]any{
			"id": "2c91808475b4334b0175e1dff64b63c5", "uniqueName": t.uniqueName, "description": t.description,
			"parentName": t.uniqueName, "executor": "sailpoint.task.ServiceTaskExecutor", "arguments": map[string]any{},
		},
	}
}

// countKeys orders the counts a task returns.
var countKeys = []string{"total", "created", "updated", "unchanged", "removed", "errors", "correlationFailures", "groupsCreated", "groupsUpdated", "groupsDeleted", "deleted"}

// label is the display label of t's count k.
func (t *task) label(k string) string {
	if l, ok := t.labels[k]; ok {
		return l
	}
	return countLabels[k]
}

var countLabels = map[string]string{
	"total": "TASK_OUT_ACCOUNT_AGGREGATION_TOTAL", "created": "TASK_OUT_ACCOUNT_AGGREGATION_CREATED",
	"updated": "TASK_OUT_ACCOUNT_AGGREGATION_UPDATED", "unchanged": "TASK_OUT_UNCHANGED_ACCOUNTS",
	"removed": "TASK_OUT_ACCOUNT_AGGREGATION_DELETED", "errors": "TASK_OUT_ACCOUNT_AGGREGATION_ERRORS",
	"groupsCreated": "TASK_OUT_ACCOUNT_GROUP_AGGREGATION_CREATED", "groupsUpdated": "TASK_OUT_ACCOUNT_GROUP_AGGREGATION_UPDATED",
	"groupsDeleted": "TASK_OUT_ACCOUNT_GROUP_AGGREGATION_DELETED", "deleted": "TASK_OUT_SOURCE_DELETE_ACCOUNTS",
}

// getTaskStatus handles "GET /task-status/{id}".
func (s *Sandbox) getTaskStatus(c *call) (int, any, error) {
	id := c.r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.api.tasks[id]
	if t == nil {
		return 0, nil, notFound("Task %q was not found.", id)
	}
	if c.p.UserLevel == LevelSourceSubadmin && t.sourceID != "" {
		if src := s.api.sources[t.sourceID]; src != nil && !c.p.canSee(src) {
			return 0, nil, forbidden("The server understood the request but refuses to authorize it.")
		}
	}
	return 200, s.taskStatus(t), nil
}
