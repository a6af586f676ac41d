package biz

import (
	"context"
	"errors"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// What the repayment run needs from outside: its database (installments and attempts,
// in local transactions), the custody bank's signed repayment API, and DTM's two-phase
// message to trade-center (docs/repayment-execution.md "Repayment run").

// Transaction runs fn in one local transaction of repayment's database; repository calls
// made with the context fn receives join it.
type Transaction interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// ErrInstallmentNotFound: no plan row for the project and period.
var ErrInstallmentNotFound = errors.New("installment not found")

// ErrAttemptNotFound: no attempt with that request number.
var ErrAttemptNotFound = errors.New("repayment attempt not found")

// InstallmentRepo reads and settles installments and their attempts at the bank. Locking
// reads need a transaction (Transaction.InTx).
type InstallmentRepo interface {
	// DueInstallments are up to limit installments PENDING or OVERDUE with a due date on
	// or before asOf (a date; its clock time is ignored) that carry their bank identities,
	// ordered by project, then period.
	DueInstallments(ctx context.Context, asOf time.Time, limit int) ([]Installment, error)
	// Installment reads one installment without locking it.
	Installment(ctx context.Context, projectID int64, period int) (Installment, error)
	// LockInstallment reads one installment and locks its plan row until the transaction
	// ends: the claim, the refusal and the success of one installment serialise on it.
	LockInstallment(ctx context.Context, projectID int64, period int) (Installment, error)
	// Credits are what the installment pays each of its receivables' investors, ordered by
	// tender.
	Credits(ctx context.Context, projectID int64, period int) ([]Credit, error)
	// MarkRepaid makes the installment REPAID and every receivable of it RECEIVED, at.
	MarkRepaid(ctx context.Context, projectID int64, period int, at time.Time) error
	// MarkOverdue makes the installment and every receivable of it OVERDUE.
	MarkOverdue(ctx context.Context, projectID int64, period int) error

	// Attempts are the installment's attempts, oldest first.
	Attempts(ctx context.Context, projectID int64, period int) ([]Attempt, error)
	// Attempt reads one attempt by its request number (ErrAttemptNotFound).
	Attempt(ctx context.Context, requestNo string) (Attempt, error)
	// CreateAttempt stores a new attempt; its request number must be new.
	CreateAttempt(ctx context.Context, a Attempt) error
	// UpdateAttempt stores an attempt's status, claims, run and failure reason.
	UpdateAttempt(ctx context.Context, a Attempt) error
}

// Credit is what one receivable's investor gets from an installment.
type Credit struct {
	UserNo string
	Amount money.Amount
}

// BankRepayment is one installment as the bank executes it: the borrower's amount goes to
// each credit and the commission to the platform's fee account, in one local transaction.
type BankRepayment struct {
	RequestNo      string
	ProjectNo      string
	Period         int
	BorrowerUserNo string
	Amount         money.Amount
	Commission     money.Amount
	Credits        []Credit
}

// BankRequestStatus is the bank's word on a request number (its result query).
type BankRequestStatus string

// The statuses the bank's result query answers.
const (
	BankProcessing BankRequestStatus = "PROCESSING"
	BankSucceeded  BankRequestStatus = "SUCCESS"
	BankFailed     BankRequestStatus = "FAILED"
)

// Bank is the custody bank's signed repayment API, idempotent by request number.
// Repay answers nil when the bank moved the money; its errors: ErrInsufficientBalance
// (the borrower is short, nothing moved), ErrPeriodAlreadyRepaid (another request paid
// the installment), ErrBankRefused (refused for another reason, nothing moved) and
// ErrBankUnavailable (the outcome is unknown: ask RequestStatus, never send again).
// RequestStatus answers ErrRequestNotFound when the bank never received the number and
// ErrBankUnavailable when it cannot say.
type Bank interface {
	Repay(ctx context.Context, r BankRepayment) error
	RequestStatus(ctx context.Context, requestNo string) (BankRequestStatus, error)
}

var (
	// ErrInsufficientBalance: the borrower's available balance is below the installment.
	ErrInsufficientBalance = errors.New("the borrower's balance at the bank is short")
	// ErrPeriodAlreadyRepaid: the bank paid this installment under another request number.
	ErrPeriodAlreadyRepaid = errors.New("the bank has repaid this period already")
	// ErrBankRefused: the bank refused the request for another reason; nothing moved.
	ErrBankRefused = errors.New("the bank refused the repayment")
	// ErrBankUnavailable: the bank's answer is unknown.
	ErrBankUnavailable = errors.New("the bank did not answer")
	// ErrRequestNotFound: the bank has no request with that number.
	ErrRequestNotFound = errors.New("the bank has no such request")
)

// InstallmentRepaid is what the two-phase message tells trade-center.
type InstallmentRepaid struct {
	ProjectID int64
	Period    int
	RequestNo string
	Amount    money.Amount
	RepaidAt  time.Time
}

// RepaidMessenger is DTM's two-phase message from repayment to trade-center.
type RepaidMessenger interface {
	// Send prepares the message with gid, runs localTx in DTM's barrier — one local
	// transaction whose context the repositories join — and submits the message once it
	// committed. An error from localTx is returned as is and the message is aborted; any
	// other error (DTM unreachable, a lost submit) leaves the outcome to durable state:
	// the committed barrier row is what DTM's check-back (Prepared) finds.
	Send(ctx context.Context, gid string, msg InstallmentRepaid, localTx func(ctx context.Context) error) error
	// Prepared answers DTM's check-back for the message in ctx from the barrier rows: nil
	// when its local transaction committed; otherwise it makes sure it never will.
	Prepared(ctx context.Context) error
}
