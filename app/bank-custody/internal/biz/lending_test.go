package biz_test

import (
	"context"
	"errors"
	"testing"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz/biztest"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

func amount(s string) money.Amount { return money.MustParseAmount(s) }

func newLending(bank *biztest.Bank) *biz.LendingUsecase {
	return biz.NewLendingUsecase(bank.Tx(), bank.RequestRepo(), bank.UserRepo(), bank.AccountRepo(), bank.ProjectRepo(), bank.FreezeRepo())
}

// lendingBank has a borrower, two investors and a 1000.00 project collecting.
func lendingBank() *biztest.Bank {
	bank := biztest.New()
	bank.PutUser(biz.BankUser{UserNo: "BUB", PlatformNo: "P2PDTX", PlatformUserID: 1}, biz.Account{Balance: amount("5.00")})
	bank.PutUser(biz.BankUser{UserNo: "BUI1", PlatformNo: "P2PDTX", PlatformUserID: 2}, biz.Account{Balance: amount("100.00"), Frozen: amount("30.00")})
	bank.PutUser(biz.BankUser{UserNo: "BUI2", PlatformNo: "P2PDTX", PlatformUserID: 3}, biz.Account{Balance: amount("2000.00")})
	bank.PutUser(biz.BankUser{UserNo: "BUX", PlatformNo: "OTHER", PlatformUserID: 2}, biz.Account{Balance: amount("2000.00")})
	bank.PutProject(biz.Project{ProjectNo: "PN1", PlatformProjectID: 7, BorrowerUserNo: "BUB", Amount: amount("1000.00"), Status: biz.ProjectCollecting})
	return bank
}

func wantAccount(t *testing.T, bank *biztest.Bank, userNo, balance, frozen string) {
	t.Helper()
	a, ok := bank.Account(userNo)
	if !ok || a.Balance.String() != balance || a.Frozen.String() != frozen {
		t.Errorf("account %s = %s / %s, want balance %s frozen %s", userNo, a.Balance, a.Frozen, balance, frozen)
	}
}

func TestFreezeNeedsBalanceMinusFrozen(t *testing.T) {
	t.Parallel()
	bank := lendingBank()
	uc := newLending(bank)
	ctx := context.Background()
	// 100.00 balance − 30.00 frozen = 70.00 available.
	_, err := uc.Freeze(ctx, "P2PDTX", biz.FreezeOrder{RequestNo: "FZ1", ProjectNo: "PN1", UserNo: "BUI1", Amount: amount("70.01")})
	if !errors.Is(err, biz.ErrInsufficientBalance) {
		t.Fatalf("freeze 70.01 of 70.00: %v, want ErrInsufficientBalance", err)
	}
	wantAccount(t, bank, "BUI1", "100.00", "30.00")
	if len(bank.Freezes()) != 0 || bank.Requests() != 0 {
		t.Fatalf("a refused freeze left %d freezes, %d requests", len(bank.Freezes()), bank.Requests())
	}
	f, err := uc.Freeze(ctx, "P2PDTX", biz.FreezeOrder{RequestNo: "FZ1", ProjectNo: "PN1", UserNo: "BUI1", Amount: amount("70.00")})
	if err != nil {
		t.Fatal(err)
	}
	if f.Status != biz.FreezeFrozen || f.Amount.String() != "70.00" {
		t.Fatalf("freeze %+v", f)
	}
	wantAccount(t, bank, "BUI1", "100.00", "100.00")
	if r, ok := bank.Request("FZ1"); !ok || r.ServiceName != biz.ServiceFreeze || r.Status != biz.RequestSuccess {
		t.Fatalf("request log %+v", r)
	}
}

func TestFreezeIsIdempotentByRequestNo(t *testing.T) {
	t.Parallel()
	bank := lendingBank()
	uc := newLending(bank)
	ctx := context.Background()
	order := biz.FreezeOrder{RequestNo: "FZ1", ProjectNo: "PN1", UserNo: "BUI2", Amount: amount("600.00")}
	for i := range 3 {
		f, err := uc.Freeze(ctx, "P2PDTX", order)
		if err != nil || f.RequestNo != "FZ1" || f.Amount.String() != "600.00" || f.Status != biz.FreezeFrozen {
			t.Fatalf("freeze #%d: %+v, %v", i+1, f, err)
		}
	}
	wantAccount(t, bank, "BUI2", "2000.00", "600.00")
	if len(bank.Freezes()) != 1 {
		t.Fatalf("%d freezes, want 1", len(bank.Freezes()))
	}
	// The same number for a different freeze is a conflict, not a second freeze.
	other := order
	other.Amount = amount("1.00")
	if _, err := uc.Freeze(ctx, "P2PDTX", other); !errors.Is(err, biz.ErrRequestNoConflict) {
		t.Fatalf("same requestNo, other amount: %v, want ErrRequestNoConflict", err)
	}
	wantAccount(t, bank, "BUI2", "2000.00", "600.00")
}

func TestFreezeRefusals(t *testing.T) {
	t.Parallel()
	bank := lendingBank()
	uc := newLending(bank)
	ctx := context.Background()
	if _, err := uc.Freeze(ctx, "P2PDTX", biz.FreezeOrder{RequestNo: "FZ1", ProjectNo: "PN1", UserNo: "BUI2", Amount: amount("900.00")}); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		order biz.FreezeOrder
		want  error
	}{
		"over the project amount": {biz.FreezeOrder{RequestNo: "FZ2", ProjectNo: "PN1", UserNo: "BUI2", Amount: amount("100.01")}, biz.ErrExceedsProjectAmount},
		"unknown project":         {biz.FreezeOrder{RequestNo: "FZ3", ProjectNo: "PN9", UserNo: "BUI2", Amount: amount("1.00")}, biz.ErrProjectNotFound},
		"unknown account":         {biz.FreezeOrder{RequestNo: "FZ4", ProjectNo: "PN1", UserNo: "BU404", Amount: amount("1.00")}, biz.ErrAccountNotFound},
		"another platform's user": {biz.FreezeOrder{RequestNo: "FZ5", ProjectNo: "PN1", UserNo: "BUX", Amount: amount("1.00")}, biz.ErrAccountNotFound},
		"zero":                    {biz.FreezeOrder{RequestNo: "FZ6", ProjectNo: "PN1", UserNo: "BUI2", Amount: amount("0")}, nil},
	} {
		_, err := uc.Freeze(ctx, "P2PDTX", tc.order)
		var ve *biz.ValidationError
		if (tc.want == nil && !errors.As(err, &ve)) || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	wantAccount(t, bank, "BUI2", "2000.00", "900.00")
}

func TestConfirmLoanTransfersEveryFreezeOnce(t *testing.T) {
	t.Parallel()
	bank := lendingBank()
	uc := newLending(bank)
	ctx := context.Background()
	for _, o := range []biz.FreezeOrder{
		{RequestNo: "FZ1", ProjectNo: "PN1", UserNo: "BUI1", Amount: amount("70.00")},
		{RequestNo: "FZ2", ProjectNo: "PN1", UserNo: "BUI2", Amount: amount("600.00")},
		{RequestNo: "FZ3", ProjectNo: "PN1", UserNo: "BUI2", Amount: amount("330.00")},
	} {
		if _, err := uc.Freeze(ctx, "P2PDTX", o); err != nil {
			t.Fatal(err)
		}
	}
	loan, err := uc.ConfirmLoan(ctx, "P2PDTX", "LN1", "PN1")
	if err != nil {
		t.Fatal(err)
	}
	if loan.Amount.String() != "1000.00" || loan.BorrowerUserNo != "BUB" {
		t.Fatalf("loan %+v", loan)
	}
	wantAccount(t, bank, "BUB", "1005.00", "0.00")
	wantAccount(t, bank, "BUI1", "30.00", "30.00") // its earlier 30.00 stays frozen
	wantAccount(t, bank, "BUI2", "1070.00", "0.00")
	for no, f := range bank.Freezes() {
		if f.Status != biz.FreezeTransferred {
			t.Errorf("freeze %s is %s", no, f.Status)
		}
	}
	if p, _ := bank.Project("PN1"); p.Status != biz.ProjectLoaned {
		t.Errorf("project %s", p.Status)
	}
	// Repeats move nothing: the same request, and another request for the loaned project.
	for _, no := range []string{"LN1", "LN2"} {
		again, err := uc.ConfirmLoan(ctx, "P2PDTX", no, "PN1")
		if err != nil || again.Amount.String() != "1000.00" {
			t.Fatalf("repeat %s: %+v, %v", no, again, err)
		}
	}
	wantAccount(t, bank, "BUB", "1005.00", "0.00")
	wantAccount(t, bank, "BUI2", "1070.00", "0.00")
	// No freeze of a loaned project, and a repeat of a freeze still answers.
	if _, err := uc.Freeze(ctx, "P2PDTX", biz.FreezeOrder{RequestNo: "FZ9", ProjectNo: "PN1", UserNo: "BUI2", Amount: amount("1.00")}); !errors.Is(err, biz.ErrProjectNotCollecting) {
		t.Errorf("freeze after loan: %v, want ErrProjectNotCollecting", err)
	}
	if f, err := uc.Freeze(ctx, "P2PDTX", biz.FreezeOrder{RequestNo: "FZ2", ProjectNo: "PN1", UserNo: "BUI2", Amount: amount("600.00")}); err != nil || f.Status != biz.FreezeTransferred {
		t.Errorf("repeat of a transferred freeze: %+v, %v", f, err)
	}
}

func TestConfirmLoanWithNothingFrozen(t *testing.T) {
	t.Parallel()
	bank := lendingBank()
	if _, err := newLending(bank).ConfirmLoan(context.Background(), "P2PDTX", "LN1", "PN1"); !errors.Is(err, biz.ErrNothingFrozen) {
		t.Fatalf("loan of an empty project: %v, want ErrNothingFrozen", err)
	}
	if p, _ := bank.Project("PN1"); p.Status != biz.ProjectCollecting || bank.Requests() != 0 {
		t.Fatalf("project %s, %d requests", p.Status, bank.Requests())
	}
}

func TestRegisterProject(t *testing.T) {
	t.Parallel()
	bank := biztest.New()
	bank.PutUser(biz.BankUser{UserNo: "BUB", PlatformNo: "P2PDTX", PlatformUserID: 1}, biz.Account{})
	uc := newLending(bank)
	ctx := context.Background()
	reg := biz.ProjectRegistration{RequestNo: "PJ1", ProjectNo: "PN1", PlatformProjectID: 7, BorrowerUserNo: "BUB", Amount: amount("1000.00")}
	for range 2 {
		p, err := uc.RegisterProject(ctx, "P2PDTX", reg)
		if err != nil || p.Status != biz.ProjectCollecting || p.Amount.String() != "1000.00" {
			t.Fatalf("register: %+v, %v", p, err)
		}
	}
	again := reg
	again.RequestNo = "PJ2"
	if _, err := uc.RegisterProject(ctx, "P2PDTX", again); !errors.Is(err, biz.ErrProjectAlreadyRegistered) {
		t.Fatalf("second registration under another requestNo: %v", err)
	}
	unknown := reg
	unknown.RequestNo, unknown.ProjectNo, unknown.PlatformProjectID, unknown.BorrowerUserNo = "PJ3", "PN3", 8, "BU404"
	if _, err := uc.RegisterProject(ctx, "P2PDTX", unknown); !errors.Is(err, biz.ErrAccountNotFound) {
		t.Fatalf("unknown borrower: %v", err)
	}
	if bank.Requests() != 1 {
		t.Fatalf("%d requests logged, want 1", bank.Requests())
	}
}
