package biz

import (
	"context"
	"errors"
	"strconv"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// What trade-center needs from outside its database: the caller's identity, user-center's
// view of the caller's custody account, the custody bank, the message broker and DTM's
// barrier.

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

// The background jobs' names in the claims table (pkg/claims): two instances of
// trade-center split each job's due rows, so no tender is settled or refunded, no loan
// resumed and no message re-sent by both at once.
const (
	JobSettleTenders = "tender-settle"
	JobRefundTenders = "tender-refund"
	JobResumeLoans   = "loan-resume"
	JobOutbox        = "loan-outbox"
)

func tenderKey(t *Tender) string   { return strconv.FormatInt(t.ID, 10) }
func projectKey(p *Project) string { return strconv.FormatInt(p.ID, 10) }

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

// BankUnfreeze gives a tender's frozen money back to its investor (docs/custody-protocol.md
// "Unfreeze a tender's money").
type BankUnfreeze struct {
	RequestNo       string
	FreezeRequestNo string
	ProjectNo       string
	UserNo          string
	Amount          money.Amount
}

// UnfreezeResult is the bank's answer to an unfreeze.
type UnfreezeResult string

// Answers of an unfreeze: the freeze's money went back to the investor's balance (now or
// on an earlier call), or the bank never had the freeze and has voided its request
// number, so a freeze arriving later holds nothing.
const (
	Unfrozen UnfreezeResult = "UNFROZEN"
	Voided   UnfreezeResult = "VOIDED"
)

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
	// FreezeBatch sends the freezes of one project's tenders (at most MaxFreezeBatch) in
	// one call and answers one error per freeze, in order: nil when it is frozen, what
	// Freeze would answer otherwise. An error of the call leaves every outcome unknown.
	FreezeBatch(ctx context.Context, projectNo string, fs []BankFreeze) ([]error, error)
	// ConfirmLoan moves every freeze of the project to the borrower.
	ConfirmLoan(ctx context.Context, requestNo, projectNo string) error
	// Unfreeze releases a tender's freeze; ErrFreezeTransferred when a loan moved it.
	Unfreeze(ctx context.Context, u BankUnfreeze) (UnfreezeResult, error)
}

var (
	// ErrInsufficientBalance: the investor's available balance is below the tender.
	ErrInsufficientBalance = errors.New("insufficient balance at the bank")
	// ErrBankRefused: the bank answered no for another reason; the error says which.
	ErrBankRefused = errors.New("the bank refused the request")
	// ErrBankUnavailable: the bank's answer is unknown; the request may be sent again.
	ErrBankUnavailable = errors.New("the bank did not answer")
	// ErrFreezeVoided: the bank refused a freeze whose request number an unfreeze voided
	// first (the project failed while the tender was on its way); nothing is held.
	ErrFreezeVoided = errors.New("the bank voided the freeze's request number")
	// ErrFreezeTransferred: an unfreeze of money a loan already moved to the borrower.
	ErrFreezeTransferred = errors.New("the freeze was transferred by a loan")
	// ErrUserCenterUnavailable: user-center could not say who the caller is at the bank.
	ErrUserCenterUnavailable = errors.New("user-center did not answer")
)

// BranchRunner runs a DTM branch's change exactly once per gid and operation, in one local
// transaction with DTM's barrier record; repositories pick that transaction up from the
// context fn receives.
type BranchRunner interface {
	InBarrier(ctx context.Context, fn func(ctx context.Context, gid string) error) error
}

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
