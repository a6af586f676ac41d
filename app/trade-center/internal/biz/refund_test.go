package biz_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// failedFixture is a FAILED project with FROZEN tenders of 600.00 (alice) and 300.00 (bob).
func failedFixture(t *testing.T) *lendingFixture {
	t.Helper()
	f := newLendingFixture(t, "1000.00")
	for _, tt := range []struct {
		who    biz.Caller
		amount string
	}{{alice, "600.00"}, {bob, "300.00"}} {
		if _, err := f.tender(tt.who, tt.amount); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.failures.RejectLoan(context.Background(), f.project.ID); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestRefundResumesAfterAHaltWithTheSameRequestNumbers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := failedFixture(t)
	if err := f.refundFaults.Arm(biz.FaultRefundHalt, 1, 0); err != nil {
		t.Fatal(err)
	}
	first := f.store.AllTenders()[0]
	// The pass stops after the bank unfroze the first tender and before it is recorded.
	if run, err := f.refunds.RefundFailedProjects(ctx); err == nil || run != (biz.RefundRun{}) {
		t.Fatalf("halted pass = %+v, %v; want it stopped with nothing recorded", run, err)
	}
	if st := f.tenderStatuses(); st[biz.TenderFrozen] != 2 {
		t.Fatalf("tenders after the halt %v, want both still FROZEN", st)
	}
	if f.bank.unfreezes[unfreezeNo(first.ID)] != 1 || len(f.bank.unfreezes) != 1 {
		t.Fatalf("unfreeze calls %v, want one for tender %d", f.bank.unfreezes, first.ID)
	}
	if a, _ := f.bank.Account(ctx, "BU0000000021"); !a.Frozen.IsZero() {
		t.Fatalf("alice at the bank %+v: the halted unfreeze should have happened there", a)
	}
	run, err := f.refunds.RefundFailedProjects(ctx)
	if err != nil || run != (biz.RefundRun{Refunded: 2}) {
		t.Fatalf("resumed pass = %+v, %v", run, err)
	}
	// The same request number asked again; the money moved once.
	if f.bank.unfreezes[unfreezeNo(first.ID)] != 2 {
		t.Fatalf("unfreeze calls %v, want the first tender's number sent again", f.bank.unfreezes)
	}
	for who, want := range map[string]string{"BU0000000021": "100000.00", "BU0000000022": "100000.00"} {
		if a, _ := f.bank.Account(ctx, who); a.Balance.String() != want || !a.Frozen.IsZero() {
			t.Errorf("%s: %+v, want %s and nothing frozen", who, a, want)
		}
	}
	if st := f.tenderStatuses(); st[biz.TenderRefunded] != 2 || len(st) != 1 {
		t.Fatalf("tenders %v, want 2 REFUNDED", st)
	}
}

func TestRefundWaitsOutAnUnavailableBank(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := failedFixture(t)
	f.bank.unfreezeErrs = []error{biz.ErrBankUnavailable}
	run, err := f.refunds.RefundFailedProjects(ctx)
	if err != nil || run != (biz.RefundRun{Refunded: 1, Left: 1}) {
		t.Fatalf("pass with the bank down once = %+v, %v; want 1 refunded, 1 left", run, err)
	}
	run, err = f.refunds.RefundFailedProjects(ctx)
	if err != nil || run != (biz.RefundRun{Refunded: 1}) {
		t.Fatalf("next pass = %+v, %v; want the one left refunded", run, err)
	}
	if st := f.tenderStatuses(); st[biz.TenderRefunded] != 2 {
		t.Fatalf("tenders %v", st)
	}
}

func TestTwoRefundPassesAtOnceMoveTheMoneyOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := failedFixture(t)
	var wg sync.WaitGroup
	runs := make([]biz.RefundRun, 2)
	errs := make([]error, 2)
	for i := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runs[i], errs[i] = f.refunds.RefundFailedProjects(ctx)
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil || runs[0].Refunded+runs[1].Refunded < 2 {
		t.Fatalf("passes %+v, errors %v", runs, errs)
	}
	if a, _ := f.bank.Account(ctx, "BU0000000021"); a.Balance.String() != "100000.00" || !a.Frozen.IsZero() {
		t.Fatalf("alice %+v after two passes", a)
	}
	if st := f.tenderStatuses(); st[biz.TenderRefunded] != 2 || len(st) != 1 {
		t.Fatalf("tenders %v", st)
	}
}

// A tender whose freeze is on its way when the project fails: the unfreeze reaches the
// bank first, the bank voids the request number, the tender fails and holds nothing.
func TestATenderRacingTheFailureIsVoided(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newLendingFixture(t, "1000.00")
	f.pendingTender(t, alice, "400.00", biz.ErrBankUnavailable)
	if _, err := f.failures.RejectLoan(ctx, f.project.ID); err != nil {
		t.Fatal(err)
	}
	run, err := f.refunds.RefundFailedProjects(ctx)
	if err != nil || run != (biz.RefundRun{Voided: 1}) {
		t.Fatalf("pass = %+v, %v; want 1 voided", run, err)
	}
	tender := f.store.AllTenders()[0]
	if tender.Status != biz.TenderFailed || tender.FailureReason != biz.FailureFreezeVoided {
		t.Fatalf("tender %+v, want FAILED FREEZE_VOIDED", tender)
	}
	if p := f.projectNow(t); p.Status != biz.ProjectFailed || !p.Raised.IsZero() {
		t.Fatalf("project %+v, want FAILED with nothing raised", p)
	}
	// The late freeze is refused by the bank; nothing is frozen.
	if err := f.bank.Freeze(ctx, biz.BankFreeze{RequestNo: tender.FreezeRequestNo, UserNo: "BU0000000021",
		Amount: tender.Amount}); !errors.Is(err, biz.ErrFreezeVoided) {
		t.Fatalf("late freeze: %v, want ErrFreezeVoided", err)
	}
	if !f.bank.frozenTotal().IsZero() {
		t.Fatalf("%s frozen", f.bank.frozenTotal())
	}
}

// The other order: the bank voided the number, and the tender's own freeze (a retry with
// its idempotency key, or the settler) hears FREEZE_VOIDED before the refund pass records
// anything. The tender fails and the investor hears PROJECT_NOT_COLLECTING.
func TestAFreezeRefusedAsVoidedAnswersProjectNotCollecting(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newLendingFixture(t, "1000.00")
	unknown := biz.ErrBankUnavailable
	f.bank.freezeErrs = []error{unknown, unknown, unknown}
	n := biz.NewTender{ProjectID: f.project.ID, Amount: money.MustParseAmount("400.00"), IdempotencyKey: "tender-key-1"}
	if _, err := f.tenders.Tender(ctx, alice, n); !errors.Is(err, biz.ErrTenderPending) {
		t.Fatalf("tender: %v", err)
	}
	if _, err := f.failures.RejectLoan(ctx, f.project.ID); err != nil {
		t.Fatal(err)
	}
	pending := f.store.AllTenders()[0]
	if _, err := f.bank.Unfreeze(ctx, biz.BankUnfreeze{RequestNo: unfreezeNo(pending.ID), FreezeRequestNo: pending.FreezeRequestNo}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.tenders.Tender(ctx, alice, n); !errors.Is(err, biz.ErrProjectNotCollecting) {
		t.Fatalf("retried tender after the void: %v, want ErrProjectNotCollecting", err)
	}
	if got := f.store.AllTenders()[0]; got.Status != biz.TenderFailed || got.FailureReason != biz.FailureFreezeVoided {
		t.Fatalf("tender %+v", got)
	}
	// Asked again, it answers the same; the refund pass finds nothing to do.
	if _, err := f.tenders.Tender(ctx, alice, n); !errors.Is(err, biz.ErrProjectNotCollecting) {
		t.Fatalf("third call: %v", err)
	}
	if run, err := f.refunds.RefundFailedProjects(ctx); err != nil || run != (biz.RefundRun{}) {
		t.Fatalf("pass = %+v, %v", run, err)
	}
	if p := f.projectNow(t); !p.Raised.IsZero() {
		t.Fatalf("raised %s, want the voided tender released", p.Raised)
	}
}

func TestTheSettlerCountsAVoidedFreezeAsSettled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newLendingFixture(t, "1000.00")
	f.pendingTender(t, alice, "400.00", biz.ErrBankUnavailable)
	pending := f.store.AllTenders()[0]
	f.bank.voided[pending.FreezeRequestNo] = true
	if n, err := f.tenders.SettlePendingTenders(ctx, -time.Second); err != nil || n != 1 {
		t.Fatalf("settled %d, %v; want the voided one settled", n, err)
	}
	if got := f.store.AllTenders()[0]; got.Status != biz.TenderFailed {
		t.Fatalf("tender %+v", got)
	}
}
