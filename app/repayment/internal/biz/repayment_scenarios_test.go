package biz_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz/biztest"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// Due dates of the test loans: 2026-02-28, 2026-03-31, 2026-04-30.
var (
	firstDue  = time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC)
	secondDue = time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)
	allDue    = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
)

func TestRunRepaysWhatIsDueAndMovesTheMoney(t *testing.T) {
	t.Parallel()
	w := newRunWorld(t, "5000.00")
	s := w.loan(t, 1, 3)
	w.wantCounts(t, w.run(t, firstDue.Add(-time.Hour)), 0, 0, 0)
	w.wantCounts(t, w.run(t, firstDue), 1, 0, 0)
	w.paidOnce(t, 1, 1)
	w.wantStatus(t, 1, 2, biz.PlanPending, biz.ReceivablePending)
	p1 := s.Repayments[0]
	wantBalance(t, w.bank, borrowerNo, money.MustParseAmount("5000.00").Sub(p1.Amount))
	wantBalance(t, w.bank, "BU0000000021", s.Receivables[0].Amount) // tender 11, period 1
	wantBalance(t, w.bank, "BU0000000022", s.Receivables[3].Amount) // tender 12, period 1
	wantBalance(t, w.bank, biztest.FeeAccount, p1.Commission)
	a := w.attempts(t, 1, 1)
	if len(a) != 1 || a[0].Status != biz.AttemptSucceeded || a[0].SettledBy != a[0].RequestNo {
		t.Fatalf("attempts %+v, want one SUCCESS settled by the message whose gid is its request number", a)
	}
	// The rest in one run, in period order; a repeat finds nothing to do.
	w.wantCounts(t, w.run(t, allDue), 2, 0, 0)
	w.paidOnce(t, 1, 2)
	w.paidOnce(t, 1, 3)
	w.wantCounts(t, w.run(t, allDue), 0, 0, 0)
}

func TestRefusedInstallmentIsOverdueUntilTheBorrowerPays(t *testing.T) {
	t.Parallel()
	w := newRunWorld(t, "10.00")
	s := w.loan(t, 1, 3)
	// Short: period 1 OVERDUE with its receivables, nothing moved, and the project stops
	// there (period 2 is due too but not attempted).
	w.wantCounts(t, w.run(t, secondDue), 0, 1, 0)
	w.wantStatus(t, 1, 1, biz.PlanOverdue, biz.ReceivableOverdue)
	w.wantStatus(t, 1, 2, biz.PlanPending, biz.ReceivablePending)
	wantBalance(t, w.bank, borrowerNo, money.MustParseAmount("10.00"))
	if got := w.bank.Received[biztest.PeriodKey(projectNo(1), 2)]; got != 0 {
		t.Fatalf("period 2 was sent %d times while period 1 is unpaid", got)
	}
	if a := w.attempts(t, 1, 1); len(a) != 1 || a[0].Status != biz.AttemptRefused || a[0].FailureReason != "INSUFFICIENT_BALANCE" {
		t.Fatalf("attempts %+v, want one REFUSED", a)
	}
	if n := w.delivered(1, 1); n != 0 {
		t.Fatalf("a refused installment was told to trade-center %d times", n)
	}
	// Recharged: the next run makes a new attempt (a new request number) and repays both.
	w.bank.Recharge(borrowerNo, s.Repayments[0].Amount.Add(s.Repayments[1].Amount).String())
	w.wantCounts(t, w.run(t, secondDue), 2, 0, 0)
	w.paidOnce(t, 1, 1)
	w.paidOnce(t, 1, 2)
	a := w.attempts(t, 1, 1)
	if len(a) != 2 || a[0].RequestNo == a[1].RequestNo || a[1].Status != biz.AttemptSucceeded {
		t.Fatalf("attempts %+v, want the refused one and a new successful one", a)
	}
	wantBalance(t, w.bank, borrowerNo, money.MustParseAmount("10.00"))
}

func TestUnknownOutcomeIsSettledByQuery(t *testing.T) {
	t.Parallel()
	t.Run("the bank paid: repaid with one request", func(t *testing.T) {
		t.Parallel()
		w := newRunWorld(t, "5000.00")
		w.loan(t, 1, 3)
		w.bank.LoseAnswers = 1
		w.wantCounts(t, w.run(t, firstDue), 1, 0, 0)
		w.paidOnce(t, 1, 1)
		if got := w.bank.Received[biztest.PeriodKey(projectNo(1), 1)]; got != 1 {
			t.Fatalf("the bank got %d requests, want 1", got)
		}
	})
	t.Run("the bank refused: overdue", func(t *testing.T) {
		t.Parallel()
		w := newRunWorld(t, "1.00")
		w.loan(t, 1, 3)
		w.bank.LoseAnswers = 1
		w.wantCounts(t, w.run(t, firstDue), 0, 1, 0)
		w.wantStatus(t, 1, 1, biz.PlanOverdue, biz.ReceivableOverdue)
	})
	t.Run("the bank never got it: SENT until lost_after, then LOST and a new attempt", func(t *testing.T) {
		t.Parallel()
		w := newRunWorld(t, "5000.00")
		w.loan(t, 1, 3)
		w.bank.Unreachable = 1 // the request never arrives
		w.wantCounts(t, w.run(t, firstDue), 0, 0, 1)
		w.advance(5 * time.Minute)
		w.wantCounts(t, w.run(t, firstDue), 0, 0, 1) // not found, but young: may still arrive
		if a := w.attempts(t, 1, 1); len(a) != 1 || a[0].Status != biz.AttemptSent || a[0].Claims != 2 {
			t.Fatalf("attempts %+v, want one SENT, claimed twice", a)
		}
		w.advance(2 * time.Minute)
		w.wantCounts(t, w.run(t, firstDue), 0, 0, 1) // older than lost_after: LOST
		if a := w.attempts(t, 1, 1); len(a) != 1 || a[0].Status != biz.AttemptLost {
			t.Fatalf("attempts %+v, want one LOST", a)
		}
		w.wantCounts(t, w.run(t, firstDue), 1, 0, 0)
		w.paidOnce(t, 1, 1)
		if a := w.attempts(t, 1, 1); len(a) != 2 {
			t.Fatalf("attempts %+v, want the LOST one and a new one", a)
		}
	})
}

func TestAttemptInFlightIsNeverSentAgain(t *testing.T) {
	t.Parallel()
	w := newRunWorld(t, "5000.00")
	w.loan(t, 1, 3)
	w.bank.Unreachable = 2 // the request and the query at once: outcome unknown
	w.wantCounts(t, w.run(t, firstDue), 0, 0, 1)
	w.bank.Processing = true
	for range 3 {
		w.wantCounts(t, w.run(t, firstDue), 0, 0, 1)
	}
	if got := w.bank.Received[biztest.PeriodKey(projectNo(1), 1)]; got != 0 {
		t.Fatalf("a SENT attempt was sent again %d times", got)
	}
	// A run that starts while another's request is on its way settles it by query only.
	w.bank.Processing = false
	w2 := newRunWorld(t, "5000.00")
	w2.loan(t, 2, 3)
	held, release := make(chan struct{}), make(chan struct{})
	w2.bank.BeforeRepay = func() { close(held); <-release }
	done := make(chan biz.RunResult)
	go func() {
		r, err := w2.uc.Run(context.Background(), firstDue)
		if err != nil {
			t.Error(err)
		}
		done <- r
	}()
	<-held
	w2.wantCounts(t, w2.run(t, firstDue), 0, 0, 1)
	close(release)
	w2.wantCounts(t, <-done, 1, 0, 0)
	w2.paidOnce(t, 2, 1)
	if got := w2.bank.Received[biztest.PeriodKey(projectNo(2), 1)]; got != 1 {
		t.Fatalf("the bank got %d requests, want 1", got)
	}
}

func TestConcurrentRunsPayEachInstallmentOnce(t *testing.T) {
	t.Parallel()
	w := newRunWorld(t, "9000.00")
	for id := int64(1); id <= 3; id++ {
		w.loan(t, id, 3)
	}
	var wg sync.WaitGroup
	results := make([]biz.RunResult, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if results[i], err = w.uc.Run(context.Background(), allDue); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	// Runs that met an attempt in flight leave it pending; one more run settles the rest.
	w.run(t, allDue)
	repaid := 0
	for _, r := range results {
		repaid += r.Repaid
	}
	for id := int64(1); id <= 3; id++ {
		for period := 1; period <= 3; period++ {
			w.paidOnce(t, id, period)
			if got := w.bank.Received[biztest.PeriodKey(projectNo(id), period)]; got != 1 {
				t.Errorf("project %d period %d: the bank got %d requests, want 1", id, period, got)
			}
		}
	}
	if repaid > 9 {
		t.Fatalf("the runs report %d repaid installments of 9", repaid)
	}
}

func TestProjectStopsAtItsFirstUnpaidInstallment(t *testing.T) {
	t.Parallel()
	w := newRunWorld(t, "5000.00")
	w.loan(t, 1, 3)
	w.loan(t, 2, 3)
	w.bank.Unreachable = 2 // project 1's period 1: request and query fail
	w.wantCounts(t, w.run(t, allDue), 3, 0, 1)
	for period := 1; period <= 3; period++ {
		w.paidOnce(t, 2, period) // the other project goes on
		if got := w.bank.Received[biztest.PeriodKey(projectNo(1), period)]; got != 0 {
			t.Fatalf("project 1 period %d was sent %d times while period 1 is open", period, got)
		}
	}
}

func TestLegacyPlansWithoutBankNumbersAreLeftAlone(t *testing.T) {
	t.Parallel()
	w := newRunWorld(t, "5000.00")
	s, err := biz.Amortize(biz.LoanTerms{ProjectID: 5, BorrowerID: 7, Principal: money.MustParseAmount("100.00"),
		BorrowerRate: money.MustParseRate("0.15"), InvestorRate: money.MustParseRate("0.12"), Periods: 1,
		LoanDate: time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC),
		Tenders:  []biz.TenderShare{{TenderID: 51, InvestorID: 21, Amount: money.MustParseAmount("100.00")}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.plans.SaveSchedule(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	w.wantCounts(t, w.run(t, allDue), 0, 0, 0)
	w.wantStatus(t, 5, 1, biz.PlanPending, biz.ReceivablePending)
}

func wantBalance(t *testing.T, b *biztest.Bank, userNo string, want money.Amount) {
	t.Helper()
	if got := b.Balance(userNo); !got.Equal(want) {
		t.Fatalf("%s has %s, want %s", userNo, got, want)
	}
}

func TestRunFaultPoints(t *testing.T) {
	t.Parallel()
	t.Run("repay.localtx.fail: nothing recorded, no message; the next run settles by query", func(t *testing.T) {
		t.Parallel()
		w := newRunWorld(t, "5000.00")
		w.loan(t, 1, 3)
		if err := w.faults.Arm(biz.FaultRepayLocalTxFail, 1, 0); err != nil {
			t.Fatal(err)
		}
		w.wantCounts(t, w.run(t, firstDue), 0, 0, 1)
		w.wantStatus(t, 1, 1, biz.PlanPending, biz.ReceivablePending)
		if n := w.delivered(1, 1); n != 0 || w.bank.Successes(projectNo(1), 1) != 1 {
			t.Fatalf("after the failed local transaction: %d messages, %d bank successes; want 0 and 1", n, w.bank.Successes(projectNo(1), 1))
		}
		w.wantCounts(t, w.run(t, firstDue), 1, 0, 0)
		w.paidOnce(t, 1, 1)
		a := w.attempts(t, 1, 1)
		if len(a) != 1 || a[0].SettledBy != a[0].RequestNo+"-2" || w.bank.Received[biztest.PeriodKey(projectNo(1), 1)] != 1 {
			t.Fatalf("attempts %+v: want one, settled by the second claim's message (the first gid is spent)", a)
		}
	})
	t.Run("a lost submit: repaid, and DTM's check-back delivers the message once", func(t *testing.T) {
		t.Parallel()
		w := newRunWorld(t, "5000.00")
		w.loan(t, 1, 3)
		w.msgs.LoseSubmits = 1
		w.wantCounts(t, w.run(t, firstDue), 1, 0, 0)
		w.wantStatus(t, 1, 1, biz.PlanRepaid, biz.ReceivableReceived)
		if n := w.delivered(1, 1); n != 0 {
			t.Fatalf("delivered %d before the check-back", n)
		}
		if n := w.msgs.CheckBack(); n != 1 {
			t.Fatalf("check-back delivered %d", n)
		}
		w.paidOnce(t, 1, 1)
	})
}

func TestPeriodAlreadyRepaidRecoversTheLostAttemptThatPaid(t *testing.T) {
	t.Parallel()
	w := newRunWorld(t, "5000.00")
	s := w.loan(t, 1, 3)
	ctx := context.Background()
	// An attempt given up as LOST that reached the bank after all.
	lost := biz.Attempt{RequestNo: "RPLOSTBUTPAID", ProjectID: 1, Period: 1, Status: biz.AttemptLost, Claims: 1,
		RunID: "RR1", CreatedAt: w.clock(), UpdatedAt: w.clock()}
	if err := w.plans.CreateAttempt(ctx, lost); err != nil {
		t.Fatal(err)
	}
	credits, err := w.plans.Credits(ctx, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.bank.Repay(ctx, biz.BankRepayment{RequestNo: lost.RequestNo, ProjectNo: projectNo(1), Period: 1,
		BorrowerUserNo: borrowerNo, Amount: s.Repayments[0].Amount, Commission: s.Repayments[0].Commission, Credits: credits}); err != nil {
		t.Fatal(err)
	}
	w.wantCounts(t, w.run(t, firstDue), 1, 0, 0)
	w.paidOnce(t, 1, 1)
	a := w.attempts(t, 1, 1)
	if len(a) != 2 || a[0].Status != biz.AttemptSucceeded || !strings.HasPrefix(a[0].SettledBy, lost.RequestNo+"-") ||
		a[1].Status != biz.AttemptRejected || a[1].FailureReason != "PERIOD_ALREADY_REPAID" {
		t.Fatalf("attempts %+v: want the lost one SUCCESS and the new one REJECTED", a)
	}
}

// The fake keeps the contract the ent adapter keeps (internal/data's
// TestInstallmentRepoKeepsTheContract runs it against MariaDB).
func TestFakeInstallmentsKeepTheContract(t *testing.T) {
	t.Parallel()
	var next int64
	var mu sync.Mutex
	biztest.InstallmentRepoContract(t, func(*testing.T) biztest.Stores {
		p := biztest.NewPlans()
		return biztest.Stores{Tx: p, Plans: p, Installments: p}
	}, func() int64 {
		mu.Lock()
		defer mu.Unlock()
		next++
		return next
	}, nil)
}
