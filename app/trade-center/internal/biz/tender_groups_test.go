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

// groupRun holds the bank's answer to the first tenders (as many as a project has groups
// on their way) while others queue behind them, then lets them all go.
type groupRun struct {
	f       *lendingFixture
	wg      sync.WaitGroup
	mu      sync.Mutex
	answers map[string][]error // by amount
}

// held is how many tenders of 100.00 startHeld sends.
const held = biz.GroupsInFlight

// startHeld sends held tenders of 100.00 and waits until each one's freeze is at the
// bank, held there.
func startHeld(t *testing.T, f *lendingFixture, caller biz.Caller) *groupRun {
	t.Helper()
	f.bank.hold, f.bank.entered = make(chan struct{}), make(chan string, 100)
	g := &groupRun{f: f, answers: map[string][]error{}}
	for range held {
		g.send(caller, "100.00")
	}
	for range held {
		select {
		case <-f.bank.entered:
		case <-time.After(5 * time.Second):
			t.Fatal("a first tender's freeze never reached the bank")
		}
	}
	return g
}

func (g *groupRun) send(caller biz.Caller, amount string) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		_, err := g.f.tender(caller, amount)
		g.mu.Lock()
		g.answers[amount] = append(g.answers[amount], err)
		g.mu.Unlock()
	}()
}

// release waits until n tenders queue behind the held ones, lets the bank answer and
// waits for every answer.
func (g *groupRun) release(t *testing.T, n int) {
	t.Helper()
	waitQueued(t, g.f, n)
	close(g.f.bank.hold)
	g.wg.Wait()
}

// waitQueued polls until at least n tenders wait for the fixture project's next group.
func waitQueued(t *testing.T, f *lendingFixture, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for biz.QueuedTenders(f.tenders, f.project.ID) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d tenders queued, want %d", biz.QueuedTenders(f.tenders, f.project.ID), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestTendersQueuedBehindOneGoAsOneGroup(t *testing.T) {
	t.Parallel()
	f := newLendingFixture(t, "1000.00")
	g := startHeld(t, f, alice)
	// Each fits what is left when it is sent (800.00 with two held); three fit together.
	for range 5 {
		g.send(alice, "250.00")
	}
	g.release(t, 5)

	for _, err := range g.answers["100.00"] {
		if err != nil {
			t.Errorf("a first tender: %v", err)
		}
	}
	var ok, exceeds int
	for _, err := range g.answers["250.00"] {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, biz.ErrExceedsRemaining):
			exceeds++
		default:
			t.Errorf("a grouped tender: %v", err)
		}
	}
	if ok != 3 || exceeds != 2 {
		t.Errorf("%d grouped tenders frozen and %d refused, want 3 and 2 EXCEEDS_REMAINING", ok, exceeds)
	}
	// The held tenders alone, then one call for the three tenders that fit.
	if f.bank.freezeCalls != held || len(f.bank.batchCalls) != 1 || f.bank.batchCalls[0] != 3 {
		t.Errorf("%d single freezes and batches %v, want %d and [3]", f.bank.freezeCalls, f.bank.batchCalls, held)
	}
	if got := f.tenderStatuses(); got[biz.TenderFrozen] != held+3 || len(got) != 1 {
		t.Errorf("tenders %v, want %d FROZEN and no other row", got, held+3)
	}
	p := f.projectNow(t)
	if p.Raised.String() != "950.00" || p.Status != biz.ProjectCollecting || f.bank.frozenTotal().String() != "950.00" {
		t.Errorf("project %s raised %s, bank frozen %s; want COLLECTING with 950.00 both", p.Status, p.Raised, f.bank.frozenTotal())
	}
}

func TestAFreezeTheBankRefusesInAGroupReleasesOnlyItsShare(t *testing.T) {
	t.Parallel()
	f := newLendingFixture(t, "1000.00")
	f.bank.refusals = map[string]error{"BU0000000022": biz.ErrInsufficientBalance}
	g := startHeld(t, f, alice)
	g.send(alice, "200.00")
	g.send(alice, "200.00")
	g.send(bob, "300.00")
	g.release(t, 3)

	for _, err := range append(g.answers["100.00"], g.answers["200.00"]...) {
		if err != nil {
			t.Errorf("alice's tender: %v", err)
		}
	}
	if errs := g.answers["300.00"]; len(errs) != 1 || !errors.Is(errs[0], biz.ErrInsufficientBalance) {
		t.Errorf("bob's tender: %v, want ErrInsufficientBalance", errs)
	}
	if len(f.bank.batchCalls) != 1 || f.bank.batchCalls[0] != 3 {
		t.Errorf("batches %v, want [3]", f.bank.batchCalls)
	}
	if got := f.tenderStatuses(); got[biz.TenderFrozen] != held+2 || got[biz.TenderFailed] != 1 {
		t.Errorf("tenders %v, want %d FROZEN and bob's FAILED", got, held+2)
	}
	for _, tender := range f.store.AllTenders() {
		if tender.Status == biz.TenderFailed && tender.FailureReason != biz.FailureInsufficientBalance {
			t.Errorf("bob's tender failed with %q", tender.FailureReason)
		}
	}
	if p := f.projectNow(t); p.Raised.String() != "600.00" || f.bank.frozenTotal().String() != "600.00" {
		t.Errorf("raised %s, bank frozen %s; want 600.00 both", p.Raised, f.bank.frozenTotal())
	}
}

func TestAGroupWhoseFreezeOutcomeIsUnknownStaysPendingForTheSettler(t *testing.T) {
	t.Parallel()
	f := newLendingFixture(t, "1000.00")
	g := startHeld(t, f, alice)
	for range 3 {
		g.send(bob, "200.00")
	}
	f.bank.mu.Lock()
	f.bank.batchErrs = []error{biz.ErrBankUnavailable, biz.ErrBankUnavailable, biz.ErrBankUnavailable} // the group's three tries
	f.bank.mu.Unlock()
	g.release(t, 3)
	for _, err := range g.answers["200.00"] {
		if !errors.Is(err, biz.ErrTenderPending) {
			t.Errorf("a tender of a group the bank did not answer: %v, want ErrTenderPending", err)
		}
	}
	if got := f.tenderStatuses(); got[biz.TenderFrozen] != held || got[biz.TenderPending] != 3 {
		t.Fatalf("tenders %v, want %d FROZEN and 3 PENDING", got, held)
	}
	if p := f.projectNow(t); p.Raised.String() != "800.00" {
		t.Fatalf("raised %s, want the 800.00 reserved", p.Raised)
	}
	// The settler sends each freeze again alone, by its own request number.
	settled, err := f.tenders.SettlePendingTenders(t.Context(), 0)
	if err != nil || settled != 3 {
		t.Fatalf("settled %d, %v; want 3", settled, err)
	}
	if got := f.tenderStatuses(); got[biz.TenderFrozen] != held+3 || f.bank.frozenTotal().String() != "800.00" {
		t.Fatalf("after the settler: tenders %v, bank frozen %s; want %d FROZEN, 800.00", got, f.bank.frozenTotal(), held+3)
	}
}

func TestTwoRequestsWithOneIdempotencyKeyInAGroupMakeOneTender(t *testing.T) {
	t.Parallel()
	f := newLendingFixture(t, "1000.00")
	g := startHeld(t, f, alice)
	ids := make(chan int64, 2)
	for range 2 {
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			tender, err := f.tenders.Tender(t.Context(), alice, biz.NewTender{ProjectID: f.project.ID,
				Amount: money.MustParseAmount("300.00"), IdempotencyKey: "same-key-twice"})
			if err != nil {
				t.Errorf("a request with the key: %v", err)
				return
			}
			ids <- tender.ID
		}()
	}
	g.send(alice, "200.00")
	g.release(t, 3)
	close(ids)
	first, second := <-ids, <-ids
	if first == 0 || first != second {
		t.Fatalf("the two requests answered tenders %d and %d, want one", first, second)
	}
	if got := f.tenderStatuses(); got[biz.TenderFrozen] != held+2 || len(got) != 1 {
		t.Errorf("tenders %v, want %d FROZEN", got, held+2)
	}
	if p := f.projectNow(t); p.Raised.String() != "700.00" || f.bank.frozenTotal().String() != "700.00" {
		t.Errorf("raised %s, bank frozen %s; want 700.00 both", p.Raised, f.bank.frozenTotal())
	}
}

func TestATenderWhoseCallerGivesUpWhileQueuedIsNotPlaced(t *testing.T) {
	t.Parallel()
	f := newLendingFixture(t, "1000.00")
	g := startHeld(t, f, alice)
	g.send(alice, "200.00")
	ctx, cancel := context.WithCancel(t.Context())
	gaveUp := make(chan error, 1)
	go func() {
		_, err := f.tenders.Tender(ctx, bob, biz.NewTender{ProjectID: f.project.ID, Amount: money.MustParseAmount("300.00")})
		gaveUp <- err
	}()
	waitQueued(t, f, 2) // alice's and bob's
	cancel()
	select {
	case err := <-gaveUp:
		if !errors.Is(err, biz.ErrTenderNotPlaced) {
			t.Fatalf("a tender whose caller gave up in the queue: %v, want ErrTenderNotPlaced", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a tender whose caller gave up kept waiting")
	}
	g.release(t, 1)
	if got := f.tenderStatuses(); got[biz.TenderFrozen] != held+1 || len(got) != 1 {
		t.Errorf("tenders %v, want %d FROZEN and nothing of bob's", got, held+1)
	}
	if p := f.projectNow(t); p.Raised.String() != "400.00" || f.bank.frozenTotal().String() != "400.00" {
		t.Errorf("raised %s, bank frozen %s; want 400.00 both", p.Raised, f.bank.frozenTotal())
	}
}
