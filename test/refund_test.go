package test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/test/driver"
)

// Failed projects (DESIGN.md "Withdrawal and failed projects"): a rejected loan, or a
// project still COLLECTING after its collection days, becomes FAILED and every tender's
// money is unfrozen at the bank by the tender's own request number — exactly once, resumed
// by a job after a crash. A tender racing the failure is either refused or refunded.

func TestRefund(t *testing.T) {
	w := newMoneyWorld(t)
	t.Run("RejectedLoanRefundsEveryTender", func(t *testing.T) { refundRejectedLoan(t, w) })
	t.Run("CollectionDeadlineFailsTheProject", func(t *testing.T) { refundAfterDeadline(t, w) })
	t.Run("ACrashBetweenTwoUnfreezesResumes", func(t *testing.T) { refundResumes(t, w) })
	t.Run("ATenderRacingTheFailureIsRefusedOrRefunded", func(t *testing.T) { refundRace(t, w) })
	t.Run("CrashAfterTheBankUnfrozeIsResumed", func(t *testing.T) { refundCrashAfterUnfreeze(t, w) })
	w.conserved(t)
}

// refunded waits until every tender of the project is REFUNDED (or, for one that never
// held money, FAILED), then checks the investors' money is back and each tender was
// unfrozen at the bank by exactly one request.
func (w *moneyWorld) refunded(t *testing.T, id string, investors []*driver.User, before []driver.Account) {
	t.Helper()
	must(t, driver.WaitFor(context.Background(), 45*time.Second, func() error {
		st := tenderStatuses(t, w.env, id)
		if st["FROZEN"]+st["PENDING"] > 0 {
			return fmt.Errorf("tenders of project %s: %v", id, st)
		}
		return nil
	}))
	if p, err := w.p.Project(context.Background(), id); err != nil || p.Status != "FAILED" {
		t.Errorf("project %s: %+v %v, want FAILED", id, p, err)
	}
	for i, a := range w.accounts(t, investors...) {
		if a.Frozen != "0.00" || a.Balance != before[i].Balance {
			t.Errorf("investor %s after the refund: %+v, want balance %s and nothing frozen", investors[i].Username, a, before[i].Balance)
		}
	}
	rows, err := w.env.Inspect(t, "bank_custody").Query(`SELECT f.request_no, f.status,
		(SELECT COUNT(*) FROM bank_request r WHERE r.service_name = 'UNFREEZE' AND JSON_VALUE(r.payload, '$.freezeRequestNo') = f.request_no)
		FROM bank_freeze f WHERE f.project_no = ?`, w.bankProjectNo(t, id))
	must(t, err)
	defer rows.Close()
	for rows.Next() {
		var no, status string
		var unfreezes int
		must(t, rows.Scan(&no, &status, &unfreezes))
		if (status != "UNFROZEN" && status != "VOIDED") || unfreezes != 1 {
			t.Errorf("freeze %s is %s after %d unfreeze requests, want UNFROZEN/VOIDED after 1", no, status, unfreezes)
		}
	}
	must(t, rows.Err())
}

func refundRejectedLoan(t *testing.T, w *moneyWorld) {
	ctx := context.Background()
	borrower, investors := w.people(t, 3, "2000.00", "")
	before := w.accounts(t, investors...)
	id := w.collecting(t, borrower, investors, []string{"300.00", "500.00", "200.00"}, 3)
	if st, err := w.admin.RejectLoan(ctx, id); err != nil || st != "FAILED" {
		t.Fatalf("reject loan %s: %s %v", id, st, err)
	}
	w.refunded(t, id, investors, before)
	if st := tenderStatuses(t, w.env, id); st["REFUNDED"] != 3 {
		t.Errorf("tenders %v, want 3 REFUNDED", st)
	}
	// A second rejection changes nothing.
	if st, err := w.admin.RejectLoan(ctx, id); driver.Status(err) != http.StatusConflict && st != "FAILED" {
		t.Errorf("second rejection: %s %v", st, err)
	}
	if _, err := investors[0].Tender(ctx, id, "100.00"); driver.Reason(err) != "PROJECT_NOT_COLLECTING" {
		t.Errorf("tender on a FAILED project: %v, want PROJECT_NOT_COLLECTING", err)
	}
}

func refundAfterDeadline(t *testing.T, w *moneyWorld) {
	ctx := context.Background()
	borrower, investors := w.people(t, 2, "2000.00", "")
	before := w.accounts(t, investors...)
	id, err := borrower.Publish(ctx, driver.NewProject{Name: "deadline", Amount: "5000.00", AnnualRate: "0.12", Periods: 3, CollectDays: 1})
	must(t, err)
	w.forgetProject(t, id)
	if st, err := w.admin.Review(ctx, id, true); err != nil || st != "COLLECTING" {
		t.Fatalf("review: %s %v", st, err)
	}
	for i, a := range []string{"400.00", "600.00"} {
		if _, err := investors[i].Tender(ctx, id, a); err != nil {
			t.Fatal(err)
		}
	}
	today := time.Now().UTC()
	if n, err := w.admin.CollectionRun(ctx, today.Format(time.DateOnly)); err != nil {
		t.Fatal(err)
	} else if p, _ := w.p.Project(ctx, id); p.Status != "COLLECTING" {
		t.Fatalf("a run as of today failed a project with one collection day (%d failed): %+v", n, p)
	}
	if n, err := w.admin.CollectionRun(ctx, today.AddDate(0, 0, 2).Format(time.DateOnly)); err != nil || n < 1 {
		t.Fatalf("run two days later: %d %v", n, err)
	}
	w.refunded(t, id, investors, before)
}

func refundResumes(t *testing.T, w *moneyWorld) {
	borrower, investors := w.people(t, 3, "1000.00", "")
	before := w.accounts(t, investors...)
	id := w.collecting(t, borrower, investors, []string{"100.00", "200.00", "300.00"}, 2)
	armFault(t, tradeCenter.Base, "refund.halt", 1, 0)
	if st, err := w.admin.RejectLoan(context.Background(), id); err != nil || st != "FAILED" {
		t.Fatalf("reject: %s %v", st, err)
	}
	// The pass stops after one unfreeze, as a crash would; the next pass of the job picks
	// the project up again with the same request numbers.
	w.refunded(t, id, investors, before)
}

// refundCrashAfterUnfreeze kills trade-center right after the bank unfroze the first
// tender of a rejected project, before the tender is recorded: the restarted refund job
// sends the same request numbers again, the bank answers the unfreeze it holds, and
// every tender ends REFUNDED with one unfreeze request each.
func refundCrashAfterUnfreeze(t *testing.T, w *moneyWorld) {
	borrower, investors := w.people(t, 2, "1000.00", "")
	before := w.accounts(t, investors...)
	id := w.collecting(t, borrower, investors, []string{"150.00", "250.00"}, 2)
	armFault(t, tradeCenter.Base, "crash.refund.after_unfreeze", 1, 0)
	// The rejection answers FAILED; the refund job it kicks dies at its first unfreeze.
	if st, err := w.admin.RejectLoan(context.Background(), id); err != nil || st != "FAILED" {
		t.Fatalf("reject: %s %v", st, err)
	}
	restartCrashed(t, "trade-center")
	w.refunded(t, id, investors, before)
}

func refundRace(t *testing.T, w *moneyWorld) {
	ctx := context.Background()
	borrower, investors := w.people(t, 4, "1000.00", "")
	before := w.accounts(t, investors...)
	id, err := borrower.Publish(ctx, driver.NewProject{Name: "race", Amount: "9000.00", AnnualRate: "0.12", Periods: 2})
	must(t, err)
	w.forgetProject(t, id)
	if _, err := w.admin.Review(ctx, id, true); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, inv := range investors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := inv.Tender(ctx, id, "500.00")
			if err != nil && driver.Reason(err) != "PROJECT_NOT_COLLECTING" {
				t.Errorf("tender racing the failure: %v, want FROZEN or PROJECT_NOT_COLLECTING", err)
			}
		}()
	}
	if st, err := w.admin.RejectLoan(ctx, id); err != nil || st != "FAILED" {
		t.Fatalf("reject: %s %v", st, err)
	}
	wg.Wait()
	w.refunded(t, id, investors, before)
}
