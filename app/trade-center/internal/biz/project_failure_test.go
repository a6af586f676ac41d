package biz_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

func TestRejectedLoanFailsTheProjectAndRefundsEveryTender(t *testing.T) {
	t.Parallel()
	f := newLoanFixture(t, time.Minute) // FULL: 600.00 from alice, 400.00 from bob
	ctx := context.Background()
	if _, err := f.loans.Approve(ctx, alice, f.project.ID, false); !errors.Is(err, biz.ErrForbidden) {
		t.Fatalf("rejection by an investor: %v", err)
	}
	st, err := f.loans.Approve(ctx, admin, f.project.ID, false)
	if err != nil || st != biz.ProjectFailed {
		t.Fatalf("reject = %s, %v; want FAILED", st, err)
	}
	p := f.projectNow(t)
	if p.Status != biz.ProjectFailed || p.FailedAt == nil || len(f.bank.loans) != 0 || len(f.messenger.sent) != 0 {
		t.Fatalf("after the rejection: %+v; %d bank loans, %d messages", p, len(f.bank.loans), len(f.messenger.sent))
	}
	if st, err := f.loans.Approve(ctx, admin, f.project.ID, false); err != nil || st != biz.ProjectFailed {
		t.Fatalf("second rejection = %s, %v; want FAILED again", st, err)
	}
	if _, err := f.approve(); !errors.Is(err, biz.ErrProjectNotFull) {
		t.Fatalf("approval of a FAILED project: %v", err)
	}
	select {
	case <-f.refunds.Kicks():
	default:
		t.Fatal("the rejection did not kick the refund job")
	}

	run, err := f.refunds.RefundFailedProjects(ctx)
	if err != nil || run != (biz.RefundRun{Refunded: 2}) {
		t.Fatalf("refund pass = %+v, %v; want 2 refunded", run, err)
	}
	if st := f.tenderStatuses(); st[biz.TenderRefunded] != 2 || len(st) != 1 {
		t.Fatalf("tenders %v, want 2 REFUNDED", st)
	}
	if !f.bank.frozenTotal().IsZero() {
		t.Fatalf("%s still frozen at the bank", f.bank.frozenTotal())
	}
	for _, who := range []string{"BU0000000021", "BU0000000022"} {
		if a, _ := f.bank.Account(ctx, who); a.Balance.String() != "100000.00" || !a.Frozen.IsZero() {
			t.Errorf("%s after the refund: %+v, want all 100000.00 back", who, a)
		}
	}
	for _, tender := range f.store.AllTenders() {
		if n := f.bank.unfreezes[unfreezeNo(tender.ID)]; n != 1 {
			t.Errorf("tender %d: %d unfreeze calls, want 1", tender.ID, n)
		}
	}
	// Nothing is left for a later pass.
	if run, err := f.refunds.RefundFailedProjects(ctx); err != nil || run != (biz.RefundRun{}) {
		t.Fatalf("second pass = %+v, %v; want nothing to do", run, err)
	}
	if got := f.projectNow(t); got.Status != biz.ProjectFailed || !got.Raised.Equal(got.Amount) {
		t.Fatalf("project after the refunds %+v: FAILED, raised kept as what was collected", got)
	}
}

// unfreezeNo is the unfreeze request number of a tender (docs/custody-protocol.md: UF…).
func unfreezeNo(tenderID int64) string { return fmt.Sprintf("UF%012d", tenderID) }

func TestOnlyCollectingOrFullProjectsWithoutALoanRequestFail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newLendingFixture(t, "1000.00")
	for _, st := range []biz.ProjectStatus{biz.ProjectPendingReview, biz.ProjectRepaying, biz.ProjectFinished, biz.ProjectRejected} {
		p := *f.project
		p.Status = st
		f.store.PutProject(p)
		if _, err := f.failures.RejectLoan(ctx, p.ID); !errors.Is(err, biz.ErrProjectNotFailable) {
			t.Errorf("rejecting a %s project: %v, want ErrProjectNotFailable", st, err)
		}
	}
	// The approval asked the bank for the loan: only the approval may finish it.
	p := *f.project
	p.Status, p.LoanRequestNo = biz.ProjectFull, "LN000000000001"
	f.store.PutProject(p)
	if _, err := f.failures.RejectLoan(ctx, p.ID); !errors.Is(err, biz.ErrProjectNotFailable) {
		t.Errorf("rejecting a project whose loan was requested: %v, want ErrProjectNotFailable", err)
	}
	if _, err := f.failures.RejectLoan(ctx, 99); !errors.Is(err, biz.ErrProjectNotFound) {
		t.Errorf("rejecting a missing project: %v", err)
	}
	if got := f.projectNow(t); got.Status != biz.ProjectFull || got.FailedAt != nil {
		t.Fatalf("refused rejections changed the project: %+v", got)
	}
}

func TestAFailedProjectTakesNoTender(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newLendingFixture(t, "1000.00")
	if _, err := f.tender(alice, "300.00"); err != nil {
		t.Fatal(err)
	}
	if st, err := f.failures.RejectLoan(ctx, f.project.ID); err != nil || st != biz.ProjectFailed {
		t.Fatalf("reject a COLLECTING project = %s, %v", st, err)
	}
	if _, err := f.tender(bob, "300.00"); !errors.Is(err, biz.ErrProjectNotCollecting) {
		t.Fatalf("tender after the failure: %v, want ErrProjectNotCollecting", err)
	}
	if n := len(f.store.AllTenders()); n != 1 || !f.projectNow(t).Raised.Equal(money.MustParseAmount("300.00")) {
		t.Fatalf("%d tenders, raised %s after a refused tender", n, f.projectNow(t).Raised)
	}
}

func TestCollectionRunFailsProjectsPastTheirDeadline(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newLendingFixture(t, "1000.00")
	deadline := *f.project.CollectDeadline
	if d := time.Until(deadline); d < 7*24*time.Hour-time.Minute || d > 7*24*time.Hour {
		t.Fatalf("deadline %v is not 7 days after the review", deadline)
	}
	full := newLendingFixture(t, "1000.00")
	if _, err := full.tender(alice, "1000.00"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.failures.RunCollection(ctx, alice, deadline); !errors.Is(err, biz.ErrForbidden) {
		t.Fatalf("collection run by an investor: %v", err)
	}
	// The deadline's own day is still inside the collection.
	day := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }
	if n, err := f.failures.RunCollection(ctx, admin, day(deadline)); err != nil || n != 0 {
		t.Fatalf("run as of the deadline's day = %d, %v; want none failed", n, err)
	}
	next := day(deadline).AddDate(0, 0, 1)
	if n, err := f.failures.RunCollection(ctx, admin, next); err != nil || n != 1 {
		t.Fatalf("run as of the day after = %d, %v; want 1 failed", n, err)
	}
	if got := f.projectNow(t); got.Status != biz.ProjectFailed {
		t.Fatalf("project %s, want FAILED", got.Status)
	}
	if n, err := f.failures.FailOverdue(ctx, next); err != nil || n != 0 {
		t.Fatalf("second run = %d, %v; want none", n, err)
	}
	// A FULL project waits for its loan decision, whatever its deadline.
	n, err := full.failures.FailOverdue(ctx, next)
	if got := full.projectNow(t); err != nil || n != 0 || got.Status != biz.ProjectFull {
		t.Fatalf("FULL project after the run: %s (%d failed, %v)", got.Status, n, err)
	}
}
