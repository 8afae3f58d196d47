package bff

import (
	"cmp"
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"sourcedesk/internal/api"
	"sourcedesk/web/templates"
)

// Polling back-off of the task panel: the first poll comes after pollFirst
// seconds and each later one waits twice as long, up to pollMax.
const (
	pollFirst = 1
	pollMax   = 10
)

// taskPage handles "GET /tasks/:id": the task panel, following GET /task-status/{id}.
// The full page is the task's permanent address (a reload keeps following it); htmx
// polls the same URL for the panel alone, with ?wait= carrying the back-off.
// ?source=<id> adds the link back to the source.
func (s *Server) taskPage(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	poll := c.QueryParam("wait") != "" && isHTMX(c)
	if poll {
		asBackground(c) // the panel follows the task by itself: page loads go first
	}
	sourceID := c.QueryParam("source")
	if sourceID != "" && !validID(sourceID) {
		sourceID = ""
	}
	ts, err := fetchAPI(s, c, "get task "+id, func(ctx context.Context, cl *api.Client) (*api.TaskStatus, error) {
		return cl.GetTaskStatus(ctx, id)
	})
	if err != nil {
		return err
	}
	if ts.Done() && sourceID != "" {
		// What the task did (deleted the source, aggregated its accounts) is a
		// change made through the console that ISC finished only now.
		if err := s.readsOf(c).Changed(c.Request().Context(), sourceScope(sourceID), scopeLists, scopeStatus); err != nil {
			s.log.Warn("shared reads: a finished task could not be marked", "task", id, "error", err)
		}
	}
	// A poll (htmx, with ?wait=) gets the panel alone; anything else gets the page
	// (as a fragment for a plain htmx navigation).
	if poll {
		vm := taskVM(ts, sourceID, nextPollDelay(c.QueryParam("wait")))
		s.checkSourceGone(c, &vm, sourceID)
		return s.render(c, http.StatusOK, Page{Body: templates.TaskPanel(vm)})
	}
	vm := taskVM(ts, sourceID, pollFirst)
	s.checkSourceGone(c, &vm, sourceID)
	return s.render(c, http.StatusOK, Page{Title: "Task " + vm.Name, Section: "sources", Body: templates.TaskPage(vm)})
}

// checkSourceGone asks, once a task has ended, whether its source still exists:
// after a deletion, "back to the source" would be a dead link, so the panel
// links to the sources list instead.
func (s *Server) checkSourceGone(c echo.Context, vm *templates.TaskVM, sourceID string) {
	if !vm.Done || vm.SourceURL == "" {
		return
	}
	if sourceID == "" {
		sourceID = strings.TrimPrefix(vm.SourceURL, "/sources/")
	}
	_, err := fetchAPI(s, c, "get source "+sourceID, func(ctx context.Context, cl *api.Client) (*api.Source, error) {
		return cl.GetSource(ctx, sourceID)
	})
	if api.IsNotFound(err) {
		vm.SourceGone, vm.SourceURL = true, "/sources"
	}
}

// nextPollDelay is the wait before the poll after one that waited prev seconds:
// doubled, at least pollFirst, at most pollMax.
func nextPollDelay(prev string) int {
	n, err := strconv.Atoi(prev)
	if err != nil || n < pollFirst {
		return pollFirst
	}
	return min(n*2, pollMax)
}

// taskURL is the task panel's address (the console's page that follows a task), with
// the way back to the source; sourceID may be "" (no link back).
func taskURL(taskID, sourceID string) string {
	u := "/tasks/" + url.PathEscape(taskID)
	if sourceID != "" {
		u += "?source=" + url.QueryEscape(sourceID)
	}
	return u
}

// taskVM maps a task status into the panel's view model. wait is the delay before the
// next poll, if the task still runs.
func taskVM(ts *api.TaskStatus, sourceID string, wait int) templates.TaskVM {
	vm := templates.TaskVM{
		ID:          ts.ID,
		Name:        cmp.Or(ts.UniqueName, "Task"),
		Description: ts.Description,
		Launcher:    ts.Launcher,
		Created:     string(ts.Created),
		Completed:   string(ts.Completed),
		Progress:    cmp.Or(ts.Progress, "Waiting for ISC"),
		Percent:     min(max(ts.PercentComplete, 0), 100),
		Done:        ts.Done(),
	}
	if sourceID == "" && ts.Target != nil && strings.EqualFold(ts.Target.Type, "APPLICATION") && validID(ts.Target.ID) {
		sourceID = ts.Target.ID
	}
	if ts.Target != nil {
		vm.SourceName = strings.TrimSuffix(ts.Target.Name, " [source]")
	}
	if sourceID != "" {
		vm.SourceURL = "/sources/" + url.PathEscape(sourceID)
	}
	if vm.Done {
		vm.State = strings.ToLower(string(ts.CompletionStatus))
		vm.Percent = 100
	} else {
		vm.State = "running"
		vm.PollDelay = wait
		vm.PollURL = taskURL(ts.ID, sourceID)
		if strings.Contains(vm.PollURL, "?") {
			vm.PollURL += "&wait=" + strconv.Itoa(wait)
		} else {
			vm.PollURL += "?wait=" + strconv.Itoa(wait)
		}
	}
	for _, m := range ts.Messages {
		text := m.Key
		if m.LocalizedText != nil && m.LocalizedText.Message != "" {
			text = m.LocalizedText.Message
		}
		vm.Messages = append(vm.Messages, templates.TaskMessageVM{Type: m.Type, Text: text})
	}
	for _, r := range ts.Returns {
		raw, ok := ts.Attributes[r.AttributeName]
		if !ok {
			continue
		}
		vm.Counts = append(vm.Counts, templates.TaskCountVM{
			Name: r.AttributeName, Label: countLabel(r.Name, r.AttributeName), Value: jsonText(raw),
		})
	}
	return vm
}

// countLabels turns ISC's return labels into words.
var countLabels = map[string]string{
	"TASK_OUT_ACCOUNT_AGGREGATION_TOTAL":         "Accounts scanned",
	"TASK_OUT_ACCOUNT_AGGREGATION_CREATED":       "Accounts created",
	"TASK_OUT_ACCOUNT_AGGREGATION_UPDATED":       "Accounts updated",
	"TASK_OUT_UNCHANGED_ACCOUNTS":                "Accounts unchanged",
	"TASK_OUT_ACCOUNT_AGGREGATION_DELETED":       "Accounts removed",
	"TASK_OUT_ACCOUNT_AGGREGATION_ERRORS":        "Rows with errors",
	"TASK_OUT_ACCOUNT_GROUP_AGGREGATION_TOTAL":   "Groups scanned",
	"TASK_OUT_ACCOUNT_GROUP_AGGREGATION_CREATED": "Groups created",
	"TASK_OUT_ACCOUNT_GROUP_AGGREGATION_UPDATED": "Groups updated",
	"TASK_OUT_ACCOUNT_GROUP_AGGREGATION_DELETED": "Groups deleted",
	"TASK_OUT_SOURCE_DELETE_ACCOUNTS":            "Accounts deleted",
}

func countLabel(name, attr string) string {
	if l, ok := countLabels[name]; ok {
		return l
	}
	if name != "" {
		return name
	}
	return attr
}
