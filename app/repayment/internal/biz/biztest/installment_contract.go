package biztest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/testkey"
)

// Stores is one implementation of the ports the repayment run uses.
type Stores struct {
	Tx           biz.Transaction
	Plans        biz.PlanRepo
	Installments biz.InstallmentRepo
}

// InstallmentRepoContract is what the repayment run relies on from a biz.InstallmentRepo
// (with the biz.PlanRepo that writes the plans and the biz.Transaction it joins), run
// against every implementation. newProjectID gives a project id no other test uses;
// forget removes what a test wrote for a project, attempts included (nil for the fake).
func InstallmentRepoContract(t *testing.T, open func(t *testing.T) Stores, newProjectID func() int64, forget func(projectID int64)) {
	// saved writes a 3-period schedule of a new project and returns its id.
	saved := func(t *testing.T, s Stores, withBank bool) int64 {
		t.Helper()
		id := newProjectID()
		if forget != nil {
			t.Cleanup(func() { forget(id) })
		}
		if _, err := s.Plans.SaveSchedule(context.Background(), testSchedule(t, id, withBank)); err != nil {
			t.Fatal(err)
		}
		return id
	}
	installmentLock(t, open, saved)
	dueInstallments(t, open, saved)
	installmentMarks(t, open, saved)
	attemptStore(t, open, saved)
}

func installmentLock(t *testing.T, open func(t *testing.T) Stores, saved func(*testing.T, Stores, bool) int64) {
	t.Run("a locking read needs a transaction", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		id := saved(t, s, true)
		if _, err := s.Installments.LockInstallment(context.Background(), id, 1); err == nil {
			t.Error("LockInstallment outside a transaction succeeded")
		}
		err := s.Tx.InTx(context.Background(), func(ctx context.Context) error {
			inst, err := s.Installments.LockInstallment(ctx, id, 1)
			if err == nil && (inst.Status != biz.PlanPending || inst.BankProjectNo == "" || inst.Amount.IsZero()) {
				t.Errorf("locked installment %+v", inst)
			}
			return err
		})
		if err != nil {
			t.Fatalf("LockInstallment in a transaction: %v", err)
		}
		if _, err := s.Installments.Installment(context.Background(), id, 4); !errors.Is(err, biz.ErrInstallmentNotFound) {
			t.Fatalf("period 4 of 3: %v, want ErrInstallmentNotFound", err)
		}
	})
}

func dueInstallments(t *testing.T, open func(t *testing.T) Stores, saved func(*testing.T, Stores, bool) int64) {
	t.Run("due installments are the executable ones not repaid, by project and period", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		ctx := context.Background()
		id, legacy := saved(t, s, true), saved(t, s, false)
		plan, err := s.Plans.RepaymentPlan(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		due := func(asOf time.Time) []biz.Installment {
			t.Helper()
			all, err := s.Installments.DueInstallments(ctx, asOf, 100_000)
			if err != nil {
				t.Fatal(err)
			}
			var ours []biz.Installment
			for _, inst := range all {
				if inst.ProjectID == legacy {
					t.Errorf("a plan without the bank's numbers is due: %+v", inst)
				}
				if inst.ProjectID == id {
					ours = append(ours, inst)
				}
			}
			return ours
		}
		// The second period's date, late in the day: the date counts, not the time.
		if got := due(plan[1].DueDate.Add(23 * time.Hour)); len(got) != 2 || got[0].Period != 1 || got[1].Period != 2 {
			t.Fatalf("due by period 2's date: %+v, want periods 1 and 2 in order", got)
		}
		if got := due(plan[0].DueDate.Add(-time.Hour)); len(got) != 0 {
			t.Fatalf("due before period 1's date: %+v", got)
		}
		if err := s.Installments.MarkRepaid(ctx, id, 1, time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := s.Installments.MarkOverdue(ctx, id, 2); err != nil {
			t.Fatal(err)
		}
		got := due(plan[2].DueDate)
		if len(got) != 2 || got[0].Period != 2 || got[0].Status != biz.PlanOverdue || got[1].Period != 3 {
			t.Fatalf("due once period 1 is repaid and 2 overdue: %+v, want 2 (OVERDUE) and 3", got)
		}
	})
}

func installmentMarks(t *testing.T, open func(t *testing.T) Stores, saved func(*testing.T, Stores, bool) int64) {
	t.Run("repaid and overdue mark the plan row and that period's receivables only", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		ctx := context.Background()
		id := saved(t, s, true)
		at := time.Date(2026, 3, 1, 9, 30, 15, 123456000, time.UTC)
		if err := s.Installments.MarkOverdue(ctx, id, 1); err != nil {
			t.Fatal(err)
		}
		if err := s.Installments.MarkRepaid(ctx, id, 1, at); err != nil {
			t.Fatal(err)
		}
		if err := s.Installments.MarkOverdue(ctx, id, 2); err != nil {
			t.Fatal(err)
		}
		plan, err := s.Plans.RepaymentPlan(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if plan[0].Status != biz.PlanRepaid || !plan[0].RepaidAt.Equal(at) || plan[1].Status != biz.PlanOverdue ||
			!plan[1].RepaidAt.IsZero() || plan[2].Status != biz.PlanPending {
			t.Fatalf("plan after marking: %+v", plan)
		}
		recv, err := s.Plans.Receivables(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		want := map[int]biz.ReceivableStatus{1: biz.ReceivableReceived, 2: biz.ReceivableOverdue, 3: biz.ReceivablePending}
		for _, r := range recv {
			if r.Status != want[r.Period] || (r.Period == 1) != r.ReceivedAt.Equal(at) {
				t.Errorf("receivable of tender %d period %d: %s at %v, want %s", r.TenderID, r.Period, r.Status, r.ReceivedAt, want[r.Period])
			}
		}
		credits, err := s.Installments.Credits(ctx, id, 2)
		if err != nil || len(credits) != 2 || credits[0].UserNo != investorUserNo(21) || credits[1].UserNo != investorUserNo(22) ||
			!credits[0].Amount.Equal(recv[1].Amount) || !credits[1].Amount.Equal(recv[4].Amount) {
			t.Fatalf("credits of period 2: %+v, %v; want tender %d's then %d's, with their user numbers", credits, err, id*10+1, id*10+2)
		}
	})
	t.Run("a rolled-back transaction leaves nothing", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		id := saved(t, s, true)
		a := attemptOf(id, 1, time.Now())
		boom := errors.New("boom")
		err := s.Tx.InTx(context.Background(), func(ctx context.Context) error {
			if err := s.Installments.CreateAttempt(ctx, a); err != nil {
				return err
			}
			if err := s.Installments.MarkRepaid(ctx, id, 1, time.Now()); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v, want the function's error", err)
		}
		if _, err := s.Installments.Attempt(context.Background(), a.RequestNo); !errors.Is(err, biz.ErrAttemptNotFound) {
			t.Errorf("attempt after the rollback: %v, want ErrAttemptNotFound", err)
		}
		if inst, err := s.Installments.Installment(context.Background(), id, 1); err != nil || inst.Status != biz.PlanPending {
			t.Errorf("installment after the rollback: %+v, %v", inst, err)
		}
	})
}

// attemptOf is a SENT attempt of the installment with a request number no other test uses.
func attemptOf(projectID int64, period int, now time.Time) biz.Attempt {
	now = now.UTC().Truncate(time.Microsecond) // what DATETIME(6) keeps
	return biz.Attempt{RequestNo: testkey.New("RP"), ProjectID: projectID, Period: period, Status: biz.AttemptSent,
		Claims: 1, RunID: testkey.New("RR"), CreatedAt: now, UpdatedAt: now}
}

func attemptStore(t *testing.T, open func(t *testing.T) Stores, saved func(*testing.T, Stores, bool) int64) {
	t.Run("attempts read back as stored, oldest first; request numbers are unique", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		ctx := context.Background()
		id := saved(t, s, true)
		t0 := time.Now()
		first, second := attemptOf(id, 1, t0), attemptOf(id, 1, t0.Add(time.Second))
		for _, a := range []biz.Attempt{second, first, attemptOf(id, 2, t0)} {
			if err := s.Installments.CreateAttempt(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Installments.CreateAttempt(ctx, first); err == nil {
			t.Error("a second attempt with the same request number was stored")
		}
		if err := first.Refuse("INSUFFICIENT_BALANCE", t0.Add(2*time.Second)); err != nil {
			t.Fatal(err)
		}
		first.Claims, first.RunID = 2, testkey.New("RR")
		if err := s.Installments.UpdateAttempt(ctx, first); err != nil {
			t.Fatal(err)
		}
		if err := second.Succeed(second.RequestNo+"-2", t0.Add(3*time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := s.Installments.UpdateAttempt(ctx, second); err != nil {
			t.Fatal(err)
		}
		got, err := s.Installments.Attempts(ctx, id, 1)
		if err != nil || len(got) != 2 {
			t.Fatalf("attempts of period 1: %+v, %v; want 2", got, err)
		}
		if !sameAttempt(got[0], first) || !sameAttempt(got[1], second) {
			t.Fatalf("attempts read back\n%+v\n%+v\nwant\n%+v\n%+v", got[0], got[1], first, second)
		}
		if a, err := s.Installments.Attempt(ctx, second.RequestNo); err != nil || !sameAttempt(a, second) {
			t.Fatalf("Attempt(%s) = %+v, %v", second.RequestNo, a, err)
		}
		if _, err := s.Installments.Attempt(ctx, "RP-unknown"); !errors.Is(err, biz.ErrAttemptNotFound) {
			t.Fatalf("unknown request number: %v, want ErrAttemptNotFound", err)
		}
	})
	t.Run("the installment's lock makes a second transaction wait for the first", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		id := saved(t, s, true)
		locked, done := make(chan struct{}), make(chan error, 1)
		go func() {
			done <- s.Tx.InTx(context.Background(), func(ctx context.Context) error {
				if _, err := s.Installments.LockInstallment(ctx, id, 1); err != nil {
					close(locked)
					return err
				}
				close(locked)
				time.Sleep(100 * time.Millisecond) // the second transaction is waiting now
				return s.Installments.CreateAttempt(ctx, attemptOf(id, 1, time.Now()))
			})
		}()
		<-locked
		var seen int
		err := s.Tx.InTx(context.Background(), func(ctx context.Context) error {
			if _, err := s.Installments.LockInstallment(ctx, id, 1); err != nil {
				return err
			}
			a, err := s.Installments.Attempts(ctx, id, 1)
			seen = len(a)
			return err
		})
		if err != nil || <-done != nil {
			t.Fatalf("the two transactions: %v", err)
		}
		if seen != 1 {
			t.Fatalf("the second transaction saw %d attempts: it did not wait for the first to commit", seen)
		}
	})
}

func sameAttempt(a, b biz.Attempt) bool {
	return a.RequestNo == b.RequestNo && a.ProjectID == b.ProjectID && a.Period == b.Period && a.Status == b.Status &&
		a.Claims == b.Claims && a.RunID == b.RunID && a.FailureReason == b.FailureReason && a.SettledBy == b.SettledBy &&
		a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Truncate(time.Microsecond).Equal(b.UpdatedAt.Truncate(time.Microsecond))
}
