package biz_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// memoryPlans keeps written schedules by project and, like the unique keys, refuses to
// write a project twice.
type memoryPlans struct {
	saved map[int64]biz.Schedule
	err   error
}

func (m *memoryPlans) RepaymentPlan(_ context.Context, id int64) ([]biz.RepaymentItem, error) {
	return m.saved[id].Repayments, nil
}

func (m *memoryPlans) Receivables(_ context.Context, id int64) ([]biz.ReceivableItem, error) {
	return m.saved[id].Receivables, nil
}

func (m *memoryPlans) SaveSchedule(_ context.Context, s biz.Schedule) (int, error) {
	if m.err != nil {
		return 0, m.err
	}
	id := s.Repayments[0].ProjectID
	if _, ok := m.saved[id]; ok {
		return 0, nil
	}
	m.saved[id] = s
	return len(s.Repayments) + len(s.Receivables), nil
}

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
	repo := &memoryPlans{saved: map[int64]biz.Schedule{}}
	uc := biz.NewStartRepaymentUsecase(repo, nil, log.NewStdLogger(io.Discard))
	w, err := uc.Start(context.Background(), startTerms())
	if err != nil || w.Rows != 12+24 {
		t.Fatalf("Start = %+v, %v; want 36 rows", w, err)
	}
	s := repo.saved[9]
	if s.Repayments[0].BorrowerID != 7 || s.Receivables[0].InvestorID != 21 || s.Repayments[0].DueDate.Day() != 28 {
		t.Fatalf("schedule %+v", s.Repayments[0])
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
	repo := &memoryPlans{saved: map[int64]biz.Schedule{}}
	uc := biz.NewStartRepaymentUsecase(repo, f, log.NewStdLogger(io.Discard))
	for i := range 2 {
		if _, err := uc.Start(context.Background(), startTerms()); err == nil {
			t.Fatalf("attempt %d succeeded with the fault armed", i+1)
		}
	}
	if len(repo.saved) != 0 {
		t.Fatal("a failed attempt wrote plans")
	}
	if _, err := uc.Start(context.Background(), startTerms()); err != nil || len(repo.saved) != 1 {
		t.Fatalf("third attempt: %v", err)
	}

	bad := startTerms()
	bad.Tenders = bad.Tenders[:1] // 600.00 of 1000.00
	if _, err := uc.Start(context.Background(), bad); !errors.Is(err, biz.ErrInvalidLoanTerms) {
		t.Fatalf("terms whose tenders do not add up: %v", err)
	}
	down := errors.New("connection refused")
	uc = biz.NewStartRepaymentUsecase(&memoryPlans{saved: map[int64]biz.Schedule{}, err: down}, nil, log.NewStdLogger(io.Discard))
	if _, err := uc.Start(context.Background(), startTerms()); !errors.Is(err, down) {
		t.Fatalf("database down: %v", err)
	}
}
