package main

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConfigDefaultsToDemoMode(t *testing.T) {
	cfg, err := loadConfig(envOf(nil))
	require.NoError(t, err)
	assert.True(t, cfg.DemoMode())
	assert.Equal(t, "127.0.0.1:8080", cfg.Addr)
	assert.Empty(t, cfg.SandboxAddr, "the sandbox tenant is served on the console's own port")
	assert.Equal(t, "http://127.0.0.1:8080", cfg.PublicURL.String())
	assert.False(t, cfg.Secure())
	assert.Equal(t, "UTC", cfg.ScheduleZone.String(), "schedules are read in UTC unless told otherwise")

	cfg, err = loadConfig(envOf(map[string]string{"ISC_SCHEDULE_ZONE": "Europe/Berlin"}))
	require.NoError(t, err)
	assert.Equal(t, "Europe/Berlin", cfg.ScheduleZone.String())
}

func TestConfigReportsEveryProblemTogether(t *testing.T) {
	_, err := loadConfig(envOf(map[string]string{
		"ADDR":                 "8080",
		"SESSION_STORE":        "mongodb://x",
		"SESSION_IDLE_TIMEOUT": "soon",
		"UPLOAD_MAX_BYTES":     "-1",
		"ISC_TENANT":           "acme corp",
		"LOG_LEVEL":            "chatty",
		"SESSION_KEYS":         "dG9vIHNob3J0,also-bad",
		"ISC_SCHEDULE_ZONE":    "Mars/Olympus",
		"TRUSTED_PROXIES":      "10.0.0.5, 10.1.0.0/33",
		"UPLOAD_TEMP_DIR":      "/nonexistent/uploads",
		"BODY_READ_TIMEOUT":    "0s",
		"UPLOAD_MIN_RATE":      "fast",
	}))
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{
		"ADDR: not a host:port",
		"SESSION_STORE: must be memory, file:PATH, redis://… or postgres://…",
		"SESSION_IDLE_TIMEOUT: must be a duration",
		"UPLOAD_MAX_BYTES: must be a whole number",
		"ISC_TENANT: must be a tenant name",
		"LOG_LEVEL:",
		"SESSION_KEYS: key 1 is not base64 of 32 bytes",
		"ISC_SCHEDULE_ZONE: must be an IANA time zone name",
		`TRUSTED_PROXIES: "10.1.0.0/33" is not an address or CIDR`,
		"UPLOAD_TEMP_DIR: must be an existing folder",
		"BODY_READ_TIMEOUT: must be at least 1s",
		"UPLOAD_MIN_RATE: must be a whole number",
	} {
		assert.Contains(t, msg, want)
	}
}

func TestConfigUploadTempDir(t *testing.T) {
	cfg, err := loadConfig(envOf(nil))
	require.NoError(t, err)
	assert.Empty(t, cfg.UploadTempDir, "the system's temporary folder")

	dir := t.TempDir()
	cfg, err = loadConfig(envOf(map[string]string{"UPLOAD_TEMP_DIR": dir}))
	require.NoError(t, err)
	assert.Equal(t, dir, cfg.UploadTempDir)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "checking the folder leaves nothing in it")

	file := filepath.Join(dir, "a-file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	_, err = loadConfig(envOf(map[string]string{"UPLOAD_TEMP_DIR": file}))
	assert.ErrorContains(t, err, "UPLOAD_TEMP_DIR: must be an existing folder")

	if os.Geteuid() != 0 { // root writes anywhere
		ro := filepath.Join(dir, "read-only")
		require.NoError(t, os.Mkdir(ro, 0o500))
		_, err = loadConfig(envOf(map[string]string{"UPLOAD_TEMP_DIR": ro}))
		assert.ErrorContains(t, err, "UPLOAD_TEMP_DIR: the console cannot create files in it")
	}
}

func TestConfigTenantMode(t *testing.T) {
	cfg, err := loadConfig(envOf(map[string]string{
		"ISC_TENANT": "acme", "ISC_CLIENT_ID": "id", "ISC_CLIENT_SECRET": "s3cret",
		"SESSION_KEYS": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", "PUBLIC_URL": "https://sourcedesk.acme.example",
	}))
	require.NoError(t, err)
	assert.False(t, cfg.DemoMode())
	assert.Equal(t, "https://acme.api.identitynow.com", cfg.APIURL)
	assert.Equal(t, "https://acme.login.sailpoint.com/oauth/authorize", cfg.AuthorizeURL)
	assert.Equal(t, "https://acme.api.identitynow.com/oauth/token", cfg.TokenURL)
	assert.True(t, cfg.Secure())

	_, err = loadConfig(envOf(map[string]string{"ISC_TENANT": "acme"}))
	require.Error(t, err)
	for _, want := range []string{"ISC_CLIENT_ID: required", "ISC_CLIENT_SECRET: required", "SESSION_KEYS: required"} {
		assert.Contains(t, err.Error(), want)
	}
}

// Listening on every interface (as in a container), the console cannot guess the URL
// browsers use: http://0.0.0.0:8080 is none. It asks for PUBLIC_URL, with examples.
func TestConfigAsksForPublicURLWhenListeningBeyondLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:8080", ":8080", "[::]:8080", "192.0.2.10:8080"} {
		_, err := loadConfig(envOf(map[string]string{"ADDR": addr}))
		require.ErrorContains(t, err, "PUBLIC_URL: required when ADDR listens beyond loopback ("+addr+")")
		assert.ErrorContains(t, err, "http://localhost:8080")
		assert.NotContains(t, err.Error(), "plain http", "one problem, said once")
	}
	cfg, err := loadConfig(envOf(map[string]string{"ADDR": "0.0.0.0:8080", "PUBLIC_URL": "http://localhost:8080"}))
	require.NoError(t, err, "a container published on this machine's loopback")
	assert.Equal(t, "http://localhost:8080", cfg.PublicURL.String())
	cfg, err = loadConfig(envOf(map[string]string{"ADDR": "[::1]:8080"}))
	require.NoError(t, err)
	assert.Equal(t, "http://[::1]:8080", cfg.PublicURL.String())
}

func TestConfigRefusesPlainHTTPOffLoopback(t *testing.T) {
	_, err := loadConfig(envOf(map[string]string{"ADDR": "0.0.0.0:8080", "PUBLIC_URL": "http://console.example"}))
	require.ErrorContains(t, err, "PUBLIC_URL: plain http is only allowed on loopback")
	_, err = loadConfig(envOf(map[string]string{"ADDR": "0.0.0.0:8080", "PUBLIC_URL": "http://console.example", "ALLOW_INSECURE_HTTP": "true"}))
	require.NoError(t, err)
}

func TestHelpListsEverySetting(t *testing.T) {
	var buf bytes.Buffer
	printHelp(&buf)
	for _, s := range settings {
		line := ""
		for _, l := range strings.Split(buf.String(), "\n") {
			if strings.HasPrefix(l, s.name+" ") {
				line = l
			}
		}
		require.NotEmpty(t, line, "--help lists %s", s.name)
		assert.Contains(t, line, s.help)
		if fileSettings[s.name] {
			assert.Contains(t, buf.String(), "\n"+s.name+"_FILE ", "--help lists %s_FILE", s.name)
		}
	}
}

// The README's configuration table lists every variable the console reads.
func TestREADMEListsEverySetting(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	for _, s := range settings {
		assert.True(t, strings.Contains(string(readme), "| `"+s.name+"` |"), "README's configuration table lists %s", s.name)
		if fileSettings[s.name] {
			assert.True(t, strings.Contains(string(readme), "| `"+s.name+"_FILE` |"), "README's configuration table lists %s_FILE", s.name)
		}
	}
}

// Secrets mounted as files (compose and Docker secrets) configure the console like
// the variables themselves; a mistake is reported without quoting the file.
func TestConfigReadsSecretsFromFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	key := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32)))
	env := map[string]string{
		"ISC_TENANT": "acme", "ISC_CLIENT_ID": "id", "PUBLIC_URL": "https://console.example",
		"ISC_CLIENT_SECRET_FILE": write("secret", "s3cret\n"),
		"SESSION_KEYS_FILE":      write("keys", key+"\n"),
		"SESSION_STORE_FILE":     write("store", "postgres://sd:pw@db/sd\n"),
	}
	cfg, err := loadConfig(envOf(env))
	require.NoError(t, err)
	assert.Equal(t, "s3cret", cfg.ClientSecret, "the trailing newline is not part of the secret")
	assert.Equal(t, [][]byte{[]byte(strings.Repeat("k", 32))}, cfg.SessionKeyRing)
	assert.Equal(t, "postgres://sd:pw@db/sd", cfg.SessionStore)

	env["ISC_CLIENT_SECRET"] = "other"                       // both: one would be ignored
	env["SESSION_KEYS_FILE"] = filepath.Join(dir, "missing") // unreadable
	env["SESSION_STORE_FILE"] = write("empty", "\n")         // empty
	_, err = loadConfig(envOf(env))
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, "ISC_CLIENT_SECRET and ISC_CLIENT_SECRET_FILE are both set")
	assert.Contains(t, msg, "SESSION_KEYS_FILE: cannot read "+filepath.Join(dir, "missing")+": no such file or directory")
	assert.Contains(t, msg, "SESSION_STORE_FILE: "+filepath.Join(dir, "empty")+" is empty")
	assert.NotContains(t, msg, "other")

	_, err = loadConfig(envOf(map[string]string{"LOG_LEVEL_FILE": write("level", "debug")}))
	require.NoError(t, err)
	assert.False(t, knownVariable("LOG_LEVEL_FILE"), "only secrets have a file variant")
	assert.True(t, knownVariable("SESSION_KEYS_FILE"))
	assert.True(t, knownVariable("LOG_LEVEL"))
}

// Several tenants come as one JSON list: each gets its URLs from its tenant name
// (or its own), a name and a colour (production red unless told); the first is
// the default.
func TestConfigSeveralTenants(t *testing.T) {
	keys := "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
	cfg, err := loadConfig(envOf(map[string]string{"SESSION_KEYS": keys, "PUBLIC_URL": "https://sourcedesk.acme.example",
		"ISC_TENANTS": `[{"key": "sandbox", "tenant": "acme-sb", "clientId": "a", "clientSecret": "sa"},
			{"key": "production", "name": "Acme Production", "apiUrl": "https://acme.api.identitynow.com/",
			 "authorizeUrl": "https://acme.login.sailpoint.com/oauth/authorize", "clientId": "b", "clientSecret": "sb"}]`}))
	require.NoError(t, err)
	assert.False(t, cfg.DemoMode())
	require.Len(t, cfg.Tenants, 2)
	sb, prod := cfg.Tenants[0], cfg.Tenants[1]
	assert.Equal(t, TenantConfig{Key: "sandbox", Name: "sandbox", Color: "blue", Tenant: "acme-sb",
		APIURL: "https://acme-sb.api.identitynow.com", AuthorizeURL: "https://acme-sb.login.sailpoint.com/oauth/authorize",
		TokenURL: "https://acme-sb.api.identitynow.com/oauth/token", ClientID: "a", ClientSecret: "sa"}, sb)
	assert.Equal(t, "red", prod.Color, "production is red by convention")
	assert.Equal(t, "https://acme.api.identitynow.com/oauth/token", prod.TokenURL)

	// The single-tenant variables still make one tenant.
	cfg, err = loadConfig(envOf(map[string]string{"SESSION_KEYS": keys, "ISC_TENANT": "Acme", "ISC_CLIENT_ID": "x", "ISC_CLIENT_SECRET": "y"}))
	require.NoError(t, err)
	require.Len(t, cfg.Tenants, 1)
	assert.Equal(t, "acme", cfg.Tenants[0].Key)
}

// Every problem of every tenant is reported at once, naming the tenant and the
// field, and never quoting the list (it holds client secrets).
func TestConfigSeveralTenantsReportsEveryProblem(t *testing.T) {
	_, err := loadConfig(envOf(map[string]string{"ISC_TENANT": "acme",
		"ISC_TENANTS": `[{"key": "Prod!", "color": "pink", "clientSecret": "top-secret"},
			{"key": "sandbox", "apiUrl": "ftp://x", "clientId": "a", "clientSecret": "b"},
			{"key": "sandbox", "tenant": "acme-sb", "clientId": "a", "clientSecret": "b"}]`}))
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{
		"ISC_TENANTS: set with ISC_TENANT",
		"ISC_TENANTS[0] (Prod!): key must be lower-case letters",
		"ISC_TENANTS[0] (Prod!): color must be one of red, orange",
		"ISC_TENANTS[0] (Prod!): tenant or apiUrl is required",
		"ISC_TENANTS[0] (Prod!): clientId is required",
		"ISC_TENANTS[1] (sandbox): apiUrl must be an absolute http(s) URL",
		"ISC_TENANTS[1] (sandbox): authorizeUrl is required when apiUrl is given without tenant",
		"ISC_TENANTS[2] (sandbox): key is given twice",
		"SESSION_KEYS: required",
	} {
		assert.Contains(t, msg, want)
	}
	assert.NotContains(t, msg, "top-secret")

	_, err = loadConfig(envOf(map[string]string{"ISC_TENANTS": `[{"key": "a", "clientSecret": "top-secret", "colour": "red"}]`}))
	require.ErrorContains(t, err, "ISC_TENANTS: not a JSON list of tenants (unknown field \"colour\")")
	assert.NotContains(t, err.Error(), "top-secret")
	_, err = loadConfig(envOf(map[string]string{"ISC_TENANTS": `[{"key": "a", "clientSecret": "top-secret"`}))
	require.ErrorContains(t, err, "ISC_TENANTS: not a JSON list of tenants")
	assert.NotContains(t, err.Error(), "top-secret")
}
