package biz_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/biz/biztest"
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
)

func valid() biz.Registration {
	return biz.Registration{Mobile: "13912345678", Username: "alice_1", Password: "s3cret-pass", Role: "INVESTOR"}
}

func TestValidateNamesTheField(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		field string
		edit  func(*biz.Registration)
	}{
		{"mobile", func(r *biz.Registration) { r.Mobile = "12345" }},
		{"mobile", func(r *biz.Registration) { r.Mobile = "23912345678" }},
		{"username", func(r *biz.Registration) { r.Username = "ab" }},
		{"username", func(r *biz.Registration) { r.Username = "13912345678" }},
		{"username", func(r *biz.Registration) { r.Username = "bad name" }},
		{"password", func(r *biz.Registration) { r.Password = "short" }},
		{"password", func(r *biz.Registration) { r.Password = strings.Repeat("x", 73) }},
		{"role", func(r *biz.Registration) { r.Role = "ADMIN" }},
		{"mode", func(r *biz.Registration) { r.Mode = "SAGA" }},
	} {
		r := valid()
		tc.edit(&r)
		var ve *biz.ValidationError
		if err := r.Validate(); !errors.As(err, &ve) || ve.Field != tc.field {
			t.Errorf("%+v: err = %v, want a %s error", r, err, tc.field)
		}
	}
}

func TestValidateDefaultsAndNormalisesMode(t *testing.T) {
	t.Parallel()
	r := valid()
	if err := r.Validate(); err != nil || r.Mode != biz.ModeTCC {
		t.Fatalf("empty mode: err=%v mode=%q, want TCC", err, r.Mode)
	}
	r = valid()
	r.Mode = "xa"
	if err := r.Validate(); err != nil || r.Mode != biz.ModeXA {
		t.Fatalf("xa: err=%v mode=%q, want XA", err, r.Mode)
	}
}

// Fakes for the use case: the registrar records what it was given.
type fakeRegistrar struct {
	got      biz.NewUser
	afterErr error
	userID   int64
}

func (f *fakeRegistrar) Register(ctx context.Context, _ biz.Mode, u biz.NewUser, after func(context.Context) error) (biz.Registered, error) {
	f.got = u
	if err := after(ctx); err != nil {
		f.afterErr = err
		return biz.Registered{GID: "g1"}, biz.ErrRolledBack
	}
	return biz.Registered{UserID: f.userID, GID: "g1"}, nil
}

type fakeHasher struct{}

func (fakeHasher) Hash(p string) (string, error) { return "hash(" + p + ")", nil }

func TestRegisterSendsOnlyTheHash(t *testing.T) {
	t.Parallel()
	reg := &fakeRegistrar{userID: 7}
	uc := biz.NewRegistrationUsecase(reg, nil, nil, biztest.NewCustody(biz.Consumer{ID: 7, Status: biz.StatusActive}), fakeHasher{}, nil)
	c, gid, err := uc.Register(context.Background(), valid())
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != 7 || gid != "g1" {
		t.Fatalf("consumer %+v gid %q", c, gid)
	}
	if reg.got.PasswordHash != "hash(s3cret-pass)" {
		t.Fatalf("participants got %q", reg.got.PasswordHash)
	}
}

func TestInitiatorFaultRollsBack(t *testing.T) {
	t.Parallel()
	f := faults.New(biz.FaultInitiatorFail)
	if err := f.Arm(biz.FaultInitiatorFail, 1, 0); err != nil {
		t.Fatal(err)
	}
	reg := &fakeRegistrar{userID: 7}
	uc := biz.NewRegistrationUsecase(reg, nil, nil, biztest.NewCustody(), fakeHasher{}, f)
	if _, _, err := uc.Register(context.Background(), valid()); !errors.Is(err, biz.ErrRolledBack) {
		t.Fatalf("err = %v, want rolled back", err)
	}
	if !errors.Is(reg.afterErr, biz.ErrFaultInjected) {
		t.Fatalf("afterTries err = %v", reg.afterErr)
	}
	// The fault fired once; the next registration goes through.
	if c, _, err := uc.Register(context.Background(), valid()); err != nil || c.ID != 7 {
		t.Fatalf("second registration: %+v, %v", c, err)
	}
}

// A registration DTM committed whose phase 2 has not finished is a 200 PENDING, also in
// XA, where this side's row is not visible until its commit (it was a 500 "not found":
// ten of them with unified-account killed for 30 s in the middle of a storm).
func TestACommittedRegistrationWithoutItsRowYetIsPending(t *testing.T) {
	t.Parallel()
	reg := &fakeRegistrar{userID: 7} // committed, not settled
	uc := biz.NewRegistrationUsecase(reg, nil, nil, biztest.NewCustody(), fakeHasher{}, nil)
	c, gid, err := uc.Register(context.Background(), valid())
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != 7 || c.Status != biz.StatusPending || c.Username != "alice_1" || gid != "g1" {
		t.Fatalf("answer %+v gid %q, want user 7 PENDING", c, gid)
	}
}

func TestInvalidInputNeverReachesTheRegistrar(t *testing.T) {
	t.Parallel()
	reg := &fakeRegistrar{}
	uc := biz.NewRegistrationUsecase(reg, nil, nil, biztest.NewCustody(), fakeHasher{}, nil)
	r := valid()
	r.Role = "ADMIN"
	if _, _, err := uc.Register(context.Background(), r); err == nil {
		t.Fatal("want a validation error")
	}
	if reg.got != (biz.NewUser{}) {
		t.Fatalf("registrar was called with %+v", reg.got)
	}
}
