package sandbox

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// oauthAuthRequest is a validated authorization request.
type oauthAuthRequest struct {
	client      Client
	redirectURI string
	state       string
	challenge   string
}

// oauthCheckAuthorize validates an authorization request (RFC 6749 §4.1.1,
// RFC 7636 §4.3). A non-empty pageErr means the client or redirect URI is not
// trustworthy: show it on an error page and never redirect (§4.1.2.1). A
// non-nil redirectErr goes back to the (valid) redirect URI.
func (s *Sandbox) oauthCheckAuthorize(v url.Values) (req oauthAuthRequest, pageErr string, redirectErr *oauthError) {
	// SailPoint's samples put the secret here; a browser URL leaks it to
	// history and logs, so the sandbox refuses to let a client get away with it.
	if v.Has("client_secret") {
		return req, "client_secret must never be sent to the authorization endpoint.", nil
	}
	if len(v["client_id"]) != 1 || len(v["redirect_uri"]) != 1 {
		return req, "The request must carry exactly one client_id and one redirect_uri.", nil
	}
	c, ok := s.oauth.clients[v.Get("client_id")]
	if !ok {
		return req, "The application is not registered with this tenant.", nil
	}
	// Exact string comparison: no normalisation, no prefix or pattern match.
	if !slices.Contains(c.RedirectURIs, v.Get("redirect_uri")) {
		return req, "The redirect_uri is not registered for this application.", nil
	}
	req = oauthAuthRequest{client: c, redirectURI: v.Get("redirect_uri"), state: v.Get("state"), challenge: v.Get("code_challenge")}
	for _, k := range []string{"response_type", "state", "code_challenge", "code_challenge_method", "scope"} {
		if len(v[k]) > 1 {
			return req, "", oauthInvalidRequest(k + " must not be repeated")
		}
	}
	if v.Get("response_type") != "code" {
		return req, "", &oauthError{http.StatusBadRequest, "unsupported_response_type", "response_type must be code"}
	}
	// PKCE is mandatory here, and only S256: "plain" protects nothing when
	// the authorization request leaks.
	if v.Get("code_challenge_method") != "S256" {
		return req, "", oauthInvalidRequest("code_challenge_method must be S256")
	}
	if !oauthValidPKCE(req.challenge) {
		return req, "", oauthInvalidRequest("code_challenge is required: 43 to 128 characters")
	}
	return req, "", nil
}

// oauthAuthorizePage handles "GET /oauth/authorize": it validates the
// request and shows the login page.
func (s *Sandbox) oauthAuthorizePage(w http.ResponseWriter, r *http.Request) {
	req, pageErr, redirectErr := s.oauthCheckAuthorize(r.URL.Query())
	switch {
	case pageErr != "":
		s.oauthRenderMessage(w, http.StatusBadRequest, "Sign-in request rejected", pageErr)
	case redirectErr != nil:
		oauthRedirect(w, r, req.redirectURI, "error", redirectErr.code, "error_description", redirectErr.desc, "state", req.state)
	default:
		s.oauthRenderLogin(w, http.StatusOK, req, "", "")
	}
}

// oauthLogin handles "POST /oauth/authorize", the login form. The hidden
// fields are validated again: nothing the browser sends is trusted.
func (s *Sandbox) oauthLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.oauthRenderMessage(w, http.StatusBadRequest, "Sign-in request rejected", "The form could not be read.")
		return
	}
	form := r.PostForm
	req, pageErr, redirectErr := s.oauthCheckAuthorize(form)
	switch {
	case pageErr != "":
		s.oauthRenderMessage(w, http.StatusBadRequest, "Sign-in request rejected", pageErr)
		return
	case redirectErr != nil:
		oauthRedirect(w, r, req.redirectURI, "error", redirectErr.code, "error_description", redirectErr.desc, "state", req.state)
		return
	case form.Get("action") == "cancel":
		oauthRedirect(w, r, req.redirectURI, "error", "access_denied", "error_description", "the user cancelled the sign-in", "state", req.state)
		return
	}
	username := form.Get("username")
	u, ok := s.oauth.users[username]
	if !ok || subtle.ConstantTimeCompare([]byte(form.Get("password")), []byte(u.Password)) != 1 {
		s.oauthRenderLogin(w, http.StatusUnauthorized, req, username, "Wrong username or password.")
		return
	}
	code := rand.Text()
	now := s.now()
	o := s.oauth
	o.mu.Lock()
	o.pruneLocked(now)
	o.codes[code] = &oauthCode{
		clientID:    req.client.ID,
		redirectURI: req.redirectURI,
		challenge:   req.challenge,
		username:    u.Username,
		expires:     now.Add(oauthCodeTTL),
	}
	o.mu.Unlock()
	s.log.Info("oauth login", "client_id", req.client.ID, "user", u.Username)
	oauthRedirect(w, r, req.redirectURI, "code", code, "state", req.state)
}

// oauthRedirect sends the browser back to redirectURI (a registered one)
// with the given key/value pairs added to its query; empty values are left out.
func oauthRedirect(w http.ResponseWriter, r *http.Request, redirectURI string, kv ...string) {
	u, err := url.Parse(redirectURI)
	if err != nil {
		http.Error(w, "the registered redirect_uri is malformed", http.StatusInternalServerError)
		return
	}
	q := u.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	u.RawQuery = q.Encode()
	oauthNoStore(w)
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// oauthInfo handles "GET /oauth/info", ISC's discovery document.
func (s *Sandbox) oauthInfo(w http.ResponseWriter, r *http.Request) {
	base := s.oauthBaseURL(r)
	oauthWriteJSON(w, http.StatusOK, map[string]string{
		"tenantId":          s.localID(oauthTenantID),
		"tenantName":        s.cfg.TenantName,
		"authorizeEndpoint": base + "/oauth/authorize",
		"tokenEndpoint":     base + "/oauth/token",
		"cloudDomainUrl":    base,
		"logoutUrl":         base + "/logout",
		"pod":               oauthPod,
	})
}

// oauthUserInfo handles "GET /oauth/userinfo": the profile of the bearer
// token's user, in the shape SailPoint's next-auth provider reads.
func (s *Sandbox) oauthUserInfo(w http.ResponseWriter, r *http.Request) {
	p, err := s.verifyBearer(r)
	if err != nil {
		oauthWriteJSON(w, http.StatusUnauthorized, map[string]string{"error": err.Error()})
		return
	}
	oauthNoStore(w)
	oauthWriteJSON(w, http.StatusOK, map[string]any{
		"tenant":       s.cfg.TenantName,
		"id":           p.IdentityID,
		"uid":          p.Username,
		"name":         p.Username,
		"displayName":  p.DisplayName,
		"email":        p.Username + "@" + s.cfg.TenantName + ".example",
		"capabilities": []string{p.UserLevel},
	})
}

// oauthLogout handles "GET /logout", the logoutUrl of /oauth/info. The
// sandbox keeps no browser session (every authorization shows the login
// form), so there is nothing to end; it only confirms.
func (s *Sandbox) oauthLogout(w http.ResponseWriter, r *http.Request) {
	s.oauthRenderMessage(w, http.StatusOK, "Signed out", "You are signed out of the "+s.cfg.TenantName+" tenant.")
}

// oauthBaseURL is cfg.BaseURL, or else the URL the request reached, so a
// sandbox started before its listener's address is known still answers.
func (s *Sandbox) oauthBaseURL(r *http.Request) string {
	if s.cfg.BaseURL != "" {
		return strings.TrimRight(s.cfg.BaseURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// oauthPage is the view model of the sandbox's own pages.
type oauthPage struct {
	Nonce   string
	Title   string
	Message string // message pages only

	Tenant             string // the tenant's name
	Login              bool
	Action             string // where the login form posts: /oauth/authorize under the base path
	ClientID           string
	Error              string
	Username           string
	Hidden             []oauthField
	Users              []User
	PasswordIsUsername bool
}

type oauthField struct{ Name, Value string }

func (s *Sandbox) oauthRenderLogin(w http.ResponseWriter, status int, req oauthAuthRequest, username, loginErr string) {
	page := oauthPage{
		Title:    "Sign in",
		Login:    true,
		Action:   s.prefix + "/oauth/authorize",
		ClientID: req.client.ID,
		Error:    loginErr,
		Username: username,
		Hidden: []oauthField{
			{"client_id", req.client.ID},
			{"redirect_uri", req.redirectURI},
			{"response_type", "code"},
			{"state", req.state},
			{"code_challenge", req.challenge},
			{"code_challenge_method", "S256"},
		},
		Users:              s.cfg.Users,
		PasswordIsUsername: true,
	}
	for _, u := range s.cfg.Users {
		page.PasswordIsUsername = page.PasswordIsUsername && u.Password == u.Username
	}
	s.oauthRender(w, status, page)
}

func (s *Sandbox) oauthRenderMessage(w http.ResponseWriter, status int, title, msg string) {
	s.oauthRender(w, status, oauthPage{Title: title, Message: msg})
}

// oauthRender renders page into a buffer first, so a template error never
// leaves half a page behind.
func (s *Sandbox) oauthRender(w http.ResponseWriter, status int, page oauthPage) {
	page.Nonce = rand.Text()
	page.Tenant = s.cfg.TenantName
	var buf bytes.Buffer
	if err := oauthPageTemplate.Execute(&buf, page); err != nil {
		s.log.Error("oauth page", "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// No form-action: Chromium applies it to the redirect after the login
	// POST, and the redirect URI is on another origin.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-"+page.Nonce+"'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// oauthPageTemplate is parsed once; html/template escapes every value.
var oauthPageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · {{.Tenant}} tenant</title>
<style nonce="{{.Nonce}}">
body{margin:0;font:16px/1.5 system-ui,sans-serif;background:#eef1f5;color:#1b2430}
main{max-width:24rem;margin:8vh auto;padding:2rem;background:#fff;border-radius:.5rem;box-shadow:0 2px 8px #0002}
h1{font-size:1.35rem;margin:0 0 1rem}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input{box-sizing:border-box;width:100%;padding:.5rem;font:inherit;border:1px solid #8b96a3;border-radius:.25rem}
.actions{display:flex;gap:.5rem;margin-top:1.25rem}
button{flex:1;padding:.55rem;font:inherit;border:0;border-radius:.25rem;background:#0b5cad;color:#fff;cursor:pointer}
button.secondary{background:#dde3ea;color:#1b2430}
.error{padding:.5rem .75rem;background:#fdecea;color:#8a1c12;border-radius:.25rem}
.hint{margin-top:1.5rem;font-size:.875rem;color:#46505c}
.hint ul{padding-left:1.2rem;margin:.25rem 0}
</style>
</head>
<body>
<main>
<h1>{{.Title}}</h1>
{{- if .Login}}
<p>Sign in to the <strong data-testid="tenant">{{.Tenant}}</strong> tenant to continue to <code>{{.ClientID}}</code>.</p>
{{- with .Error}}
<p class="error" role="alert" data-testid="login-error">{{.}}</p>
{{- end}}
<form method="post" action="{{.Action}}" data-testid="login-form">
{{- range .Hidden}}
<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{- end}}
<label for="username">Username</label>
<input id="username" name="username" value="{{.Username}}" autocomplete="username" autocapitalize="none" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<div class="actions">
<button type="submit" name="action" value="login">Sign in</button>
<button type="submit" name="action" value="cancel" class="secondary" formnovalidate>Cancel</button>
</div>
</form>
<div class="hint" data-testid="demo-users">Demo users:
<ul>
{{- range .Users}}
<li><code>{{.Username}}</code> ({{.UserLevel}})</li>
{{- end}}
</ul>
{{- if .PasswordIsUsername}}Each password is the username.{{end}}
</div>
{{- else}}
<p data-testid="message">{{.Message}}</p>
{{- end}}
</main>
</body>
</html>
`))
