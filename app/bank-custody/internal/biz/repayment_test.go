package biz_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz/biztest"
)

func newRepayments(bank *biztest.Bank) *biz.RepaymentUsecase {
	return biz.NewRepaymentUsecase(bank.Tx(), bank.RequestRepo(), bank.UserRepo(), bank.AccountRepo(), bank.ProjectRepo(), bank.RepaymentRepo())
}

// loanedBank has project PN1 loaned to BUB (who holds 300.00), two investors and the
// platform's fee account.
func loanedBank() *biztest.Bank {
	bank := lendingBank()
	p, _ := bank.Project("PN1")
	p.Status = biz.ProjectLoaned
	bank.PutProject(p)
	bank.PutUser(biz.BankUser{UserNo: "BUB", PlatformNo: "P2PDTX", PlatformUserID: 1}, biz.Account{Balance: amount("300.00"), Frozen: amount("50.00")})
	if err := newProcessing(bank).OpenFeeAccounts(context.Background()); err != nil {
		panic(err)
	}
	return bank
}

// installment is period 1 of PN1: 120.00 = 50.00 + 40.00 + 20.00 (BUI2 twice) + 10.00.
func installment(requestNo string) biz.RepaymentOrder {
	return biz.RepaymentOrder{InstallmentPayment: biz.InstallmentPayment{RequestNo: requestNo, ProjectNo: "PN1", Period: 1,
		BorrowerUserNo: "BUB", Amount: amount("120.00"), Commission: amount("10.00")},
		Credits: []biz.Credit{{UserNo: "BUI1", Amount: amount("50.00")}, {UserNo: "BUI2", Amount: amount("40.00")},
			{UserNo: "BUI2", Amount: amount("20.00")}}}
}

func TestRepayMovesEveryCreditInOneTransaction(t *testing.T) {
	t.Parallel()
	bank := loanedBank()
	uc := newRepayments(bank)
	ctx := context.Background()
	commits := bank.Commits
	rp, err := uc.Repay(ctx, "P2PDTX", installment("RP1"))
	if err != nil || rp.RequestNo != "RP1" || rp.Period != 1 || rp.Amount.String() != "120.00" || rp.Commission.String() != "10.00" {
		t.Fatalf("repay: %+v, %v", rp, err)
	}
	if bank.Commits != commits+1 {
		t.Errorf("%d transactions, want 1", bank.Commits-commits)
	}
	wantAccount(t, bank, "BUB", "180.00", "50.00")
	wantAccount(t, bank, "BUI1", "150.00", "30.00")
	wantAccount(t, bank, "BUI2", "2060.00", "0.00")
	wantAccount(t, bank, "FEE_P2PDTX", "10.00", "0.00")
	r, _ := bank.Request("RP1")
	if r.ServiceName != biz.ServiceRepay || r.Status != biz.RequestSuccess || r.UserNo != "BUB" || r.Details.Period != 1 ||
		r.Details.ProjectNo != "PN1" || r.Details.Commission.String() != "10.00" {
		t.Fatalf("request log %+v", r)
	}
	if got := bank.Repayments()["RP1"]; got.Period != 1 || got.Credits != 3 {
		t.Fatalf("repayment %+v", got)
	}
	// A repeat answers the same and moves nothing.
	again, err := uc.Repay(ctx, "P2PDTX", installment("RP1"))
	if err != nil || again.RequestNo != rp.RequestNo || again.Period != rp.Period || !again.Amount.Equal(rp.Amount) ||
		!again.Commission.Equal(rp.Commission) {
		t.Fatalf("repeat: %+v, %v; want %+v", again, err, rp)
	}
	wantAccount(t, bank, "BUB", "180.00", "50.00")
	// The same period under another number is refused, whatever the borrower holds.
	if _, err := uc.Repay(ctx, "P2PDTX", installment("RP2")); !errors.Is(err, biz.ErrPeriodAlreadyRepaid) {
		t.Fatalf("period 1 again: %v, want ErrPeriodAlreadyRepaid", err)
	}
	wantAccount(t, bank, "BUB", "180.00", "50.00")
	if _, ok := bank.Request("RP2"); ok {
		t.Error("the refused second repayment was recorded")
	}
}

func TestRepayShortBorrowerIsRecordedFailedThenAttemptedAgain(t *testing.T) {
	t.Parallel()
	bank := loanedBank()
	// 300.00 − 50.00 frozen = 250.00 available: 250.01 is short.
	bank.PutUser(biz.BankUser{UserNo: "BUB", PlatformNo: "P2PDTX", PlatformUserID: 1}, biz.Account{Balance: amount("170.00"), Frozen: amount("50.01")})
	uc := newRepayments(bank)
	ctx := context.Background()
	if _, err := uc.Repay(ctx, "P2PDTX", installment("RP1")); !errors.Is(err, biz.ErrInsufficientBalance) {
		t.Fatalf("short borrower: %v, want ErrInsufficientBalance", err)
	}
	wantAccount(t, bank, "BUB", "170.00", "50.01")
	wantAccount(t, bank, "BUI1", "100.00", "30.00")
	wantAccount(t, bank, "FEE_P2PDTX", "0.00", "0.00")
	r, _ := bank.Request("RP1")
	if r.Status != biz.RequestFailed || r.FailureReason != biz.ReasonInsufficientBalance || len(bank.Repayments()) != 0 {
		t.Fatalf("refused request %+v, %d repayments", r, len(bank.Repayments()))
	}
	// The borrower recharges; the refused number is attempted again and succeeds.
	bank.PutUser(biz.BankUser{UserNo: "BUB", PlatformNo: "P2PDTX", PlatformUserID: 1}, biz.Account{Balance: amount("170.01"), Frozen: amount("50.01")})
	if _, err := uc.Repay(ctx, "P2PDTX", installment("RP1")); err != nil {
		t.Fatalf("again after the recharge: %v", err)
	}
	wantAccount(t, bank, "BUB", "50.01", "50.01")
	if r, _ := bank.Request("RP1"); r.Status != biz.RequestSuccess || r.FailureReason != "" || bank.Requests() != 1 {
		t.Fatalf("request after the retry %+v (%d requests)", r, bank.Requests())
	}
}

func TestRepayRefusals(t *testing.T) {
	t.Parallel()
	bank := loanedBank()
	bank.PutProject(biz.Project{ProjectNo: "PN2", PlatformProjectID: 8, BorrowerUserNo: "BUB", Amount: amount("1.00"), Status: biz.ProjectCollecting})
	bank.PutRequest(biz.CustodyRequest{RequestNo: "RC1", PlatformNo: "P2PDTX", ServiceName: biz.ServiceRecharge, Status: biz.RequestSuccess})
	uc := newRepayments(bank)
	with := func(no string, change func(*biz.RepaymentOrder)) biz.RepaymentOrder {
		o := installment(no)
		change(&o)
		return o
	}
	for name, tc := range map[string]struct {
		order biz.RepaymentOrder
		want  error
	}{
		"unknown project":      {with("RP1", func(o *biz.RepaymentOrder) { o.ProjectNo = "PN9" }), biz.ErrProjectNotFound},
		"project not loaned":   {with("RP2", func(o *biz.RepaymentOrder) { o.ProjectNo = "PN2" }), biz.ErrProjectNotLoaned},
		"another borrower":     {with("RP3", func(o *biz.RepaymentOrder) { o.BorrowerUserNo = "BUI1" }), biz.ErrRequestNoConflict},
		"unknown payee":        {with("RP4", func(o *biz.RepaymentOrder) { o.Credits[0].UserNo = "BU404" }), biz.ErrAccountNotFound},
		"another platform's":   {with("RP5", func(o *biz.RepaymentOrder) { o.Credits[0].UserNo = "BUX" }), biz.ErrAccountNotFound},
		"a recharge's number":  {installment("RC1"), biz.ErrRequestNoConflict},
		"the fee account paid": {with("RP6", func(o *biz.RepaymentOrder) { o.Credits[0].UserNo = "FEE_P2PDTX" }), biz.ErrAccountNotFound},
	} {
		if _, err := uc.Repay(context.Background(), "P2PDTX", tc.order); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	wantAccount(t, bank, "BUB", "300.00", "50.00")
	wantAccount(t, bank, "BUI1", "100.00", "30.00")
	if bank.Requests() != 1 || len(bank.Repayments()) != 0 {
		t.Fatalf("refusals left %d requests, %d repayments", bank.Requests(), len(bank.Repayments()))
	}
}

func TestRepaymentOrderValidationNamesTheField(t *testing.T) {
	t.Parallel()
	for want, change := range map[string]func(*biz.RepaymentOrder){
		"requestNo":         func(o *biz.RepaymentOrder) { o.RequestNo = "" },
		"projectNo":         func(o *biz.RepaymentOrder) { o.ProjectNo = "" },
		"period":            func(o *biz.RepaymentOrder) { o.Period = 0 },
		"borrowerUserNo":    func(o *biz.RepaymentOrder) { o.BorrowerUserNo = "" },
		"commission":        func(o *biz.RepaymentOrder) { o.Commission = amount("0.01").Neg() },
		"credits":           func(o *biz.RepaymentOrder) { o.Credits = nil },
		"credits[1].userNo": func(o *biz.RepaymentOrder) { o.Credits[1].UserNo = "" },
		"credits[2].amount": func(o *biz.RepaymentOrder) { o.Credits[2].Amount = amount("20.00").Neg() },
		// One cent off the sum.
		"amount": func(o *biz.RepaymentOrder) { o.Amount = amount("120.01") },
	} {
		o := installment("RP1")
		change(&o)
		var ve *biz.ValidationError
		if err := o.Validate(); !errors.As(err, &ve) || ve.Field != want {
			t.Errorf("%s: %v, want a validation error naming it", want, err)
		}
	}
	zero := installment("RP1")
	zero.Amount, zero.Commission, zero.Credits = amount("0.00"), amount("0.00"), []biz.Credit{{UserNo: "BUI1"}}
	var ve *biz.ValidationError
	if err := zero.Validate(); !errors.As(err, &ve) || ve.Field != "amount" {
		t.Errorf("a zero installment: %v, want amount refused", err)
	}
	if err := installment("RP1").Validate(); err != nil {
		t.Errorf("a valid order: %v", err)
	}
}

func TestRepayTwiceAtOncePaysOnce(t *testing.T) {
	t.Parallel()
	bank := loanedBank()
	uc := newRepayments(bank)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Half with the same number, half with others: one success in all.
			no := "RP1"
			if i%2 == 1 {
				no = fmt.Sprintf("RP%d", i+10)
			}
			_, errs[i] = uc.Repay(context.Background(), "P2PDTX", installment(no))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil && !errors.Is(err, biz.ErrPeriodAlreadyRepaid) {
			t.Errorf("repay %d: %v", i, err)
		}
	}
	wantAccount(t, bank, "BUB", "180.00", "50.00")
	wantAccount(t, bank, "FEE_P2PDTX", "10.00", "0.00")
	if n := len(bank.Repayments()); n != 1 {
		t.Fatalf("%d repayments, want 1", n)
	}
}
