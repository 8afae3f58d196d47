package main

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"slices"
	"sourcedesk/internal/session"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"sourcedesk/internal/bff"
	"sourcedesk/internal/upload"
)

// Config is the whole configuration of the console, read from the environment once.
type Config struct {
	Addr        string
	PublicURL   *url.URL
	SandboxAddr string

	Tenant       string
	APIURL       string
	AuthorizeURL string
	TokenURL     string
	ClientID     string
	ClientSecret string
	// Tenants are the tenants users sign in to, the first being the default:
	// ISC_TENANTS, or the one the variables above describe. Demo mode fills in
	// its two sandbox tenants when it starts them.
	Tenants     []TenantConfig
	tenantsJSON string // ISC_TENANTS as given

	SessionStore       string
	SessionKeys        string
	SessionKeyRing     [][]byte // SessionKeys decoded, newest first
	SessionIdleTimeout time.Duration
	SessionLifetime    time.Duration
	AllowInsecureHTTP  bool

	ActivityRetention time.Duration
	UploadMaxBytes    int64
	UploadTempDir     string        // "" = the system's temporary folder
	BodyReadTimeout   time.Duration // the whole body of a non-upload request
	UploadMinRate     int64         // bytes per second an upload must keep up
	RateLimit         int           // ISC API calls per RateWindow per OAuth client; -1 = no client-side budget
	RateWindow        time.Duration // the window of RateLimit
	ReadCacheTTL      time.Duration // how long answers read from ISC are shared between users; 0 = off
	UpstreamTimeout   time.Duration
	ShutdownTimeout   time.Duration
	ShutdownDrain     time.Duration
	LogLevel          slog.Level
	TrustedProxies    []*net.IPNet   // proxies whose X-Forwarded-For names the client
	ScheduleZone      *time.Location // the zone ISC evaluates schedule cron expressions in

	demo bool // see DemoMode
}

// TenantConfig is one tenant of ISC_TENANTS (or the one of ISC_TENANT and its
// companions): where it is, the console's OAuth client there, and how the nav
// shows it.
type TenantConfig struct {
	// Key names it in addresses (/t/{key}/…), the session and the activity log.
	Key string `json:"key"`
	// Name is what the nav shows; default: the key.
	Name string `json:"name"`
	// Color is the nav's colour for it (red, orange, yellow, green, teal, blue,
	// purple or grey); default red for a tenant whose key or name says prod, blue
	// otherwise.
	Color string `json:"color"`
	// Tenant is the ISC tenant name; it gives the three URLs below their defaults.
	Tenant       string `json:"tenant"`
	APIURL       string `json:"apiUrl"`
	AuthorizeURL string `json:"authorizeUrl"`
	TokenURL     string `json:"tokenUrl"`
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
	// LogoutURL is the tenant's own sign-out page (demo mode only).
	LogoutURL string `json:"-"`
}

// DemoMode reports whether no tenant was configured, so the embedded sandbox serves.
// It is decided once, when the configuration is loaded: in demo mode run points the
// tenant URLs at the sandbox, after which they no longer tell.
func (c *Config) DemoMode() bool { return c.demo }

// setting is one environment variable: its default, what it means, and how it is
// stored into Config. The same table drives --help and validation.
type setting struct {
	name, def, help string
	set             func(c *Config, v string) error
}

var settings = []setting{
	{"ADDR", "127.0.0.1:8080", "host:port the console listens on", func(c *Config, v string) error {
		if err := checkHostPort(v); err != nil {
			return err
		}
		c.Addr = v
		return nil
	}},
	{"PUBLIC_URL", "http://<ADDR>", "the URL browsers use to reach the console; the OAuth redirect URI is PUBLIC_URL/auth/callback", func(c *Config, v string) error {
		if v == "" {
			return nil // filled from ADDR after parsing
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return errors.New("must be an absolute http(s) URL with no path, e.g. https://sourcedesk.example.com")
		}
		u.Path = ""
		c.PublicURL = u
		return nil
	}},
	{"SANDBOX_ADDR", "", "demo mode: empty serves the sandbox tenant at PUBLIC_URL/sandbox on the console's own port; host:port gives it a listener of its own", func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		if err := checkHostPort(v); err != nil {
			return err
		}
		c.SandboxAddr = v
		return nil
	}},
	{"ISC_TENANT", "", "ISC tenant name (acme → acme.login.sailpoint.com, acme.api.identitynow.com); empty with ISC_API_URL empty = demo mode", func(c *Config, v string) error {
		if v != "" && !isDNSLabel(v) {
			return errors.New("must be a tenant name such as acme (letters, digits, hyphens)")
		}
		c.Tenant = v
		return nil
	}},
	{"ISC_API_URL", "https://<tenant>.api.identitynow.com", "API base URL (overrides the tenant's)", urlSetting(func(c *Config, v string) { c.APIURL = v })},
	{"ISC_AUTHORIZE_URL", "https://<tenant>.login.sailpoint.com/oauth/authorize", "OAuth authorize endpoint", urlSetting(func(c *Config, v string) { c.AuthorizeURL = v })},
	{"ISC_TOKEN_URL", "<ISC_API_URL>/oauth/token", "OAuth token endpoint", urlSetting(func(c *Config, v string) { c.TokenURL = v })},
	{"ISC_CLIENT_ID", "", "OAuth client id of the console (required with a tenant)", func(c *Config, v string) error { c.ClientID = v; return nil }},
	{"ISC_CLIENT_SECRET", "", "OAuth client secret of the console (required with a tenant; never logged)", func(c *Config, v string) error { c.ClientSecret = v; return nil }},
	{"ISC_TENANTS", "", "several tenants, as a JSON list of {key, name, color, tenant or apiUrl + authorizeUrl [+ tokenUrl], clientId, clientSecret}; the first is the default; instead of ISC_TENANT and its companions (see the README)", func(c *Config, v string) error {
		c.tenantsJSON = v
		return nil
	}},
	{"SESSION_STORE", "file:data/sessions.db", "memory, file:PATH (embedded, one process), redis://… or postgres://… (several replicas)", func(c *Config, v string) error {
		if _, err := session.ParseStoreURL(v); err != nil {
			return err
		}
		c.SessionStore = v
		return nil
	}},
	{"SESSION_KEYS", "", "comma-separated base64 32-byte keys encrypting tokens at rest, newest first (demo mode: generated into data/session.key)", func(c *Config, v string) error {
		c.SessionKeys = v
		if v == "" {
			return nil
		}
		for i, part := range strings.Split(v, ",") {
			k, err := decodeKey(strings.TrimSpace(part))
			if err != nil {
				return fmt.Errorf("key %d is not base64 of 32 bytes (generate one: head -c32 /dev/urandom | base64)", i+1)
			}
			c.SessionKeyRing = append(c.SessionKeyRing, k)
		}
		return nil
	}},
	{"SESSION_IDLE_TIMEOUT", "30m", "sign out after this long without a request", durationSetting(time.Minute, func(c *Config, d time.Duration) { c.SessionIdleTimeout = d })},
	{"SESSION_LIFETIME", "12h", "sign out this long after signing in, however active", durationSetting(time.Minute, func(c *Config, d time.Duration) { c.SessionLifetime = d })},
	{"ALLOW_INSECURE_HTTP", "false", "allow a plain-HTTP PUBLIC_URL that is not loopback (cookies lose Secure)", func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return errors.New("must be true or false")
		}
		c.AllowInsecureHTTP = b
		return nil
	}},
	{"ACTIVITY_RETENTION", "2160h", "how long the activity log keeps entries (90 days)", durationSetting(time.Hour, func(c *Config, d time.Duration) { c.ActivityRetention = d })},
	{"UPLOAD_MAX_BYTES", "536870912", "largest accepted upload in bytes (512 MiB)", func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1024 {
			return errors.New("must be a whole number of bytes, at least 1024")
		}
		c.UploadMaxBytes = n
		return nil
	}},
	{"UPLOAD_TEMP_DIR", "<system temporary folder>", "folder where an upload is kept while it is checked, before it goes to ISC (up to UPLOAD_MAX_BYTES per upload in progress; nothing is left in it afterwards)", func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		if fi, err := os.Stat(v); err != nil || !fi.IsDir() {
			return errors.New("must be an existing folder")
		}
		sp, err := upload.NewSpool(v)
		if err != nil {
			return errors.New("the console cannot create files in it")
		}
		_ = sp.Close()
		c.UploadTempDir = v
		return nil
	}},
	{"BODY_READ_TIMEOUT", "30s", "how long a request other than an upload may take to send its body; a slower client gets 408 and is disconnected", durationSetting(time.Second, func(c *Config, d time.Duration) { c.BodyReadTimeout = d })},
	{"UPLOAD_MIN_RATE", "4096", "the slowest an upload may arrive, in bytes per second averaged over 30 s of waiting for it; a slower upload is cut off and its upstream request aborted", func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return errors.New("must be a whole number of bytes per second, at least 1")
		}
		c.UploadMinRate = n
		return nil
	}},
	{"ISC_RATE_LIMIT", "100/10s", "the API budget per OAuth client shared by all replicas, as CALLS/WINDOW (ISC allows 100/10s); off only for benchmarks against the sandbox", func(c *Config, v string) error {
		if v == "off" {
			c.RateLimit, c.RateWindow = -1, 0
			return nil
		}
		n, w, ok := strings.Cut(v, "/")
		calls, err := strconv.Atoi(n)
		window, werr := time.ParseDuration(w)
		if !ok || err != nil || werr != nil || calls < 1 || window < time.Second {
			return errors.New("must be CALLS/WINDOW such as 100/10s, or off")
		}
		c.RateLimit, c.RateWindow = calls, window
		return nil
	}},
	{"READ_CACHE_TTL", "30s", "how long an answer read from ISC (a list page per query and user level, a source, its health, schemas; connections 10× as long, schedules for the home page 60×) is shared between users and replicas (in Redis with a Redis store, in the process with memory or SQLite, off with Postgres); changes made through the console drop it at once; 0 turns sharing off", func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > 10*time.Minute || d > 0 && d < time.Second {
			return errors.New("must be 0 (off) or a duration from 1s to 10m, such as 30s")
		}
		c.ReadCacheTTL = d
		return nil
	}},
	{"UPSTREAM_TIMEOUT", "30s", "deadline for one ISC API call (uploads excepted)", durationSetting(time.Second, func(c *Config, d time.Duration) { c.UpstreamTimeout = d })},
	{"SHUTDOWN_DRAIN", "0s", "after SIGINT/SIGTERM, how long /readyz answers 503 while requests are still served, so a load balancer routes away before the listener closes (at least its health-check interval × failures to mark a replica down)", durationSetting(0, func(c *Config, d time.Duration) { c.ShutdownDrain = d })},
	{"SHUTDOWN_TIMEOUT", "20s", "then how long in-flight requests (uploads included) may finish", durationSetting(time.Second, func(c *Config, d time.Duration) { c.ShutdownTimeout = d })},
	{"ISC_SCHEDULE_ZONE", "UTC", "the IANA time zone ISC evaluates schedule cron expressions in (the API does not say; check on your tenant)", func(c *Config, v string) error {
		loc, err := time.LoadLocation(v)
		if err != nil || strings.EqualFold(v, "local") {
			return errors.New("must be an IANA time zone name such as UTC or Europe/Berlin")
		}
		c.ScheduleZone = loc
		return nil
	}},
	{"TRUSTED_PROXIES", "", "comma-separated addresses or CIDRs of the reverse proxies in front of the console, whose X-Forwarded-For names the client (failed sign-ins are limited per client address); empty: the connection's peer is the client", func(c *Config, v string) error {
		c.TrustedProxies = nil
		if v == "" {
			return nil
		}
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			if !strings.Contains(part, "/") {
				if ip := net.ParseIP(part); ip != nil {
					bits := 128
					if ip.To4() != nil {
						bits = 32
					}
					part += "/" + strconv.Itoa(bits)
				}
			}
			_, n, err := net.ParseCIDR(part)
			if err != nil {
				return fmt.Errorf("%q is not an address or CIDR (e.g. 10.0.0.5 or 10.0.0.0/24)", part)
			}
			c.TrustedProxies = append(c.TrustedProxies, n)
		}
		return nil
	}},
	{"LOG_LEVEL", "info", "debug, info, warn or error", func(c *Config, v string) error {
		return c.LogLevel.UnmarshalText([]byte(v))
	}},
}

// fileSettings are the settings that may hold a secret (a client secret, keys, a
// store URL with a password): each may instead be read from the file NAME_FILE
// names, as Docker and compose secrets are mounted (/run/secrets/…).
var fileSettings = map[string]bool{"ISC_CLIENT_SECRET": true, "ISC_TENANTS": true, "SESSION_STORE": true, "SESSION_KEYS": true}

// fileSuffix makes the name of a setting's file variant: SESSION_KEYS_FILE.
const fileSuffix = "_FILE"

// knownVariable reports whether name is a variable the console reads: a setting of
// the table, or the file variant of one that may hold a secret.
func knownVariable(name string) bool {
	base, isFile := strings.CutSuffix(name, fileSuffix)
	for _, s := range settings {
		if s.name == name || isFile && s.name == base && fileSettings[base] {
			return true
		}
	}
	return false
}

// loadConfig reads every setting through getenv and validates them together: the
// error lists every problem, one per line, each naming its variable.
func loadConfig(getenv func(string) string) (*Config, error) {
	c := &Config{}
	var problems []string
	for _, s := range settings {
		v, err := lookup(getenv, s.name)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		if v == "" && !strings.Contains(s.def, "<") { // "<…>" defaults are derived from other settings
			v = s.def
		}
		if err := s.set(c, v); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", s.name, err))
		}
	}
	problems = append(problems, c.derive()...)
	if len(problems) > 0 {
		return nil, errors.New("invalid configuration:\n  " + strings.Join(problems, "\n  "))
	}
	return c, nil
}

// lookup returns the value of the setting name: its variable, or for a setting that
// may hold a secret the content of the file NAME_FILE names (surrounding white space
// dropped, so a trailing newline does no harm). Setting both is an error: one of
// them would be silently ignored. The error never quotes the file's content.
func lookup(getenv func(string) string, name string) (string, error) {
	v := strings.TrimSpace(getenv(name))
	if !fileSettings[name] {
		return v, nil
	}
	path := strings.TrimSpace(getenv(name + fileSuffix))
	if path == "" {
		return v, nil
	}
	if v != "" {
		return "", fmt.Errorf("%s and %s%s are both set: keep one", name, name, fileSuffix)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s%s: cannot read %s: %v", name, fileSuffix, path, errors.Unwrap(err))
	}
	v = strings.TrimSpace(string(b))
	if v == "" {
		return "", fmt.Errorf("%s%s: %s is empty", name, fileSuffix, path)
	}
	return v, nil
}

// derive fills the settings that default from others and checks combinations.
func (c *Config) derive() []string {
	var p []string
	if c.PublicURL == nil && c.Addr != "" {
		if host, _, _ := net.SplitHostPort(c.Addr); isLoopbackHost(host) {
			c.PublicURL = &url.URL{Scheme: "http", Host: c.Addr}
		} else {
			// http://0.0.0.0:8080 is no address a browser can be sent to.
			p = append(p, "PUBLIC_URL: required when ADDR listens beyond loopback ("+c.Addr+"): the URL browsers open, "+
				"e.g. http://localhost:8080 for a container on this machine or https://sourcedesk.example.com behind TLS")
		}
	}
	if c.tenantsJSON != "" {
		return append(p, c.deriveTenants()...)
	}
	c.demo = c.Tenant == "" && c.APIURL == ""
	if c.Tenant != "" {
		if c.APIURL == "" {
			c.APIURL = "https://" + c.Tenant + ".api.identitynow.com"
		}
		if c.AuthorizeURL == "" {
			c.AuthorizeURL = "https://" + c.Tenant + ".login.sailpoint.com/oauth/authorize"
		}
	}
	if c.APIURL != "" && c.TokenURL == "" {
		c.TokenURL = strings.TrimSuffix(c.APIURL, "/") + "/oauth/token"
	}
	if !c.DemoMode() {
		if c.AuthorizeURL == "" {
			p = append(p, "ISC_AUTHORIZE_URL: required when ISC_API_URL is set without ISC_TENANT")
		}
		if c.ClientID == "" {
			p = append(p, "ISC_CLIENT_ID: required when a tenant is configured")
		}
		if c.ClientSecret == "" {
			p = append(p, "ISC_CLIENT_SECRET: required when a tenant is configured")
		}
		name := c.Tenant
		if name == "" {
			name = hostLabel(c.APIURL)
		}
		key := strings.ToLower(c.Tenant)
		if key == "" || len(key) > 32 {
			key = "default"
		}
		c.Tenants = []TenantConfig{{Key: key, Name: name, Color: defaultColor(key, name), Tenant: c.Tenant, APIURL: c.APIURL,
			AuthorizeURL: c.AuthorizeURL, TokenURL: c.TokenURL, ClientID: c.ClientID, ClientSecret: c.ClientSecret}}
	}
	p = append(p, c.deriveCommon()...)
	return p
}

// deriveCommon checks the settings that do not depend on how tenants are given.
func (c *Config) deriveCommon() []string {
	var p []string
	if !c.DemoMode() && c.SessionKeys == "" {
		p = append(p, "SESSION_KEYS: required when a tenant is configured (generate one: head -c32 /dev/urandom | base64)")
	}
	if c.PublicURL != nil && c.PublicURL.Scheme == "http" && !isLoopbackHost(c.PublicURL.Hostname()) && !c.AllowInsecureHTTP {
		p = append(p, "PUBLIC_URL: plain http is only allowed on loopback; use https or set ALLOW_INSECURE_HTTP=true")
	}
	if c.SessionIdleTimeout > 0 && c.SessionLifetime > 0 && c.SessionIdleTimeout > c.SessionLifetime {
		p = append(p, "SESSION_IDLE_TIMEOUT: must not be longer than SESSION_LIFETIME")
	}
	return p
}

// deriveTenants reads ISC_TENANTS: every problem is reported, each naming the
// tenant (by position and key) and the field.
func (c *Config) deriveTenants() []string {
	var p []string
	for _, name := range []string{"ISC_TENANT", "ISC_API_URL", "ISC_AUTHORIZE_URL", "ISC_TOKEN_URL", "ISC_CLIENT_ID", "ISC_CLIENT_SECRET"} {
		if c.legacySet(name) {
			p = append(p, "ISC_TENANTS: set with "+name+": give every tenant in ISC_TENANTS and leave "+name+" unset")
		}
	}
	dec := json.NewDecoder(strings.NewReader(c.tenantsJSON))
	dec.DisallowUnknownFields()
	var ts []TenantConfig
	if err := dec.Decode(&ts); err != nil {
		// The error may quote the input, which holds client secrets: say where only.
		return append(p, "ISC_TENANTS: not a JSON list of tenants ("+jsonProblem(err)+"); see the README for the format")
	}
	if len(ts) == 0 {
		return append(p, "ISC_TENANTS: the list is empty")
	}
	seen := map[string]bool{}
	for i := range ts {
		t := &ts[i]
		at := fmt.Sprintf("ISC_TENANTS[%d]", i)
		if t.Key != "" {
			at += " (" + t.Key + ")"
		}
		switch {
		case !session.ValidTenantKey(t.Key):
			p = append(p, at+": key must be lower-case letters, digits and hyphens, at most 32, e.g. production")
		case seen[t.Key]:
			p = append(p, at+": key is given twice")
		}
		seen[t.Key] = true
		if t.Name == "" {
			t.Name = t.Key
		}
		if t.Color == "" {
			t.Color = defaultColor(t.Key, t.Name)
		} else if !slices.Contains(bff.TenantColors, t.Color) {
			p = append(p, at+": color must be one of "+strings.Join(bff.TenantColors, ", "))
		}
		if t.Tenant != "" && !isDNSLabel(t.Tenant) {
			p = append(p, at+": tenant must be a tenant name such as acme (letters, digits, hyphens)")
		}
		for _, u := range []struct {
			field string
			v     *string
		}{{"apiUrl", &t.APIURL}, {"authorizeUrl", &t.AuthorizeURL}, {"tokenUrl", &t.TokenURL}} {
			if *u.v == "" {
				continue
			}
			if pu, err := url.Parse(*u.v); err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" {
				p = append(p, at+": "+u.field+" must be an absolute http(s) URL")
			}
			*u.v = strings.TrimSuffix(*u.v, "/")
		}
		if t.Tenant != "" {
			t.APIURL = cmp.Or(t.APIURL, "https://"+t.Tenant+".api.identitynow.com")
			t.AuthorizeURL = cmp.Or(t.AuthorizeURL, "https://"+t.Tenant+".login.sailpoint.com/oauth/authorize")
		}
		if t.APIURL == "" {
			p = append(p, at+": tenant or apiUrl is required")
		} else {
			t.TokenURL = cmp.Or(t.TokenURL, t.APIURL+"/oauth/token")
		}
		if t.AuthorizeURL == "" && t.Tenant == "" {
			p = append(p, at+": authorizeUrl is required when apiUrl is given without tenant")
		}
		if t.ClientID == "" {
			p = append(p, at+": clientId is required")
		}
		if t.ClientSecret == "" {
			p = append(p, at+": clientSecret is required")
		}
	}
	c.Tenants = ts
	return append(p, c.deriveCommon()...)
}

// legacySet reports whether a single-tenant variable was given beside ISC_TENANTS.
func (c *Config) legacySet(name string) bool {
	switch name {
	case "ISC_TENANT":
		return c.Tenant != ""
	case "ISC_API_URL":
		return c.APIURL != ""
	case "ISC_AUTHORIZE_URL":
		return c.AuthorizeURL != ""
	case "ISC_TOKEN_URL":
		return c.TokenURL != ""
	case "ISC_CLIENT_ID":
		return c.ClientID != ""
	}
	return c.ClientSecret != ""
}

// jsonProblem says where JSON went wrong without quoting it.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("%s must be a %s", cmp.Or(typ.Field, "the value"), typ.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	return "invalid JSON"
}

// defaultColor is red for a production tenant (by its key or name), blue otherwise.
func defaultColor(key, name string) string {
	if strings.Contains(strings.ToLower(key+" "+name), "prod") {
		return "red"
	}
	return "blue"
}

// hostLabel is the first label of a URL's host (acme for https://acme.api.identitynow.com).
func hostLabel(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	label, _, _ := strings.Cut(u.Hostname(), ".")
	return label
}

// Secure reports whether the console is served over HTTPS (cookies get Secure and
// the __Host- prefix, responses HSTS).
func (c *Config) Secure() bool { return c.PublicURL != nil && c.PublicURL.Scheme == "https" }

// printHelp writes every setting with its default and meaning.
func printHelp(w io.Writer) {
	fmt.Fprintln(w, "sourcedesk: an admin console for the sources of SailPoint Identity Security Cloud.")
	fmt.Fprintln(w, "\nAll configuration comes from environment variables. With no tenant configured the")
	fmt.Fprintln(w, "console starts in demo mode with an embedded sandbox tenant.")
	fmt.Fprintln(w, "\n`sourcedesk healthcheck [/readyz|/healthz]` asks the console running on ADDR (a")
	fmt.Fprintln(w, "container health check; exit status 0 when it answers 200).")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VARIABLE\tDEFAULT\tMEANING")
	for _, s := range settings {
		def := s.def
		if def == "" {
			def = "(none)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.name, def, s.help)
		if fileSettings[s.name] {
			fmt.Fprintf(tw, "%s%s\t(none)\t%s\n", s.name, fileSuffix, fileHelp(s.name))
		}
	}
	tw.Flush()
}

// fileHelp is the --help line of a setting's file variant.
func fileHelp(name string) string {
	return "path of a file holding " + name + " (e.g. a compose secret in /run/secrets); not together with " + name
}

func urlSetting(store func(c *Config, v string)) func(c *Config, v string) error {
	return func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return errors.New("must be an absolute http(s) URL")
		}
		store(c, strings.TrimSuffix(v, "/"))
		return nil
	}
}

func durationSetting(min time.Duration, store func(c *Config, d time.Duration)) func(c *Config, v string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("must be a duration such as 30s, 15m or 12h")
		}
		if d < min {
			return fmt.Errorf("must be at least %s", min)
		}
		store(c, d)
		return nil
	}
}

func checkHostPort(v string) error {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return errors.New("not a host:port (e.g. 127.0.0.1:8080)")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return errors.New("not a host:port: bad port")
	}
	_ = host
	return nil
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func isDNSLabel(s string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// decodeKey reads one 32-byte key in standard or URL-safe base64.
func decodeKey(s string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		k, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	}
	if err != nil || len(k) != 32 {
		return nil, errors.New("not base64 of 32 bytes")
	}
	return k, nil
}
