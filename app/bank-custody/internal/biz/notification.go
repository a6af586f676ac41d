package biz

import (
	"context"
	"time"
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
