package biz_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz/biztest"
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// runWorld is the repayment run over the fakes: the plan store, the bank and DTM's
// two-phase message, with a clock the test moves.
type runWorld struct {
	plans  *biztest.Plans
	bank   *biztest.Bank
	msgs   *biztest.Messages
	faults *faults.Registry
	uc     *biz.RunUsecase

	mu  sync.Mutex
	now time.Time
}

const borrowerNo = "BU0000000007"

func newRunWorld(t *testing.T, borrowerBalance string) *runWorld {
	t.Helper()
	w := &runWorld{plans: biztest.NewPlans(), faults: faults.New(biz.FaultRepayLocalTxFail, biz.FaultRepaySubmitLost),
		now: time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)}
	w.bank = biztest.NewBank(map[string]string{borrowerNo: borrowerBalance, "BU0000000021": "0.00", "BU0000000022": "0.00"})
	w.msgs = biztest.NewMessages(w.plans)
	w.uc = biz.NewRunUsecase(w.plans, w.plans, w.bank, w.msgs,
		biz.RunSettings{LostAfter: 6 * time.Minute, Now: w.clock}, w.faults, nil, log.NewStdLogger(io.Discard))
	return w
}

func (w *runWorld) clock() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now
}

func (w *runWorld) advance(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.now = w.now.Add(d)
}

// loan writes the plans of a 1,000.00 loan over periods months from two tenders
// (600.00 by investor 21, 400.00 by investor 22), loaned on 2026-01-31.
func (w *runWorld) loan(t *testing.T, projectID int64, periods int) biz.Schedule {
	t.Helper()
	s, err := biz.Amortize(biz.LoanTerms{ProjectID: projectID, BorrowerID: 7, Principal: money.MustParseAmount("1000.00"),
		BorrowerRate: money.MustParseRate("0.15"), InvestorRate: money.MustParseRate("0.12"), Periods: periods,
		LoanDate: time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC), BankProjectNo: projectNo(projectID), BorrowerUserNo: borrowerNo,
		Tenders: []biz.TenderShare{
			{TenderID: projectID*10 + 1, InvestorID: 21, Amount: money.MustParseAmount("600.00"), InvestorUserNo: "BU0000000021"},
			{TenderID: projectID*10 + 2, InvestorID: 22, Amount: money.MustParseAmount("400.00"), InvestorUserNo: "BU0000000022"},
		}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.plans.SaveSchedule(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return s
}

func projectNo(id int64) string { return fmt.Sprintf("BP%d", id) }

func (w *runWorld) run(t *testing.T, asOf time.Time) biz.RunResult {
	t.Helper()
	r, err := w.uc.Run(context.Background(), asOf)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.RunID, "RR") {
		t.Fatalf("run id %q", r.RunID)
	}
	return r
}

func (w *runWorld) wantCounts(t *testing.T, r biz.RunResult, repaid, overdue, pending int) {
	t.Helper()
	if r.Repaid != repaid || r.Overdue != overdue || r.Pending != pending {
		t.Fatalf("run %+v, want repaid %d, overdue %d, pending %d", r, repaid, overdue, pending)
	}
}

// wantStatus checks the installment's status and that of each of its receivables.
func (w *runWorld) wantStatus(t *testing.T, projectID int64, period int, plan biz.PlanStatus, recv biz.ReceivableStatus) {
	t.Helper()
	inst, err := w.plans.Installment(context.Background(), projectID, period)
	if err != nil || inst.Status != plan || (plan == biz.PlanRepaid) == inst.RepaidAt.IsZero() {
		t.Fatalf("period %d: %+v, %v; want %s", period, inst, err, plan)
	}
	all, err := w.plans.Receivables(context.Background(), projectID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range all {
		if r.Period == period && (r.Status != recv || (recv == biz.ReceivableReceived) == r.ReceivedAt.IsZero()) {
			t.Fatalf("period %d receivable of tender %d: %s at %v, want %s", period, r.TenderID, r.Status, r.ReceivedAt, recv)
		}
	}
}

// attempts are the installment's attempts, oldest first.
func (w *runWorld) attempts(t *testing.T, projectID int64, period int) []biz.Attempt {
	t.Helper()
	a, err := w.plans.Attempts(context.Background(), projectID, period)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// delivered counts the two-phase messages trade-center got for the installment.
func (w *runWorld) delivered(projectID int64, period int) int {
	n := 0
	for _, m := range w.msgs.Delivered() {
		if m.ProjectID == projectID && m.Period == period {
			n++
		}
	}
	return n
}

// paidOnce checks the installment is REPAID, paid at the bank once and told to
// trade-center once, with the attempt's request number.
func (w *runWorld) paidOnce(t *testing.T, projectID int64, period int) {
	t.Helper()
	w.wantStatus(t, projectID, period, biz.PlanRepaid, biz.ReceivableReceived)
	if n := w.bank.Successes(projectNo(projectID), period); n != 1 {
		t.Fatalf("period %d paid %d times at the bank", period, n)
	}
	if n := w.delivered(projectID, period); n != 1 {
		t.Fatalf("period %d told to trade-center %d times, want once", period, n)
	}
	for _, m := range w.msgs.Delivered() {
		if m.ProjectID == projectID && m.Period == period && !strings.HasPrefix(m.RequestNo, "RP") {
			t.Fatalf("message %+v carries no RP request number", m)
		}
	}
}
