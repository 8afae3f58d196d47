package session

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
)

// The CSRF token is bound to the session: it is an HMAC of the session token (the
// session cookie's value) under a key derived from the key ring, so it needs no
// storage, is the same on every replica, and changes whenever the session token
// does (at sign-in and sign-out). A token that merely matches a cookie (the
// double-submit pattern) would let anyone who can plant a cookie for the console's
// host, over plain HTTP or from a sibling subdomain, forge requests; this one
// cannot be computed without the key, and a session the attacker planted is the
// attacker's own session (renewed at sign-in), never the victim's.
//
// Pages carry the token masked: every call to CSRFToken draws a fresh random pad
// and sends pad ‖ (pad XOR token), as Django and Rails do, so the secret bytes
// never repeat from one response to the next. That is what lets the console
// compress HTML: with a constant secret in a compressed body, an attacker who can
// reflect text into the page and watch the response sizes could guess the secret
// byte by byte (BREACH). CheckCSRF removes the pad; it also accepts the bare token,
// which pages rendered before masking existed still carry.

// csrfKeyLabel derives the CSRF keys from the key ring, so they differ from the
// keys that encrypt the token vault.
const csrfKeyLabel = "sourcedesk csrf token v1"

// csrfKeys derives one HMAC key per key of the ring, newest first.
func csrfKeys(keys [][]byte) [][]byte {
	out := make([][]byte, 0, len(keys))
	for _, k := range keys {
		h := hmac.New(sha256.New, k)
		h.Write([]byte(csrfKeyLabel))
		out = append(out, h.Sum(nil))
	}
	return out
}

// csrfSecret is the session's CSRF secret under key: the HMAC of the session token.
func csrfSecret(key []byte, sessionToken string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(sessionToken))
	return h.Sum(nil)
}

// maskCSRF returns pad ‖ (pad XOR secret) for a fresh random pad, in base64url.
func maskCSRF(secret []byte) string {
	out := make([]byte, 2*len(secret))
	pad, masked := out[:len(secret)], out[len(secret):]
	_, _ = rand.Read(pad)
	for i := range secret {
		masked[i] = pad[i] ^ secret[i]
	}
	return base64.RawURLEncoding.EncodeToString(out)
}

// unmaskCSRF returns the secret a token sent back carries: the XOR of its two
// halves for a masked token, the bytes themselves for a bare one, nil for
// anything else.
func unmaskCSRF(token string) []byte {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return nil
	}
	switch len(b) {
	case sha256.Size:
		return b
	case 2 * sha256.Size:
		secret := make([]byte, sha256.Size)
		for i := range secret {
			secret[i] = b[i] ^ b[sha256.Size+i]
		}
		return secret
	}
	return nil
}

// CSRFToken returns the request's CSRF token, bound to its session and masked
// afresh on every call; "" when the request has no session yet (see EnsureSession).
func (m *Manager) CSRFToken(ctx context.Context) string {
	tok := m.sessionToken(ctx)
	if tok == "" {
		return ""
	}
	return maskCSRF(csrfSecret(m.csrfKeys[0], tok))
}

// CheckCSRF reports whether token is a CSRF token of the request's session (with
// any mask, or bare), under any key of the ring (so tokens survive a key
// rotation). A request without a session has no valid token.
func (m *Manager) CheckCSRF(ctx context.Context, token string) bool {
	tok := m.sessionToken(ctx)
	if tok == "" || token == "" {
		return false
	}
	sent := unmaskCSRF(token)
	if sent == nil {
		return false
	}
	ok := false
	for _, k := range m.csrfKeys {
		if hmac.Equal(csrfSecret(k, tok), sent) {
			ok = true
		}
	}
	return ok
}

// EnsureSession gives a signed-out visitor a session, so that a form they are
// shown (the personal-access-token sign-in) can carry a CSRF token bound to it.
// Only pages with such a form call it: a session for every anonymous page view
// would let scanners fill the store. Call it before the response is written.
func (m *Manager) EnsureSession(ctx context.Context) error {
	if !m.state(ctx).loaded {
		return ErrStoreUnavailable // outside LoadAndSave, or the session's load failed
	}
	if m.scs.Token(ctx) != "" {
		return nil
	}
	if err := m.scs.RenewToken(ctx); err != nil {
		return fmt.Errorf("%w: start a session: %w", ErrStoreUnavailable, err)
	}
	return nil
}

// sessionToken is the request's session token, "" when it has none (or when the
// session could not be loaded, so scs has nothing in the context).
func (m *Manager) sessionToken(ctx context.Context) string {
	if !m.state(ctx).loaded {
		return ""
	}
	return m.scs.Token(ctx)
}
