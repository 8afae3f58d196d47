package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/oauth2"
)

// Refresh lock timings (oauth2-proxy uses a 2 s lease and waits up to 5 s).
const (
	lockLease   = 10 * time.Second // longer than the token endpoint's client timeout
	lockWait    = 15 * time.Second
	refreshWait = 20 * time.Second // bound on one shared refresh, whoever waits on it
)

// TokenSource is an oauth2.TokenSource bound to one signed-in session and tenant. It hands out
// the stored access token and refreshes it shortly before expiry, serialised per
// session across goroutines (singleflight) and replicas (a lock in the backend),
// and saves the rotated refresh token with compare-and-set. Token errors wrap
// ErrSessionEnded (sign in again) or ErrRefreshUnavailable (retry later).
type TokenSource struct {
	m      *Manager
	ctx    context.Context
	st     *reqState
	hash   string
	tenant string
}

// TokenSource returns the token source of the request's session on the tenant
// the context speaks of. It is meant for the duration of the request (it uses
// ctx for store and token-endpoint calls), and may be used from several
// goroutines of the request.
func (m *Manager) TokenSource(ctx context.Context) oauth2.TokenSource {
	return m.tokenSource(ctx)
}

func (m *Manager) tokenSource(ctx context.Context) *TokenSource {
	st := m.state(ctx)
	return &TokenSource{m: m, ctx: ctx, st: st, hash: st.hash, tenant: m.tenantOf(ctx)}
}

// Token returns a valid access token for the session.
func (ts *TokenSource) Token() (*oauth2.Token, error) {
	if ts.hash == "" || ts.m.tenants[ts.tenant] == nil {
		return nil, ErrNotSignedIn
	}
	rec := ts.st.rec(ts.tenant)
	if rec == nil || !ts.m.fresh(rec) {
		var err error
		if rec, err = ts.m.validRecord(ts.ctx, ts.hash, ts.tenant, ""); err != nil {
			return nil, ts.failed(err)
		}
		ts.st.setRec(ts.tenant, rec)
	}
	return rec.token(), nil
}

// ForceRefresh is for an upstream 401: it replaces the access token rejected (the
// one this request used, if empty) unless another request already did, and
// returns the new token. The caller retries its request once.
func (ts *TokenSource) ForceRefresh(rejected string) (*oauth2.Token, error) {
	if ts.hash == "" || ts.m.tenants[ts.tenant] == nil {
		return nil, ErrNotSignedIn
	}
	if cur := ts.st.rec(ts.tenant); rejected == "" && cur != nil {
		rejected = cur.AccessToken
	}
	rec, err := ts.m.validRecord(ts.ctx, ts.hash, ts.tenant, rejected)
	if err != nil {
		return nil, ts.failed(err)
	}
	ts.st.setRec(ts.tenant, rec)
	return rec.token(), nil
}

// failed forgets the cached record when the session is over on the tenant.
func (ts *TokenSource) failed(err error) error {
	if errors.Is(err, ErrSessionEnded) {
		ts.st.setRec(ts.tenant, nil)
	}
	return err
}

// Invalidate forces a refresh of the request's access token after an upstream 401
// (see TokenSource.ForceRefresh).
func (m *Manager) Invalidate(ctx context.Context) error {
	_, err := m.tokenSource(ctx).ForceRefresh("")
	return err
}

// fresh reports whether rec's access token is good for at least RefreshMargin.
func (m *Manager) fresh(rec *record) bool {
	return rec.AccessToken != "" && m.now().Add(m.cfg.RefreshMargin).Before(rec.Expiry)
}

// validRecord returns the session's record of a tenant with a usable access
// token, refreshing it if it is about to expire or equals rejected. Concurrent
// callers for one session and tenant on this replica share one refresh.
func (m *Manager) validRecord(ctx context.Context, hash, tenant, rejected string) (*record, error) {
	rec, err := m.loadRecord(ctx, hash, tenant)
	if errors.Is(err, errNotFound) || errors.Is(err, errUndecryptable) {
		return nil, ErrSessionEnded
	}
	if err != nil {
		return nil, err
	}
	if m.fresh(rec) && rec.AccessToken != rejected {
		return rec, nil
	}
	ch := m.flight.DoChan(hash+":"+tenant, func() (any, error) {
		// Detached from the first caller: its cancellation must not fail the others.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshWait)
		defer cancel()
		return m.refresh(ctx, hash, tenant, rejected)
	})
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ErrRefreshUnavailable, ctx.Err())
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		return res.Val.(*record), nil
	}
}

// refresh runs under the session's lock in the backend: after taking it, reload
// (another replica may have refreshed while we waited), and only then call the
// token endpoint. The write is compare-and-set against the record read under the
// lock, so nothing can slip a stale refresh token back in.
func (m *Manager) refresh(ctx context.Context, hash, tenant, rejected string) (*record, error) {
	lctx, cancel := context.WithTimeout(ctx, lockWait)
	unlock, err := lock(lctx, m.b, lockKey(hash, tenant), lockLease)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRefreshUnavailable, err)
	}
	defer unlock()

	key := vaultKey(hash, tenant)
	sealed, err := m.b.Get(ctx, key)
	if errors.Is(err, errNotFound) {
		return nil, ErrSessionEnded
	}
	if err != nil {
		return nil, err
	}
	rec, err := m.keys.openRecord(key, sealed)
	if err != nil {
		return nil, ErrSessionEnded
	}
	if m.fresh(rec) && rec.AccessToken != rejected {
		return rec, nil // someone else refreshed while we waited for the lock
	}

	tok, err := m.grant(ctx, m.tenants[tenant], rec)
	if err != nil {
		err = classifyGrantError("refresh", err, ErrSessionEnded)
		if errors.Is(err, ErrSessionEnded) {
			m.log.InfoContext(ctx, "refresh rejected; ending session", "identity_id", rec.IdentityID, "err", err)
			if _, derr := m.b.CAS(ctx, key, sealed, nil, time.Second); derr == nil && rec.IdentityID != "" {
				_ = m.b.SRem(ctx, userKey(rec.IdentityID), hash)
			}
		} else {
			m.log.WarnContext(ctx, "refresh failed; keeping session", "err", err)
		}
		return nil, err
	}
	next := newRecord(tok, m.now(), rec)
	next.Version = rec.Version + 1
	newSealed, err := m.keys.sealRecord(key, next)
	if err != nil {
		return nil, err
	}
	ok, err := m.b.CAS(ctx, key, sealed, newSealed, m.recordTTL(rec.SignedIn))
	if err != nil {
		return nil, err
	}
	if !ok {
		// Deleted (logout, kill) or replaced while we held an expired lease.
		cur, err := m.loadRecord(ctx, hash, tenant)
		if err != nil {
			return nil, ErrSessionEnded
		}
		return cur, nil
	}
	return next, nil
}

// grant asks the token endpoint for a new token: refresh_token for a code-flow
// session, client_credentials again for a PAT session.
func (m *Manager) grant(ctx context.Context, t *Tenant, rec *record) (*oauth2.Token, error) {
	ctx = m.oauthCtx(ctx)
	if rec.PATSecret != "" {
		return m.patConfig(t, rec.ClientID, rec.PATSecret).Token(ctx)
	}
	if rec.RefreshToken == "" {
		return nil, &oauth2.RetrieveError{ErrorCode: "invalid_grant", ErrorDescription: "no refresh token"}
	}
	old := &oauth2.Token{RefreshToken: rec.RefreshToken, Expiry: time.Unix(1, 0)}
	return t.OAuth2.TokenSource(ctx, old).Token()
}
