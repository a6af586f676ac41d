package biz_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
)

// fakePlans answers PlanWritten from a set; err fails every call.
type fakePlans struct {
	written map[int64]bool
	err     error
}

func (p *fakePlans) PlanWritten(_ context.Context, id int64) (bool, error) {
	return p.written[id], p.err
}

// fakePublisher records the events sent again.
type fakePublisher struct {
	sent []biz.StartRepayment
	err  error
}

func (p *fakePublisher) Publish(_ context.Context, _ string, msg biz.StartRepayment) error {
	if p.err != nil {
		return p.err
	}
	p.sent = append(p.sent, msg)
	return nil
}

func newOutbox(f *loanFixture) (*biz.OutboxUsecase, *fakePlans, *fakePublisher) {
	plans, pub := &fakePlans{written: map[int64]bool{}}, &fakePublisher{}
	return biz.NewOutboxUsecase(f.store, f.store, f.store, plans, pub, biz.OutboxSettings{After: time.Minute}, nil, discard), plans, pub
}

// A loan whose message was lost after the local transaction committed (the broker gave
// up its check-backs, or the message ended in the dead-letter queue) gets its event again
// once it has been unconfirmed for After, and again every After until repayment's plan
// exists; then the message is confirmed and never sent again.
func TestTheOutboxResendsALostEventUntilThePlanExists(t *testing.T) {
	t.Parallel()
	f := newLoanFixture(t, time.Minute)
	if st, err := f.approve(); err != nil || st != biz.ProjectRepaying {
		t.Fatalf("approve = %s, %v", st, err)
	}
	outbox, plans, pub := newOutbox(f)
	ctx := context.Background()
	if pass, err := outbox.Pass(ctx); err != nil || pass != (biz.OutboxPass{}) || len(pub.sent) != 0 {
		t.Fatalf("a fresh commit: %+v, %v, %d sent; want nothing due yet", pass, err, len(pub.sent))
	}
	f.store.AgeMessages(2 * time.Minute)
	if pass, err := outbox.Pass(ctx); err != nil || pass.Republished != 1 || len(pub.sent) != 1 {
		t.Fatalf("unconfirmed for 2 minutes: %+v, %v, %d sent", pass, err, len(pub.sent))
	}
	if got, want := pub.sent[0], f.messenger.sent[0]; got.ProjectID != want.ProjectID || len(got.Tenders) != len(want.Tenders) ||
		!got.Principal.Equal(want.Principal) || !got.LoanedAt.Equal(want.LoanedAt) || got.Tenders[0].TenderID != want.Tenders[0].TenderID || !got.Tenders[0].Amount.Equal(want.Tenders[0].Amount) ||
		got.BankProjectNo != want.BankProjectNo || got.LoanRequestNo != want.LoanRequestNo {
		t.Fatalf("event sent again %+v, the original %+v", got, want)
	}
	if pass, _ := outbox.Pass(ctx); pass.Republished != 0 {
		t.Fatal("sent again before After passed since the last send")
	}
	f.store.AgeMessages(2 * time.Minute)
	if pass, _ := outbox.Pass(ctx); pass.Republished != 1 || f.store.OnlyMessage().Republished != 2 {
		t.Fatalf("second re-send: %+v", f.store.OnlyMessage())
	}
	plans.written[f.project.ID] = true
	f.store.AgeMessages(2 * time.Minute)
	if pass, err := outbox.Pass(ctx); err != nil || pass.Confirmed != 1 || len(pub.sent) != 2 {
		t.Fatalf("plan written: %+v, %v, %d sent", pass, err, len(pub.sent))
	}
	f.store.AgeMessages(time.Hour)
	if pass, _ := outbox.Pass(ctx); pass != (biz.OutboxPass{}) || f.store.OnlyMessage().ConfirmedAt == nil {
		t.Fatalf("after confirmation: %+v, %+v", pass, f.store.OnlyMessage())
	}
}

// While repayment or the broker cannot be reached nothing is recorded: the message stays
// due and the next pass tries again.
func TestTheOutboxKeepsAMessageDueWhileItCannotSettleIt(t *testing.T) {
	t.Parallel()
	f := newLoanFixture(t, time.Minute)
	if _, err := f.approve(); err != nil {
		t.Fatal(err)
	}
	f.store.AgeMessages(2 * time.Minute)
	outbox, plans, pub := newOutbox(f)
	ctx := context.Background()
	plans.err = errors.New("repayment unreachable")
	if _, err := outbox.Pass(ctx); err == nil || len(pub.sent) != 0 {
		t.Fatalf("repayment down: %v, %d sent", err, len(pub.sent))
	}
	plans.err, pub.err = nil, errors.New("broker unreachable")
	if _, err := outbox.Pass(ctx); err == nil || f.store.OnlyMessage().Republished != 0 {
		t.Fatalf("broker down: %v, %+v", err, f.store.OnlyMessage())
	}
	pub.err = nil
	if pass, err := outbox.Pass(ctx); err != nil || pass.Republished != 1 {
		t.Fatalf("both back: %+v, %v", pass, err)
	}
}

// A rolled-back or still pending message is never sent again.
func TestTheOutboxLeavesUncommittedMessagesAlone(t *testing.T) {
	t.Parallel()
	f := newLoanFixture(t, time.Minute)
	if err := f.faults.Arm(biz.FaultLoanLocalTxFail, 1, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := f.approve(); err == nil {
		t.Fatal("approval with a failing local transaction succeeded")
	}
	f.store.AgeMessages(time.Hour)
	outbox, _, pub := newOutbox(f)
	if pass, err := outbox.Pass(context.Background()); err != nil || pass != (biz.OutboxPass{}) || len(pub.sent) != 0 {
		t.Fatalf("rolled back: %+v, %v, %d sent", pass, err, len(pub.sent))
	}
}

// An approval that stopped after the bank moved the loan (here: the broker refused the
// half message) leaves the project FULL with its loan request number; once it has not
// changed for `after`, ResumeInterrupted approves it again — same request number at the
// bank, one message — and the project is REPAYING. A FULL project nobody approved yet is
// left alone.
func TestAnInterruptedApprovalIsResumed(t *testing.T) {
	t.Parallel()
	f := newLoanFixture(t, time.Minute)
	ctx := context.Background()
	if n, err := f.loans.ResumeInterrupted(ctx, 0); err != nil || n != 0 || f.projectNow(t).Status != biz.ProjectFull {
		t.Fatalf("a FULL project nobody approved was resumed: %d, %v", n, err)
	}
	f.messenger.sendErr = errors.New("broker unreachable")
	if _, err := f.approve(); !errors.Is(err, biz.ErrBrokerUnavailable) {
		t.Fatalf("approval with the broker down: %v", err)
	}
	if p := f.projectNow(t); p.Status != biz.ProjectFull || p.LoanRequestNo == "" || len(f.bank.loans) != 1 {
		t.Fatalf("after the interrupted approval: %+v, bank loans %v", p, f.bank.loans)
	}
	f.messenger.sendErr = nil
	if n, err := f.loans.ResumeInterrupted(ctx, time.Hour); err != nil || n != 0 {
		t.Fatalf("resumed %d (%v) before the approval was an hour old", n, err)
	}
	if n, err := f.loans.ResumeInterrupted(ctx, 0); err != nil || n != 1 {
		t.Fatalf("resumed %d, %v; want 1", n, err)
	}
	if p := f.projectNow(t); p.Status != biz.ProjectRepaying {
		t.Fatalf("after resuming: %+v", p)
	}
	if len(f.bank.loans) != 2 || f.bank.loans[0] != f.bank.loans[1] || len(f.messenger.sent) != 1 {
		t.Fatalf("bank loan requests %v (the same request number again), messages %d", f.bank.loans, len(f.messenger.sent))
	}
}
