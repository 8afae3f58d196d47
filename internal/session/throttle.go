package session

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Personal-access-token sign-ins are limited (ASVS 2.4.1): a wrong secret costs a
// call to the tenant's token endpoint, and a PAT secret can be guessed only by
// trying. Attempts are counted per client id and per client address in the shared
// store, so replicas together allow no more than one, in fixed windows; an attempt
// counts until it succeeds, so parallel guesses cannot slip past the limit.
const (
	patWindow       = 5 * time.Minute
	patFailsPerID   = 5  // per client id and window: 60 an hour, under ASVS's 100
	patFailsPerAddr = 20 // per client address and window (several people behind one NAT)
)

// ThrottledError refuses a sign-in without asking the tenant: too many failed
// attempts with this client id or from this address. errors.Is(err, ErrLoginThrottled).
type ThrottledError struct {
	RetryAfter time.Duration // until the window ends
}

// ErrLoginThrottled is what ThrottledError is.
var ErrLoginThrottled = errors.New("session: too many failed sign-ins")

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("%v: try again in %s", ErrLoginThrottled, e.RetryAfter)
}

func (e *ThrottledError) Unwrap() error { return ErrLoginThrottled }

// patAttempt reserves one attempt for clientID from addr, or refuses it. The
// returned release un-counts the attempt once it succeeded.
func (m *Manager) patAttempt(ctx context.Context, clientID, addr string) (release func(), err error) {
	now := m.now()
	win := now.UnixNano() / int64(patWindow)
	end := time.Unix(0, (win+1)*int64(patWindow))
	suffix := ":" + strconv.FormatInt(win, 10)
	keys := []string{
		"patfail:id:" + hashToken("pat-id\x00" + clientID)[:22] + suffix,
		"patfail:addr:" + hashToken("pat-addr\x00" + addr)[:22] + suffix,
	}
	limits := []int64{patFailsPerID, patFailsPerAddr}
	over := false
	for i, k := range keys {
		n, err := m.b.Incr(ctx, k, 1, patWindow+time.Minute)
		if err != nil {
			return nil, fmt.Errorf("%w: count sign-in attempts: %w", ErrStoreUnavailable, err)
		}
		over = over || n > limits[i]
	}
	if over {
		return nil, &ThrottledError{RetryAfter: max(end.Sub(now).Round(time.Second), time.Second)}
	}
	return func() {
		ctx := context.WithoutCancel(ctx)
		for _, k := range keys {
			_, _ = m.b.Incr(ctx, k, -1, patWindow+time.Minute)
		}
	}, nil
}
