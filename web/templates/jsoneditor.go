package templates

import "github.com/a-h/templ"

// jsonEditorVerb is the htmx attribute that sends a JSON editor's form with its method.
func jsonEditorVerb(e JSONEditorVM) templ.Attributes {
	switch e.Method {
	case "put":
		return templ.Attributes{"hx-put": e.URL}
	case "patch":
		return templ.Attributes{"hx-patch": e.URL}
	default:
		return templ.Attributes{"hx-post": e.URL}
	}
}
