package templates

import "strconv"

// SourceCodeVM is a source's "As code" tab: its export, and a comparison with
// the same source on another tenant, another source, or a document.
type SourceCodeVM struct {
	SourceID   string
	SourceName string
	// Tenant is the tenant the source is on (its name).
	Tenant     string
	ExportURL  string
	CompareURL string // GET: tenant and name; POST: a document
	// Tenants are those the user may compare with: signed in there.
	Tenants []TenantOptionVM
	// Name is the source to compare with (default: this one's name).
	Name string
	// Result is the comparison asked for, if any.
	Result *CompareVM
}

// TenantOptionVM is a tenant in the comparison's choice.
type TenantOptionVM struct {
	Key, Name string
	Selected  bool
}

// CompareVM is the difference between two documents, section by section,
// from From (as it is) to To (what it would become).
type CompareVM struct {
	From, To string // e.g. "Production: HR Contractors CSV", "Sandbox: HR Contractors CSV"
	// Missing says From has no such source (everything is added).
	Missing   bool
	Identical bool
	Changes   int
	Sections  []CompareSectionVM
	// PlanURL, when set, plans making From match To (a promotion), named PlanLabel.
	PlanURL   string
	PlanLabel string
	// Document, when set, is an uploaded document To is, carried to PlanURL by a
	// form (a plain one: it sends CSRFToken in its body).
	Document  string
	CSRFToken string
}

// CompareSectionVM is one section of a comparison.
type CompareSectionVM struct {
	Key, Title string
	Same       bool
	Unread     string
	Changes    []ChangeVM
}

// ChangeVM is one difference: what, how, and the value on each side.
type ChangeVM struct {
	Path, Kind, From, To string
}

// PlanVM is a promotion reviewed before anything is sent.
type PlanVM struct {
	Source string // the source's name
	Tenant TenantVM
	From   string // what is promoted: "Sandbox: HR Contractors CSV" or "the uploaded document"
	// Exists: the target tenant has the source (else the plan creates it).
	Exists   bool
	Steps    []PlanStepVM
	Blocking []string
	Notes    []string
	Secrets  []string
	// Changed says the target changed between the review and the apply: this is
	// the plan made again, to review again.
	Changed bool
	Diff    CompareVM
	// The apply form: where it posts and what it carries.
	ApplyURL    string
	CSRFToken   string
	FromTenant  string
	FromSource  string
	Document    string
	Fingerprint string
}

// Ready reports whether the plan may be applied.
func (p PlanVM) Ready() bool { return len(p.Blocking) == 0 && len(p.Steps) > 0 }

// PlanStepVM is one call of a plan.
type PlanStepVM struct {
	N         int
	Section   string
	Operation string
	Method    string
	Path      string
	Summary   string
	Body      string // indented JSON, "" for none
}

// ApplyStepVM is one call of a plan as it was applied: done, failed or not done.
type ApplyStepVM struct {
	PlanStepVM
	State string // "done", "failed", "not-done"
	Error string
}

// ApplyHeadVM starts the page a plan is applied on.
type ApplyHeadVM struct {
	Source string
	Tenant TenantVM
	Calls  int
}

// ApplyResultVM ends it: what was done and what was not.
type ApplyResultVM struct {
	OK      bool
	Done    int
	Calls   int
	Failed  string // the operation that failed
	Error   string // why the calls could not be sent at all (the sign-in was gone)
	NotDone int    // calls never sent
	Secrets []string
	// SourceURL opens the source on the target tenant; CompareURL compares again.
	SourceURL  string
	CompareURL string
}

// count is "1 call", "3 calls".
func count(n int, one, many string) string { return strconv.Itoa(n) + " " + pluralWord(n, one, many) }
