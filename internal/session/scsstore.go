package session

import (
	"context"
	"errors"
	"time"
)

// backendStore is an scs store over a backend, used for the memory store and the
// embedded SQLite file: scs ships no pure-Go SQLite store, and keeping the blobs in
// the same file as the vault means one file to back up. (Redis and Postgres use
// scs's own goredisstore and pgxstore.)
type backendStore struct{ b backend }

func scsKey(hash string) string { return "scs:" + hash }

// FindCtx returns the blob for a (hashed) session token.
func (s *backendStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	v, err := s.b.Get(ctx, scsKey(token))
	if errors.Is(err, errNotFound) {
		return nil, false, nil
	}
	return v, err == nil, err
}

// CommitCtx stores the blob until expiry.
func (s *backendStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	ttl := time.Until(expiry)
	if ttl <= 0 {
		return s.b.Delete(ctx, scsKey(token))
	}
	return s.b.Set(ctx, scsKey(token), b, ttl)
}

// DeleteCtx removes the blob.
func (s *backendStore) DeleteCtx(ctx context.Context, token string) error {
	return s.b.Delete(ctx, scsKey(token))
}

// Find is FindCtx without a context (scs.Store).
func (s *backendStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

// Commit is CommitCtx without a context (scs.Store).
func (s *backendStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

// Delete is DeleteCtx without a context (scs.Store).
func (s *backendStore) Delete(token string) error {
	return s.DeleteCtx(context.Background(), token)
}
