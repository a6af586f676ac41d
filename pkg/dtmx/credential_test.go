package dtmx

import (
	"context"
	"strings"
	"testing"

	kerrors "github.com/go-kratos/kratos/v2/errors"

	"github.com/p2p-dtx/p2p-dtx/pkg/transporttest"
)

type headers = transporttest.Header

func testKey(t *testing.T, secret string) *BranchKey {
	t.Helper()
	k, err := NewBranchKey(secret)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestBranchKeyRefusesAMissingOrShortSecret(t *testing.T) {
	for _, s := range []string{"", strings.Repeat("k", MinBranchKey-1)} {
		if _, err := NewBranchKey(s); err == nil || !strings.Contains(err.Error(), BranchKeyEnv) {
			t.Errorf("secret of %d bytes: %v, want an error naming %s", len(s), err, BranchKeyEnv)
		}
	}
}

func TestGuardServesOnlyCallsWithTheCredentialOfTheirOwnGid(t *testing.T) {
	k := testKey(t, strings.Repeat("a", 32))
	other := testKey(t, strings.Repeat("b", 32))
	const branch = "/unifiedaccount.v1.AccountRegistration/TryCreateAccount"
	ran := 0
	h := k.Guard("unifiedaccount.v1.AccountRegistration")(func(context.Context, any) (any, error) {
		ran++
		return "ok", nil
	})
	do := func(op string, md headers) error {
		_, err := h(transporttest.GRPC(op, md), nil)
		return err
	}
	refused := map[string]headers{
		"no credential":             {mdGID: "G1", mdTransType: "tcc"},
		"another gid's credential":  {mdGID: "G1", mdTransType: "tcc", CredentialHeader: k.Credential("tcc", "G2")},
		"another type's credential": {mdGID: "G1", mdTransType: "tcc", CredentialHeader: k.Credential("xa", "G1")},
		"another key's credential":  {mdGID: "G1", mdTransType: "tcc", CredentialHeader: other.Credential("tcc", "G1")},
		"no gid":                    {mdTransType: "tcc", CredentialHeader: k.Credential("tcc", "")},
	}
	for name, md := range refused {
		err := do(branch, md)
		if e := kerrors.FromError(err); e.Code != 401 || e.Reason != ReasonCredential {
			t.Errorf("%s: %v, want 401 %s", name, err, ReasonCredential)
		}
	}
	if ran != 0 {
		t.Fatalf("the branch ran %d times for refused calls", ran)
	}
	if err := do(branch, headers{mdGID: "G1", mdTransType: "tcc", CredentialHeader: k.Credential("tcc", "G1")}); err != nil || ran != 1 {
		t.Fatalf("a valid credential: %v (ran %d)", err, ran)
	}
	if err := do("/unifiedaccount.v1.UnifiedAccount/CreateSession", headers{}); err != nil || ran != 2 {
		t.Fatalf("another service's operation is not guarded: %v (ran %d)", err, ran)
	}
}

func TestASealedValueOpensOnlyForItsGidUnderItsKey(t *testing.T) {
	k := testKey(t, strings.Repeat("a", 32))
	sealed, err := k.Seal("G1", []byte("$2a$04$hash"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "hash") {
		t.Fatalf("sealed value shows the plaintext: %s", sealed)
	}
	if got, err := k.Open("G1", sealed); err != nil || string(got) != "$2a$04$hash" {
		t.Fatalf("open: %q, %v", got, err)
	}
	tampered := []byte(sealed)
	tampered[len(tampered)-2] ^= 1
	for name, try := range map[string]func() ([]byte, error){
		"another gid": func() ([]byte, error) { return k.Open("G2", sealed) },
		"another key": func() ([]byte, error) { return testKey(t, strings.Repeat("b", 32)).Open("G1", sealed) },
		"tampered":    func() ([]byte, error) { return k.Open("G1", string(tampered)) },
		"not sealed":  func() ([]byte, error) { return k.Open("G1", "$2a$04$hash") },
		"empty":       func() ([]byte, error) { return k.Open("G1", "") },
	} {
		if _, err := try(); err != ErrUnsealed {
			t.Errorf("%s: %v, want ErrUnsealed", name, err)
		}
	}
}
