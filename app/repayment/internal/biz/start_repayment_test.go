package biz_test

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz/biztest"
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

func startTerms() biz.LoanTerms {
	return biz.LoanTerms{
		ProjectID: 9, BorrowerID: 7, Principal: money.MustParseAmount("1000.00"),
		BorrowerRate: money.MustParseRate("0.15"), InvestorRate: money.MustParseRate("0.12"), Periods: 12,
		LoanDate: time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC),
		Tenders: []biz.TenderShare{
			{TenderID: 1, InvestorID: 21, Amount: money.MustParseAmount("600.00")},
			{TenderID: 2, InvestorID: 22, Amount: money.MustParseAmount("400.00")},
		},
	}
}

func TestStartRepaymentWritesThePlansOnce(t *testing.T) {
	t.Parallel()
	repo := biztest.NewPlans()
	uc := biz.NewStartRepaymentUsecase(repo, nil, log.NewStdLogger(io.Discard))
	w, err := uc.Start(context.Background(), startTerms())
	if err != nil || w.Rows != 12+24 {
		t.Fatalf("Start = %+v, %v; want 36 rows", w, err)
	}
	plan, err := repo.RepaymentPlan(context.Background(), 9)
	if err != nil {
		t.Fatal(err)
	}
	receivables, err := repo.Receivables(context.Background(), 9)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan) != 12 || plan[0].BorrowerID != 7 || receivables[0].InvestorID != 21 || plan[0].DueDate.Day() != 28 {
		t.Fatalf("plan %+v, receivables %+v", plan, receivables)
	}
	// A redelivered message writes nothing and is still a success.
	if w, err := uc.Start(context.Background(), startTerms()); err != nil || w.Rows != 0 {
		t.Fatalf("second Start = %+v, %v", w, err)
	}
}

func TestStartRepaymentFailures(t *testing.T) {
	t.Parallel()
	f := faults.New(biz.FaultPlanConsumeFail)
	if err := f.Arm(biz.FaultPlanConsumeFail, 2, 0); err != nil {
		t.Fatal(err)
	}
	repo := biztest.NewPlans()
	uc := biz.NewStartRepaymentUsecase(repo, f, log.NewStdLogger(io.Discard))
	for i := range 2 {
		if _, err := uc.Start(context.Background(), startTerms()); err == nil {
			t.Fatalf("attempt %d succeeded with the fault armed", i+1)
		}
	}
	if plan, err := repo.RepaymentPlan(context.Background(), 9); err != nil || len(plan) != 0 {
		t.Fatalf("a failed attempt wrote plans: %v, %v", plan, err)
	}
	if _, err := uc.Start(context.Background(), startTerms()); err != nil {
		t.Fatalf("third attempt: %v", err)
	}
	if plan, err := repo.RepaymentPlan(context.Background(), 9); err != nil || len(plan) != 12 {
		t.Fatalf("after the third attempt: %d periods, %v", len(plan), err)
	}

	bad := startTerms()
	bad.Tenders = bad.Tenders[:1] // 600.00 of 1000.00
	if _, err := uc.Start(context.Background(), bad); !errors.Is(err, biz.ErrInvalidLoanTerms) {
		t.Fatalf("terms whose tenders do not add up: %v", err)
	}
	down := errors.New("connection refused")
	uc = biz.NewStartRepaymentUsecase(&biztest.Plans{Err: down}, nil, log.NewStdLogger(io.Discard))
	if _, err := uc.Start(context.Background(), startTerms()); !errors.Is(err, down) {
		t.Fatalf("database down: %v", err)
	}
}

// The fake keeps the contract the ent adapter keeps (internal/data's
// TestPlanRepoKeepsTheContract runs it against MariaDB).
func TestFakePlansKeepTheContract(t *testing.T) {
	t.Parallel()
	var next atomic.Int64
	biztest.PlanRepoContract(t, func(*testing.T) biz.PlanRepo { return biztest.NewPlans() },
		func() int64 { return next.Add(1) }, nil)
}
