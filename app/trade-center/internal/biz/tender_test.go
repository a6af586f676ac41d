package biz_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz/biztest"
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

var (
	alice = biz.Caller{UserID: 21, Role: biz.RoleInvestor, Token: "alice-token"}
	bob   = biz.Caller{UserID: 22, Role: biz.RoleInvestor, Token: "bob-token"}
)

// lendingFixture is a COLLECTING project of amount with two funded investors.
type lendingFixture struct {
	store    *biztest.Store
	bank     *fakeBank
	dir      *fakeDirectory
	tenders  *biz.TenderUsecase
	project  *biz.Project
	refunds  *biz.RefundUsecase
	failures *biz.FailureUsecase
	// refundFaults arms refund.halt.
	refundFaults *faults.Registry
}

func newLendingFixture(t *testing.T, amount string) *lendingFixture {
	t.Helper()
	f := &lendingFixture{store: biztest.NewStore(), bank: newFakeBank(), dir: openCustody()}
	f.bank.available["BU0000000021"] = money.MustParseAmount("100000.00")
	f.bank.available["BU0000000022"] = money.MustParseAmount("100000.00")
	projects := newProjects(f.store, f.bank, f.dir)
	n := validProject()
	n.Amount = money.MustParseAmount(amount)
	p, err := projects.Publish(context.Background(), borrower, n)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := projects.Review(context.Background(), admin, p.ID, true); err != nil {
		t.Fatal(err)
	}
	f.project, _ = f.store.Project(context.Background(), p.ID)
	f.tenders = biz.NewTenderUsecase(f.store, f.store, f.store, f.dir, f.bank, rules, nil, nil, discard)
	f.refundFaults = faults.New(biz.FaultRefundHalt)
	f.refunds = biz.NewRefundUsecase(f.store, f.store, f.store, f.bank, f.refundFaults, nil, discard)
	f.failures = biz.NewFailureUsecase(f.store, f.store, f.refunds, discard)
	return f
}

func (f *lendingFixture) tender(caller biz.Caller, amount string) (*biz.Tender, error) {
	return f.tenders.Tender(context.Background(), caller, biz.NewTender{ProjectID: f.project.ID, Amount: money.MustParseAmount(amount)})
}

func (f *lendingFixture) projectNow(t *testing.T) *biz.Project {
	t.Helper()
	p, err := f.store.Project(context.Background(), f.project.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// pendingTender tenders amount while the bank answers none of the freeze's tries (each
// fails with unknown, whose outcome nobody knows), so the tender stays PENDING.
func (f *lendingFixture) pendingTender(t *testing.T, caller biz.Caller, amount string, unknown error) {
	t.Helper()
	f.bank.freezeErrs = []error{unknown, unknown, unknown}
	if _, err := f.tender(caller, amount); !errors.Is(err, biz.ErrTenderPending) {
		t.Fatalf("tender of %s with no answer from the bank: %v, want ErrTenderPending", amount, err)
	}
}

func (f *lendingFixture) tenderStatuses() map[biz.TenderStatus]int { return f.store.TenderStatuses() }

func TestTenderFreezesAndTheFillingTenderMakesTheProjectFull(t *testing.T) {
	t.Parallel()
	f := newLendingFixture(t, "1000.00")
	first, err := f.tender(alice, "600.00")
	if err != nil {
		t.Fatal(err)
	}
	if first.Status != biz.TenderFrozen || first.InvestorUserNo != "BU0000000021" || first.FreezeRequestNo[:2] != "FZ" {
		t.Fatalf("tender %+v", first)
	}
	if p := f.projectNow(t); p.Status != biz.ProjectCollecting || p.Raised.String() != "600.00" {
		t.Fatalf("after 600 of 1000: %+v", p)
	}
	freeze := f.bank.freezes[first.FreezeRequestNo]
	if freeze.ProjectNo != "PRJ000000000001" || freeze.UserNo != "BU0000000021" || freeze.Amount.String() != "600.00" {
		t.Fatalf("bank freeze %+v", freeze)
	}
	if _, err := f.tender(bob, "400.00"); err != nil {
		t.Fatal(err)
	}
	if p := f.projectNow(t); p.Status != biz.ProjectFull || p.Raised.String() != "1000.00" {
		t.Fatalf("after the filling tender: %+v", p)
	}
	if _, err := f.tender(bob, "100.00"); !errors.Is(err, biz.ErrProjectNotCollecting) {
		t.Fatalf("tender in a FULL project: %v", err)
	}
}

func TestTenderRefusalsChangeNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		caller  biz.Caller
		amount  string
		prepare func(f *lendingFixture)
		want    error
	}{
		{name: "borrower", caller: borrower, amount: "100.00", want: biz.ErrForbidden},
		{name: "admin", caller: admin, amount: "100.00", want: biz.ErrForbidden},
		{name: "below minimum", caller: alice, amount: "99.99", want: biz.ErrBelowMinimum},
		{name: "above what remains", caller: alice, amount: "1000.01", want: biz.ErrExceedsRemaining},
		{name: "no custody account", caller: biz.Caller{UserID: 30, Role: biz.RoleInvestor, Token: "nobody"}, amount: "100.00", want: biz.ErrCustodyNotOpen},
		{name: "custody pending", caller: biz.Caller{UserID: 23, Role: biz.RoleInvestor, Token: "pending-token"}, amount: "100.00", want: biz.ErrCustodyNotOpen},
		{name: "user-center down", caller: alice, amount: "100.00", want: biz.ErrUserCenterUnavailable,
			prepare: func(f *lendingFixture) { f.dir.err = biz.ErrUserCenterUnavailable }},
		{name: "balance too low", caller: alice, amount: "500.00", want: biz.ErrInsufficientBalance,
			prepare: func(f *lendingFixture) { f.bank.available["BU0000000021"] = money.MustParseAmount("499.99") }},
		{name: "bank down when asked for the balance", caller: alice, amount: "100.00", want: biz.ErrBankUnavailable,
			prepare: func(f *lendingFixture) { f.bank.accountErr = biz.ErrBankUnavailable }},
		{name: "project not collecting", caller: alice, amount: "100.00", want: biz.ErrProjectNotCollecting,
			prepare: func(f *lendingFixture) {
				p := *f.project
				p.Status = biz.ProjectPendingReview
				f.store.PutProject(p)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newLendingFixture(t, "1000.00")
			if tt.prepare != nil {
				tt.prepare(f)
			}
			before := *f.projectNow(t)
			_, err := f.tender(tt.caller, tt.amount)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			if after := *f.projectNow(t); after.Raised.String() != before.Raised.String() || after.Status != before.Status {
				t.Fatalf("project changed: %+v → %+v", before, after)
			}
			if len(f.store.AllTenders()) != 0 || f.bank.freezeCalls != 0 {
				t.Fatalf("%d tenders, %d freezes after a refusal", len(f.store.AllTenders()), f.bank.freezeCalls)
			}
		})
	}
}

func TestTheLastTenderMayBeBelowTheMinimum(t *testing.T) {
	t.Parallel()
	f := newLendingFixture(t, "1050.00")
	if _, err := f.tender(alice, "1000.00"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.tender(bob, "49.99"); !errors.Is(err, biz.ErrBelowMinimum) {
		t.Fatalf("49.99 of the remaining 50.00: %v", err)
	}
	if _, err := f.tender(bob, "50.00"); err != nil {
		t.Fatalf("exactly the remaining 50.00: %v", err)
	}
	if p := f.projectNow(t); p.Status != biz.ProjectFull {
		t.Fatalf("project %+v", p)
	}
}

func TestTenderRefusedByTheBankReleasesItsShare(t *testing.T) {
	t.Parallel()
	f := newLendingFixture(t, "1000.00")
	if _, err := f.tender(alice, "600.00"); err != nil {
		t.Fatal(err)
	}
	// The balance check passed, then the money went elsewhere before the freeze.
	f.bank.freezeErrs = []error{fmt.Errorf("%w: balance 0.00", biz.ErrInsufficientBalance)}
	if _, err := f.tender(bob, "400.00"); !errors.Is(err, biz.ErrInsufficientBalance) {
		t.Fatalf("error %v", err)
	}
	if p := f.projectNow(t); p.Status != biz.ProjectCollecting || p.Raised.String() != "600.00" {
		t.Fatalf("a refused freeze left %+v; want COLLECTING with 600.00", p)
	}
	if st := f.tenderStatuses(); st[biz.TenderFrozen] != 1 || st[biz.TenderFailed] != 1 || len(st) != 2 {
		t.Fatalf("tenders %v", st)
	}
	for _, tender := range f.store.AllTenders() {
		if tender.Status == biz.TenderFailed && tender.FailureReason != biz.FailureInsufficientBalance {
			t.Fatalf("failed tender %+v", tender)
		}
	}
	// Another refusal reason is recorded too.
	f.bank.freezeErrs = []error{fmt.Errorf("%w: HTTP 409 PROJECT_NOT_COLLECTING", biz.ErrBankRefused)}
	if _, err := f.tender(bob, "400.00"); !errors.Is(err, biz.ErrBankRefused) {
		t.Fatalf("error %v", err)
	}
	if p := f.projectNow(t); p.Raised.String() != "600.00" {
		t.Fatalf("project %+v", p)
	}
}

func TestTenderWithUnknownOutcomeStaysPendingUntilSettled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newLendingFixture(t, "1000.00")
	f.pendingTender(t, alice, "1000.00", fmt.Errorf("%w: timeout", biz.ErrBankUnavailable))
	if f.bank.freezeCalls != 3 {
		t.Fatalf("%d freeze attempts, want 3", f.bank.freezeCalls)
	}
	// The share stays reserved: nobody else can take it meanwhile.
	if p := f.projectNow(t); p.Status != biz.ProjectFull || p.Raised.String() != "1000.00" {
		t.Fatalf("project %+v", p)
	}
	if st := f.tenderStatuses(); st[biz.TenderPending] != 1 {
		t.Fatalf("tenders %v", st)
	}
	// Too young for the settler.
	if n, err := f.tenders.SettlePendingTenders(ctx, time.Minute); err != nil || n != 0 {
		t.Fatalf("settled %d, %v", n, err)
	}
	f.store.AgeTenders(2 * time.Minute)
	if n, err := f.tenders.SettlePendingTenders(ctx, time.Minute); err != nil || n != 1 {
		t.Fatalf("settled %d, %v", n, err)
	}
	if st := f.tenderStatuses(); st[biz.TenderFrozen] != 1 || len(st) != 1 {
		t.Fatalf("tenders after settling %v", st)
	}
	// Same request number every time: frozen once.
	if len(f.bank.freezes) != 1 || f.bank.frozenTotal().String() != "1000.00" {
		t.Fatalf("bank freezes %+v", f.bank.freezes)
	}
}

func TestSettlerReleasesATenderTheBankRefuses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newLendingFixture(t, "1000.00")
	f.pendingTender(t, alice, "1000.00", fmt.Errorf("%w: HTTP 503", biz.ErrBankUnavailable))
	f.store.AgeTenders(time.Hour)
	f.bank.freezeErrs = []error{biz.ErrInsufficientBalance}
	if n, err := f.tenders.SettlePendingTenders(ctx, time.Minute); err != nil || n != 1 {
		t.Fatalf("settled %d, %v", n, err)
	}
	if p := f.projectNow(t); p.Status != biz.ProjectCollecting || !p.Raised.IsZero() {
		t.Fatalf("project %+v; want COLLECTING with nothing raised", p)
	}
	if st := f.tenderStatuses(); st[biz.TenderFailed] != 1 || len(st) != 1 {
		t.Fatalf("tenders %v", st)
	}
}

func TestTenderWithIdempotencyKeyFreezesOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newLendingFixture(t, "1000.00")
	n := biz.NewTender{ProjectID: f.project.ID, Amount: money.MustParseAmount("300.00"), IdempotencyKey: "order-0001"}
	first, err := f.tenders.Tender(ctx, alice, n)
	if err != nil {
		t.Fatal(err)
	}
	again, err := f.tenders.Tender(ctx, alice, n)
	if err != nil || again.ID != first.ID || again.Status != biz.TenderFrozen {
		t.Fatalf("retry = %+v, %v; want tender %d", again, err, first.ID)
	}
	if f.bank.freezeCalls != 1 || f.projectNow(t).Raised.String() != "300.00" {
		t.Fatalf("%d freeze calls, raised %s", f.bank.freezeCalls, f.projectNow(t).Raised)
	}
	// Another investor's key is their own.
	if other, err := f.tenders.Tender(ctx, bob, n); err != nil || other.ID == first.ID {
		t.Fatalf("bob with the same key = %+v, %v", other, err)
	}
	n.Amount = money.MustParseAmount("200.00")
	if _, err := f.tenders.Tender(ctx, alice, n); !errors.Is(err, biz.ErrIdempotencyKeyReused) {
		t.Fatalf("key reused for another amount: %v", err)
	}
	n.IdempotencyKey = "short"
	var ia *biz.InvalidArgumentError
	if _, err := f.tenders.Tender(ctx, alice, n); !errors.As(err, &ia) || ia.Field != "idempotencyKey" {
		t.Fatalf("short key: %v", err)
	}
}

func TestTenderRetryFinishesAPendingTender(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newLendingFixture(t, "1000.00")
	unknown := fmt.Errorf("%w: timeout", biz.ErrBankUnavailable)
	f.bank.freezeErrs = []error{unknown, unknown, unknown}
	n := biz.NewTender{ProjectID: f.project.ID, Amount: money.MustParseAmount("300.00"), IdempotencyKey: "order-0002"}
	if _, err := f.tenders.Tender(ctx, alice, n); !errors.Is(err, biz.ErrTenderPending) {
		t.Fatal(err)
	}
	got, err := f.tenders.Tender(ctx, alice, n)
	if err != nil || got.Status != biz.TenderFrozen {
		t.Fatalf("retry = %+v, %v", got, err)
	}
	if len(f.store.AllTenders()) != 1 || f.projectNow(t).Raised.String() != "300.00" {
		t.Fatalf("%d tenders, raised %s", len(f.store.AllTenders()), f.projectNow(t).Raised)
	}
}

func TestConcurrentTendersNeverOverRaise(t *testing.T) {
	t.Parallel()
	f := newLendingFixture(t, "2000.00")
	var wg sync.WaitGroup
	errs := make([]error, 50)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			caller := alice
			if i%2 == 1 {
				caller = bob
			}
			_, errs[i] = f.tender(caller, "100.00")
		}()
	}
	wg.Wait()
	ok, conflicts := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, biz.ErrExceedsRemaining), errors.Is(err, biz.ErrProjectNotCollecting):
			conflicts++
		default:
			t.Errorf("unexpected error %v", err)
		}
	}
	if ok != 20 || conflicts != 30 {
		t.Fatalf("%d tenders, %d conflicts; want 20 and 30", ok, conflicts)
	}
	if p := f.projectNow(t); p.Status != biz.ProjectFull || p.Raised.String() != "2000.00" {
		t.Fatalf("project %+v", p)
	}
	if f.bank.frozenTotal().String() != "2000.00" {
		t.Fatalf("bank froze %s", f.bank.frozenTotal())
	}
}

// The pre-check asks the bank once per investor while its answer covers the tenders; a
// hint that does not cover a tender is asked again and never refuses by itself; a stale
// hint lets a doomed tender through to the freeze, which refuses it and releases it.
func TestTenderPrecheckUsesTheBanksRecentAnswer(t *testing.T) {
	t.Parallel()
	f := newLendingFixture(t, "10000.00")
	f.bank.available["BU0000000021"] = money.MustParseAmount("1000.00")
	for i := range 3 {
		if _, err := f.tender(alice, "200.00"); err != nil {
			t.Fatalf("tender %d: %v", i, err)
		}
	}
	if f.bank.accountCalls != 1 {
		t.Fatalf("3 tenders of 200.00 with 1000.00 available asked the bank for the balance %d times, want 1", f.bank.accountCalls)
	}
	// 400.00 left by the hint; the investor recharges, and a larger tender asks again.
	f.bank.mu.Lock()
	f.bank.available["BU0000000021"] = f.bank.available["BU0000000021"].Add(money.MustParseAmount("1000.00"))
	f.bank.mu.Unlock()
	if _, err := f.tender(alice, "900.00"); err != nil {
		t.Fatalf("tender of 900.00 after a recharge to 1400.00: %v", err)
	}
	if f.bank.accountCalls != 2 {
		t.Fatalf("a tender above the hint asked the bank %d times in all, want 2", f.bank.accountCalls)
	}
	// The money leaves behind the hint's back (500.00 left by the hint, 0.00 at the bank).
	f.bank.mu.Lock()
	f.bank.available["BU0000000021"] = money.Amount{}
	f.bank.mu.Unlock()
	raised := f.projectNow(t).Raised
	if _, err := f.tender(alice, "300.00"); !errors.Is(err, biz.ErrInsufficientBalance) {
		t.Fatalf("tender with a stale hint and nothing at the bank: %v, want ErrInsufficientBalance", err)
	}
	if p := f.projectNow(t); !p.Raised.Equal(raised) {
		t.Fatalf("raised %s after the refused tender, want %s (the reservation released)", p.Raised, raised)
	}
	if got := f.tenderStatuses(); got[biz.TenderFailed] != 1 || got[biz.TenderFrozen] != 4 || got[biz.TenderPending] != 0 {
		t.Fatalf("tender statuses %v, want 4 FROZEN and 1 FAILED", got)
	}
	// The refusal dropped the hint: the next tender asks the bank and is refused before
	// any reservation.
	if _, err := f.tender(alice, "100.00"); !errors.Is(err, biz.ErrInsufficientBalance) {
		t.Fatalf("tender after the refusal: %v, want ErrInsufficientBalance", err)
	}
	if f.bank.accountCalls != 3 || f.tenderStatuses()[biz.TenderFailed] != 1 {
		t.Fatalf("after the refusal: %d balance calls (want 3), statuses %v (want still 1 FAILED)", f.bank.accountCalls, f.tenderStatuses())
	}
}
