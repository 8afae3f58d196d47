package templates

import "strconv"

// SchemasVM is the "Schemas" tab: the source's schemas and, for Delimited File
// sources, the schema CSV files.
type SchemasVM struct {
	Source       SourceHeadVM
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
	Errors            map[string]string
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
	Source             SourceHeadVM
	ID                 string
	Name               string
	NativeObjectType   string
	IdentityAttribute  string
	DisplayAttribute   string
	HierarchyAttribute string
	Attributes         []AttributeVM
	GroupSchemas       []string // names of the source's group schemas, for isGroup
	ListURL            string
	PreviewURL         string // POST: build the JSON Patch of an edit and show it
	DeleteURL          string
	Add                AttributeFormVM
	Notice             string // e.g. "Schema updated."
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
	Errors      map[string]string
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

// SchemaDiffVM compares an uploaded schema CSV with the current schema.
type SchemaDiffVM struct {
	Kind      string
	FileName  string
	Added     []AttributeVM
	Removed   []AttributeVM
	Changed   []AttributeChangeVM
	Unchanged int
	UploadURL string
}

// AttributeChangeVM is an attribute whose definition differs.
type AttributeChangeVM struct {
	Name    string
	Changes []string // e.g. "type: STRING → INT"
}

// flagWord shows a schema flag.
func flagWord(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func attributeFormID(f AttributeFormVM) string {
	if f.Action == "edit" {
		return "attr-form-" + strconv.Itoa(f.Index)
	}
	return "attr-form-add"
}
