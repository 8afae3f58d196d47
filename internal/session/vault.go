package session

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// record is what the vault keeps per signed-in session and tenant, outside the scs blob:
// scs rewrites its whole blob on every request, so a slow request could otherwise
// put back a refresh token that a refresh had already rotated away.
// It is JSON (not gob, which drops oauth2.Token's extras) and stored encrypted.
type record struct {
	Version      int64     `json:"v"`
	AccessToken  string    `json:"at"`
	RefreshToken string    `json:"rt,omitempty"`
	TokenType    string    `json:"tt,omitempty"`
	Expiry       time.Time `json:"exp"`
	IdentityID   string    `json:"iid,omitempty"`
	TenantID     string    `json:"tid,omitempty"`
	TenantName   string    `json:"org,omitempty"`
	UserName     string    `json:"un,omitempty"`
	UserLevel    string    `json:"ul,omitempty"`
	// ClientID is the OAuth client the token was issued to: the rate budget is per client.
	ClientID string `json:"cid,omitempty"`
	// PATSecret is set only for a personal-access-token sign-in (ClientID is then the
	// PAT's id): a PAT has no refresh token, so the secret is kept to re-grant.
	PATSecret string    `json:"pat,omitempty"`
	SignedIn  time.Time `json:"at_login"`
}

// token converts the record to what an API client needs.
func (r *record) token() *oauth2.Token {
	tt := r.TokenType
	if tt == "" {
		tt = "Bearer"
	}
	return &oauth2.Token{AccessToken: r.AccessToken, TokenType: tt, Expiry: r.Expiry}
}

// user is the public view of the record.
func (r *record) user() User {
	return User{Name: r.UserName, IdentityID: r.IdentityID, UserLevel: r.UserLevel, Tenant: r.TenantID,
		TenantName: r.TenantName, PAT: r.PATSecret != ""}
}

// keyRing encrypts with its first key and decrypts with any, so a new key can be
// put in front without logging anyone out; old keys are removed once every record
// encrypted under them has expired (at most Lifetime later).
type keyRing struct {
	aeads []cipher.AEAD
	ids   [][4]byte
}

// keyIDLen bytes of SHA-256 of the key identify it in each ciphertext; a key's
// position in the ring changes when keys rotate, its hash does not.
const keyIDLen = 4

func newKeyRing(keys [][]byte) (*keyRing, error) {
	kr := &keyRing{}
	for i, k := range keys {
		if len(k) != 32 {
			return nil, fmt.Errorf("session key %d is %d bytes, want 32", i, len(k))
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(k)
		var id [4]byte
		copy(id[:], sum[:keyIDLen])
		kr.aeads = append(kr.aeads, aead)
		kr.ids = append(kr.ids, id)
	}
	if len(kr.aeads) == 0 {
		return nil, errors.New("session: no encryption key")
	}
	return kr, nil
}

// seal encrypts plain under the newest key; aad binds the ciphertext to where it is
// stored (a record copied to another session's key does not decrypt).
func (kr *keyRing) seal(plain, aad []byte) ([]byte, error) {
	aead := kr.aeads[0]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out := make([]byte, 0, keyIDLen+len(nonce)+len(plain)+aead.Overhead())
	out = append(out, kr.ids[0][:]...)
	out = append(out, nonce...)
	return aead.Seal(out, nonce, plain, aad), nil
}

var errUndecryptable = errors.New("session: data not decryptable with any configured key")

func (kr *keyRing) open(sealed, aad []byte) ([]byte, error) {
	if len(sealed) < keyIDLen {
		return nil, errUndecryptable
	}
	for i, id := range kr.ids {
		if string(sealed[:keyIDLen]) != string(id[:]) {
			continue
		}
		aead := kr.aeads[i]
		rest := sealed[keyIDLen:]
		if len(rest) < aead.NonceSize() {
			return nil, errUndecryptable
		}
		plain, err := aead.Open(nil, rest[:aead.NonceSize()], rest[aead.NonceSize():], aad)
		if err != nil {
			return nil, errUndecryptable
		}
		return plain, nil
	}
	return nil, errUndecryptable
}

func (kr *keyRing) sealRecord(key string, r *record) ([]byte, error) {
	plain, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	return kr.seal(plain, []byte(key))
}

func (kr *keyRing) openRecord(key string, sealed []byte) (*record, error) {
	plain, err := kr.open(sealed, []byte(key))
	if err != nil {
		return nil, err
	}
	var r record
	if err := json.Unmarshal(plain, &r); err != nil {
		return nil, fmt.Errorf("session: decode token record: %w", err)
	}
	return &r, nil
}

// hashToken is how a session token is named in every store: scs hashes it the same
// way (HashTokenInStore), so the vault record and the scs entry share one name and
// a dump of the store never reveals a usable session token.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Backend key names. The session hash is base64url, so it never contains ':'.
func vaultKey(sessionHash, tenant string) string { return "tok:" + sessionHash + ":" + tenant }
func lockKey(sessionHash, tenant string) string  { return "lock:" + sessionHash + ":" + tenant }
func userKey(identityID string) string           { return "user:" + hashToken("identity\x00"+identityID) }
func stateKey(state string) string               { return "state:" + hashToken("state\x00"+state) }

// claims are the JWT claims the sandbox and ISC put in access tokens.
type claims struct {
	IdentityID  string   `json:"identity_id"`
	UserName    string   `json:"user_name"`
	Authorities []string `json:"authorities"`
	TenantID    string   `json:"tenant_id"`
	Org         string   `json:"org"`
	ClientID    string   `json:"client_id"`
}

// parseClaims decodes (without verifying: the token came straight from the token
// endpoint over TLS, and only the API verifies it) the payload of a JWT access token.
func parseClaims(accessToken string) claims {
	var c claims
	parts := strings.Split(accessToken, ".")
	if len(parts) != 3 {
		return c
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return c
	}
	_ = json.Unmarshal(payload, &c)
	return c
}

// newRecord builds a record from a token response, preferring the response's own
// fields and falling back to the JWT claims.
func newRecord(tok *oauth2.Token, now time.Time, prev *record) *record {
	c := parseClaims(tok.AccessToken)
	r := &record{
		AccessToken:  tok.AccessToken,
		RefreshToken: tok.RefreshToken,
		TokenType:    tok.TokenType,
		Expiry:       tokenExpiry(tok, now),
		IdentityID:   extraString(tok, "identity_id", c.IdentityID),
		TenantID:     extraString(tok, "tenant_id", c.TenantID),
		UserName:     extraString(tok, "user_name", c.UserName),
		TenantName:   extraString(tok, "org", c.Org),
		ClientID:     c.ClientID,
		SignedIn:     now,
	}
	if len(c.Authorities) > 0 {
		r.UserLevel = c.Authorities[0]
	}
	if prev != nil {
		r.Version = prev.Version
		r.SignedIn = prev.SignedIn
		r.PATSecret = prev.PATSecret
		if r.ClientID == "" {
			r.ClientID = prev.ClientID
		}
		if r.RefreshToken == "" {
			r.RefreshToken = prev.RefreshToken
		}
		if r.IdentityID == "" {
			r.IdentityID = prev.IdentityID
		}
		if r.TenantID == "" {
			r.TenantID = prev.TenantID
		}
		if r.UserName == "" {
			r.UserName = prev.UserName
		}
		if r.UserLevel == "" {
			r.UserLevel = prev.UserLevel
		}
		if r.TenantName == "" {
			r.TenantName = prev.TenantName
		}
	}
	return r
}

// tokenExpiry prefers expires_in against our clock (so a fake clock in tests and a
// skewed host clock both behave) over the absolute Expiry oauth2 computed.
func tokenExpiry(tok *oauth2.Token, now time.Time) time.Time {
	if tok.ExpiresIn > 0 {
		return now.Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
	if !tok.Expiry.IsZero() {
		return tok.Expiry
	}
	if exp := jwtExpiry(tok.AccessToken); !exp.IsZero() {
		return exp
	}
	return now.Add(5 * time.Minute) // unknown: assume short-lived and refresh soon
}

func jwtExpiry(accessToken string) time.Time {
	parts := strings.Split(accessToken, ".")
	if len(parts) != 3 {
		return time.Time{}
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return time.Time{}
	}
	var c struct {
		Exp int64 `json:"exp"`
	}
	if json.Unmarshal(payload, &c) != nil || c.Exp == 0 {
		return time.Time{}
	}
	return time.Unix(c.Exp, 0)
}

func extraString(tok *oauth2.Token, name, fallback string) string {
	if s, ok := tok.Extra(name).(string); ok && s != "" {
		return s
	}
	return fallback
}
