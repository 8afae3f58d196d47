package templates

// AuthBounceVM is the page the OAuth callback answers with: the session cookie is
// SameSite=Strict, so the browser does not send it on the cross-site redirect back
// from the tenant; this page's own navigation to Next is same-site and does.
type AuthBounceVM struct {
	Next  string // a validated local path
	Nonce string // CSP nonce (unused by the page today; kept for a future script)
}

// AuthPATVM is the personal-access-token sign-in form.
type AuthPATVM struct {
	Next      string
	CSRFToken string // posted as _csrf (a small urlencoded form, never multipart)
	ClientID  string // echoed back after a failure; the secret never is
	Error     string
	DemoMode  bool
}

// AuthMessageVM is a sign-in outcome page: signed out, cancelled, failed.
type AuthMessageVM struct {
	Title     string
	Message   string
	LoginURL  string // "Sign in again"
	PATURL    string // "Use a personal access token instead"
	LogoutURL string // the tenant's own sign-out page, when known
	RequestID string
	TestID    string
}
