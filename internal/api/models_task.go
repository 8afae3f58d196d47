package api

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// CompletionStatus is how a task ended; "" while it runs. TaskStatus spells
// the temporary error TEMPERROR, the load tasks TEMP_ERROR, and ISC's own
// examples mix case, so compare with Is.
type CompletionStatus string

// Completion states.
const (
	CompletionSuccess    CompletionStatus = "SUCCESS"
	CompletionWarning    CompletionStatus = "WARNING"
	CompletionError      CompletionStatus = "ERROR"
	CompletionTerminated CompletionStatus = "TERMINATED"
	CompletionTempError  CompletionStatus = "TEMPERROR"  // in TaskStatus
	CompletionTempError2 CompletionStatus = "TEMP_ERROR" // in LoadAccountsTask
)

// Is reports whether s is want, ignoring case and underscores.
func (s CompletionStatus) Is(want CompletionStatus) bool {
	norm := func(c CompletionStatus) string { return strings.ReplaceAll(strings.ToUpper(string(c)), "_", "") }
	return norm(s) == norm(want)
}

// TaskResult is the 202 answer of DELETE /sources/{id} and remove-accounts:
// {type: TASK_RESULT, id, name: null}. Poll GetTaskStatus with ID.
type TaskResult struct {
	Type DtoType `json:"type,omitempty"`
	ID   string  `json:"id,omitempty"`
	Name string  `json:"name,omitempty"`
}

// LoadAccountsTask is the 202 answer of load-accounts. Poll GetTaskStatus
// with Task.ID.
type LoadAccountsTask struct {
	Success bool            `json:"success"`
	Task    LoadTaskDetails `json:"task"`
}

// LoadUncorrelatedAccountsTask is the 202 answer of load-uncorrelated-accounts;
// it has the shape of LoadAccountsTask.
type LoadUncorrelatedAccountsTask = LoadAccountsTask

// LoadTaskDetails is the task inside a LoadAccountsTask.
type LoadTaskDetails struct {
	ID               string                     `json:"id,omitempty"`
	Type             string                     `json:"type,omitempty"`
	Name             string                     `json:"name,omitempty"`
	Description      string                     `json:"description,omitempty"`
	Launcher         string                     `json:"launcher,omitempty"`
	Created          DateTime                   `json:"created,omitempty"`
	Launched         DateTime                   `json:"launched,omitempty"`
	Completed        DateTime                   `json:"completed,omitempty"`
	CompletionStatus CompletionStatus           `json:"completionStatus,omitempty"`
	ParentName       string                     `json:"parentName,omitempty"`
	Messages         []LoadTaskMessage          `json:"messages,omitempty"`
	Progress         string                     `json:"progress,omitempty"`
	Attributes       map[string]json.RawMessage `json:"attributes,omitempty"`
	Returns          LoadTaskReturns            `json:"returns,omitempty"`
}

// LoadTaskMessage is a message of a load task; Type is INFO, WARN or ERROR.
type LoadTaskMessage struct {
	Type          string `json:"type,omitempty"`
	Error         bool   `json:"error"`
	Warning       bool   `json:"warning"`
	Key           string `json:"key,omitempty"`
	LocalizedText string `json:"localizedText,omitempty"`
}

// LoadTaskReturns are the return values a load task names. SailPoint's published
// schema of LoadUncorrelatedAccountsTask (and every SDK built from it) declares
// task.returns an object, while its example and LoadAccountsTask have a list of
// {displayLabel, attributeName}: both decode. An object with displayLabel or
// attributeName is one return value; any other object names one per member
// (member name → attributeName, a string value → displayLabel).
type LoadTaskReturns []LoadTaskReturn

// UnmarshalJSON decodes a list, an object or null.
func (r *LoadTaskReturns) UnmarshalJSON(b []byte) error {
	var list []LoadTaskReturn
	if err := json.Unmarshal(b, &list); err == nil {
		*r = list
		return nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return fmt.Errorf("returns: neither a list nor an object: %w", err)
	}
	_, hasLabel := obj["displayLabel"]
	_, hasName := obj["attributeName"]
	if hasLabel || hasName {
		var one LoadTaskReturn
		if err := json.Unmarshal(b, &one); err != nil {
			return fmt.Errorf("returns: %w", err)
		}
		*r = LoadTaskReturns{one}
		return nil
	}
	names := make([]string, 0, len(obj))
	for k := range obj {
		names = append(names, k)
	}
	slices.Sort(names)
	out := make(LoadTaskReturns, 0, len(names))
	for _, k := range names {
		var label string
		_ = json.Unmarshal(obj[k], &label) // a label when it is a string; none otherwise
		out = append(out, LoadTaskReturn{DisplayLabel: label, AttributeName: k})
	}
	*r = out
	return nil
}

// LoadTaskReturn names a return value of a load task.
type LoadTaskReturn struct {
	DisplayLabel  string `json:"displayLabel,omitempty"`
	AttributeName string `json:"attributeName,omitempty"`
}

// LoadEntitlementTask is the 202 answer of load-entitlements (flat, unlike
// LoadAccountsTask). Poll GetTaskStatus with ID.
type LoadEntitlementTask struct {
	ID          string           `json:"id,omitempty"`
	Type        string           `json:"type,omitempty"`
	UniqueName  string           `json:"uniqueName,omitempty"`
	Description string           `json:"description,omitempty"`
	Launcher    string           `json:"launcher,omitempty"`
	Created     DateTime         `json:"created,omitempty"`
	Returns     []LoadTaskReturn `json:"returns,omitempty"`
}

// TaskType is QUARTZ, QPOC or QUEUED_TASK.
type TaskType string

// TaskStatus is GET /task-status/{id}. CompletionStatus is "" while the task
// runs. ISC returns no data for tasks older than 90 days.
type TaskStatus struct {
	ID                    string                     `json:"id"`
	Type                  TaskType                   `json:"type"`
	UniqueName            string                     `json:"uniqueName"`
	Description           string                     `json:"description"`
	ParentName            string                     `json:"parentName,omitempty"`
	Launcher              string                     `json:"launcher"`
	Target                *TaskTarget                `json:"target,omitempty"`
	Created               DateTime                   `json:"created"`
	Modified              DateTime                   `json:"modified,omitempty"`
	Launched              DateTime                   `json:"launched,omitempty"`
	Completed             DateTime                   `json:"completed,omitempty"`
	CompletionStatus      CompletionStatus           `json:"completionStatus,omitempty"`
	Messages              []TaskStatusMessage        `json:"messages"`
	Returns               []TaskReturnDetails        `json:"returns"`
	Attributes            map[string]json.RawMessage `json:"attributes"`
	Progress              string                     `json:"progress,omitempty"`
	PercentComplete       int                        `json:"percentComplete"`
	TaskDefinitionSummary *TaskDefinitionSummary     `json:"taskDefinitionSummary,omitempty"`
}

// Done reports whether the task has finished, however it ended.
func (t *TaskStatus) Done() bool { return t.CompletionStatus != "" }

// TaskTarget is what a task works on; Type is APPLICATION, IDENTITY or "".
type TaskTarget struct {
	ID   string `json:"id,omitempty"`
	Type string `json:"type,omitempty"`
	Name string `json:"name,omitempty"`
}

// TaskStatusMessage is a message of a TaskStatus; Type is INFO, WARN or ERROR.
type TaskStatusMessage struct {
	Type          string            `json:"type"`
	LocalizedText *LocalizedMessage `json:"localizedText"`
	Key           string            `json:"key"`
	Parameters    []json.RawMessage `json:"parameters"`
}

// LocalizedMessage is a message text in one locale.
type LocalizedMessage struct {
	Locale  string `json:"locale"`
	Message string `json:"message"`
}

// TaskReturnDetails names a return value of a task.
type TaskReturnDetails struct {
	Name          string `json:"name"`
	AttributeName string `json:"attributeName"`
}

// TaskDefinitionSummary describes the definition a task was started from.
type TaskDefinitionSummary struct {
	ID          string                     `json:"id"`
	UniqueName  string                     `json:"uniqueName"`
	Description string                     `json:"description"`
	ParentName  string                     `json:"parentName"`
	Executor    string                     `json:"executor"`
	Arguments   map[string]json.RawMessage `json:"arguments"`
}
