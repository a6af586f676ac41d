package biz_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/unified-account/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/unified-account/internal/biz/biztest"
)

func TestFailLocksAfterMaxFailuresWithinTheWindow(t *testing.T) {
	t.Parallel()
	p := biz.DefaultThrottlePolicy()
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	var a biz.LoginAttempts
	for i := range p.MaxFailures - 1 {
		a.Fail(t0.Add(time.Duration(i)*time.Minute), p)
	}
	if _, locked := a.Locked(t0.Add(4 * time.Minute)); locked || a.Failures != 4 {
		t.Fatalf("after 4 failures: %+v, want 4 counted and no lock", a)
	}
	a.Fail(t0.Add(14*time.Minute), p)
	left, locked := a.Locked(t0.Add(14 * time.Minute))
	if !locked || left != p.Lock || a.Failures != 0 {
		t.Fatalf("5th failure within 15 minutes: %+v (left %s), want locked for %s and the count restarted", a, left, p.Lock)
	}
	if _, locked := a.Locked(t0.Add(14*time.Minute + p.Lock)); locked {
		t.Fatalf("lock still in force when it should have ended: %+v", a)
	}
}

func TestFailStartsAFreshWindowWhenTheLastIsOver(t *testing.T) {
	t.Parallel()
	p := biz.DefaultThrottlePolicy()
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	var a biz.LoginAttempts
	for range p.MaxFailures - 1 {
		a.Fail(t0, p)
	}
	a.Fail(t0.Add(p.Window), p)
	if _, locked := a.Locked(t0.Add(p.Window)); locked || a.Failures != 1 || !a.WindowStart.Equal(t0.Add(p.Window)) {
		t.Fatalf("5th failure 15 minutes after the 1st: %+v, want a new window with 1 failure", a)
	}
}

// throttled is a login use case over one ACTIVE account alice/pw.
func throttled(t *testing.T) (*biz.SessionUsecase, *biztest.LoginAttempts) {
	t.Helper()
	repo := biztest.NewAccounts()
	repo.Put(biz.Account{ID: 7, Username: "alice", Mobile: "13912345678", PasswordHash: "$h$pw", Role: "INVESTOR", Status: biz.StatusActive})
	attempts := biztest.NewLoginAttempts()
	return biz.NewSessionUsecase(repo, fakeTokens{}, hashOnly{}, attempts, biz.DefaultThrottlePolicy()), attempts
}

func TestLoginLockedAfterFiveWrongPasswordsRefusesTheRightOneToo(t *testing.T) {
	t.Parallel()
	uc, _ := throttled(t)
	ctx := context.Background()
	for i := range 5 {
		if _, err := uc.Login(ctx, "alice", "wrong"); !errors.Is(err, biz.ErrInvalidCredentials) {
			t.Fatalf("wrong password #%d: %v, want invalid credentials", i+1, err)
		}
	}
	// Another spelling of the same login is the same key; a different login is not locked.
	for _, login := range []string{"alice", "  ALICE ", "Alice"} {
		for _, pw := range []string{"wrong", "pw"} {
			_, err := uc.Login(ctx, login, pw)
			var locked *biz.LockedError
			if !errors.As(err, &locked) || !errors.Is(err, biz.ErrTooManyAttempts) ||
				locked.RetryAfter <= 14*time.Minute || locked.RetryAfter > 15*time.Minute {
				t.Fatalf("login %q with %q after 5 failures: %v, want locked for about 15 minutes", login, pw, err)
			}
		}
	}
	if _, err := uc.Login(ctx, "13912345678", "pw"); err != nil {
		t.Fatalf("the same account by mobile is another login: %v", err)
	}
}

func TestLoginUnknownNamesAreCountedToo(t *testing.T) {
	t.Parallel()
	uc, _ := throttled(t)
	for range 5 {
		if _, err := uc.Login(context.Background(), "nobody", "pw"); !errors.Is(err, biz.ErrInvalidCredentials) {
			t.Fatalf("unknown login: %v, want invalid credentials", err)
		}
	}
	if _, err := uc.Login(context.Background(), "nobody", "pw"); !errors.Is(err, biz.ErrTooManyAttempts) {
		t.Fatalf("6th try of an unknown login: %v, want too many attempts", err)
	}
}

func TestLoginSuccessForgetsFailuresButNotALock(t *testing.T) {
	t.Parallel()
	uc, attempts := throttled(t)
	ctx := context.Background()
	for range 4 {
		if _, err := uc.Login(ctx, "alice", "wrong"); !errors.Is(err, biz.ErrInvalidCredentials) {
			t.Fatal(err)
		}
	}
	if _, err := uc.Login(ctx, "alice", "pw"); err != nil {
		t.Fatalf("right password after 4 failures: %v", err)
	}
	if got, _ := attempts.Get(ctx, "alice"); got.Failures != 0 {
		t.Fatalf("after a successful login: %+v, want the failures forgotten", got)
	}
	// A lock that ended lets the right password in again.
	if _, err := attempts.Update(ctx, "alice", func(a *biz.LoginAttempts) { a.LockedUntil = time.Now().Add(-time.Second) }); err != nil {
		t.Fatal(err)
	}
	if _, err := uc.Login(ctx, "alice", "pw"); err != nil {
		t.Fatalf("right password after the lock ended: %v", err)
	}
}

func TestLoginTooLongIsRefusedUncounted(t *testing.T) {
	t.Parallel()
	uc, attempts := throttled(t)
	long := strings.Repeat("a", biz.MaxLoginLen+1)
	if _, err := uc.Login(context.Background(), long, "pw"); !errors.Is(err, biz.ErrInvalidCredentials) {
		t.Fatalf("a %d-character login: %v, want invalid credentials", len(long), err)
	}
	if got, _ := attempts.Get(context.Background(), long); got != (biz.LoginAttempts{}) {
		t.Fatalf("a too-long login was counted: %+v", got)
	}
}

// The fake keeps the contract the ent adapter keeps (internal/data's
// TestLoginAttemptsKeepTheContract runs it against MariaDB).
func TestFakeLoginAttemptsKeepTheContract(t *testing.T) {
	t.Parallel()
	biztest.LoginAttemptContract(t, func(*testing.T) biztest.AttemptStore {
		return biztest.AttemptStore{Attempts: biztest.NewLoginAttempts()}
	})
}
