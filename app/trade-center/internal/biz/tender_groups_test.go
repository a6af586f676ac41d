package biz_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
)

// groupRun holds the bank's answer to a first tender while others queue behind it, then
// lets them go as one group.
type groupRun struct {
	f       *lendingFixture
	wg      sync.WaitGroup
	mu      sync.Mutex
	answers map[string][]error // by amount
}

// startHeld sends a first tender of amount and waits until its freeze is at the bank,
// held there.
func startHeld(t *testing.T, f *lendingFixture, caller biz.Caller, amount string) *groupRun {
	t.Helper()
	f.bank.hold, f.bank.entered = make(chan struct{}), make(chan string, 100)
	g := &groupRun{f: f, answers: map[string][]error{}}
	g.send(caller, amount)
	select {
	case <-f.bank.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the first tender's freeze never reached the bank")
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

// release waits until n tenders queue behind the held one, lets the bank answer and waits
// for every answer.
func (g *groupRun) release(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for biz.QueuedTenders(g.f.tenders, g.f.project.ID) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d tenders queued, want %d", biz.QueuedTenders(g.f.tenders, g.f.project.ID), n)
		}
		time.Sleep(time.Millisecond)
	}
	close(g.f.bank.hold)
	g.wg.Wait()
}

func TestTendersQueuedBehindOneGoAsOneGroup(t *testing.T) {
	t.Parallel()
	f := newLendingFixture(t, "1000.00")
	g := startHeld(t, f, alice, "100.00")
	// Each fits the 900.00 left when it is sent; four of them fit together.
	for range 6 {
		g.send(alice, "200.00")
	}
	g.release(t, 6)

	if errs := g.answers["100.00"]; len(errs) != 1 || errs[0] != nil {
		t.Errorf("the first tender: %v", errs)
	}
	var ok, exceeds int
	for _, err := range g.answers["200.00"] {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, biz.ErrExceedsRemaining):
			exceeds++
		default:
			t.Errorf("a grouped tender: %v", err)
		}
	}
	if ok != 4 || exceeds != 2 {
		t.Errorf("%d grouped tenders frozen and %d refused, want 4 and 2 EXCEEDS_REMAINING", ok, exceeds)
	}
	// One freeze alone, then one call for the four tenders that fit.
	if f.bank.freezeCalls != 1 || len(f.bank.batchCalls) != 1 || f.bank.batchCalls[0] != 4 {
		t.Errorf("%d single freezes and batches %v, want 1 and [4]", f.bank.freezeCalls, f.bank.batchCalls)
	}
	if got := f.tenderStatuses(); got[biz.TenderFrozen] != 5 || len(got) != 1 {
		t.Errorf("tenders %v, want 5 FROZEN and no other row", got)
	}
	p := f.projectNow(t)
	if p.Raised.String() != "900.00" || p.Status != biz.ProjectCollecting || f.bank.frozenTotal().String() != "900.00" {
		t.Errorf("project %s raised %s, bank frozen %s; want COLLECTING with 900.00 both", p.Status, p.Raised, f.bank.frozenTotal())
	}
}

func TestAFreezeTheBankRefusesInAGroupReleasesOnlyItsShare(t *testing.T) {
	t.Parallel()
	f := newLendingFixture(t, "1000.00")
	f.bank.refusals = map[string]error{"BU0000000022": biz.ErrInsufficientBalance}
	g := startHeld(t, f, alice, "100.00")
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
	if got := f.tenderStatuses(); got[biz.TenderFrozen] != 3 || got[biz.TenderFailed] != 1 {
		t.Errorf("tenders %v, want 3 FROZEN and bob's FAILED", got)
	}
	for _, tender := range f.store.AllTenders() {
		if tender.Status == biz.TenderFailed && tender.FailureReason != biz.FailureInsufficientBalance {
			t.Errorf("bob's tender failed with %q", tender.FailureReason)
		}
	}
	if p := f.projectNow(t); p.Raised.String() != "500.00" || f.bank.frozenTotal().String() != "500.00" {
		t.Errorf("raised %s, bank frozen %s; want 500.00 both", p.Raised, f.bank.frozenTotal())
	}
}

func TestAGroupWhoseFreezeOutcomeIsUnknownStaysPendingForTheSettler(t *testing.T) {
	t.Parallel()
	f := newLendingFixture(t, "1000.00")
	g := startHeld(t, f, alice, "100.00")
	for range 3 {
		g.send(bob, "200.00")
	}
	f.bank.mu.Lock()
	f.bank.freezeErrs = []error{nil, biz.ErrBankUnavailable, biz.ErrBankUnavailable, biz.ErrBankUnavailable}
	f.bank.mu.Unlock()
	g.release(t, 3)
	for _, err := range g.answers["200.00"] {
		if !errors.Is(err, biz.ErrTenderPending) {
			t.Errorf("a tender of a group the bank did not answer: %v, want ErrTenderPending", err)
		}
	}
	if got := f.tenderStatuses(); got[biz.TenderFrozen] != 1 || got[biz.TenderPending] != 3 {
		t.Fatalf("tenders %v, want 1 FROZEN and 3 PENDING", got)
	}
	if p := f.projectNow(t); p.Raised.String() != "700.00" {
		t.Fatalf("raised %s, want the 700.00 reserved", p.Raised)
	}
	// The settler sends each freeze again alone, by its own request number.
	settled, err := f.tenders.SettlePendingTenders(t.Context(), 0)
	if err != nil || settled != 3 {
		t.Fatalf("settled %d, %v; want 3", settled, err)
	}
	if got := f.tenderStatuses(); got[biz.TenderFrozen] != 4 || f.bank.frozenTotal().String() != "700.00" {
		t.Fatalf("after the settler: tenders %v, bank frozen %s; want 4 FROZEN, 700.00", got, f.bank.frozenTotal())
	}
}
