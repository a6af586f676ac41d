package biztest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/testkey"

	"github.com/p2p-dtx/p2p-dtx/app/unified-account/internal/biz"
)

// Store is one implementation of unified-account's two account ports.
type Store struct {
	Registrations biz.RegistrationRepo
	Accounts      biz.AccountRepo
	// Forget removes the account with this username (the database keeps rows between
	// tests; nil for the fake).
	Forget func(username string)
}

// AccountStoreContract is what the registration branches and the logins rely on from
// the account store, run against every implementation.
func AccountStoreContract(t *testing.T, open func(t *testing.T) Store) {
	uniqueNamesContract(t, open)
	statusMoveContract(t, open)
	cancelFreesNamesContract(t, open)
	adminContract(t, open)
}

func uniqueNamesContract(t *testing.T, open func(t *testing.T) Store) {
	t.Run("names are taken once; a username without regard to case", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a := newAccount(t, s)
		if _, err := s.Registrations.Create(context.Background(), a, testkey.New("g")); err != nil {
			t.Fatal(err)
		}
		sameName := newAccount(t, s)
		sameName.Username = strings.ToUpper(a.Username[:1]) + a.Username[1:]
		if _, err := s.Registrations.Create(context.Background(), sameName, testkey.New("g")); !errors.Is(err, biz.ErrUsernameTaken) {
			t.Fatalf("%s after %s: %v, want ErrUsernameTaken", sameName.Username, a.Username, err)
		}
		sameMobile := newAccount(t, s)
		sameMobile.Mobile = a.Mobile
		if _, err := s.Registrations.Create(context.Background(), sameMobile, testkey.New("g")); !errors.Is(err, biz.ErrMobileTaken) {
			t.Fatalf("mobile %s twice: %v, want ErrMobileTaken", a.Mobile, err)
		}
	})
}

func statusMoveContract(t *testing.T, open func(t *testing.T) Store) {
	t.Run("status moves only from the status named", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a, gid := newAccount(t, s), testkey.New("g")
		if _, err := s.Registrations.Create(context.Background(), a, gid); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		// From ACTIVE while it is PENDING: nothing moves.
		if err := s.Registrations.SetStatus(ctx, gid, biz.StatusActive, biz.StatusPending); err != nil {
			t.Fatal(err)
		}
		if got := login(t, s, a.Username); got.Status != biz.StatusPending {
			t.Fatalf("status %s, want PENDING untouched", got.Status)
		}
		if err := s.Registrations.SetStatus(ctx, gid, biz.StatusPending, biz.StatusActive); err != nil {
			t.Fatal(err)
		}
		if got := login(t, s, a.Mobile); got.Status != biz.StatusActive || got.Username != a.Username {
			t.Fatalf("by mobile after confirm: %+v, want ACTIVE %s", got, a.Username)
		}
		// Deleting PENDING leaves an ACTIVE account alone.
		if err := s.Registrations.DeleteByStatus(ctx, gid, biz.StatusPending); err != nil {
			t.Fatal(err)
		}
		if got := login(t, s, a.Username); got.Status != biz.StatusActive {
			t.Fatalf("after deleting PENDING: %+v", got)
		}
	})
}

func cancelFreesNamesContract(t *testing.T, open func(t *testing.T) Store) {
	t.Run("a cancelled registration frees its names", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a, gid := newAccount(t, s), testkey.New("g")
		if _, err := s.Registrations.Create(context.Background(), a, gid); err != nil {
			t.Fatal(err)
		}
		if err := s.Registrations.DeleteByStatus(context.Background(), gid, biz.StatusPending); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Accounts.ByLogin(context.Background(), a.Username); !errors.Is(err, biz.ErrNotFound) {
			t.Fatalf("after the cancel: %v, want ErrNotFound", err)
		}
		if _, err := s.Registrations.Create(context.Background(), a, testkey.New("g")); err != nil {
			t.Fatalf("the names again after a cancel: %v", err)
		}
	})
}

func adminContract(t *testing.T, open func(t *testing.T) Store) {
	t.Run("the admin is created once and kept in line", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		admin := newAccount(t, s)
		admin.Role, admin.Status = "ADMIN", biz.StatusActive
		first, err := s.Accounts.SaveAdmin(context.Background(), admin)
		if err != nil {
			t.Fatal(err)
		}
		admin.PasswordHash = "$h$new"
		again, err := s.Accounts.SaveAdmin(context.Background(), admin)
		if err != nil {
			t.Fatal(err)
		}
		got := login(t, s, admin.Username)
		if again.ID != first.ID || got.ID != first.ID || got.PasswordHash != "$h$new" {
			t.Fatalf("first id %d, second %d, stored %+v: want one account with the new hash", first.ID, again.ID, got)
		}
	})
}

func login(t *testing.T, s Store, login string) *biz.Account {
	t.Helper()
	a, err := s.Accounts.ByLogin(context.Background(), login)
	if err != nil {
		t.Fatalf("ByLogin(%s): %v", login, err)
	}
	return a
}

// newAccount is a PENDING account with names no other test uses; Forget removes it.
func newAccount(t *testing.T, s Store) biz.Account {
	t.Helper()
	n := testkey.Seq()
	a := biz.Account{Username: testkey.New("ct"), Mobile: fmt.Sprintf("136%08d", (time.Now().UnixNano()/1000+n)%100_000_000),
		PasswordHash: "$h$pw", Role: "INVESTOR", Status: biz.StatusPending}
	if s.Forget != nil {
		t.Cleanup(func() { s.Forget(a.Username) })
	}
	return a
}
