package biz

import (
	"context"
	"errors"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// Full-loan approval (DESIGN.md): the bank moves the frozen money to the borrower, then a
// RocketMQ transactional message starts repayment.
//
//  1. Prepare: lock the project; it must be FULL with every tender FROZEN. Its loan
//     request number (LN…) is fixed by its id, so every approval of the project asks the
//     bank the same question.
//  2. The bank confirms the loan (idempotent by the request number): frozen → borrower.
//  3. Record the loan date and a loan_message row PENDING with a fresh key, and build the
//     message from the FROZEN tenders.
//  4. Send the half message carrying the key; the producer then runs Execute (the local
//     transaction) and commits or rolls back the message by its outcome.
//  5. Settle: a row still PENDING means the local transaction never ran (the half message
//     was refused, or the producer failed before it): it is fenced to ROLLED_BACK. The
//     answer is REPAYING once the row is COMMITTED.
//
// Execute, in one local transaction: lock the loan_message row, then the project; if the
// row is still PENDING and the project FULL, the project becomes REPAYING, its tenders
// LOANED and the row COMMITTED; otherwise the row becomes ROLLED_BACK. If the transaction
// fails, a second one marks the row ROLLED_BACK.
//
// The broker's check-back answers from that row, never from memory (any producer of the
// group may be asked, after a restart too):
//   - COMMITTED (project REPAYING) → commit;
//   - ROLLED_BACK (project unchanged by this message) → rollback;
//   - PENDING while the local transaction holds the row's lock, or younger than the
//     grace period (the producer may be about to run it) → unknown, the broker asks
//     again;
//   - PENDING, unlocked and older than the grace → nobody is running it: the check-back
//     fences the row to ROLLED_BACK in a transaction and answers rollback. A local
//     transaction that starts after that finds ROLLED_BACK and changes nothing, so the
//     message and the project cannot disagree whatever the timing.

// Fault points of the loan (API.md).
const (
	// FaultLoanLocalTxFail makes the loan's local transaction fail → message rolled back.
	FaultLoanLocalTxFail = "loan.localtx.fail"
	// FaultLoanLocalTxUnknown lets the local transaction commit but tells the broker
	// UNKNOWN, so the check-back decides.
	FaultLoanLocalTxUnknown = "loan.localtx.unknown"
	// FaultLoanMessageLost commits the local transaction and then tells the broker to
	// roll the half message back: the event is lost (what the broker's giving up on
	// check-backs looks like) and only the outbox (loan_outbox.go) brings the plan.
	FaultLoanMessageLost = "loan.message.lost"
)

// Crash points of trade-center (pkg/faults Registry.Crash: SIGKILL at that moment).
const (
	// CrashTenderAfterRow: the PENDING tender and the project's reservation are
	// committed, the freeze is not sent.
	CrashTenderAfterRow = "crash.tender.after_row"
	// CrashTenderAfterFreeze: the bank froze the money, the tender is still PENDING.
	CrashTenderAfterFreeze = "crash.tender.after_freeze"
	// CrashLoanAfterTransfer: the bank moved the loan, no loan message exists yet.
	CrashLoanAfterTransfer = "crash.loan.after_transfer"
	// CrashLoanAfterLocalTx: the local transaction committed (REPAYING), the broker has
	// the half message and no answer.
	CrashLoanAfterLocalTx = "crash.loan.after_localtx"
	// CrashRefundAfterUnfreeze: the bank unfroze a failed project's tender, the tender
	// is not recorded REFUNDED yet.
	CrashRefundAfterUnfreeze = "crash.refund.after_unfreeze"
)

var (
	// ErrProjectNotFull: a loan approval of a project that is not FULL.
	ErrProjectNotFull = errors.New("project is not full")
	// ErrTendersUnsettled: some tender's freeze is not confirmed yet.
	ErrTendersUnsettled = errors.New("some tenders are not settled with the bank yet")
	// ErrLoanNotCommitted: the local transaction did not commit and the message was
	// rolled back; the project is still FULL and the approval may be retried.
	ErrLoanNotCommitted = errors.New("the loan's local transaction did not commit")
	// ErrBrokerUnavailable: the broker did not take the half message.
	ErrBrokerUnavailable = errors.New("the message broker did not take the start-repayment message")
	// ErrLoanMessageNotFound: no loan_message row has the key.
	ErrLoanMessageNotFound = errors.New("loan message not found")
	// ErrLoanMessageBusy: another transaction holds the loan_message row's lock.
	ErrLoanMessageBusy = errors.New("loan message is locked by a running local transaction")
	// errInjected is the failure the loan.localtx.fail fault causes.
	errInjected = errors.New("fault loan.localtx.fail: local transaction fails")
)

// LoanMessageState is where a start-repayment message's local transaction is.
type LoanMessageState string

// States of a loan_message row.
const (
	LoanMessagePending    LoanMessageState = "PENDING"
	LoanMessageCommitted  LoanMessageState = "COMMITTED"
	LoanMessageRolledBack LoanMessageState = "ROLLED_BACK"
)

// Outcome is what the broker is told for a message in this state.
func (s LoanMessageState) Outcome() TxOutcome {
	switch s {
	case LoanMessageCommitted:
		return TxCommit
	case LoanMessageRolledBack:
		return TxRollback
	}
	return TxUnknown
}

// LoanMessage is one start-repayment transactional message's record.
type LoanMessage struct {
	ID        int64
	Key       string
	ProjectID int64
	State     LoanMessageState
	// ConfirmedAt is when the outbox saw repayment's plan (loan_outbox.go); nil until then.
	ConfirmedAt *time.Time
	// RepublishedAt and Republished: the outbox's last send of the event, and how many.
	RepublishedAt *time.Time
	Republished   int
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// LoanMessageRepo reads and writes loan_message rows.
type LoanMessageRepo interface {
	CreateLoanMessage(ctx context.Context, projectID int64, key string) (*LoanMessage, error)
	// LoanMessage is a plain (non-locking) read; ErrLoanMessageNotFound when absent.
	LoanMessage(ctx context.Context, key string) (*LoanMessage, error)
	// LockLoanMessage reads the row FOR UPDATE inside Transaction.InTx. With nowait it
	// does not wait for a lock another transaction holds but fails with
	// ErrLoanMessageBusy.
	LockLoanMessage(ctx context.Context, key string, nowait bool) (*LoanMessage, error)
	UpdateLoanMessageState(ctx context.Context, id int64, state LoanMessageState) error
	// Unconfirmed lists, oldest first and at most limit, the COMMITTED messages without
	// ConfirmedAt whose last send (the commit, or RepublishedAt) was before before.
	Unconfirmed(ctx context.Context, before time.Time, limit int) ([]*LoanMessage, error)
	// MarkRepublished records a send of the event again at at.
	MarkRepublished(ctx context.Context, id int64, at time.Time) error
	// ConfirmLoanMessage records that the message's plan exists.
	ConfirmLoanMessage(ctx context.Context, id int64, at time.Time) error
}

// StartRepayment is the message that tells repayment to write the plans: everything it
// needs, the bank numbers it executes installments with included, nothing secret (no
// tokens, no keys).
type StartRepayment struct {
	ProjectID     int64
	BorrowerID    int64
	Principal     money.Amount
	BorrowerRate  money.Rate
	InvestorRate  money.Rate
	Periods       int
	LoanedAt      time.Time
	LoanRequestNo string
	// BankProjectNo and BorrowerUserNo are the project and the borrower at the bank.
	BankProjectNo  string
	BorrowerUserNo string
	Tenders        []TenderShare
}

// TenderShare is one tender's part of the loan.
type TenderShare struct {
	TenderID   int64
	InvestorID int64
	// InvestorUserNo is the investor's custody user number, credited by each installment.
	InvestorUserNo string
	Amount         money.Amount
}
