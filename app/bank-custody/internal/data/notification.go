package data

import (
	"context"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent/notificationattempt"
)

type notificationRepo struct{ data *Data }

// NewNotificationRepo returns the ent-backed notification log.
func NewNotificationRepo(d *Data) biz.NotificationRepo { return &notificationRepo{data: d} }

// NewAttemptRecorder returns the ent-backed writer of the notification log.
func NewAttemptRecorder(d *Data) biz.AttemptRecorder { return &notificationRepo{data: d} }

func (r *notificationRepo) Attempts(ctx context.Context, requestNo string) ([]biz.NotificationAttempt, error) {
	rows, err := r.data.Client(ctx).NotificationAttempt.Query().
		Where(notificationattempt.RequestNo(requestNo)).
		Order(ent.Asc(notificationattempt.FieldAttempt)).
		All(ctx)
	if err != nil {
		return nil, err
	}
	attempts := make([]biz.NotificationAttempt, 0, len(rows))
	for _, a := range rows {
		attempt := biz.NotificationAttempt{
			RequestNo: a.RequestNo, Attempt: a.Attempt, AttemptedAt: a.AttemptedAt, HTTPStatus: a.HTTPStatus,
		}
		if a.Error != nil {
			attempt.Error = *a.Error
		}
		attempts = append(attempts, attempt)
	}
	return attempts, nil
}

// Record inserts the attempt; the unique (request_no, attempt) key turns a redelivered
// message's second record into a no-op, keeping the first.
func (r *notificationRepo) Record(ctx context.Context, a biz.NotificationAttempt) error {
	create := r.data.Client(ctx).NotificationAttempt.Create().
		SetRequestNo(a.RequestNo).SetAttempt(a.Attempt).SetAttemptedAt(a.AttemptedAt).SetHTTPStatus(a.HTTPStatus)
	if a.Error != "" {
		create.SetError(a.Error)
	}
	return create.OnConflict().Ignore().Exec(ctx)
}
