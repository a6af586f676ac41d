package biz

import (
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// Custody requests are what the platform asks the custody bank to do through its browser
// gateway; the bank answers later, by notification or when asked (docs/custody-protocol.md).
// A request is applied PENDING → SUCCESS or FAILED exactly once, whichever answer comes
// first; later answers change nothing.

// FaultCallbackReject makes the bank's notification answer 500 before it is applied
// (API.md).
const FaultCallbackReject = "callback.reject"

// CrashCallbackAfterCommit kills user-center (pkg/faults Registry.Crash) after a bank
// notification's result committed, before the callback answers 200.
const CrashCallbackAfterCommit = "crash.callback.after_commit"

// Kinds of custody request; the bank calls them serviceName.
const (
	KindOpenAccount = "OPEN_ACCOUNT"
	KindRecharge    = "RECHARGE"
	KindWithdraw    = "WITHDRAW"
)

// RequestStatus is where a custody request stands.
type RequestStatus string

// Custody request statuses, and the bank's in-between status.
const (
	RequestPending    RequestStatus = "PENDING"
	RequestSuccess    RequestStatus = "SUCCESS"
	RequestFailed     RequestStatus = "FAILED"
	RequestProcessing RequestStatus = "PROCESSING" // the bank's only: accepted, not finished
)

// Request number prefixes (docs/custody-protocol.md).
const (
	prefixOpenAccount = "OA"
	prefixRecharge    = "RC"
	prefixWithdraw    = "WD"
)

// MaxRecharge is the largest amount one recharge may ask for.
var MaxRecharge = money.MustParseAmount("1000000.00")

// ReasonNotReceived is the failure reason of a request the bank never received (the user
// left the bank's page) once reconciliation gives up on it.
const ReasonNotReceived = "not received by the bank"

// Custody failures.
var (
	ErrCustodyAlreadyRequested = errors.New("a custody account opening is already pending")
	ErrCustodyAlreadyOpen      = errors.New("the custody account is already open")
	ErrCustodyNotOpen          = errors.New("no open custody account")
	// ErrInsufficientBalance: a withdrawal above the available balance the bank reports.
	ErrInsufficientBalance = errors.New("the amount exceeds the available balance")
	// ErrBankUnavailable: the bank's account query gave no trustworthy answer.
	ErrBankUnavailable = errors.New("the bank did not answer")
	// ErrForbidden: the caller's role may not do this.
	ErrForbidden       = errors.New("not allowed for this role")
	ErrRequestNotFound = errors.New("custody request not found")
	// ErrResultMismatch: the bank's result names a request but disagrees with it.
	ErrResultMismatch = errors.New("bank result does not match the request")
	// ErrInvalidResult: the bank's result is not a usable final result.
	ErrInvalidResult = errors.New("invalid bank result")
	// ErrNotReceivedByBank: the bank has no record of the request.
	ErrNotReceivedByBank = errors.New("the bank never received the request")
)

// CustodyRequest is one request sent to the bank through the gateway.
type CustodyRequest struct {
	RequestNo string
	UserID    int64
	Kind      string
	Status    RequestStatus
	// Amount is a recharge's or a withdrawal's amount; nil for an account opening.
	Amount *money.Amount
	// BankUserNo is the bank's user number: the account a recharge credits or a
	// withdrawal debits, or the account an opening created once it succeeded.
	BankUserNo    string
	FailureReason string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	CompletedAt   *time.Time
}

// Recharge is money the bank credited to a user's custody account.
type Recharge struct {
	RequestNo string
	UserID    int64
	Amount    money.Amount
	CreatedAt time.Time
}

// Withdrawal is money the bank debited from a user's custody account.
type Withdrawal struct {
	RequestNo string
	UserID    int64
	Amount    money.Amount
	CreatedAt time.Time
}

// BankResult is the bank's word on a request, from its notification or its result query.
// Fields are as the bank sent them.
type BankResult struct {
	RequestNo      string
	Kind           string        // serviceName
	Status         RequestStatus // PROCESSING, SUCCESS or FAILED
	UserNo         string
	PlatformUserID string
	Amount         string // "" when the request has none
	FailureReason  string
}

// matches reports, as an ErrResultMismatch, how res disagrees with r.
func (r *CustodyRequest) matches(res BankResult) error {
	mismatch := func(field, got, want string) error {
		return fmt.Errorf("%w: %s %q, request %s has %q", ErrResultMismatch, field, got, r.RequestNo, want)
	}
	if res.RequestNo != r.RequestNo {
		return mismatch("requestNo", res.RequestNo, r.RequestNo)
	}
	if want := strconv.FormatInt(r.UserID, 10); res.PlatformUserID != want {
		return mismatch("platformUserId", res.PlatformUserID, want)
	}
	if res.Kind != r.Kind {
		return mismatch("serviceName", res.Kind, r.Kind)
	}
	if r.Amount == nil {
		// An opening has no amount; the bank may say so with "" or zero.
		if res.Amount != "" {
			if a, err := money.ParseAmount(res.Amount); err != nil || !a.IsZero() {
				return mismatch("amount", res.Amount, "")
			}
		}
	} else if a, err := money.ParseAmount(res.Amount); err != nil || !a.Equal(*r.Amount) {
		return mismatch("amount", res.Amount, r.Amount.String())
	}
	// A recharge or a withdrawal names the account it moves money on; an opening's
	// account is new.
	if r.Kind != KindOpenAccount && res.UserNo != "" && res.UserNo != r.BankUserNo {
		return mismatch("userNo", res.UserNo, r.BankUserNo)
	}
	return nil
}

// Complete applies the bank's final result: a PENDING request becomes SUCCESS or FAILED
// and Complete reports true. A request that is already complete is left as it is (a
// duplicate or late result) and Complete reports false. A result that is not final, not
// well formed or not about this request is refused and changes nothing.
func (r *CustodyRequest) Complete(res BankResult, now time.Time) (bool, error) {
	if res.Status != RequestSuccess && res.Status != RequestFailed {
		return false, fmt.Errorf("%w: status %q is not SUCCESS or FAILED", ErrInvalidResult, res.Status)
	}
	if err := r.matches(res); err != nil {
		return false, err
	}
	if r.Kind == KindOpenAccount && res.Status == RequestSuccess && res.UserNo == "" {
		return false, fmt.Errorf("%w: an opened account needs its userNo", ErrInvalidResult)
	}
	if r.Status != RequestPending {
		return false, nil
	}
	r.Status = res.Status
	if res.Status == RequestSuccess {
		if r.Kind == KindOpenAccount {
			r.BankUserNo = res.UserNo
		}
	} else {
		r.FailureReason = res.FailureReason
		if r.FailureReason == "" {
			r.FailureReason = "failed at the bank"
		}
		if len(r.FailureReason) > 255 {
			r.FailureReason = truncateUTF8(r.FailureReason, 255)
		}
	}
	r.UpdatedAt, r.CompletedAt = now, &now
	return true, nil
}

func truncateUTF8(s string, n int) string {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
