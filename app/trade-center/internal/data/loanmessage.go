package data

import (
	"context"
	"errors"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/go-sql-driver/mysql"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/data/ent"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/data/ent/loanmessage"
)

type loanMessageRepo struct{ data *Data }

// NewLoanMessageRepo returns the ent-backed repository of start-repayment messages.
func NewLoanMessageRepo(d *Data) biz.LoanMessageRepo { return &loanMessageRepo{data: d} }

func (r *loanMessageRepo) CreateLoanMessage(ctx context.Context, projectID int64, key string) (*biz.LoanMessage, error) {
	row, err := r.data.Client(ctx).LoanMessage.Create().
		SetMessageKey(key).SetProjectID(projectID).SetState(string(biz.LoanMessagePending)).
		Save(ctx)
	if err != nil {
		return nil, err
	}
	return toLoanMessage(row), nil
}

func (r *loanMessageRepo) LoanMessage(ctx context.Context, key string) (*biz.LoanMessage, error) {
	row, err := r.data.Client(ctx).LoanMessage.Query().Where(loanmessage.MessageKey(key)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, biz.ErrLoanMessageNotFound
	}
	if err != nil {
		return nil, err
	}
	return toLoanMessage(row), nil
}

// The error a NOWAIT read gets for a row another transaction holds: MariaDB answers
// ER_LOCK_WAIT_TIMEOUT, MySQL 8 ER_LOCK_NOWAIT.
const (
	errLockWaitTimeout = 1205
	errLockNowait      = 3572
)

func (r *loanMessageRepo) LockLoanMessage(ctx context.Context, key string, nowait bool) (*biz.LoanMessage, error) {
	if err := r.data.RequireTx(ctx); err != nil {
		return nil, err
	}
	var opts []entsql.LockOption
	if nowait {
		// NOWAIT rather than SKIP LOCKED: a row that is absent and a row that is locked
		// must not look the same.
		opts = append(opts, entsql.WithLockAction(entsql.NoWait))
	}
	row, err := r.data.Client(ctx).LoanMessage.Query().Where(loanmessage.MessageKey(key)).ForUpdate(opts...).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, biz.ErrLoanMessageNotFound
	}
	if me := (*mysql.MySQLError)(nil); errors.As(err, &me) && (me.Number == errLockWaitTimeout || me.Number == errLockNowait) {
		return nil, biz.ErrLoanMessageBusy
	}
	if err != nil {
		return nil, err
	}
	return toLoanMessage(row), nil
}

func (r *loanMessageRepo) UpdateLoanMessageState(ctx context.Context, id int64, state biz.LoanMessageState) error {
	return r.data.Client(ctx).LoanMessage.UpdateOneID(id).SetState(string(state)).Exec(ctx)
}

func (r *loanMessageRepo) Unconfirmed(ctx context.Context, before time.Time, limit int) ([]*biz.LoanMessage, error) {
	rows, err := r.data.Client(ctx).LoanMessage.Query().
		Where(loanmessage.State(string(biz.LoanMessageCommitted)), loanmessage.ConfirmedAtIsNil(),
			loanmessage.Or(
				loanmessage.And(loanmessage.RepublishedAtIsNil(), loanmessage.UpdatedAtLT(before)),
				loanmessage.RepublishedAtLT(before))).
		Order(ent.Asc(loanmessage.FieldID)).Limit(limit).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*biz.LoanMessage, len(rows))
	for i, m := range rows {
		out[i] = toLoanMessage(m)
	}
	return out, nil
}

func (r *loanMessageRepo) MarkRepublished(ctx context.Context, id int64, at time.Time) error {
	return r.data.Client(ctx).LoanMessage.UpdateOneID(id).SetRepublishedAt(at).AddRepublishCount(1).Exec(ctx)
}

func (r *loanMessageRepo) ConfirmLoanMessage(ctx context.Context, id int64, at time.Time) error {
	return r.data.Client(ctx).LoanMessage.UpdateOneID(id).SetConfirmedAt(at).Exec(ctx)
}

func toLoanMessage(m *ent.LoanMessage) *biz.LoanMessage {
	return &biz.LoanMessage{ID: m.ID, Key: m.MessageKey, ProjectID: m.ProjectID,
		State: biz.LoanMessageState(m.State), ConfirmedAt: m.ConfirmedAt, RepublishedAt: m.RepublishedAt,
		Republished: int(m.RepublishCount), CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
}
