package main

import (
	"bytes"
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
	assert.Equal(t, "127.0.0.1:8090", cfg.SandboxAddr)
	assert.Equal(t, "http://127.0.0.1:8080", cfg.PublicURL.String())
	assert.False(t, cfg.Secure())
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
	} {
		assert.Contains(t, msg, want)
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
	}
}
