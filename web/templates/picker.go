package templates

import (
	"net/url"

	"github.com/a-h/templ"
)

// PickerVM is one type-ahead picker in a form.
type PickerVM struct {
	Kind   string // owner, cluster, workgroup, policy, connector
	FormID string // the form's id, prefixing the element ids
	Field  string // the form field of the typed text; Field+"_id" holds the id
	Label  string
	Text   string // what the input shows: the current choice's name, or what was typed
	ID     string // the id of the last choice the page showed
	Was    string // the text that choice was shown as (typing it again keeps ID)
	// Help is shown under the input; Error replaces it.
	Help, Error string
	Placeholder string
	Required    bool
	Options     []PickerOptionVM
}

// PickerOptionVM is one suggestion.
type PickerOptionVM struct {
	Value string // the text the input takes: "Name" or "Name (alias)"
	ID    string
}

func (p PickerVM) inputID() string { return p.FormID + "-" + p.Field }

// describedBy marks the input invalid, or points it at its help.
func (p PickerVM) describedBy() templ.Attributes {
	switch {
	case p.Error != "":
		return templ.Attributes{"aria-invalid": "true", "aria-describedby": p.inputID() + "-error"}
	case p.Help != "":
		return templ.Attributes{"aria-describedby": p.inputID() + "-help"}
	}
	return templ.Attributes{}
}
func (p PickerVM) listID() string { return p.FormID + "-" + p.Field + "-options" }

// optionsURL is where htmx fetches suggestions; the input sends its own value
// under its field name, which field= names.
func (p PickerVM) optionsURL() string {
	return "/pickers/" + url.PathEscape(p.Kind) + "?field=" + url.QueryEscape(p.Field)
}
