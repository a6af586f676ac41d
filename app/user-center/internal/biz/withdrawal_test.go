package biz_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/auth"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

func account(userNo, balance, frozen string) biz.BankAccount {
	return biz.BankAccount{UserNo: userNo, Balance: money.MustParseAmount(balance), Frozen: money.MustParseAmount(frozen)}
}

func TestParseWithdrawalAmount(t *testing.T) {
	t.Parallel()
	// No upper bound of its own: the available balance is the bank's to say.
	for in, want := range map[string]string{"0.01": "0.01", " 100 ": "100.00", "100.5": "100.50", "2000000.00": "2000000.00"} {
		a, err := biz.ParseWithdrawalAmount(in)
		if err != nil || a.String() != want {
			t.Errorf("%q: %s, %v; want %s", in, a, err, want)
		}
	}
	for _, in := range []string{"", "0", "0.00", "-5", "1.234", "abc", "1e3", "100,00", "NaN"} {
		var ve *biz.ValidationError
		if _, err := biz.ParseWithdrawalAmount(in); !errors.As(err, &ve) || ve.Field != "amount" {
			t.Errorf("%q: err = %v, want an amount error", in, err)
		}
	}
}

func TestWithdrawNeedsAnOpenAccountAndTheBalance(t *testing.T) {
	t.Parallel()
	uc, store, bank, _ := newCustodyFixture(activeConsumerWith(alice, biz.CustodyOpen, "BU0000000001"),
		activeConsumerWith(bob, biz.CustodyPending, ""))
	bank.SetAccount(account("BU0000000001", "500.00", "100.00")) // 400.00 available
	ctx := context.Background()

	r, err := uc.Withdraw(ctx, alice, "400")
	if err != nil {
		t.Fatal(err)
	}
	req := requestOf(t, store, r.RequestNo)
	if !strings.HasPrefix(r.RequestNo, "WD") || req.Kind != biz.KindWithdraw || req.Status != biz.RequestPending ||
		req.Amount == nil || req.Amount.String() != "400.00" || req.BankUserNo != "BU0000000001" || req.UserID != alice {
		t.Fatalf("stored %+v", req)
	}
	if f := bank.Forms()[0]; f.Kind != biz.KindWithdraw || f.UserNo != "BU0000000001" || f.Amount.String() != "400.00" ||
		f.RequestNo != r.RequestNo || f.UserID != alice {
		t.Fatalf("gateway request %+v", f)
	}

	// Every refusal stores nothing and signs no form.
	var ve *biz.ValidationError
	for _, tc := range []struct {
		name   string
		user   int64
		amount string
		check  func(error) bool
	}{
		{"a cent above the available balance", alice, "400.01", func(err error) bool { return errors.Is(err, biz.ErrInsufficientBalance) }},
		{"zero", alice, "0", func(err error) bool { return errors.As(err, &ve) && ve.Field == "amount" }},
		{"three decimals", alice, "1.001", func(err error) bool { return errors.As(err, &ve) && ve.Field == "amount" }},
		{"no open account", bob, "1.00", func(err error) bool { return errors.Is(err, biz.ErrCustodyNotOpen) }},
		{"no such consumer", 99, "1.00", func(err error) bool { return errors.Is(err, biz.ErrNotFound) }},
	} {
		if _, err := uc.Withdraw(ctx, tc.user, tc.amount); !tc.check(err) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	bank.SetAccountError(biz.ErrBankUnavailable)
	if _, err := uc.Withdraw(ctx, alice, "1.00"); !errors.Is(err, biz.ErrBankUnavailable) {
		t.Errorf("bank down: %v, want ErrBankUnavailable", err)
	}
	if store.RequestCount() != 1 || len(bank.Forms()) != 1 {
		t.Fatalf("%d requests stored, %d forms signed; want only the first withdrawal", store.RequestCount(), len(bank.Forms()))
	}
}

func TestCompleteChecksAWithdrawalsAccount(t *testing.T) {
	t.Parallel()
	a := money.MustParseAmount("100.00")
	pending := func() *biz.CustodyRequest {
		return &biz.CustodyRequest{RequestNo: "WD1", UserID: alice, Kind: biz.KindWithdraw, Status: biz.RequestPending,
			Amount: &a, BankUserNo: "BU0000000001", CreatedAt: t0, UpdatedAt: t0}
	}
	res := biz.BankResult{RequestNo: "WD1", Kind: biz.KindWithdraw, Status: biz.RequestSuccess, UserNo: "BU0000000002",
		PlatformUserID: "12", Amount: "100.00"}
	if _, err := pending().Complete(res, t0); !errors.Is(err, biz.ErrResultMismatch) {
		t.Errorf("another account: %v, want a mismatch", err)
	}
	res.Kind = biz.KindRecharge
	res.UserNo = "BU0000000001"
	if _, err := pending().Complete(res, t0); !errors.Is(err, biz.ErrResultMismatch) {
		t.Errorf("a recharge's result: %v, want a mismatch", err)
	}
}

func TestApplyResultWithdrawalRecordedOnce(t *testing.T) {
	t.Parallel()
	uc, store, bank, _ := newCustodyFixture(activeConsumerWith(alice, biz.CustodyOpen, "BU0000000001"),
		activeConsumerWith(bob, biz.CustodyOpen, "BU0000000002"))
	bank.SetAccount(account("BU0000000001", "500.00", "0.00"))
	bank.SetAccount(account("BU0000000002", "500.00", "0.00"))
	ctx := context.Background()
	ok, err := uc.Withdraw(ctx, alice, "100.00")
	if err != nil {
		t.Fatal(err)
	}
	res := biz.BankResult{RequestNo: ok.RequestNo, Kind: biz.KindWithdraw, Status: biz.RequestSuccess, UserNo: "BU0000000001",
		PlatformUserID: "12", Amount: "100.00"}
	n := applyConcurrently(t, uc, res, 8)
	if n != 1 || store.WithdrawalCount() != 1 {
		t.Fatalf("%d applications changed it, %d withdrawals recorded; want 1 and 1", n, store.WithdrawalCount())
	}

	// Refused at the bank: FAILED with the bank's reason, nothing recorded.
	refused, err := uc.Withdraw(ctx, alice, "400.00")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := uc.ApplyResult(ctx, biz.BankResult{RequestNo: refused.RequestNo, Kind: biz.KindWithdraw, Status: biz.RequestFailed,
		UserNo: "BU0000000001", PlatformUserID: "12", Amount: "400.00", FailureReason: "INSUFFICIENT_BALANCE"}, biz.SourceNotification); err != nil {
		t.Fatal(err)
	}
	if store.WithdrawalCount() != 1 {
		t.Fatalf("%d withdrawals after a refused one, want 1", store.WithdrawalCount())
	}
	if _, err := uc.Withdraw(ctx, bob, "1.00"); err != nil {
		t.Fatal(err)
	}

	// The list: alice's only, oldest first, each with its status.
	list, err := uc.Withdrawals(ctx, alice)
	if err != nil || len(list) != 2 {
		t.Fatalf("withdrawals %+v %v, want alice's two", list, err)
	}
	if list[0].RequestNo != ok.RequestNo || list[0].Status != biz.RequestSuccess ||
		list[1].RequestNo != refused.RequestNo || list[1].Status != biz.RequestFailed || list[1].FailureReason != "INSUFFICIENT_BALANCE" {
		t.Fatalf("withdrawals %+v, %+v", *list[0], *list[1])
	}
}

func TestReconcileSettlesWithdrawals(t *testing.T) {
	t.Parallel()
	uc, store, bank, _ := newCustodyFixture(activeConsumerWith(alice, biz.CustodyOpen, "BU0000000001"))
	a := money.MustParseAmount("50.00")
	for no, age := range map[string]time.Duration{"WD-done": time.Minute, "WD-left": 11 * time.Minute} {
		created := t0.Add(-age)
		store.PutRequest(biz.CustodyRequest{RequestNo: no, UserID: alice, Kind: biz.KindWithdraw, Status: biz.RequestPending,
			Amount: &a, BankUserNo: "BU0000000001", CreatedAt: created, UpdatedAt: created})
	}
	bank.SetResult(biz.BankResult{RequestNo: "WD-done", Kind: biz.KindWithdraw, Status: biz.RequestSuccess, UserNo: "BU0000000001",
		PlatformUserID: "12", Amount: "50.00"})
	sum, err := uc.Reconcile(context.Background())
	if err != nil || sum != (biz.ReconcileSummary{Checked: 2, Completed: 1, Abandoned: 1}) {
		t.Fatalf("summary %+v %v", sum, err)
	}
	if r := requestOf(t, store, "WD-done"); r.Status != biz.RequestSuccess || store.WithdrawalCount() != 1 {
		t.Fatalf("WD-done %+v, %d withdrawals recorded", r, store.WithdrawalCount())
	}
	if r := requestOf(t, store, "WD-left"); r.Status != biz.RequestFailed || r.FailureReason != biz.ReasonNotReceived {
		t.Fatalf("WD-left %+v", r)
	}
}

func TestBalancesAreTheBanks(t *testing.T) {
	t.Parallel()
	uc, _, bank, _ := newCustodyFixture(activeConsumerWith(alice, biz.CustodyOpen, "BU0000000001"),
		activeConsumerWith(bob, biz.CustodyNone, ""))
	bank.SetAccount(account("BU0000000001", "500.00", "100.00"))
	bank.SetFeeAccount(account("FEE_P2PDTX", "12.34", "0.00"))
	ctx := context.Background()
	if a, err := uc.Balance(ctx, alice); err != nil || a.Balance.String() != "500.00" || a.Frozen.String() != "100.00" ||
		a.Available().String() != "400.00" {
		t.Fatalf("alice: %+v %v", a, err)
	}
	if _, err := uc.Balance(ctx, bob); !errors.Is(err, biz.ErrCustodyNotOpen) {
		t.Errorf("bob without an account: %v, want ErrCustodyNotOpen", err)
	}
	if a, err := uc.PlatformBalance(ctx, auth.RoleAdmin); err != nil || a.Balance.String() != "12.34" {
		t.Fatalf("platform: %+v %v", a, err)
	}
	for _, role := range []string{auth.RoleInvestor, auth.RoleBorrower, ""} {
		if _, err := uc.PlatformBalance(ctx, role); !errors.Is(err, biz.ErrForbidden) {
			t.Errorf("role %q: %v, want ErrForbidden", role, err)
		}
	}
	bank.SetAccountError(biz.ErrBankUnavailable)
	if _, err := uc.Balance(ctx, alice); !errors.Is(err, biz.ErrBankUnavailable) {
		t.Errorf("bank down, alice: %v", err)
	}
	if _, err := uc.PlatformBalance(ctx, auth.RoleAdmin); !errors.Is(err, biz.ErrBankUnavailable) {
		t.Errorf("bank down, platform: %v", err)
	}
}
