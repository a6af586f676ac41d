// Package biz holds bank-custody's domain: the mock bank's users, accounts, request log
// and notifier, and the interfaces it needs from storage.
package biz

import (
	"context"
	"time"

	"github.com/google/wire"
)

// ProviderSet is biz providers.
var ProviderSet = wire.NewSet(NewNotificationUsecase)

// ServiceName is the kind of a platform's request to the bank.
type ServiceName string

// The requests a platform can make.
const (
	ServiceOpenAccount     ServiceName = "OPEN_ACCOUNT"
	ServiceRecharge        ServiceName = "RECHARGE"
	ServiceRegisterProject ServiceName = "REGISTER_PROJECT"
	ServiceFreeze          ServiceName = "FREEZE"
	ServiceConfirmLoan     ServiceName = "CONFIRM_LOAN"
)

// RequestStatus is where a request is in the bank: PROCESSING until it succeeds or fails.
type RequestStatus string

// Request statuses.
const (
	RequestProcessing RequestStatus = "PROCESSING"
	RequestSuccess    RequestStatus = "SUCCESS"
	RequestFailed     RequestStatus = "FAILED"
)

// NotificationAttempt is one try of the notifier to deliver a request's result.
type NotificationAttempt struct {
	RequestNo   string
	Attempt     int // 1 for the first delivery
	AttemptedAt time.Time
	// HTTPStatus is the platform's answer; 0 when it could not be reached.
	HTTPStatus int
	// Error says why the delivery failed; empty when the platform acknowledged it.
	Error string
}

// NotificationRepo reads the notifier's delivery log.
type NotificationRepo interface {
	// Attempts returns a request's delivery attempts ordered by attempt number; none is
	// not an error (the notifier may not have run yet).
	Attempts(ctx context.Context, requestNo string) ([]NotificationAttempt, error)
}

// NotificationUsecase answers questions about notification delivery.
type NotificationUsecase struct {
	repo NotificationRepo
}

// NewNotificationUsecase returns the notification use cases.
func NewNotificationUsecase(repo NotificationRepo) *NotificationUsecase {
	return &NotificationUsecase{repo: repo}
}

// Attempts lists a request's delivery attempts, first attempt first.
func (uc *NotificationUsecase) Attempts(ctx context.Context, requestNo string) ([]NotificationAttempt, error) {
	return uc.repo.Attempts(ctx, requestNo)
}
