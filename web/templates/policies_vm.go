package templates

import "github.com/a-h/templ"

// UsageTypes are the provisioning policy usage types of the v2025 API, in the order
// the console lists them.
var UsageTypes = []string{"CREATE", "UPDATE", "ENABLE", "DISABLE", "DELETE", "ASSIGN", "UNASSIGN",
	"CREATE_GROUP", "UPDATE_GROUP", "DELETE_GROUP", "REGISTER", "CREATE_IDENTITY", "UPDATE_IDENTITY",
	"EDIT_GROUP", "UNLOCK", "CHANGE_PASSWORD"}

// PoliciesVM is the "Provisioning" tab: the source's provisioning policies by usage type.
type PoliciesVM struct {
	Source   SourceSummaryVM
	Policies []PolicyRowVM
	Create   PolicyCreateVM
	Bulk     JSONEditorVM
}

// PolicyRowVM is one policy in the list.
type PolicyRowVM struct {
	UsageType   string
	Name        string
	Description string
	Fields      int
	URL         string
}

// PolicyCreateVM is the "new policy" form: usage type, name, description and the fields
// as JSON (with their transforms).
type PolicyCreateVM struct {
	URL         string
	UsageTypes  []string // the usage types without a policy yet
	UsageType   string
	Name        string
	Description string
	Fields      string // JSON array of fields
	Errors      []string
}

// PolicyVM is one provisioning policy: its fields and the editors that change it.
type PolicyVM struct {
	Source      SourceSummaryVM
	UsageType   string
	Name        string
	Description string
	Fields      []PolicyFieldVM
	ListURL     string
	DeleteURL   string
	Replace     JSONEditorVM // PUT: the whole policy as JSON
	Patch       JSONEditorVM // PATCH: a JSON Patch
	Notice      string
	Editor      PolicyEditorVM // the fields as a table
}

// PolicyFieldVM is one field of a policy.
type PolicyFieldVM struct {
	Name       string
	Type       string
	Required   bool
	Multi      bool
	Transform  string // compact JSON
	Attributes string // compact JSON
}

// JSONEditorVM is a textarea of JSON sent to the server, which validates it and answers
// 422 with the problems (and the text as typed) when it is not acceptable.
type JSONEditorVM struct {
	ID     string // element id, also the data-testid
	Title  string
	Help   string
	URL    string
	Method string // "post", "put" or "patch"
	Field  string // the form field name
	Text   string
	Errors []string
	Submit string
	Target string // the element the answer replaces on success
}

// PolicyEditorVM is a policy's fields as a table: name, type, transform and its
// attributes, field attributes, required and multi-valued, with add, remove and
// reorder; it writes the same policy JSON as the JSON editor.
type PolicyEditorVM struct {
	EditURL string // POST: add, remove, move a row, or review (changes nothing)
	SaveURL string // POST: save the policy (PUT)
	Rows    []PolicyEditRowVM
	Errors  FieldErrors // per field ("name_3")
	// FormError is about the whole table, at its top.
	FormError string
	// Review is the policy JSON Save would send, after "Review".
	Review         string
	FieldTypes     []string
	TransformTypes []string
}

// PolicyEditRowVM is one field of the table, as typed.
type PolicyEditRowVM struct {
	Name, Type                    string
	TransformType, TransformAttrs string // TransformAttrs: a JSON object
	Attrs                         string // the field's attributes, a JSON object
	Required, Multi               bool
	// Orig is the field's JSON as ISC sent it, so members the table does not
	// show survive add, remove and reorder.
	Orig string
}

func rowInvalid(errs FieldErrors, field string) templ.Attributes {
	if errs.Has(field) {
		return templ.Attributes{"aria-invalid": "true", "aria-describedby": "policy-editor-" + field + "-error"}
	}
	return templ.Attributes{}
}
