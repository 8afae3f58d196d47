package templates

import "strconv"

// TaskVM is the task panel: an ISC task (an aggregation, a deletion…) as GET
// /task-status/{id} reports it, plus where the panel polls next.
type TaskVM struct {
	ID          string
	Name        string // e.g. "Cloud Account Aggregation"
	Description string
	Launcher    string
	Created     string
	Completed   string
	// State is "running" while the task runs, else its completion status in
	// lower case: "success", "warning", "error", "terminated", "temperror".
	State    string
	Progress string
	Percent  int
	Done     bool
	Messages []TaskMessageVM
	Counts   []TaskCountVM
	// SourceURL links back to the source ("" when the task has none we know).
	SourceURL  string
	SourceName string
	// SourceGone: the task has ended and its source no longer exists (it
	// deleted it); the link goes to the sources list.
	SourceGone bool
	// PollURL is where the panel asks again, after PollDelay seconds; empty
	// once the task is done.
	PollURL   string
	PollDelay int
}

// TaskMessageVM is one message of a task: Type is INFO, WARN or ERROR.
type TaskMessageVM struct {
	Type string
	Text string
}

// TaskCountVM is one result count of a finished task, e.g. "Accounts created: 12".
type TaskCountVM struct {
	Name  string // the attribute name, e.g. "created" (for tests and CSS)
	Label string
	Value string
}

// pollTrigger is the hx-trigger of a polling panel: once, after delay seconds.
func pollTrigger(delay int) string {
	return "load delay:" + strconv.Itoa(delay) + "s"
}

// stateLabel is the word the panel shows for a task state.
func stateLabel(state string) string {
	switch state {
	case "running":
		return "Running"
	case "success":
		return "Succeeded"
	case "warning":
		return "Finished with warnings"
	case "error":
		return "Failed"
	case "terminated":
		return "Terminated"
	case "temperror", "temp_error":
		return "Failed (temporary error)"
	default:
		return state
	}
}
