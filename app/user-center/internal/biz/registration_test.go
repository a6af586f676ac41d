package biz

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
)

func valid() Registration {
	return Registration{Mobile: "13912345678", Username: "alice_1", Password: "s3cret-pass", Role: "INVESTOR"}
}

func TestValidateNamesTheField(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		field string
		edit  func(*Registration)
	}{
		{"mobile", func(r *Registration) { r.Mobile = "12345" }},
		{"mobile", func(r *Registration) { r.Mobile = "23912345678" }},
		{"username", func(r *Registration) { r.Username = "ab" }},
		{"username", func(r *Registration) { r.Username = "13912345678" }},
		{"username", func(r *Registration) { r.Username = "bad name" }},
		{"password", func(r *Registration) { r.Password = "short" }},
		{"password", func(r *Registration) { r.Password = strings.Repeat("x", 73) }},
		{"role", func(r *Registration) { r.Role = "ADMIN" }},
		{"mode", func(r *Registration) { r.Mode = "SAGA" }},
	} {
		r := valid()
		tc.edit(&r)
		var ve *ValidationError
		if err := r.Validate(); !errors.As(err, &ve) || ve.Field != tc.field {
			t.Errorf("%+v: err = %v, want a %s error", r, err, tc.field)
		}
	}
}

func TestValidateDefaultsAndNormalisesMode(t *testing.T) {
	t.Parallel()
	r := valid()
	if err := r.Validate(); err != nil || r.Mode != ModeTCC {
		t.Fatalf("empty mode: err=%v mode=%q, want TCC", err, r.Mode)
	}
	r = valid()
	r.Mode = "xa"
	if err := r.Validate(); err != nil || r.Mode != ModeXA {
		t.Fatalf("xa: err=%v mode=%q, want XA", err, r.Mode)
	}
}

// Fakes for the use case: the registrar records what it was given.
type fakeRegistrar struct {
	got      NewUser
	afterErr error
	userID   int64
}

func (f *fakeRegistrar) Register(ctx context.Context, _ Mode, u NewUser, after func(context.Context) error) (Registered, error) {
	f.got = u
	if err := after(ctx); err != nil {
		f.afterErr = err
		return Registered{GID: "g1"}, ErrRolledBack
	}
	return Registered{UserID: f.userID, GID: "g1"}, nil
}

type fakeProfiles map[int64]*Consumer

func (f fakeProfiles) Get(_ context.Context, id int64) (*Consumer, error) {
	if c, ok := f[id]; ok {
		return c, nil
	}
	return nil, ErrNotFound
}

type fakeHasher struct{}

func (fakeHasher) Hash(p string) (string, error) { return "hash(" + p + ")", nil }

func TestRegisterSendsOnlyTheHash(t *testing.T) {
	t.Parallel()
	reg := &fakeRegistrar{userID: 7}
	uc := NewRegistrationUsecase(reg, nil, nil, fakeProfiles{7: {ID: 7, Status: StatusActive}}, fakeHasher{}, nil)
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
	f := faults.New(FaultInitiatorFail)
	if err := f.Arm(FaultInitiatorFail, 1, 0); err != nil {
		t.Fatal(err)
	}
	reg := &fakeRegistrar{userID: 7}
	uc := NewRegistrationUsecase(reg, nil, nil, fakeProfiles{}, fakeHasher{}, f)
	if _, _, err := uc.Register(context.Background(), valid()); !errors.Is(err, ErrRolledBack) {
		t.Fatalf("err = %v, want rolled back", err)
	}
	if !errors.Is(reg.afterErr, ErrFaultInjected) {
		t.Fatalf("afterTries err = %v", reg.afterErr)
	}
	// The fault fired once; the next registration goes through.
	if _, _, err := uc.Register(context.Background(), valid()); err == nil {
		t.Fatal("profile lookup should fail for the fake, proving the transaction ran")
	}
}

func TestInvalidInputNeverReachesTheRegistrar(t *testing.T) {
	t.Parallel()
	reg := &fakeRegistrar{}
	uc := NewRegistrationUsecase(reg, nil, nil, fakeProfiles{}, fakeHasher{}, nil)
	r := valid()
	r.Role = "ADMIN"
	if _, _, err := uc.Register(context.Background(), r); err == nil {
		t.Fatal("want a validation error")
	}
	if reg.got != (NewUser{}) {
		t.Fatalf("registrar was called with %+v", reg.got)
	}
}
