package biz

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
)

// memAccounts is an in-memory RegistrationRepo and AccountRepo keyed by gid.
type memAccounts struct {
	byGID  map[string]*Account
	nextID int64
}

func newMem() *memAccounts { return &memAccounts{byGID: map[string]*Account{}, nextID: 100} }

func (m *memAccounts) Create(_ context.Context, a Account, gid string) (int64, error) {
	for _, x := range m.byGID {
		if x.Username == a.Username {
			return 0, ErrUsernameTaken
		}
		if x.Mobile == a.Mobile {
			return 0, ErrMobileTaken
		}
	}
	m.nextID++
	a.ID = m.nextID
	m.byGID[gid] = &a
	return a.ID, nil
}

func (m *memAccounts) SetStatus(_ context.Context, gid string, from, to AccountStatus) error {
	if a, ok := m.byGID[gid]; ok && a.Status == from {
		a.Status = to
	}
	return nil
}

func (m *memAccounts) DeleteByStatus(_ context.Context, gid string, status AccountStatus) error {
	if a, ok := m.byGID[gid]; ok && a.Status == status {
		delete(m.byGID, gid)
	}
	return nil
}

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

func account() Account {
	return Account{Username: "alice", Mobile: "13912345678", PasswordHash: "$h$pw", Role: "INVESTOR"}
}

func TestTryConfirmMovesPendingToActive(t *testing.T) {
	t.Parallel()
	mem, run := newMem(), &onceRunner{gid: "g1", done: map[string]bool{}}
	uc := NewRegistrationUsecase(run, mem, hashOnly{}, nil)
	run.op = "try"
	id, err := uc.Try(context.Background(), account())
	if err != nil || id == 0 {
		t.Fatalf("try: id=%d err=%v", id, err)
	}
	if got := mem.byGID["g1"].Status; got != StatusPending {
		t.Fatalf("after try: %s, want PENDING", got)
	}
	run.op = "confirm"
	for range 2 { // a repeated confirm changes nothing
		if err := uc.Confirm(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got := mem.byGID["g1"].Status; got != StatusActive {
		t.Fatalf("after confirm: %s, want ACTIVE", got)
	}
}

func TestCancelFreesTheNamesAndBlocksALateTry(t *testing.T) {
	t.Parallel()
	mem, run := newMem(), &onceRunner{gid: "g1", done: map[string]bool{}}
	uc := NewRegistrationUsecase(run, mem, hashOnly{}, nil)

	run.op = "cancel" // empty rollback
	if err := uc.Cancel(context.Background()); err != nil {
		t.Fatal(err)
	}
	run.op = "try" // hanging
	if _, err := uc.Try(context.Background(), account()); err != nil {
		t.Fatal(err)
	}
	if len(mem.byGID) != 0 {
		t.Fatalf("a try after its cancel reserved %v", mem.byGID)
	}

	run2 := &onceRunner{gid: "g2", op: "try", done: map[string]bool{}}
	uc2 := NewRegistrationUsecase(run2, mem, hashOnly{}, nil)
	if _, err := uc2.Try(context.Background(), account()); err != nil {
		t.Fatal(err)
	}
	run2.op = "cancel"
	if err := uc2.Cancel(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(mem.byGID) != 0 {
		t.Fatalf("cancel left %v", mem.byGID)
	}
}

func TestTryRefusesPlaintextAndTakenNames(t *testing.T) {
	t.Parallel()
	mem := newMem()
	uc := NewRegistrationUsecase(&onceRunner{gid: "g1", op: "try", done: map[string]bool{}}, mem, hashOnly{}, nil)
	plain := account()
	plain.PasswordHash = "s3cret"
	var ve *ValidationError
	if _, err := uc.Try(context.Background(), plain); !errors.As(err, &ve) || ve.Field != "passwordHash" {
		t.Fatalf("plaintext password: err = %v", err)
	}
	if _, err := uc.Try(context.Background(), account()); err != nil {
		t.Fatal(err)
	}
	uc2 := NewRegistrationUsecase(&onceRunner{gid: "g2", op: "try", done: map[string]bool{}}, mem, hashOnly{}, nil)
	if _, err := uc2.Try(context.Background(), account()); !errors.Is(err, ErrUsernameTaken) {
		t.Fatalf("taken username: err = %v", err)
	}
}

func TestFaultPoints(t *testing.T) {
	t.Parallel()
	f := faults.New(FaultTryFail, FaultTryDelay, FaultConfirmFail)
	uc := NewRegistrationUsecase(&onceRunner{gid: "g1", op: "try", done: map[string]bool{}}, newMem(), hashOnly{}, f)
	if err := f.Arm(FaultTryFail, 1, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := uc.Try(context.Background(), account()); !errors.Is(err, ErrFaultInjected) {
		t.Fatalf("try.fail: %v", err)
	}
	if err := f.Arm(FaultConfirmFail, 1, 0); err != nil {
		t.Fatal(err)
	}
	if err := uc.Confirm(context.Background()); !errors.Is(err, ErrFaultRetryable) {
		t.Fatalf("confirm.fail: %v", err)
	}
	if err := f.Arm(FaultTryDelay, 1, time.Hour); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := uc.Try(ctx, account()); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("try.delay with a caller that gives up: %v", err)
	}
}

// fakeRepo and fakeTokens back SessionUsecase.
type fakeRepo struct{ accounts map[string]*Account }

func (f fakeRepo) ByLogin(_ context.Context, login string) (*Account, error) {
	for _, a := range f.accounts {
		if a.Username == login || a.Mobile == login {
			return a, nil
		}
	}
	return nil, ErrNotFound
}

func (f fakeRepo) SaveAdmin(_ context.Context, a Account) (*Account, error) {
	a.ID = 1
	f.accounts[a.Username] = &a
	return &a, nil
}

type fakeTokens struct{}

func (fakeTokens) Issue(id int64, role string) (string, time.Time, error) {
	return "tok", time.Now().Add(time.Hour), nil
}

func TestLoginOnlyForActiveAccountsWithTheRightPassword(t *testing.T) {
	t.Parallel()
	repo := fakeRepo{accounts: map[string]*Account{
		"alice": {ID: 7, Username: "alice", Mobile: "13912345678", PasswordHash: "$h$pw", Role: "INVESTOR", Status: StatusActive},
		"bob":   {ID: 8, Username: "bob", Mobile: "13900000000", PasswordHash: "$h$pw", Role: "INVESTOR", Status: StatusPending},
	}}
	uc := NewSessionUsecase(repo, fakeTokens{}, hashOnly{})
	if s, err := uc.Login(context.Background(), "13912345678", "pw"); err != nil || s.UserID != 7 {
		t.Fatalf("login by mobile: %+v %v", s, err)
	}
	for _, tc := range [][2]string{{"alice", "wrong"}, {"bob", "pw"}, {"nobody", "pw"}} {
		if _, err := uc.Login(context.Background(), tc[0], tc[1]); !errors.Is(err, ErrInvalidCredentials) {
			t.Errorf("login %v: err = %v, want invalid credentials", tc, err)
		}
	}
}

func TestProvisionAdminCreatesThenKeeps(t *testing.T) {
	t.Parallel()
	repo := fakeRepo{accounts: map[string]*Account{}}
	uc := NewSessionUsecase(repo, fakeTokens{}, hashOnly{})
	a, err := uc.ProvisionAdmin(context.Background(), "admin", "13800000000", "pw")
	if err != nil || a.Role != "ADMIN" || a.Status != StatusActive {
		t.Fatalf("provision: %+v %v", a, err)
	}
	if _, err := uc.Login(context.Background(), "admin", "pw"); err != nil {
		t.Fatalf("admin login: %v", err)
	}
	if _, err := uc.ProvisionAdmin(context.Background(), "admin", "13800000000", ""); err == nil {
		t.Fatal("an empty admin password must be refused")
	}
}
