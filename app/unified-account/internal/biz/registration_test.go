package biz_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/unified-account/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/unified-account/internal/biz/biztest"
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
)

// onceRunner imitates DTM's barrier for one gid: each op runs at most once, a cancel with
// no try before it is empty, and a try after its cancel is skipped.
type onceRunner struct {
	gid  string
	op   string
	done map[string]bool
}

func (r *onceRunner) InBarrier(ctx context.Context, fn func(context.Context, string) error) error {
	if r.done[r.op] {
		return nil
	}
	r.done[r.op] = true
	if r.op == "cancel" && !r.done["try"] {
		r.done["try"] = true // the cancel's own record makes a later try a no-op
		return nil
	}
	return fn(ctx, r.gid)
}

func (r *onceRunner) InXA(ctx context.Context, fn func(context.Context, string) error) error {
	return fn(ctx, r.gid)
}

type hashOnly struct{}

func (hashOnly) Hash(p string) (string, error) { return "$h$" + p, nil }
func (hashOnly) Matches(h, p string) bool      { return h == "$h$"+p }
func (hashOnly) IsHash(s string) bool          { return len(s) > 3 && s[:3] == "$h$" }

func account() biz.Account {
	return biz.Account{Username: "alice", Mobile: "13912345678", PasswordHash: "$h$pw", Role: "INVESTOR"}
}

func TestTryConfirmMovesPendingToActive(t *testing.T) {
	t.Parallel()
	mem, run := biztest.NewAccounts(), &onceRunner{gid: "g1", done: map[string]bool{}}
	uc := biz.NewRegistrationUsecase(run, mem, hashOnly{}, nil)
	run.op = "try"
	id, err := uc.Try(context.Background(), account())
	if err != nil || id == 0 {
		t.Fatalf("try: id=%d err=%v", id, err)
	}
	if got, _ := mem.ByGID("g1"); got.Status != biz.StatusPending {
		t.Fatalf("after try: %s, want PENDING", got.Status)
	}
	run.op = "confirm"
	for range 2 { // a repeated confirm changes nothing
		if err := uc.Confirm(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := mem.ByGID("g1"); got.Status != biz.StatusActive {
		t.Fatalf("after confirm: %s, want ACTIVE", got.Status)
	}
}

func TestCancelFreesTheNamesAndBlocksALateTry(t *testing.T) {
	t.Parallel()
	mem, run := biztest.NewAccounts(), &onceRunner{gid: "g1", done: map[string]bool{}}
	uc := biz.NewRegistrationUsecase(run, mem, hashOnly{}, nil)

	run.op = "cancel" // empty rollback
	if err := uc.Cancel(context.Background()); err != nil {
		t.Fatal(err)
	}
	run.op = "try" // hanging
	if _, err := uc.Try(context.Background(), account()); err != nil {
		t.Fatal(err)
	}
	if mem.Len() != 0 {
		t.Fatalf("a try after its cancel reserved %d accounts", mem.Len())
	}

	run2 := &onceRunner{gid: "g2", op: "try", done: map[string]bool{}}
	uc2 := biz.NewRegistrationUsecase(run2, mem, hashOnly{}, nil)
	if _, err := uc2.Try(context.Background(), account()); err != nil {
		t.Fatal(err)
	}
	run2.op = "cancel"
	if err := uc2.Cancel(context.Background()); err != nil {
		t.Fatal(err)
	}
	if mem.Len() != 0 {
		t.Fatalf("cancel left %d accounts", mem.Len())
	}
}

func TestTryRefusesPlaintextAndTakenNames(t *testing.T) {
	t.Parallel()
	mem := biztest.NewAccounts()
	uc := biz.NewRegistrationUsecase(&onceRunner{gid: "g1", op: "try", done: map[string]bool{}}, mem, hashOnly{}, nil)
	plain := account()
	plain.PasswordHash = "s3cret"
	var ve *biz.ValidationError
	if _, err := uc.Try(context.Background(), plain); !errors.As(err, &ve) || ve.Field != "passwordHash" {
		t.Fatalf("plaintext password: err = %v", err)
	}
	if _, err := uc.Try(context.Background(), account()); err != nil {
		t.Fatal(err)
	}
	uc2 := biz.NewRegistrationUsecase(&onceRunner{gid: "g2", op: "try", done: map[string]bool{}}, mem, hashOnly{}, nil)
	if _, err := uc2.Try(context.Background(), account()); !errors.Is(err, biz.ErrUsernameTaken) {
		t.Fatalf("taken username: err = %v", err)
	}
}

func TestFaultPoints(t *testing.T) {
	t.Parallel()
	f := faults.New(biz.FaultTryFail, biz.FaultTryDelay, biz.FaultConfirmFail)
	uc := biz.NewRegistrationUsecase(&onceRunner{gid: "g1", op: "try", done: map[string]bool{}}, biztest.NewAccounts(), hashOnly{}, f)
	if err := f.Arm(biz.FaultTryFail, 1, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := uc.Try(context.Background(), account()); !errors.Is(err, biz.ErrFaultInjected) {
		t.Fatalf("try.fail: %v", err)
	}
	if err := f.Arm(biz.FaultConfirmFail, 1, 0); err != nil {
		t.Fatal(err)
	}
	if err := uc.Confirm(context.Background()); !errors.Is(err, biz.ErrFaultRetryable) {
		t.Fatalf("confirm.fail: %v", err)
	}
	if err := f.Arm(biz.FaultTryDelay, 1, time.Hour); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := uc.Try(ctx, account()); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("try.delay with a caller that gives up: %v", err)
	}
}

// fakeTokens backs SessionUsecase.
type fakeTokens struct{}

func (fakeTokens) Issue(id int64, role string) (string, time.Time, error) {
	return "tok", time.Now().Add(time.Hour), nil
}

func TestLoginOnlyForActiveAccountsWithTheRightPassword(t *testing.T) {
	t.Parallel()
	repo := biztest.NewAccounts()
	repo.Put(biz.Account{ID: 7, Username: "alice", Mobile: "13912345678", PasswordHash: "$h$pw", Role: "INVESTOR", Status: biz.StatusActive})
	repo.Put(biz.Account{ID: 8, Username: "bob", Mobile: "13900000000", PasswordHash: "$h$pw", Role: "INVESTOR", Status: biz.StatusPending})
	uc := biz.NewSessionUsecase(repo, fakeTokens{}, hashOnly{}, biztest.NewLoginAttempts(), biz.DefaultThrottlePolicy())
	if s, err := uc.Login(context.Background(), "13912345678", "pw"); err != nil || s.UserID != 7 {
		t.Fatalf("login by mobile: %+v %v", s, err)
	}
	for _, tc := range [][2]string{{"alice", "wrong"}, {"bob", "pw"}, {"nobody", "pw"}} {
		if _, err := uc.Login(context.Background(), tc[0], tc[1]); !errors.Is(err, biz.ErrInvalidCredentials) {
			t.Errorf("login %v: err = %v, want invalid credentials", tc, err)
		}
	}
}

func TestProvisionAdminCreatesThenKeeps(t *testing.T) {
	t.Parallel()
	repo := biztest.NewAccounts()
	uc := biz.NewSessionUsecase(repo, fakeTokens{}, hashOnly{}, biztest.NewLoginAttempts(), biz.DefaultThrottlePolicy())
	a, err := uc.ProvisionAdmin(context.Background(), "admin", "13800000000", "pw")
	if err != nil || a.Role != "ADMIN" || a.Status != biz.StatusActive {
		t.Fatalf("provision: %+v %v", a, err)
	}
	if _, err := uc.Login(context.Background(), "admin", "pw"); err != nil {
		t.Fatalf("admin login: %v", err)
	}
	if _, err := uc.ProvisionAdmin(context.Background(), "admin", "13800000000", ""); err == nil {
		t.Fatal("an empty admin password must be refused")
	}
}

// The fake keeps the contract the ent adapters keep (internal/data's
// TestAccountStoreKeepsTheContract runs it against MariaDB).
func TestFakeAccountsKeepTheContract(t *testing.T) {
	t.Parallel()
	biztest.AccountStoreContract(t, func(*testing.T) biztest.Store {
		a := biztest.NewAccounts()
		return biztest.Store{Registrations: a, Accounts: a}
	})
}
