package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"sourcedesk/internal/session"
)

// newSessions builds the session manager on the open store: the token-vault key
// ring and each tenant's OAuth client (confidential, PKCE, one constant redirect
// URI under PUBLIC_URL).
func newSessions(ctx context.Context, cfg *Config, store *session.StoreConn, logger *slog.Logger) (*session.Manager, error) {
	keys, err := sessionKeys(cfg, store, logger)
	if err != nil {
		return nil, err
	}
	if !cfg.Secure() {
		logger.Warn("session cookies are NOT Secure and have no __Host- prefix: the console is served over plain HTTP (loopback only)",
			slog.String("public_url", cfg.PublicURL.String()))
	}
	var tenants []session.Tenant
	for _, t := range cfg.Tenants {
		tenants = append(tenants, session.Tenant{Key: t.Key, OAuth2: &oauth2.Config{
			ClientID:     t.ClientID,
			ClientSecret: t.ClientSecret,
			Endpoint: oauth2.Endpoint{
				AuthURL:  t.AuthorizeURL,
				TokenURL: t.TokenURL,
				// client_id and client_secret as form fields, as SailPoint's SDKs
				// send them (session.New sees to it whatever is set here).
				AuthStyle: oauth2.AuthStyleInParams,
			},
			// One constant redirect URI for every tenant: the sign-in attempt
			// remembers which tenant it is for.
			RedirectURL: strings.TrimSuffix(cfg.PublicURL.String(), "/") + "/auth/callback",
		}})
	}
	return session.New(ctx, session.Config{
		Conn:        store,
		Keys:        keys,
		IdleTimeout: cfg.SessionIdleTimeout,
		Lifetime:    cfg.SessionLifetime,
		Secure:      cfg.Secure(),
		Tenants:     tenants,
		HTTPClient:  &http.Client{Timeout: 10 * time.Second},
		RateLimit:   cfg.RateLimit, // negative: no client-side budget
		RateWindow:  cfg.RateWindow,
		Logger:      logger.With(slog.String("component", "session")),
	})
}

// sessionKeys decodes SESSION_KEYS (comma-separated base64, newest first). Without
// it: the memory store needs none; demo mode keeps one generated key in
// session.key (0600) beside the SQLite file (else in data/) so sessions survive
// restarts.
func sessionKeys(cfg *Config, store *session.StoreConn, logger *slog.Logger) ([][]byte, error) {
	if len(cfg.SessionKeyRing) > 0 {
		return cfg.SessionKeyRing, nil // decoded and checked with the rest of the configuration
	}
	if store.Kind == session.StoreMemory {
		return nil, nil
	}
	if !cfg.DemoMode() {
		return nil, errors.New("SESSION_KEYS: required with a tenant")
	}
	dir := "data"
	if store.Kind == session.StoreSQLite {
		dir = filepath.Dir(store.Path)
	}
	file := filepath.Join(dir, "session.key")
	if b, err := os.ReadFile(file); err == nil {
		k, err := decodeKey(strings.TrimSpace(string(b)))
		if err != nil {
			return nil, fmt.Errorf("%s: not base64 of 32 bytes; delete it to generate a new one", file)
		}
		return [][]byte{k}, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(file, []byte(base64.StdEncoding.EncodeToString(k)+"\n"), 0o600); err != nil {
		return nil, err
	}
	logger.Info("demo mode: generated the session key", slog.String("file", file))
	return [][]byte{k}, nil
}
