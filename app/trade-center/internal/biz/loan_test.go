package biz_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
)

// loanFixture is a FULL project (600.00 from alice, 400.00 from bob) ready for approval.
type loanFixture struct {
	*lendingFixture
	faults    *faults.Registry
	ledger    *biz.LoanLedger
	messenger *fakeMessenger
	loans     *biz.LoanUsecase
}

func newLoanFixture(t *testing.T, grace time.Duration) *loanFixture {
	t.Helper()
	f := &loanFixture{lendingFixture: newLendingFixture(t, "1000.00")}
	if _, err := f.tender(alice, "600.00"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.tender(bob, "400.00"); err != nil {
		t.Fatal(err)
	}
	f.faults = faults.New(biz.FaultLoanLocalTxFail, biz.FaultLoanLocalTxUnknown)
	f.ledger = biz.NewLoanLedger(f.store, f.store, f.store, f.store, f.faults, biz.CheckBackGrace(grace), discard)
	f.messenger = &fakeMessenger{ledger: f.ledger}
	f.loans = biz.NewLoanUsecase(f.store, f.store, f.store, f.store, f.bank, f.messenger, f.ledger, f.failures, nil, nil, discard)
	return f
}

func (f *loanFixture) approve() (biz.ProjectStatus, error) {
	return f.loans.Approve(context.Background(), admin, f.project.ID, true)
}

func TestLoanApproval(t *testing.T) {
	t.Parallel()
	f := newLoanFixture(t, time.Minute)
	st, err := f.approve()
	if err != nil || st != biz.ProjectRepaying {
		t.Fatalf("approve = %s, %v", st, err)
	}
	p := f.projectNow(t)
	if p.Status != biz.ProjectRepaying || p.LoanRequestNo != "LN000000000001" || p.LoanedAt == nil {
		t.Fatalf("project %+v", p)
	}
	if len(f.bank.loans) != 1 || f.bank.loans[0] != "LN000000000001" {
		t.Fatalf("bank loans %v", f.bank.loans)
	}
	if st := f.tenderStatuses(); st[biz.TenderLoaned] != 2 || len(st) != 1 {
		t.Fatalf("tenders %v", st)
	}
	if m := f.store.OnlyMessage(); m.State != biz.LoanMessageCommitted || m.ProjectID != p.ID {
		t.Fatalf("loan message %+v", m)
	}
	msg := f.messenger.sent[0]
	if msg.ProjectID != p.ID || msg.BorrowerID != 7 || msg.Principal.String() != "1000.00" ||
		msg.BorrowerRate.String() != "0.15" || msg.InvestorRate.String() != "0.12" || msg.Periods != 12 ||
		!msg.LoanedAt.Equal(*p.LoanedAt) || msg.LoanRequestNo != "LN000000000001" || len(msg.Tenders) != 2 ||
		msg.Tenders[0].Amount.String() != "600.00" || msg.Tenders[0].InvestorID != 21 || msg.Tenders[1].InvestorID != 22 ||
		msg.BankProjectNo != "PRJ000000000001" || msg.BorrowerUserNo != p.BorrowerUserNo || msg.BorrowerUserNo == "" ||
		msg.Tenders[0].InvestorUserNo != "BU0000000021" || msg.Tenders[1].InvestorUserNo != "BU0000000022" {
		t.Fatalf("message %+v", msg)
	}
	// The check-back agrees, and a second approval changes nothing.
	if got := f.ledger.Check(context.Background(), f.store.OnlyMessage().Key); got != biz.TxCommit {
		t.Fatalf("check-back = %s", got)
	}
	if st, err := f.approve(); err != nil || st != biz.ProjectRepaying || len(f.bank.loans) != 1 || len(f.messenger.sent) != 1 {
		t.Fatalf("second approval = %s, %v; %d bank loans, %d messages", st, err, len(f.bank.loans), len(f.messenger.sent))
	}
}

func TestLoanApprovalRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newLoanFixture(t, time.Minute)
	if _, err := f.loans.Approve(ctx, alice, f.project.ID, true); !errors.Is(err, biz.ErrForbidden) {
		t.Fatalf("approval by an investor: %v", err)
	}
	if _, err := f.loans.Approve(ctx, admin, 99, true); !errors.Is(err, biz.ErrProjectNotFound) {
		t.Fatalf("missing project: %v", err)
	}

	collecting := newLendingFixture(t, "1000.00")
	if _, err := collecting.tender(alice, "600.00"); err != nil {
		t.Fatal(err)
	}
	ledger := biz.NewLoanLedger(collecting.store, collecting.store, collecting.store, collecting.store, nil, 0, discard)
	loans := biz.NewLoanUsecase(collecting.store, collecting.store, collecting.store, collecting.store, collecting.bank,
		&fakeMessenger{ledger: ledger}, ledger, collecting.failures, nil, nil, discard)
	if _, err := loans.Approve(ctx, admin, collecting.project.ID, true); !errors.Is(err, biz.ErrProjectNotFull) {
		t.Fatalf("approval before FULL: %v", err)
	}

	// A FULL project whose last freeze is unconfirmed waits for the settler.
	unsettled := newLendingFixture(t, "1000.00")
	unsettled.pendingTender(t, alice, "1000.00", biz.ErrBankUnavailable)
	ledger = biz.NewLoanLedger(unsettled.store, unsettled.store, unsettled.store, unsettled.store, nil, 0, discard)
	loans = biz.NewLoanUsecase(unsettled.store, unsettled.store, unsettled.store, unsettled.store, unsettled.bank,
		&fakeMessenger{ledger: ledger}, ledger, unsettled.failures, nil, nil, discard)
	if _, err := loans.Approve(ctx, admin, unsettled.project.ID, true); !errors.Is(err, biz.ErrTendersUnsettled) {
		t.Fatalf("approval with a PENDING tender: %v", err)
	}
	for _, fx := range []*lendingFixture{collecting, unsettled} {
		if len(fx.bank.loans) != 0 || fx.store.MessageCount() != 0 {
			t.Fatalf("a refused approval reached the bank (%v) or wrote messages (%v)", fx.bank.loans, fx.store.MessageCount())
		}
	}
	if len(f.bank.loans) != 0 || len(f.messenger.sent) != 0 || f.projectNow(t).Status != biz.ProjectFull {
		t.Fatalf("refusals changed something: loans %v, messages %d", f.bank.loans, len(f.messenger.sent))
	}
}

func TestLoanApprovalWithTheBankDownSendsNothing(t *testing.T) {
	t.Parallel()
	f := newLoanFixture(t, time.Minute)
	f.bank.loanErr = biz.ErrBankUnavailable
	if _, err := f.approve(); !errors.Is(err, biz.ErrBankUnavailable) {
		t.Fatalf("error %v", err)
	}
	if len(f.messenger.sent) != 0 || f.store.MessageCount() != 0 || f.projectNow(t).Status != biz.ProjectFull {
		t.Fatalf("messages %d, rows %d, project %s", len(f.messenger.sent), f.store.MessageCount(), f.projectNow(t).Status)
	}
	f.bank.loanErr = nil
	if st, err := f.approve(); err != nil || st != biz.ProjectRepaying {
		t.Fatalf("retry = %s, %v", st, err)
	}
}

func TestLocalTransactionFailureRollsTheMessageBack(t *testing.T) {
	t.Parallel()
	f := newLoanFixture(t, time.Minute)
	if err := f.faults.Arm(biz.FaultLoanLocalTxFail, 1, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := f.approve(); !errors.Is(err, biz.ErrLoanNotCommitted) {
		t.Fatalf("error %v, want ErrLoanNotCommitted", err)
	}
	m := f.store.OnlyMessage()
	if m.State != biz.LoanMessageRolledBack {
		t.Fatalf("loan message %+v", m)
	}
	if p := f.projectNow(t); p.Status != biz.ProjectFull {
		t.Fatalf("project %+v", p)
	}
	if st := f.tenderStatuses(); st[biz.TenderFrozen] != 2 {
		t.Fatalf("tenders %v", st)
	}
	if got := f.ledger.Check(context.Background(), m.Key); got != biz.TxRollback {
		t.Fatalf("check-back = %s, want ROLLBACK", got)
	}
	// Retrying succeeds with a new message; the bank is asked with the same number.
	if st, err := f.approve(); err != nil || st != biz.ProjectRepaying {
		t.Fatalf("retry = %s, %v", st, err)
	}
	if len(f.bank.loans) != 2 || f.bank.loans[0] != f.bank.loans[1] {
		t.Fatalf("bank loan requests %v, want the same number twice", f.bank.loans)
	}
	if got := f.ledger.Check(context.Background(), m.Key); got != biz.TxRollback {
		t.Fatalf("the first message's check-back after the retry = %s, want ROLLBACK", got)
	}
}

func TestLocalTransactionUnknownIsCommittedByTheCheckBack(t *testing.T) {
	t.Parallel()
	f := newLoanFixture(t, time.Minute)
	if err := f.faults.Arm(biz.FaultLoanLocalTxUnknown, 1, 0); err != nil {
		t.Fatal(err)
	}
	st, err := f.approve()
	if err != nil || st != biz.ProjectRepaying {
		t.Fatalf("approve = %s, %v; the local transaction committed", st, err)
	}
	if got := f.ledger.Check(context.Background(), f.store.OnlyMessage().Key); got != biz.TxCommit {
		t.Fatalf("check-back = %s", got)
	}
}

func TestLocalTransactionFailingHalfWayChangesNothing(t *testing.T) {
	t.Parallel()
	f := newLoanFixture(t, time.Minute)
	// The project is already REPAYING inside the transaction when the tenders' update
	// fails: the whole transaction must go.
	f.store.FailLoanTendersOnce(errors.New("connection reset"))
	if _, err := f.approve(); !errors.Is(err, biz.ErrLoanNotCommitted) {
		t.Fatalf("error %v, want ErrLoanNotCommitted", err)
	}
	if p := f.projectNow(t); p.Status != biz.ProjectFull {
		t.Fatalf("project %+v", p)
	}
	if st := f.tenderStatuses(); st[biz.TenderFrozen] != 2 || len(st) != 1 {
		t.Fatalf("tenders %v", st)
	}
	if m := f.store.OnlyMessage(); m.State != biz.LoanMessageRolledBack {
		t.Fatalf("message %+v", m)
	}
}

func TestBrokerRefusingTheHalfMessage(t *testing.T) {
	t.Parallel()
	f := newLoanFixture(t, time.Minute)
	f.messenger.sendErr = errors.New("connection refused")
	if _, err := f.approve(); !errors.Is(err, biz.ErrBrokerUnavailable) {
		t.Fatalf("error %v", err)
	}
	// The local transaction never ran; its row is fenced so a half message that reached
	// the broker after all is rolled back by the check-back.
	m := f.store.OnlyMessage()
	if m.State != biz.LoanMessageRolledBack || f.projectNow(t).Status != biz.ProjectFull {
		t.Fatalf("message %+v, project %s", m, f.projectNow(t).Status)
	}
	if got := f.ledger.Check(context.Background(), m.Key); got != biz.TxRollback {
		t.Fatalf("check-back = %s", got)
	}
}

func TestCheckBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("unknown key", func(t *testing.T) {
		t.Parallel()
		f := newLoanFixture(t, time.Minute)
		if got := f.ledger.Check(ctx, "LMnothing"); got != biz.TxRollback {
			t.Fatalf("check-back = %s", got)
		}
	})
	// A half message whose local transaction has not run (yet): the producer crashed
	// after sending it, or is about to run it.
	pending := func(t *testing.T) (*loanFixture, string) {
		f := newLoanFixture(t, time.Minute)
		m, err := f.store.CreateLoanMessage(ctx, f.project.ID, "LMpending")
		if err != nil {
			t.Fatal(err)
		}
		return f, m.Key
	}
	t.Run("pending and young", func(t *testing.T) {
		t.Parallel()
		f, key := pending(t)
		if got := f.ledger.Check(ctx, key); got != biz.TxUnknown {
			t.Fatalf("check-back = %s, want UNKNOWN", got)
		}
		if m := f.store.OnlyMessage(); m.State != biz.LoanMessagePending {
			t.Fatalf("message %+v", m)
		}
	})
	t.Run("pending and running", func(t *testing.T) {
		t.Parallel()
		f, key := pending(t)
		f.store.AgeMessages(time.Hour)
		f.store.MarkLoanMessageBusy(key) // the local transaction holds the row's lock
		if got := f.ledger.Check(ctx, key); got != biz.TxUnknown {
			t.Fatalf("check-back = %s, want UNKNOWN", got)
		}
	})
	t.Run("pending and abandoned", func(t *testing.T) {
		t.Parallel()
		f, key := pending(t)
		f.store.AgeMessages(time.Hour)
		if got := f.ledger.Check(ctx, key); got != biz.TxRollback {
			t.Fatalf("check-back = %s, want ROLLBACK", got)
		}
		// The fence: a local transaction that starts late changes nothing.
		if got := f.ledger.Execute(ctx, key); got != biz.TxRollback {
			t.Fatalf("late local transaction = %s", got)
		}
		if p := f.projectNow(t); p.Status != biz.ProjectFull {
			t.Fatalf("project %+v", p)
		}
		if st := f.tenderStatuses(); st[biz.TenderFrozen] != 2 {
			t.Fatalf("tenders %v", st)
		}
	})
	t.Run("a second message of a repaying project", func(t *testing.T) {
		t.Parallel()
		f := newLoanFixture(t, time.Minute)
		if _, err := f.approve(); err != nil {
			t.Fatal(err)
		}
		m, err := f.store.CreateLoanMessage(ctx, f.project.ID, "LMsecond")
		if err != nil {
			t.Fatal(err)
		}
		if got := f.ledger.Execute(ctx, m.Key); got != biz.TxRollback {
			t.Fatalf("local transaction of a second message = %s, want ROLLBACK", got)
		}
	})
}
