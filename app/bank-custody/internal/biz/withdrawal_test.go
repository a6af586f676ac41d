package biz_test

import (
	"context"
	"errors"
	"testing"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz/biztest"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// withdrawalBank has BU0000000001, platform user 12, custody password 135790, with
// 500.00 of which 100.00 frozen.
func withdrawalBank() *biztest.Bank {
	bank := biztest.New()
	bank.PutUser(biz.BankUser{UserNo: "BU0000000001", PlatformNo: "P2PDTX", PlatformUserID: 12, PasswordHash: "hashed:135790"},
		biz.Account{Balance: amount("500.00"), Frozen: amount("100.00")})
	return bank
}

func withdrawApp(no, amt string) biz.Application {
	a := rechargeApp()
	a.RequestNo, a.ServiceName, a.Amount = no, biz.ServiceWithdraw, money.MustParseAmount(amt)
	return a
}

func TestWithdrawalNeedsTheOpeningPasswordAndTheAvailableBalance(t *testing.T) {
	t.Parallel()
	bank := withdrawalBank()
	uc := newGateway(bank)
	ctx := context.Background()
	if got, err := uc.Withdrawable(ctx, withdrawApp("WD1", "400.00")); err != nil || got.String() != "400.00" {
		t.Fatalf("withdrawable: %s, %v; want 400.00 (500.00 − 100.00 frozen)", got, err)
	}
	for name, tc := range map[string]struct {
		app      biz.Application
		password string
		want     error
	}{
		"wrong password":         {withdrawApp("WD1", "10.00"), "135791", biz.ErrWrongPassword},
		"not 6 digits":           {withdrawApp("WD1", "10.00"), "13579", biz.ErrPasswordFormat},
		"above the available":    {withdrawApp("WD1", "400.01"), "135790", biz.ErrExceedsAvailable},
		"someone else's account": {func() biz.Application { a := withdrawApp("WD1", "1.00"); a.PlatformUserID = 13; return a }(), "135790", biz.ErrAccountNotFound},
	} {
		if _, err := uc.Accept(ctx, tc.app, tc.password, "", nonce("nonce-w-"+name)); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	if bank.Requests() != 0 || bank.Nonces() != 0 {
		t.Fatalf("refused withdrawals left %d requests, %d nonces", bank.Requests(), bank.Nonces())
	}
	r, err := uc.Accept(ctx, withdrawApp("WD1", "400.00"), "135790", "", nonce("nonce-w-ok"))
	if err != nil || r.Status != biz.RequestProcessing || r.ServiceName != biz.ServiceWithdraw || r.Amount.String() != "400.00" ||
		r.UserNo != "BU0000000001" || r.PasswordHash != "" {
		t.Fatalf("accepted: %+v, %v", r, err)
	}
	// Nothing moves until the poller: the page's check holds no lock.
	wantAccount(t, bank, "BU0000000001", "500.00", "100.00")
}

func TestPollerDebitsAWithdrawalUnderTheAccountLock(t *testing.T) {
	t.Parallel()
	bank := withdrawalBank()
	for _, r := range []biz.CustodyRequest{
		rechargeRequest("WD1", "BU0000000001", 12, "300.00"),
		rechargeRequest("WD2", "BU0000000001", 12, "100.01"), // 100.00 left available after WD1
	} {
		r.ServiceName = biz.ServiceWithdraw
		bank.PutRequest(r)
	}
	if err := newProcessing(bank).Poll(context.Background(), 10); err != nil {
		t.Fatal(err)
	}
	wantAccount(t, bank, "BU0000000001", "200.00", "100.00")
	ok, _ := bank.Request("WD1")
	short, _ := bank.Request("WD2")
	if ok.Status != biz.RequestSuccess || short.Status != biz.RequestFailed || short.FailureReason != biz.ReasonInsufficientBalance {
		t.Fatalf("WD1 %+v, WD2 %+v", ok, short)
	}
	if len(bank.Published) != 2 || bank.Published[0].ServiceName != biz.ServiceWithdraw || bank.Published[0].Amount.String() != "300.00" ||
		bank.Published[1].Status != biz.RequestFailed {
		t.Fatalf("published %+v", bank.Published)
	}
}

func TestFeeAccountsAndTotals(t *testing.T) {
	t.Parallel()
	bank := withdrawalBank()
	ctx := context.Background()
	uc := newProcessing(bank)
	for range 2 { // opening is safe to repeat
		if err := uc.OpenFeeAccounts(ctx); err != nil {
			t.Fatal(err)
		}
	}
	wantAccount(t, bank, "FEE_P2PDTX", "0.00", "0.00")
	recharged, withdrawn := rechargeRequest("RC1", "BU0000000001", 12, "600.00"), rechargeRequest("WD1", "BU0000000001", 12, "100.00")
	recharged.Status, withdrawn.Status, withdrawn.ServiceName = biz.RequestSuccess, biz.RequestSuccess, biz.ServiceWithdraw
	bank.PutRequest(recharged)
	bank.PutRequest(withdrawn)
	inquiry := biz.NewInquiryUsecase(bank.Snapshot(), bank.RequestRepo(), bank.UserRepo(), bank.AccountRepo())
	fee, err := inquiry.FeeAccount(ctx, "P2PDTX")
	if err != nil || fee.UserNo != "FEE_P2PDTX" {
		t.Fatalf("fee account %+v, %v", fee, err)
	}
	tot, err := inquiry.Totals(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tot.Recharged.String() != "600.00" || tot.Withdrawn.String() != "100.00" || tot.Balances.String() != "500.00" ||
		tot.Frozen.String() != "100.00" || tot.Available().String() != "400.00" || tot.Accounts != 2 {
		t.Fatalf("totals %+v", tot)
	}
	if _, err := inquiry.FeeAccount(ctx, "OTHER"); !errors.Is(err, biz.ErrAccountNotFound) {
		t.Fatalf("another platform's fee account: %v", err)
	}
}
