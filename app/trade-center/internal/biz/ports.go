package biz

import (
	"context"
	"errors"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// What trade-center needs from outside its database: the caller's identity, user-center's
// view of the caller's custody account, the custody bank and the message broker.

// Roles of a caller (pkg/auth).
const (
	RoleBorrower = "BORROWER"
	RoleInvestor = "INVESTOR"
	RoleAdmin    = "ADMIN"
)

// Caller is who sends a request, as the bearer token says.
type Caller struct {
	UserID int64
	Role   string
	// Token is the caller's bearer token, forwarded to user-center so it answers about
	// the caller and nobody else.
	Token string
}

// CustodyStatus is a consumer's custody status as user-center reports it (NONE, PENDING,
// OPEN or FAILED); only OPEN lets an investor tender.
type CustodyStatus string

// CustodyOpen is the status of an open custody account.
const CustodyOpen CustodyStatus = "OPEN"

// Custody is the caller's custody account as user-center knows it.
type Custody struct {
	UserID int64
	Status CustodyStatus
	UserNo string // the bank's user number once OPEN
}

// CustodyDirectory asks user-center about the caller's custody account.
type CustodyDirectory interface {
	// CallerCustody fails with ErrUserCenterUnavailable when user-center cannot answer.
	CallerCustody(ctx context.Context, caller Caller) (Custody, error)
}

// Transaction runs fn in one local transaction of trade-center's database; repository
// calls made with the context fn receives join it.
type Transaction interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// BankProject is a project as the bank registers it.
type BankProject struct {
	RequestNo         string
	ProjectNo         string
	PlatformProjectID int64
	BorrowerUserNo    string
	Amount            money.Amount
}

// BankFreeze holds an investor's money for a tender.
type BankFreeze struct {
	RequestNo string
	ProjectNo string
	UserNo    string
	Amount    money.Amount
}

// BankAccount is a custody account's money: Balance includes what is Frozen.
type BankAccount struct {
	UserNo  string
	Balance money.Amount
	Frozen  money.Amount
}

// Available is what the account can still freeze.
func (a BankAccount) Available() money.Amount { return a.Balance.Sub(a.Frozen) }

// Bank is the custody bank's signed lending API. Every call is idempotent by its request
// number. Errors: ErrInsufficientBalance and ErrBankRefused are the bank's definitive
// "no" (it changed nothing); ErrBankUnavailable means the outcome is unknown (no answer,
// an answer that is not the bank's, or a 5xx) and the same request may be sent again.
type Bank interface {
	RegisterProject(ctx context.Context, p BankProject) error
	Account(ctx context.Context, userNo string) (BankAccount, error)
	Freeze(ctx context.Context, f BankFreeze) error
	// ConfirmLoan moves every freeze of the project to the borrower.
	ConfirmLoan(ctx context.Context, requestNo, projectNo string) error
}

var (
	// ErrInsufficientBalance: the investor's available balance is below the tender.
	ErrInsufficientBalance = errors.New("insufficient balance at the bank")
	// ErrBankRefused: the bank answered no for another reason; the error says which.
	ErrBankRefused = errors.New("the bank refused the request")
	// ErrBankUnavailable: the bank's answer is unknown; the request may be sent again.
	ErrBankUnavailable = errors.New("the bank did not answer")
	// ErrUserCenterUnavailable: user-center could not say who the caller is at the bank.
	ErrUserCenterUnavailable = errors.New("user-center did not answer")
)

// TxOutcome is what a transactional message's local transaction came to, as told to
// the broker: commit the message, roll it back, or unknown (the broker asks again).
type TxOutcome int

// Outcomes of a local transaction.
const (
	TxUnknown TxOutcome = iota
	TxCommit
	TxRollback
)

func (o TxOutcome) String() string {
	switch o {
	case TxCommit:
		return "COMMIT"
	case TxRollback:
		return "ROLLBACK"
	}
	return "UNKNOWN"
}

// LoanMessenger sends the start-repayment message as a RocketMQ transactional message:
// half message first, then the loan's local transaction (LoanLedger.Execute for key),
// then commit or rollback by its outcome. An error means the half message was not
// accepted, so the local transaction did not run.
type LoanMessenger interface {
	SendInTransaction(ctx context.Context, key string, msg StartRepayment) (TxOutcome, error)
}
