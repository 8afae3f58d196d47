package templates

import (
	"net/url"
	"strconv"
	"strings"
)

// SchemasVM is the "Schemas" tab: the source's schemas and, for Delimited File
// sources, the schema CSV files.
type SchemasVM struct {
	Source       SourceSummaryVM
	IncludeTypes string // the filter in use: "", "user" or "group"
	IncludeNames string
	Schemas      []SchemaRowVM
	CreateURL    string
	Create       SchemaCreateVM
	Files        []SchemaFileVM // Delimited File sources only
}

// SchemaRowVM is one schema in the list.
type SchemaRowVM struct {
	ID                string
	Name              string
	NativeObjectType  string
	IdentityAttribute string
	DisplayAttribute  string
	Attributes        int
	URL               string
}

// SchemaCreateVM is the "new schema" form, with what was entered and what is wrong.
type SchemaCreateVM struct {
	Name              string
	NativeObjectType  string
	IdentityAttribute string
	DisplayAttribute  string
	Errors            FieldErrors
}

// SchemaFileVM is one schema CSV a Delimited File source offers: download and upload.
type SchemaFileVM struct {
	Kind           string // "accounts" or "entitlements"
	Title          string
	SchemaName     string // entitlements: the schema the file is for
	RawURL         string // byte-identical download
	SpreadsheetURL string // formula-escaped download
	DiffURL        string
	UploadURL      string
}

// ReportID is the id of the element the diff of an upload goes into.
func (f SchemaFileVM) ReportID() string { return "schema-diff-" + f.Kind }

// SchemaVM is one schema: its attributes and the forms that edit it.
type SchemaVM struct {
	Source             SourceSummaryVM
	ID                 string
	Name               string
	NativeObjectType   string
	IdentityAttribute  string
	DisplayAttribute   string
	HierarchyAttribute string
	Attributes         []AttributeVM
	GroupSchemas       []string // names of the source's group schemas, for isGroup
	ListURL            string
	URL                string // the schema's page
	PreviewURL         string // POST: build the JSON Patch of an edit and show it
	DeleteURL          string
	Add                AttributeFormVM
	// Edit, when its Action is "edit", is the edit form of the attribute at its Index
	// (as the user left it, with its problems), shown in a row opened below it.
	Edit   AttributeFormVM
	Notice string // e.g. "Schema updated."
	// JSON edits the whole schema (advanced: a full replace).
	JSON JSONEditorVM
}

// EditURL is the schema's page with the row of attribute name opened for editing.
func (vm SchemaVM) EditURL(name string) string { return vm.URL + "?edit=" + url.QueryEscape(name) }

// Editing is true for the attribute whose edit row is open.
func (vm SchemaVM) Editing(a AttributeVM) bool {
	return vm.Edit.Action == "edit" && vm.Edit.Index == a.Index
}

// AttributeVM is one attribute of a schema.
type AttributeVM struct {
	Index       int
	Name        string
	Type        string
	Multi       bool
	Entitlement bool
	Group       bool
	Description string
}

// AttributeFormVM is the add or edit attribute form, with what was entered and what is
// wrong with it.
type AttributeFormVM struct {
	Action      string // "add" or "edit"
	Index       int    // edit: the attribute's position
	Original    string // edit: the attribute's name before the edit
	Name        string
	Type        string
	Multi       bool
	Entitlement bool
	Group       bool
	Description string
	Errors      FieldErrors
}

// AttributeTypes are the attribute types ISC knows.
var AttributeTypes = []string{"STRING", "LONG", "INT", "BOOLEAN", "DATE"}

// PatchPreviewVM shows a JSON Patch before it is applied.
type PatchPreviewVM struct {
	Summary   string
	Patch     string // pretty JSON, shown and sent back on apply
	ApplyURL  string
	CancelURL string
}

// SchemaDiffVM shows what uploading a schema CSV would do to the current schema. A
// schema CSV is ISC's flat-file template: its header row names the attributes.
type SchemaDiffVM struct {
	Kind       string // "accounts" or "entitlements"
	SchemaName string // "account", "group"...
	FileName   string
	Added      []string      // names new to the schema: they become single-valued STRING attributes
	Removed    []AttributeVM // attributes the header leaves out: the upload removes them
	Kept       []string      // attributes the header names that exist: they keep their definitions
	Findings   []FindingVM   // problems of the header; errors block the upload
	// Lost names the identity or display attribute the header leaves out; they must stay.
	Lost []string
	// LooksLikeTable is set when the header lists the columns of a table of attribute
	// definitions (name, type, isMulti...) instead of attribute names.
	LooksLikeTable bool
	// RemoveToken is the value of the confirmation that the removals are meant; it
	// stands for the exact list of Removed, so a confirmation given for another list
	// does not count.
	RemoveToken string
	// Refused explains why the last upload of this file was not sent ("" on a diff).
	Refused   string
	UploadURL string // "" when the upload is blocked
}

// Blocked reports whether the file cannot be uploaded as it is.
func (d SchemaDiffVM) Blocked() bool { return d.UploadURL == "" }

// Warned reports whether the diff has warnings the upload button accepts.
func (d SchemaDiffVM) Warned() bool {
	for _, f := range d.Findings {
		if f.Severity == "warning" {
			return true
		}
	}
	return false
}

// RemovedNames lists the names of the removed attributes, comma-separated.
func (d SchemaDiffVM) RemovedNames() string {
	names := make([]string, len(d.Removed))
	for i, a := range d.Removed {
		names[i] = a.Name
	}
	return strings.Join(names, ", ")
}

// flagWord shows a schema flag.
func flagWord(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// ID is the form's element id, which a 422 answer retargets to.
func (f AttributeFormVM) ID() string {
	if f.Action == "edit" {
		return "attr-form-" + strconv.Itoa(f.Index)
	}
	return "attr-form-add"
}

// pluralWord is one when n is 1, else many.
func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// groupHint labels the attribute form's Group box: what a group attribute needs,
// naming the source's group schema when it has one.
func groupHint(groupSchemas []string) string {
	if len(groupSchemas) == 0 {
		return "Group (needs Entitlement and a group schema)"
	}
	return "Group (needs Entitlement and the group schema “" + groupSchemas[0] + "”)"
}
