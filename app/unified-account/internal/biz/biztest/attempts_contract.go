package biztest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/testkey"

	"github.com/p2p-dtx/p2p-dtx/app/unified-account/internal/biz"
)

// AttemptStore is one implementation of biz.LoginAttemptRepo.
type AttemptStore struct {
	Attempts biz.LoginAttemptRepo
	// Forget removes what is stored under a login (the database keeps rows between
	// tests; nil for the fake).
	Forget func(login string)
}

// key is a login no other test uses, forgotten when t ends.
func (s AttemptStore) key(t *testing.T) string {
	login := testkey.New("u")
	if s.Forget != nil {
		t.Cleanup(func() { s.Forget(login) })
	}
	return login
}

// LoginAttemptContract is what logins rely on from the attempt store, run against every
// implementation. Times are whole seconds, which DATETIME(6) keeps exactly.
func LoginAttemptContract(t *testing.T, open func(t *testing.T) AttemptStore) {
	now := time.Now().UTC().Truncate(time.Second)
	policy := biz.DefaultThrottlePolicy()
	fail := func(a *biz.LoginAttempts) { a.Fail(now, policy) }

	t.Run("a login never seen has no attempts", func(t *testing.T) {
		t.Parallel()
		st := open(t)
		got, err := st.Attempts.Get(context.Background(), st.key(t))
		if err != nil || got != (biz.LoginAttempts{}) {
			t.Fatalf("Get = %+v, %v; want the zero value", got, err)
		}
	})

	t.Run("an update is stored as the function left it", func(t *testing.T) {
		t.Parallel()
		st := open(t)
		s, login := st.Attempts, st.key(t)
		want := biz.LoginAttempts{Failures: 3, WindowStart: now, LockedUntil: now.Add(time.Minute)}
		got, err := s.Update(context.Background(), login, func(a *biz.LoginAttempts) { *a = want })
		if err != nil || !same(got, want) {
			t.Fatalf("Update = %+v, %v; want %+v", got, err, want)
		}
		if got, err := s.Get(context.Background(), login); err != nil || !same(got, want) {
			t.Fatalf("Get = %+v, %v; want %+v", got, err, want)
		}
	})

	t.Run("failures at once all count", func(t *testing.T) {
		t.Parallel()
		st := open(t)
		s, login := st.Attempts, st.key(t)
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.Update(context.Background(), login, fail); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if got, err := s.Get(context.Background(), login); err != nil || got.Failures != 4 {
			t.Fatalf("after 4 failures at once: %+v, %v; want 4 failures", got, err)
		}
	})

	t.Run("clear forgets failures but not a lock in force", func(t *testing.T) {
		t.Parallel()
		st := open(t)
		s, counted, locked := st.Attempts, st.key(t), st.key(t)
		ctx := context.Background()
		for _, login := range []string{counted, locked} {
			if _, err := s.Update(ctx, login, fail); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Update(ctx, locked, func(a *biz.LoginAttempts) { a.LockedUntil = now.Add(time.Minute) }); err != nil {
			t.Fatal(err)
		}
		for _, login := range []string{counted, locked} {
			if err := s.Clear(ctx, login, now); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := s.Get(ctx, counted); err != nil || got != (biz.LoginAttempts{}) {
			t.Fatalf("cleared: %+v, %v; want none", got, err)
		}
		if got, err := s.Get(ctx, locked); err != nil || !got.LockedUntil.Equal(now.Add(time.Minute)) {
			t.Fatalf("locked, then cleared: %+v, %v; want the lock kept", got, err)
		}
	})
}

// same compares attempts by instant, whatever the time zone a store reads them back in.
func same(a, b biz.LoginAttempts) bool {
	return a.Failures == b.Failures && a.WindowStart.Equal(b.WindowStart) && a.LockedUntil.Equal(b.LockedUntil)
}
