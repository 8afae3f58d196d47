// Package templates holds the console's templ components and the view models they take.
//
// It imports nothing from internal/: handlers in internal/bff map API data into these
// structs. A page is built from the same components that htmx swaps, so a reload and a
// swap give the same markup.
package templates

// Chrome is what the base layout needs besides the page body: who is signed in, the
// CSRF token for htmx requests, and the build version.
type Chrome struct {
	Title     string
	Section   string // the nav entry to mark current: "home", "sources", "cron", …
	Version   string
	CSRFToken string
	User      *UserVM // nil when signed out
	DemoMode  bool
	RequestID string
	// Tenant is the tenant the page is about and Tenants every tenant, when the
	// console has several (nil otherwise).
	Tenant  *TenantVM
	Tenants []TenantVM
}

// TenantVM is a tenant in the nav: its name in its colour, and where it leads
// (its home when signed in there, its sign-in otherwise).
type TenantVM struct {
	Key      string
	Name     string
	Color    string // one of the tenant colours of app.css (sd-tenant-<color>)
	URL      string
	Current  bool
	SignedIn bool
}

// ColorClass is the CSS class that shows the tenant in its colour.
func (t TenantVM) ColorClass() string {
	if t.Color == "" {
		return "sd-tenant sd-tenant-grey"
	}
	return "sd-tenant sd-tenant-" + t.Color
}

// UserVM is the signed-in user, as the nav shows it.
type UserVM struct {
	Name      string
	UserLevel string
	Tenant    string
}

// AlertVM is a message in the alerts region: an error, a notice or a success.
type AlertVM struct {
	Kind      string // "error", "info", "success"
	Title     string
	Message   string
	RequestID string
	// RetryAfter, when positive, adds a control that repeats the failed request after
	// that many seconds (rate limiting).
	RetryAfter int
	RetryURL   string
}

// ErrorPageVM is a full-page error.
type ErrorPageVM struct {
	Status   int
	Alert    AlertVM
	LoginURL string // set when signing in again is the way forward
}

// HomeVM is the home page.
type HomeVM struct {
	SignedIn bool
	DemoMode bool
	LoginURL string
}
