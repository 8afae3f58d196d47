package scenario

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"
)

// ErrNoSignIn means the console has no sign-in route yet (the session work has
// not landed): /login answers 404.
var ErrNoSignIn = errors.New("the console has no sign-in yet (/login answers 404)")

// User is one simulated admin: a browser-like client with its own cookie jar,
// signed in to one console.
type User struct {
	Base string // console URL, e.g. http://127.0.0.1:8080
	CSRF string // the session's CSRF token, from the page's hx-headers

	hc     *http.Client // does not follow redirects: callers see 303s and HX-Redirects
	follow *http.Client // follows redirects, for sign-in
}

// Credentials say how a user signs in: with a username and password on the
// tenant's login page (the OAuth code flow), or with a personal access token.
type Credentials struct {
	Username, Password string
	PATClientID        string // when set, sign in with this PAT instead
	PATSecret          string
}

// NewUser returns a user with an empty cookie jar for the console at base.
// transport may be nil (a fresh one per user, like separate browsers).
func NewUser(base string, transport http.RoundTripper) *User {
	jar, _ := cookiejar.New(nil)
	if transport == nil {
		transport = &http.Transport{MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second}
	}
	return &User{
		Base: strings.TrimRight(base, "/"),
		hc: &http.Client{Jar: jar, Transport: transport, Timeout: 2 * time.Minute,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		follow: &http.Client{Jar: jar, Transport: transport, Timeout: time.Minute},
	}
}

// Client is the user's HTTP client (cookies kept; redirects not followed).
func (u *User) Client() *http.Client { return u.hc }

// Cookies returns the console cookies the user holds (e.g. to hand a session to
// a load generator or a browser).
func (u *User) Cookies() []*http.Cookie {
	base, _ := url.Parse(u.Base)
	return u.hc.Jar.Cookies(base)
}

// SignIn signs the user in: it opens /login and fills the tenant's login page
// (the code flow), or with a personal access token fills the console's form at
// /login/pat; then it reads the CSRF token from a signed-in page.
func (u *User) SignIn(ctx context.Context, cr Credentials) error {
	if err := u.findTenant(ctx); err != nil {
		return err
	}
	start := "/login?next=%2F"
	if cr.PATClientID != "" {
		start = "/login/pat"
	}
	resp, body, err := u.get(ctx, u.follow, u.Base+start)
	if err != nil {
		return err
	}
	if resp.StatusCode == http.StatusNotFound {
		return ErrNoSignIn
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return err
	}
	if cr.PATClientID == "" {
		form := doc.Find("form").FilterFunction(func(_ int, s *goquery.Selection) bool {
			return s.Find("input[name=username]").Length() > 0 && s.Find("input[name=password]").Length() > 0
		}).First()
		if form.Length() == 0 {
			// The console may show a choice first: follow its link to the tenant.
			link := doc.Find(`a[href*="/login"], a[href*="authorize"]`).FilterFunction(func(_ int, s *goquery.Selection) bool {
				h, _ := s.Attr("href")
				return !strings.Contains(h, "pat")
			}).First()
			href, ok := link.Attr("href")
			if !ok {
				return fmt.Errorf("sign-in: no tenant login form or link at %s", resp.Request.URL)
			}
			next, err := resp.Request.URL.Parse(href)
			if err != nil {
				return err
			}
			if resp, body, err = u.get(ctx, u.follow, next.String()); err != nil {
				return err
			}
			if doc, err = goquery.NewDocumentFromReader(bytes.NewReader(body)); err != nil {
				return err
			}
			form = doc.Find("form").FilterFunction(func(_ int, s *goquery.Selection) bool {
				return s.Find("input[name=username]").Length() > 0
			}).First()
			if form.Length() == 0 {
				return fmt.Errorf("sign-in: no login form at %s (status %d)", resp.Request.URL, resp.StatusCode)
			}
		}
		vals := formValues(form)
		vals.Set("username", cr.Username)
		vals.Set("password", cr.Password)
		vals.Set("action", "login")
		if resp, err = u.submit(ctx, resp.Request.URL, form, vals); err != nil {
			return err
		}
	} else {
		form := doc.Find("form").FilterFunction(func(_ int, s *goquery.Selection) bool {
			return s.Find(`input[type=password]`).Length() > 0
		}).First()
		if form.Length() == 0 {
			// The PAT form may sit on its own page.
			href, ok := doc.Find(`a[href*="pat"]`).First().Attr("href")
			if !ok {
				return fmt.Errorf("sign-in: no personal access token form at %s", resp.Request.URL)
			}
			next, _ := resp.Request.URL.Parse(href)
			if resp, body, err = u.get(ctx, u.follow, next.String()); err != nil {
				return err
			}
			doc, _ = goquery.NewDocumentFromReader(bytes.NewReader(body))
			form = doc.Find("form").FilterFunction(func(_ int, s *goquery.Selection) bool {
				return s.Find(`input[type=password]`).Length() > 0
			}).First()
			if form.Length() == 0 {
				return fmt.Errorf("sign-in: no personal access token form at %s", resp.Request.URL)
			}
		}
		vals := formValues(form)
		form.Find("input").Each(func(_ int, s *goquery.Selection) {
			name, _ := s.Attr("name")
			switch typ, _ := s.Attr("type"); {
			case typ == "password":
				vals.Set(name, cr.PATSecret)
			case typ == "" || typ == "text":
				vals.Set(name, cr.PATClientID)
			}
		})
		if resp, err = u.submit(ctx, resp.Request.URL, form, vals); err != nil {
			return err
		}
	}
	if resp.StatusCode >= 400 {
		return fmt.Errorf("sign-in: %s answered %d", resp.Request.URL.Path, resp.StatusCode)
	}
	return u.refreshCSRF(ctx)
}

// findTenant makes the user work on the console's default tenant: a console
// with several tenants sends "/" to /t/{tenant}, and every address the user asks
// for must carry it from then on (an address without it is redirected).
func (u *User) findTenant(ctx context.Context) error {
	resp, _, err := u.get(ctx, u.hc, u.Base+"/")
	if err != nil {
		return err
	}
	if loc := resp.Header.Get("Location"); resp.StatusCode == http.StatusFound && strings.HasPrefix(loc, "/t/") {
		key, _, _ := strings.Cut(strings.TrimPrefix(loc, "/t/"), "/")
		key, _, _ = strings.Cut(key, "?")
		u.Base += "/t/" + key
	}
	return nil
}

// refreshCSRF reads the CSRF token from the dashboard and checks the user is
// signed in.
func (u *User) refreshCSRF(ctx context.Context) error {
	resp, body, err := u.get(ctx, u.hc, u.Base+"/")
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("sign-in: / answered %d after signing in", resp.StatusCode)
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return err
	}
	raw, ok := doc.Find("body").Attr("hx-headers")
	if !ok {
		return errors.New("sign-in: the signed-in page carries no CSRF token (body hx-headers)")
	}
	var h map[string]string
	if err := json.Unmarshal([]byte(raw), &h); err != nil || h["X-CSRF-Token"] == "" {
		return fmt.Errorf("sign-in: unreadable hx-headers %q", raw)
	}
	u.CSRF = h["X-CSRF-Token"]
	return nil
}

// formValues collects a form's named inputs with their values.
func formValues(form *goquery.Selection) url.Values {
	vals := url.Values{}
	form.Find("input").Each(func(_ int, s *goquery.Selection) {
		if name, ok := s.Attr("name"); ok {
			v, _ := s.Attr("value")
			vals.Set(name, v)
		}
	})
	return vals
}

// submit posts a form as a browser would (urlencoded, following redirects). A
// console form also gets the CSRF token header from the page, if it has one.
func (u *User) submit(ctx context.Context, page *url.URL, form *goquery.Selection, vals url.Values) (*http.Response, error) {
	action, _ := form.Attr("action")
	if action == "" {
		action, _ = form.Attr("hx-post")
	}
	target, err := page.Parse(action)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.String(), strings.NewReader(vals.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if raw, ok := form.Closest("body").Attr("hx-headers"); ok {
		var h map[string]string
		if json.Unmarshal([]byte(raw), &h) == nil && h["X-CSRF-Token"] != "" {
			req.Header.Set("X-CSRF-Token", h["X-CSRF-Token"])
		}
	}
	resp, err := u.follow.Do(req)
	if err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, nil
}

func (u *User) get(ctx context.Context, hc *http.Client, target string) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

// Response is what one console request gave back.
type Response struct {
	Status  int
	Header  http.Header
	Body    []byte
	Elapsed time.Duration
}

// Do sends one request to the console as this user: the path is relative to
// Base; htmx marks it as an htmx request; a non-GET carries the CSRF token.
func (u *User) Do(ctx context.Context, method, path string, body io.Reader, contentType string, htmx bool) (*Response, error) {
	return u.DoWith(ctx, method, path, body, contentType, htmx, "")
}

// DoWith is Do for an htmx request that targets the element with id target (its
// HX-Target header), as a tab link or a results region does.
func (u *User) DoWith(ctx context.Context, method, path string, body io.Reader, contentType string, htmx bool, target string) (*Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, u.Base+path, body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if htmx {
		req.Header.Set("HX-Request", "true")
		req.Header.Set("HX-Current-URL", u.Base+path)
		if target != "" {
			req.Header.Set("HX-Target", target)
		}
	}
	if method != http.MethodGet && u.CSRF != "" {
		req.Header.Set("X-CSRF-Token", u.CSRF)
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	start := time.Now()
	resp, err := u.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b, Elapsed: time.Since(start)}, err
}
