package biz

import (
	"errors"
	"fmt"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// ServiceName is the kind of a platform's request to the bank.
type ServiceName string

// The requests a platform can make.
const (
	ServiceOpenAccount     ServiceName = "OPEN_ACCOUNT"
	ServiceRecharge        ServiceName = "RECHARGE"
	ServiceWithdraw        ServiceName = "WITHDRAW"
	ServiceRegisterProject ServiceName = "REGISTER_PROJECT"
	ServiceFreeze          ServiceName = "FREEZE"
	ServiceConfirmLoan     ServiceName = "CONFIRM_LOAN"
	ServiceUnfreeze        ServiceName = "UNFREEZE"
	ServiceRepay           ServiceName = "REPAY"
)

// GatewayServices are the requests that arrive through the browser gateway, complete
// asynchronously and are notified to the platform.
var GatewayServices = []ServiceName{ServiceOpenAccount, ServiceRecharge, ServiceWithdraw}

// MovesMoney reports whether a gateway request changes a balance by its amount
// (recharge, withdrawal), so that it names an account and a positive amount.
func (s ServiceName) MovesMoney() bool { return s == ServiceRecharge || s == ServiceWithdraw }

// ReasonInsufficientBalance is the failure reason of a request refused because the
// account's available balance was short (a withdrawal, a repayment): the platform
// compares it as it is.
const ReasonInsufficientBalance = "INSUFFICIENT_BALANCE"

// RequestStatus is where a request is in the bank: PROCESSING until it succeeds or fails.
type RequestStatus string

// Request statuses.
const (
	RequestProcessing RequestStatus = "PROCESSING"
	RequestSuccess    RequestStatus = "SUCCESS"
	RequestFailed     RequestStatus = "FAILED"
)

// ErrRequestFinished is returned when a request that already succeeded or failed is
// asked to finish again: a request finishes exactly once.
var ErrRequestFinished = errors.New("request already finished")

// CustodyRequest is one request a platform made, as the bank logs it.
type CustodyRequest struct {
	RequestNo   string
	PlatformNo  string
	ServiceName ServiceName
	// PlatformUserID is the platform's id of the user; 0 when the request names none.
	PlatformUserID int64
	// UserNo is the bank user: given by a recharge, made by a successful account opening.
	UserNo string
	// Amount is nil for requests without one (account opening).
	Amount        *money.Amount
	Status        RequestStatus
	CallbackURL   string
	FailureReason string
	Details       RequestDetails
	// PasswordHash is the custody password's hash between an opening's confirmation and
	// its completion.
	PasswordHash      string
	CreatedAt         time.Time
	UpdatedAt         time.Time
	NotifyPublishedAt *time.Time
	// TraceParent is the trace context of the call that created the request (opaque
	// here): its notification continues that trace.
	TraceParent string
}

// RequestDetails are a request's business fields beyond the indexed columns. Never a
// password.
type RequestDetails struct {
	RealName   string
	IDNumber   string
	BankCardNo string
	Mobile     string
	ReturnURL  string
	ProjectNo  string
	// FreezeRequestNo is the freeze an unfreeze releases.
	FreezeRequestNo string
	// Period and Commission are a repayment's installment and the platform's part of it.
	Period     int
	Commission *money.Amount
}

// Succeed finishes a PROCESSING request successfully for bank user userNo.
func (r *CustodyRequest) Succeed(userNo string, at time.Time) error {
	if err := r.finish(RequestSuccess, at); err != nil {
		return err
	}
	r.UserNo = userNo
	return nil
}

// Fail finishes a PROCESSING request as failed, for the reason given (shown to the
// platform, so it names the problem without secrets).
func (r *CustodyRequest) Fail(reason string, at time.Time) error {
	if err := r.finish(RequestFailed, at); err != nil {
		return err
	}
	r.FailureReason = truncate(reason, 255)
	return nil
}

func (r *CustodyRequest) finish(to RequestStatus, at time.Time) error {
	if r.Status != RequestProcessing {
		return fmt.Errorf("%w: %s is %s", ErrRequestFinished, r.RequestNo, r.Status)
	}
	r.Status = to
	r.UpdatedAt = at
	// The hash has done its job (it is on bank_user now, or the opening failed).
	r.PasswordHash = ""
	return nil
}

// Finished reports whether the request succeeded or failed.
func (r *CustodyRequest) Finished() bool {
	return r.Status == RequestSuccess || r.Status == RequestFailed
}

// Notification is the result of a gateway request as the platform is told it.
type Notification struct {
	RequestNo      string
	ServiceName    ServiceName
	Status         RequestStatus
	UserNo         string
	PlatformUserID int64
	Amount         *money.Amount
	FailureReason  string
	FinishedAt     time.Time
	// TraceParent is the request's (not part of the message body).
	TraceParent string
}

// Notification returns the result to notify; only a finished request has one.
func (r *CustodyRequest) Notification() (Notification, error) {
	if !r.Finished() {
		return Notification{}, fmt.Errorf("request %s is %s: nothing to notify yet", r.RequestNo, r.Status)
	}
	return Notification{
		RequestNo: r.RequestNo, ServiceName: r.ServiceName, Status: r.Status, UserNo: r.UserNo,
		PlatformUserID: r.PlatformUserID, Amount: r.Amount, FailureReason: r.FailureReason,
		FinishedAt: r.UpdatedAt, TraceParent: r.TraceParent,
	}, nil
}

// truncate cuts s to at most n bytes without splitting a UTF-8 character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut]
}
