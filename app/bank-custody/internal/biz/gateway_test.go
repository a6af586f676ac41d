package biz_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz/biztest"
)

func newGateway(bank *biztest.Bank) *biz.GatewayUsecase {
	return biz.NewGatewayUsecase(bank.Tx(), bank.RequestRepo(), bank.NonceRepo(), bank.UserRepo(), bank.AccountRepo(),
		biztest.PlainHasher{}, testPlatforms)
}

func nonce(v string) biz.FormNonce {
	return biz.FormNonce{Value: v, ExpiresAt: time.Now().Add(5 * time.Minute)}
}

func TestAcceptRecordsTheRequestOnce(t *testing.T) {
	t.Parallel()
	bank := biztest.New()
	uc := newGateway(bank)
	ctx := context.Background()
	r, err := uc.Accept(ctx, openApp(), "135790", "135790", nonce("nonce-0001"))
	if err != nil {
		t.Fatal(err)
	}
	stored, ok := bank.Request(r.RequestNo)
	if !ok || stored.Status != biz.RequestProcessing || stored.PasswordHash != "hashed:135790" ||
		stored.CallbackURL != "http://127.0.0.1:8020/v1/custody/notifications" || stored.Details.IDNumber != "11010119900101123X" ||
		stored.Details.ReturnURL != "http://127.0.0.1:8020/custody/return" || stored.PlatformUserID != 12 {
		t.Fatalf("stored %+v", stored)
	}
	// The same page submitted again (its nonce is used) shows the same request.
	again, err := uc.Accept(ctx, openApp(), "135790", "135790", nonce("nonce-0001"))
	if err != nil || again.RequestNo != r.RequestNo || bank.Requests() != 1 || bank.Nonces() != 1 {
		t.Fatalf("repeat: %+v, %v; %d requests, %d nonces", again, err, bank.Requests(), bank.Nonces())
	}
}

func TestAcceptRefusesPasswordsAndRecordsNothing(t *testing.T) {
	t.Parallel()
	bank := biztest.New()
	uc := newGateway(bank)
	for _, tc := range []struct {
		password, confirm string
		want              error
	}{
		{"135790", "135791", biz.ErrPasswordsDiffer},
		{"12345", "12345", biz.ErrPasswordFormat},
	} {
		if _, err := uc.Accept(context.Background(), openApp(), tc.password, tc.confirm, nonce("nonce-0002")); !errors.Is(err, tc.want) {
			t.Errorf("%q/%q: %v, want %v", tc.password, tc.confirm, err, tc.want)
		}
	}
	if bank.Requests() != 0 || bank.Nonces() != 0 {
		t.Fatalf("refused passwords left %d requests, %d nonces", bank.Requests(), bank.Nonces())
	}
}

func TestAcceptRefusesAUsedForm(t *testing.T) {
	t.Parallel()
	bank := biztest.New()
	uc := newGateway(bank)
	ctx := context.Background()
	if _, err := uc.Accept(ctx, openApp(), "135790", "135790", nonce("nonce-0003")); err != nil {
		t.Fatal(err)
	}
	// Another request carried by an already used nonce: a replay.
	other := rechargeApp()
	if _, err := uc.Accept(ctx, other, "135790", "135790", nonce("nonce-0003")); !errors.Is(err, biz.ErrNonceReplayed) {
		t.Fatalf("used nonce: %v, want ErrNonceReplayed", err)
	}
	if _, ok := bank.Request(other.RequestNo); ok || bank.Requests() != 1 {
		t.Fatalf("a replayed form was recorded")
	}
	// A recharge keeps no password hash and records amount and user.
	r, err := uc.Accept(ctx, other, "135790", "135790", nonce("nonce-0004"))
	if err != nil || r.PasswordHash != "" || r.Amount.String() != "500.00" || r.UserNo != "BU0000000001" {
		t.Fatalf("recharge %+v, %v", r, err)
	}
	unknown := openApp()
	unknown.PlatformNo = "NOPE"
	if _, err := uc.Accept(ctx, unknown, "135790", "135790", nonce("nonce-0005")); !errors.Is(err, biz.ErrUnknownPlatform) {
		t.Fatalf("unknown platform: %v", err)
	}
}
