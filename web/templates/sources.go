package templates

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/a-h/templ"
)

// SourceStateVM is a source's health as the console shows it: a state for the badge
// (healthy, unhealthy or unchecked), a short label and the reason in words, so the
// status is never told by colour alone.
type SourceStateVM struct {
	State  string // "healthy", "unhealthy", "unchecked"
	Label  string // "Healthy", "Unhealthy", "Not checked"
	Reason string // e.g. "The connector cannot reach the source."
	Raw    string // ISC's value, e.g. SOURCE_STATE_ERROR_SOURCE
}

// SourceRowVM is one row of the sources table.
type SourceRowVM struct {
	ID             string
	Name           string
	Type           string // e.g. "Active Directory - Direct"
	Connector      string // connector name, e.g. "Active Directory"
	ConnectionType string // "direct" or "file"
	OwnerID        string
	OwnerName      string
	Status         SourceStateVM
	Authoritative  bool
	Modified       string // readable
	ModifiedISO    string // for <time datetime>
}

// SourceListQuery is the state of the sources list, as it is in the URL.
type SourceListQuery struct {
	Q              string // name contains
	Type           string // type starts with
	Status         string // healthy, unhealthy, unchecked or ""
	ConnectionType string // direct, file or ""
	Authoritative  string // "true", "false" or ""
	Owner          string // owner id
	Sort           string // a sorter, "-" prefixed for descending; "" = name
	Page           int    // 1-based
	Size           int
}

// Values returns the query as URL parameters, leaving out defaults so shared URLs stay short.
func (q SourceListQuery) Values() url.Values {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("q", q.Q)
	set("type", q.Type)
	set("status", q.Status)
	set("conn", q.ConnectionType)
	set("auth", q.Authoritative)
	set("owner", q.Owner)
	if q.Sort != "" && q.Sort != DefaultSourceSort {
		v.Set("sort", q.Sort)
	}
	if q.Page > 1 {
		v.Set("page", strconv.Itoa(q.Page))
	}
	if q.Size != 0 && q.Size != DefaultSourcePageSize {
		v.Set("size", strconv.Itoa(q.Size))
	}
	return v
}

// URL is the list's address for q under path (e.g. "/sources" or "/sources/export.csv").
func (q SourceListQuery) URL(path string) string {
	if enc := q.Values().Encode(); enc != "" {
		return path + "?" + enc
	}
	return path
}

// WithSort returns q sorted by field, toggling the direction when it is already the
// sort field, and back on the first page.
func (q SourceListQuery) WithSort(field string) SourceListQuery {
	cur := q.Sort
	if cur == "" {
		cur = DefaultSourceSort
	}
	if cur == field {
		q.Sort = "-" + field
	} else {
		q.Sort = field
	}
	q.Page = 1
	return q
}

// WithPage returns q on page p.
func (q SourceListQuery) WithPage(p int) SourceListQuery { q.Page = p; return q }

// WithOwner returns q filtered by the owner id, from the first page.
func (q SourceListQuery) WithOwner(id string) SourceListQuery { q.Owner = id; q.Page = 1; return q }

// Defaults of the sources list.
const (
	DefaultSourceSort     = "name"
	DefaultSourcePageSize = 25
)

// SourcePageSizes are the page sizes a user can choose.
var SourcePageSizes = []int{10, 25, 50, 100, 250}

// SourceSortColumns are the columns the list sorts by, with their ISC sorter, in
// the order the table shows them: what tells sources apart first. Wide columns are
// left out below 1024 px (a tablet) so that Name and Status always show; their
// values stay in the filters and the CSV export.
var SourceSortColumns = []SourceColumn{
	{"Name", "name", false},
	{"Status", "status", false},
	{"Type", "type", false},
	{"Owner", "owner.name", false},
	{"Modified", "modified", true},
	{"Connection", "connectionType", true},
	{"Authoritative", "authoritative", true},
}

// SourceColumn is a sortable column of the sources list.
type SourceColumn struct {
	Label, Sorter string
	Wide          bool // left out on narrow windows
}

// wideCol is the class of a column left out on narrow windows.
func wideCol(wide bool) string {
	if wide {
		return "sd-wide"
	}
	return ""
}

// SourceListVM is the sources list page.
type SourceListVM struct {
	Query SourceListQuery
	Rows  []SourceRowVM
	Total int // X-Total-Count
	// Filtered is true when any filter is set (the empty state then suggests clearing them).
	Filtered bool
	// CanWrite shows the create and bulk controls (hidden for read-only user levels).
	CanWrite bool
	// OwnerPicker filters by owner, by name.
	OwnerPicker PickerVM
}

// Pages is the number of pages of the list.
func (l SourceListVM) Pages() int {
	if l.Query.Size <= 0 {
		return 1
	}
	n := (l.Total + l.Query.Size - 1) / l.Query.Size
	if n < 1 {
		return 1
	}
	return n
}

// FirstRow and LastRow are the 1-based positions shown ("21-40 of 57").
func (l SourceListVM) FirstRow() int {
	if len(l.Rows) == 0 {
		return 0
	}
	return (l.Query.Page-1)*l.Query.Size + 1
}

// LastRow is the position of the last row on this page.
func (l SourceListVM) LastRow() int { return l.FirstRow() + len(l.Rows) - 1 }

// Announcement says what a search, sort, filter or page change now shows.
func (l SourceListVM) Announcement() string {
	if l.Total == 0 || len(l.Rows) == 0 {
		return "No sources match."
	}
	sorted := ""
	for _, col := range SourceSortColumns {
		switch ariaSort(l.Query.Sort, col.Sorter) {
		case "ascending":
			sorted = ", sorted by " + strings.ToLower(col.Label)
		case "descending":
			sorted = ", sorted by " + strings.ToLower(col.Label) + ", descending"
		}
	}
	return "Showing " + itoa(l.FirstRow()) + "–" + itoa(l.LastRow()) + " of " + itoa(l.Total) + " sources" + sorted + "."
}

// BulkResultVM is the outcome of a bulk action on one source.
type BulkResultVM struct {
	SourceID string
	Name     string
	OK       bool
	Message  string
	TaskURL  string // set when the action started a task (aggregation)
}

// BulkResultsVM is the outcome of a bulk action on the selected sources.
type BulkResultsVM struct {
	Action  string // "Test connection", "Aggregate accounts"
	Results []BulkResultVM
}

// Succeeded counts the successful results.
func (b BulkResultsVM) Succeeded() int {
	n := 0
	for _, r := range b.Results {
		if r.OK {
			n++
		}
	}
	return n
}

// SourceSummaryVM is what the source detail shell shows in its header, and what its
// tabs need to know about the source.
type SourceSummaryVM struct {
	ID          string
	Name        string
	Type        string
	Connector   string
	Description string
	Status      SourceStateVM
	Delimited   bool // a Delimited File source: aggregations and schema files take CSV
}

// SourceTab is one tab of the source detail shell.
type SourceTab struct {
	Slug  string // "" for the overview; the URL is /sources/{id}/{slug}
	Label string
	// WritersOnly tabs hold only actions, so they are not listed for a user level
	// that cannot change sources.
	WritersOnly bool
	// More tabs are the less used ones: the tab bar lists them under "More".
	More bool
}

// SourceTabs are the tabs of the source detail page, in order.
var SourceTabs = []SourceTab{
	{Slug: "", Label: "Overview"},
	{Slug: "configuration", Label: "Configuration"},
	{Slug: "schemas", Label: "Schemas"},
	{Slug: "import", Label: "Import data"},
	{Slug: "provisioning", Label: "Provisioning"},
	{Slug: "schedules", Label: "Schedules"},
	{Slug: "tools", Label: "Connector tools", WritersOnly: true},
	{Slug: "correlation", Label: "Correlation", More: true},
	{Slug: "attribute-sync", Label: "Attribute sync", More: true},
	{Slug: "change-detection", Label: "Change detection", More: true},
	{Slug: "entitlement-requests", Label: "Entitlement requests", More: true},
	{Slug: "password-policies", Label: "Password policies", More: true},
	{Slug: "code", Label: "As code", More: true},
	{Slug: "danger", Label: "Danger zone", WritersOnly: true, More: true},
}

// sourceTabsFor returns the tabs a user level sees, in the bar (more false) or under
// "More" (more true).
func sourceTabsFor(canWrite, more bool) []SourceTab {
	var out []SourceTab
	for _, t := range SourceTabs {
		if t.More == more && (!t.WritersOnly || canWrite) {
			out = append(out, t)
		}
	}
	return out
}

// moreCurrent is the label of the current tab when it is one of the "More" tabs.
func moreCurrent(current string) string {
	for _, t := range SourceTabs {
		if t.More && t.Slug == current {
			return t.Label
		}
	}
	return ""
}

// SourceTabPanelID is the id of the element that holds the current tab's content;
// tab links target it.
const SourceTabPanelID = "source-tab"

// SourceTabURL is the address of a tab of a source.
func SourceTabURL(sourceID, slug string) string {
	u := "/sources/" + url.PathEscape(sourceID)
	if slug != "" {
		u += "/" + slug
	}
	return u
}

// SourceTabLabel is the label of the tab slug ("" when unknown).
func SourceTabLabel(slug string) string {
	for _, t := range SourceTabs {
		if t.Slug == slug {
			return t.Label
		}
	}
	return ""
}

func tabAttrs(current, slug string) templ.Attributes {
	if current == slug {
		return templ.Attributes{"aria-current": "page"}
	}
	return templ.Attributes{}
}

// KV is one labelled value on a read-only view.
type KV struct {
	Label string
	Value string
	Mono  bool // ids, class names
	Pre   bool // multi-line text such as JSON, shown preformatted
}

// RefVM is a reference to another object, for display.
type RefVM struct {
	ID   string
	Name string
	Type string
}

// Display is the name, else the id, else "none".
func (r *RefVM) Display() string {
	switch {
	case r == nil:
		return "none"
	case r.Name != "":
		return r.Name
	case r.ID != "":
		return r.ID
	}
	return "none"
}

// ConnectionsVM lists what depends on a source.
type ConnectionsVM struct {
	IdentityProfiles   []string // "name (N identities)"
	Apps               []string
	Transforms         []string
	CredentialProfiles []string
	SourceAttributes   []string
	MappingProfiles    []string
	Missing            []string // "type: reason", dependencies ISC could not check
	Error              string   // set when the connections could not be read
}

// Blocking reports whether anything listed blocks deleting the source.
func (c ConnectionsVM) Blocking() bool {
	return len(c.IdentityProfiles)+len(c.Apps)+len(c.Transforms)+len(c.CredentialProfiles)+
		len(c.SourceAttributes)+len(c.MappingProfiles) > 0
}

// HealthVM is the source-health answer, readable.
type HealthVM struct {
	Status  SourceStateVM
	Fields  []KV
	Error   string // set when the health could not be read
	Checked bool
}

// SourceOverviewVM is the overview tab.
type SourceOverviewVM struct {
	Source    SourceSummaryVM
	Fields    []KV // every field, readable
	Owner     RefVM
	Cluster   *RefVM
	Workgroup *RefVM
	Features  []string
	// NextRuns shows the next scheduled aggregation runs (NextRunsLazy, which
	// loads itself). Nil shows nothing.
	NextRuns templ.Component
}

// FieldErrors maps a form field to the message shown next to it. A message about the
// whole form goes in its view model's FormError instead.
type FieldErrors map[string]string

// Has reports whether field has a message.
func (f FieldErrors) Has(field string) bool { _, ok := f[field]; return ok }

// invalid marks an input that has an error for assistive technology and links it to its message.
func invalid(errs FieldErrors, field, formID string) templ.Attributes {
	if errs.Has(field) {
		return templ.Attributes{"aria-invalid": "true", "aria-describedby": formID + "-" + field + "-error"}
	}
	return templ.Attributes{}
}

// SourceConfigForm is what the configuration form holds: the editable fields as typed.
type SourceConfigForm struct {
	Name        string
	Description string
	// Owner, Cluster and Workgroup are pickers: the text shown or typed, the id
	// it stood for when the page was made, and that text.
	Owner, OwnerID, OwnerWas             string
	Cluster, ClusterID, ClusterWas       string
	Workgroup, WorkgroupID, WorkgroupWas string
	DeleteThreshold                      string
	Features                             []string
	// ConnectorAttributes is the JSON of the connector attributes the
	// connector's form does not cover (all of them when there is no form);
	// secrets are never in it.
	ConnectorAttributes string
	// Connection holds the connection settings fields as typed, by attribute.
	Connection map[string]string
	// WithConnection says the form carried the connection settings fields.
	WithConnection bool
	// BaseModified is the source's modified time when the form was loaded; applying
	// refuses when the source changed since.
	BaseModified string
}

// HasFeature reports whether the form has feature f checked.
func (f SourceConfigForm) HasFeature(feat string) bool {
	for _, x := range f.Features {
		if x == feat {
			return true
		}
	}
	return false
}

// SourceConfigVM is the configuration tab: the edit form, the review of the computed
// patch, and the advanced full replace.
type SourceConfigVM struct {
	Source    SourceSummaryVM
	Form      SourceConfigForm
	Errors    FieldErrors
	FormError string
	// AllFeatures are the feature checkboxes offered (the known ones plus the source's own).
	AllFeatures []string
	ReadOnly    []KV // immutable fields
	// Review is set after "Review changes": the JSON Patch that would be applied.
	Review      string
	ReviewCount int
	NoChanges   bool
	// Saved is set after a successful apply.
	Saved string
	// Replace is the whole source as JSON, for the advanced full replace.
	Replace      string
	ReplaceError string
	// Connection is the connection settings, from the connector's own form.
	Connection ConnectionVM
	// Pickers for the owner, cluster and management workgroup.
	OwnerPicker, ClusterPicker, WorkgroupPicker PickerVM
}

// ConnectionVM is a source's connection settings, laid out by the connector's
// form (getSourceConfig).
type ConnectionVM struct {
	// Available: the connector's form was read; otherwise Note says why and
	// the connector attributes are edited as JSON only.
	Available bool
	Note      string
	Menus     []ConnMenuVM
	// File is the connector's file upload (e.g. a driver jar), if its form has one.
	File *ConnFileVM
	// KeptSecrets are attributes outside the form that look secret: they are
	// kept as they are and never shown.
	KeptSecrets []string
}

// ConnMenuVM is one menu of the connector's form.
type ConnMenuVM struct {
	Label    string
	Sections []ConnSectionVM
}

// ConnSectionVM is one section: a fieldset.
type ConnSectionVM struct {
	Label, Info, DocLink, DocLinkLabel string
	Fields                             []ConnFieldVM
}

// ConnFieldVM is one connection setting.
type ConnFieldVM struct {
	Attr        string // the connectorAttributes member; the form field is "ca." + Attr
	Kind        string // text, url, textarea, secret, checkbox, select, number, list
	Label       string
	Help        string
	Placeholder string
	Required    bool
	Value       string // as typed or as stored (never a secret)
	Checked     bool
	Options     []OptionVM
	Min, Max    string
	MaxLength   int
	SecretSet   bool // a secret is stored
	Error       string
}

// OptionVM is one choice of a select.
type OptionVM struct{ Value, Label string }

// ConnFileVM is a connector's file upload.
type ConnFileVM struct {
	Label      string
	Accept     string // ".jar"
	MaxSizeMB  int
	Uploaded   []string
	UploadSize string // the console's own upload limit
}

// SourceCreateForm is the create form as typed.
type SourceCreateForm struct {
	Name        string
	Description string
	// Pickers: the text typed, the id it stood for, and the text shown then.
	Owner, OwnerID, OwnerWas             string
	Cluster, ClusterID, ClusterWas       string
	Workgroup, WorkgroupID, WorkgroupWas string
	Connector                            string // the connector's script name
	Authoritative                        bool
}

// SourceCreateVM is the create page. A zero Connectors with no note means the
// user's level cannot create sources (no form is shown).
type SourceCreateVM struct {
	Form                                        SourceCreateForm
	Errors                                      FieldErrors
	FormError                                   string
	Connectors                                  []OptionVM // script name → connector name
	ConnectorNote                               string
	OwnerPicker, ClusterPicker, WorkgroupPicker PickerVM
}

// ToolResultVM is the outcome of a connector tool.
type ToolResultVM struct {
	Tool    string // "Test connection", …
	OK      bool
	Message string
	Elapsed string
	Details []KV
}

// PeekVM is the peek-resource-objects form and its results.
type PeekVM struct {
	ObjectType string
	MaxCount   string
	Errors     FieldErrors
	Columns    []string
	Rows       [][]string
	Count      int
	Elapsed    string
	Ran        bool
}

// SourceToolsVM is the connector tools tab.
type SourceToolsVM struct {
	Source      SourceSummaryVM
	Result      *ToolResultVM
	Peek        PeekVM
	UploadLimit string // e.g. "512 MiB"
	Uploaded    string // message after a successful upload
}

// SourceDangerVM is the danger zone tab.
type SourceDangerVM struct {
	Source      SourceSummaryVM
	Connections ConnectionsVM
	ConfirmName string // what the user typed
	Errors      FieldErrors
	FormError   string // about the whole form, at its top
}

// CorrelationRowVM is one attribute assignment of the correlation config, as typed.
type CorrelationRowVM struct {
	Property   string
	Value      string
	MatchMode  string
	IgnoreCase bool
}

// CorrelationVM is the correlation tab.
type CorrelationVM struct {
	Source    SourceSummaryVM
	ConfigID  string
	Name      string
	Rows      []CorrelationRowVM
	Errors    FieldErrors
	FormError string
	Saved     string
}

// AttrSyncRowVM is one attribute of the attribute sync config.
type AttrSyncRowVM struct {
	Name        string
	DisplayName string
	Target      string
	Enabled     bool
}

// AttrSyncVM is the attribute sync tab.
type AttrSyncVM struct {
	Source SourceSummaryVM
	Rows   []AttrSyncRowVM
	Saved  string
}

// ChangeDetectionVM is the native change detection tab.
type ChangeDetectionVM struct {
	Source                           SourceSummaryVM
	Enabled                          bool
	Operations                       []string
	AllEntitlements                  bool
	AllNonEntitlementAttributes      bool
	SelectedEntitlements             string // one per line
	SelectedNonEntitlementAttributes string // one per line
	Saved                            string
}

// HasOperation reports whether op is selected.
func (c ChangeDetectionVM) HasOperation(op string) bool {
	for _, o := range c.Operations {
		if o == op {
			return true
		}
	}
	return false
}

// ChangeDetectionOperations are the operations native change detection can watch.
var ChangeDetectionOperations = []string{"ACCOUNT_CREATED", "ACCOUNT_UPDATED", "ACCOUNT_DELETED"}

// ApprovalSchemeVM is one approval step, as typed.
type ApprovalSchemeVM struct {
	ApproverType string
	ApproverID   string
}

// EntitlementRequestVM is the entitlement request config tab.
type EntitlementRequestVM struct {
	Source                  SourceSummaryVM
	AccessApprovals         []ApprovalSchemeVM
	RevocationApprovals     []ApprovalSchemeVM
	RequestCommentRequired  bool
	DenialCommentRequired   bool
	ReauthorizationRequired bool
	RequireEndDate          bool
	MaxDurationValue        string
	MaxDurationUnit         string
	Errors                  FieldErrors
	FormError               string // about the whole form, at its top
	Saved                   string
}

// ApproverTypes are the approver types of an approval scheme.
var ApproverTypes = []string{"ENTITLEMENT_OWNER", "SOURCE_OWNER", "MANAGER", "GOVERNANCE_GROUP", "WORKFLOW"}

// DurationUnits are the units of a maximum access duration.
var DurationUnits = []string{"HOURS", "DAYS", "WEEKS", "MONTHS"}

// PasswordPolicyVM is one password policy holder.
type PasswordPolicyVM struct {
	PolicyID   string
	PolicyName string
	Selectors  string // "name=value" per line
	// Picker chooses the policy by name (field "policy_<row>").
	Picker PickerVM
}

// PasswordPoliciesVM is the password policies tab.
type PasswordPoliciesVM struct {
	Source    SourceSummaryVM
	Policies  []PasswordPolicyVM
	Errors    FieldErrors
	FormError string // about the whole form, at its top
	Saved     string
}

// yesNo is a boolean in words.
func yesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}

// itoa is strconv.Itoa for templates.
func itoa(i int) string { return strconv.Itoa(i) }

// HasFilters reports whether a filter other than the name search is set.
func (q SourceListQuery) HasFilters() bool {
	return q.Type != "" || q.Status != "" || q.ConnectionType != "" || q.Authoritative != "" || q.Owner != ""
}

// ariaSort is the aria-sort value of the column sorted by sorter.
func ariaSort(current, sorter string) string {
	if current == "" {
		current = DefaultSourceSort
	}
	switch current {
	case sorter:
		return "ascending"
	case "-" + sorter:
		return "descending"
	}
	return "none"
}

// sortArrow marks the sorted column visibly (aria-sort tells assistive technology).
func sortArrow(current, sorter string) string {
	switch ariaSort(current, sorter) {
	case "ascending":
		return " ▲"
	case "descending":
		return " ▼"
	}
	return ""
}

func connFieldID(menu, section, field int) string {
	return "conn-" + itoa(menu) + "-" + itoa(section) + "-" + itoa(field)
}

// connInvalid marks a connection setting invalid for assistive technology, or points
// it at its help.
func connInvalid(id string, f ConnFieldVM) templ.Attributes {
	switch {
	case f.Error != "":
		return templ.Attributes{"aria-invalid": "true", "aria-describedby": id + "-error"}
	case f.Help != "":
		return templ.Attributes{"aria-describedby": id + "-help"}
	}
	return templ.Attributes{}
}

func numberBounds(f ConnFieldVM) templ.Attributes {
	a := templ.Attributes{}
	if f.Min != "" {
		a["min"] = f.Min
	}
	if f.Max != "" {
		a["max"] = f.Max
	}
	return a
}

func orText(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func joinComma(ss []string) string { return strings.Join(ss, ", ") }
