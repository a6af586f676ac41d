package biz

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrTooManyAttempts is a login locked after too many wrong passwords; a LockedError
// says for how long.
var ErrTooManyAttempts = errors.New("too many failed logins")

// LockedError is ErrTooManyAttempts with the time left until the lock ends.
type LockedError struct{ RetryAfter time.Duration }

func (e *LockedError) Error() string {
	return fmt.Sprintf("%v: retry after %s", ErrTooManyAttempts, e.RetryAfter)
}

func (e *LockedError) Unwrap() error { return ErrTooManyAttempts }

// ThrottlePolicy: MaxFailures wrong passwords within Window lock the login for Lock.
type ThrottlePolicy struct {
	MaxFailures int
	Window      time.Duration
	Lock        time.Duration
}

// DefaultThrottlePolicy is API.md's: five wrong passwords within 15 minutes lock the
// login for 15 minutes.
func DefaultThrottlePolicy() ThrottlePolicy {
	return ThrottlePolicy{MaxFailures: 5, Window: 15 * time.Minute, Lock: 15 * time.Minute}
}

// MaxLoginLen is the longest login that can name an account (a username is at most 32
// characters, a mobile 20); longer ones are refused without being counted, so nobody can
// fill the attempt store with huge keys.
const MaxLoginLen = 32

// NormaliseLogin is the key a login's attempts are counted under: what names the same
// account counts together, as usernames compare without case and MariaDB ignores
// trailing spaces.
func NormaliseLogin(login string) string { return strings.ToLower(strings.TrimSpace(login)) }

// LoginAttempts are the recent failed logins under one key.
type LoginAttempts struct {
	// Failures counts wrong passwords since WindowStart.
	Failures    int
	WindowStart time.Time
	// LockedUntil is zero, or when a lock ends.
	LockedUntil time.Time
}

// Locked reports whether the login is locked at now, and for how much longer.
func (a LoginAttempts) Locked(now time.Time) (time.Duration, bool) {
	left := a.LockedUntil.Sub(now)
	return left, left > 0
}

// Fail counts one wrong password at now: a window over starts afresh, and the
// MaxFailures-th failure within one locks the login for p.Lock and starts the count over,
// so the next lock takes as many failures again. A lock in force is never shortened.
func (a *LoginAttempts) Fail(now time.Time, p ThrottlePolicy) {
	if a.Failures == 0 || now.Sub(a.WindowStart) >= p.Window {
		a.Failures, a.WindowStart = 0, now
	}
	a.Failures++
	if a.Failures >= p.MaxFailures {
		if until := now.Add(p.Lock); until.After(a.LockedUntil) {
			a.LockedUntil = until
		}
		a.Failures = 0
	}
}

// LoginAttemptRepo stores LoginAttempts per normalised login, shared by every instance.
type LoginAttemptRepo interface {
	// Get returns the attempts under login; the zero value when there are none.
	Get(ctx context.Context, login string) (LoginAttempts, error)
	// Update changes the attempts under login with fn, atomically also across instances
	// (two failures at once both count), and returns them as stored.
	Update(ctx context.Context, login string, fn func(*LoginAttempts)) (LoginAttempts, error)
	// Clear forgets the failures under login unless a lock is in force at now.
	Clear(ctx context.Context, login string, now time.Time) error
}
