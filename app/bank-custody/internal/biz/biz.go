// Package biz holds bank-custody's domain: the mock bank's users, accounts, request log,
// lending (projects, freezes, loans) and notifier, and the interfaces it needs from
// storage, the message queue and the platforms (docs/custody-protocol.md).
package biz

import (
	"context"
	"errors"
	"time"

	"github.com/google/wire"
)

// ProviderSet is biz providers.
var ProviderSet = wire.NewSet(NewNotificationUsecase, NewGatewayUsecase, NewProcessingUsecase,
	NewDeliveryUsecase, NewLendingUsecase, NewRepaymentUsecase, NewInquiryUsecase, NewUserNumbers)

// Fault points of the bank (API.md "Fault points").
const (
	// FaultNotifySuppress makes the notifier acknowledge a notification without sending
	// it, so that only the platform's reconciliation can close the request.
	FaultNotifySuppress = "notify.suppress"
	// FaultRepayLost makes the API drop the connection after a repayment committed,
	// without answering: what a lost answer looks like to the caller.
	FaultRepayLost = "bank.repay.lost"
	// FaultFreezeUnsigned makes the API answer a freeze it committed with an unsigned
	// 422 INSUFFICIENT_BALANCE: what a proxy, a gateway or a forger in between could
	// answer. Only a signed refusal is the bank's word, so the platform must not fail the
	// tender on it.
	FaultFreezeUnsigned = "bank.freeze.unsigned"
	// CrashAfterComplete kills the bank (pkg/faults Registry.Crash) right after the back
	// office completed a gateway request — an account opened, a recharge credited, a
	// withdrawal debited — and before its result is published.
	CrashAfterComplete = "crash.bank.after_complete"
)

// Failures the API reports with their own reasons.
var (
	ErrUnknownPlatform          = errors.New("unknown platform")
	ErrRequestNotFound          = errors.New("request not found")
	ErrAccountNotFound          = errors.New("account not found")
	ErrProjectNotFound          = errors.New("project not found")
	ErrInsufficientBalance      = errors.New("insufficient balance")
	ErrProjectNotCollecting     = errors.New("project is not collecting")
	ErrProjectAlreadyRegistered = errors.New("project already registered")
	ErrRequestNoConflict        = errors.New("request number used for another request")
	ErrExceedsProjectAmount     = errors.New("freezes would exceed the project amount")
	ErrNothingFrozen            = errors.New("nothing frozen for the project")
	// ErrFreezeVoided: an unfreeze of this freeze arrived first; the freeze holds nothing.
	ErrFreezeVoided = errors.New("freeze voided by an earlier unfreeze")
	// ErrFreezeTransferred: the freeze's money went to the borrower with the loan.
	ErrFreezeTransferred = errors.New("freeze transferred by the loan")
	ErrProjectNotLoaned  = errors.New("project is not loaned")
	// ErrPeriodAlreadyRepaid: another request repaid this installment already.
	ErrPeriodAlreadyRepaid = errors.New("period already repaid")
	// ErrNonceReplayed: the signed gateway form was used already.
	ErrNonceReplayed = errors.New("form already used")
)

// Errors repositories return for the use cases to act on.
var (
	// ErrDuplicateRequest: a request with this number is stored already.
	ErrDuplicateRequest = errors.New("duplicate request number")
	// ErrUserNoTaken: the generated bank user number exists already; draw another.
	ErrUserNoTaken = errors.New("user number taken")
	// ErrPlatformUserHasAccount: the platform user has a custody account already.
	ErrPlatformUserHasAccount = errors.New("platform user has a custody account")
	// ErrFreezeNotFound: no freeze with this request number.
	ErrFreezeNotFound = errors.New("freeze not found")
	// ErrRepaymentNotFound: no successful repayment of this installment.
	ErrRepaymentNotFound = errors.New("repayment not found")
)

// ValidationError is input that can never succeed; it names the field.
type ValidationError struct {
	Field   string
	Problem string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Problem }

// Transaction runs fn in one local database transaction; repositories called with the
// context fn receives take part in it. Inside a transaction already, fn joins it.
type Transaction interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// Platform is a platform the bank has a contract with.
type Platform struct {
	No string
	// CallbackURL is where the notifier POSTs results.
	CallbackURL string
}

// Platforms are the bank's contracts.
type Platforms interface {
	Platform(no string) (Platform, bool)
	// Nos lists the platform numbers, sorted.
	Nos() []string
}

// PasswordHasher hashes custody passwords; only the hash is ever stored.
type PasswordHasher interface {
	Hash(plain string) (string, error)
	// Matches reports whether plain is the password behind hash.
	Matches(hash, plain string) bool
}

// Snapshot runs fn in one read-only transaction that sees the database as of a single
// moment (REPEATABLE READ), so that sums read in it agree with each other.
type Snapshot interface {
	InSnapshot(ctx context.Context, fn func(ctx context.Context) error) error
}

// Clock is the time source of the use cases (UTC, microseconds like DATETIME(6)).
type Clock func() time.Time

// SystemClock is the real clock.
func SystemClock() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
