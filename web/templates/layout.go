package templates

import (
	"encoding/json"

	"github.com/a-h/templ"

	"sourcedesk/web/static"
)

// csrfHeaders is the hx-headers attribute that sends the CSRF token with every htmx
// request (none when there is no token yet).
func csrfHeaders(token string) templ.Attributes {
	if token == "" {
		return templ.Attributes{}
	}
	b, _ := json.Marshal(map[string]string{"X-CSRF-Token": token})
	return templ.Attributes{"hx-headers": string(b)}
}

// navCurrent marks the current section's nav link for assistive technology and CSS.
func navCurrent(section, item string) templ.Attributes {
	if section == item {
		return templ.Attributes{"aria-current": "page"}
	}
	return templ.Attributes{}
}

// staticPath is the content-hashed URL of an embedded asset.
func staticPath(name string) string { return static.Path(name) }
