package data

import (
	"context"
	"fmt"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/data/ent"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/data/ent/receivableplan"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/data/ent/repaymentattempt"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/data/ent/repaymentplan"
	"github.com/p2p-dtx/p2p-dtx/pkg/entx"
)

type installmentRepo struct{ data *Data }

// NewInstallmentRepo returns the ent-backed installment repository.
func NewInstallmentRepo(d *Data) biz.InstallmentRepo { return &installmentRepo{data: d} }

func (r *installmentRepo) DueInstallments(ctx context.Context, asOf time.Time, limit int) ([]biz.Installment, error) {
	y, m, d := asOf.Date()
	rows, err := r.data.Client(ctx).RepaymentPlan.Query().
		Where(repaymentplan.StatusIn(string(biz.PlanPending), string(biz.PlanOverdue)),
			repaymentplan.DueDateLTE(time.Date(y, m, d, 0, 0, 0, 0, time.UTC)),
			repaymentplan.BankProjectNoNotNil(), repaymentplan.BorrowerUserNoNotNil()).
		Order(ent.Asc(repaymentplan.FieldProjectID), ent.Asc(repaymentplan.FieldPeriod)).
		Limit(limit).
		All(ctx)
	if err != nil {
		return nil, err
	}
	return entx.Rows(rows, toRepaymentItem), nil
}

func (r *installmentRepo) Installment(ctx context.Context, projectID int64, period int) (biz.Installment, error) {
	return r.installment(ctx, projectID, period, false)
}

func (r *installmentRepo) LockInstallment(ctx context.Context, projectID int64, period int) (biz.Installment, error) {
	return r.installment(ctx, projectID, period, true)
}

func (r *installmentRepo) installment(ctx context.Context, projectID int64, period int, lock bool) (biz.Installment, error) {
	q := r.data.Client(ctx).RepaymentPlan.Query().
		Where(repaymentplan.ProjectID(projectID), repaymentplan.Period(period))
	p, err := entx.Only(ctx, r.data, q, lock)
	if ent.IsNotFound(err) {
		return biz.Installment{}, fmt.Errorf("%w: project %d period %d", biz.ErrInstallmentNotFound, projectID, period)
	}
	if err != nil {
		return biz.Installment{}, err
	}
	return toRepaymentItem(p), nil
}

func (r *installmentRepo) Credits(ctx context.Context, projectID int64, period int) ([]biz.Credit, error) {
	rows, err := r.data.Client(ctx).ReceivablePlan.Query().
		Where(receivableplan.ProjectID(projectID), receivableplan.Period(period)).
		Order(ent.Asc(receivableplan.FieldTenderID)).
		Select(receivableplan.FieldInvestorUserNo, receivableplan.FieldAmount).
		All(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]biz.Credit, 0, len(rows))
	for _, p := range rows {
		out = append(out, biz.Credit{UserNo: deref(p.InvestorUserNo), Amount: p.Amount})
	}
	return out, nil
}

// MarkRepaid and MarkOverdue change the plan row and all the period's receivables with
// one UPDATE each, whatever the number of tenders.
func (r *installmentRepo) MarkRepaid(ctx context.Context, projectID int64, period int, at time.Time) error {
	at = at.UTC()
	return r.markPeriod(ctx, projectID, period,
		func(u *ent.RepaymentPlanUpdate) { u.SetStatus(string(biz.PlanRepaid)).SetRepaidAt(at).SetUpdatedAt(at) },
		func(u *ent.ReceivablePlanUpdate) {
			u.SetStatus(string(biz.ReceivableReceived)).SetReceivedAt(at).SetUpdatedAt(at)
		})
}

func (r *installmentRepo) MarkOverdue(ctx context.Context, projectID int64, period int) error {
	now := time.Now().UTC()
	return r.markPeriod(ctx, projectID, period,
		func(u *ent.RepaymentPlanUpdate) { u.SetStatus(string(biz.PlanOverdue)).SetUpdatedAt(now) },
		func(u *ent.ReceivablePlanUpdate) { u.SetStatus(string(biz.ReceivableOverdue)).SetUpdatedAt(now) })
}

// markPeriod updates the period's plan row with plan, then its receivables with
// receivables; a period without a plan row is ErrInstallmentNotFound.
func (r *installmentRepo) markPeriod(ctx context.Context, projectID int64, period int,
	plan func(*ent.RepaymentPlanUpdate), receivables func(*ent.ReceivablePlanUpdate)) error {
	client := r.data.Client(ctx)
	u := client.RepaymentPlan.Update().Where(repaymentplan.ProjectID(projectID), repaymentplan.Period(period))
	plan(u)
	n, err := u.Save(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%w: project %d period %d", biz.ErrInstallmentNotFound, projectID, period)
	}
	ru := client.ReceivablePlan.Update().Where(receivableplan.ProjectID(projectID), receivableplan.Period(period))
	receivables(ru)
	return ru.Exec(ctx)
}

func toAttempt(a *ent.RepaymentAttempt) biz.Attempt {
	return biz.Attempt{RequestNo: a.RequestNo, ProjectID: a.ProjectID, Period: a.Period, Status: biz.AttemptStatus(a.Status),
		Claims: a.Claims, RunID: a.RunID, FailureReason: deref(a.FailureReason), SettledBy: deref(a.SettledBy),
		CreatedAt: a.CreatedAt.UTC(), UpdatedAt: a.UpdatedAt.UTC()}
}

func (r *installmentRepo) Attempts(ctx context.Context, projectID int64, period int) ([]biz.Attempt, error) {
	rows, err := r.data.Client(ctx).RepaymentAttempt.Query().
		Where(repaymentattempt.ProjectID(projectID), repaymentattempt.Period(period)).
		Order(ent.Asc(repaymentattempt.FieldCreatedAt), ent.Asc(repaymentattempt.FieldID)).
		All(ctx)
	if err != nil {
		return nil, err
	}
	return entx.Rows(rows, toAttempt), nil
}

func (r *installmentRepo) Attempt(ctx context.Context, requestNo string) (biz.Attempt, error) {
	a, err := r.data.Client(ctx).RepaymentAttempt.Query().Where(repaymentattempt.RequestNo(requestNo)).Only(ctx)
	if ent.IsNotFound(err) {
		return biz.Attempt{}, fmt.Errorf("%w: %s", biz.ErrAttemptNotFound, requestNo)
	}
	if err != nil {
		return biz.Attempt{}, err
	}
	return toAttempt(a), nil
}

func (r *installmentRepo) CreateAttempt(ctx context.Context, a biz.Attempt) error {
	return r.data.Client(ctx).RepaymentAttempt.Create().
		SetRequestNo(a.RequestNo).SetProjectID(a.ProjectID).SetPeriod(a.Period).SetStatus(string(a.Status)).
		SetClaims(a.Claims).SetRunID(a.RunID).SetNillableFailureReason(optional(a.FailureReason)).
		SetNillableSettledBy(optional(a.SettledBy)).SetCreatedAt(a.CreatedAt.UTC()).SetUpdatedAt(a.UpdatedAt.UTC()).
		Exec(ctx)
}

func (r *installmentRepo) UpdateAttempt(ctx context.Context, a biz.Attempt) error {
	u := r.data.Client(ctx).RepaymentAttempt.Update().Where(repaymentattempt.RequestNo(a.RequestNo)).
		SetStatus(string(a.Status)).SetClaims(a.Claims).SetRunID(a.RunID).SetUpdatedAt(a.UpdatedAt.UTC())
	if a.FailureReason == "" {
		u.ClearFailureReason()
	} else {
		u.SetFailureReason(a.FailureReason)
	}
	if a.SettledBy == "" {
		u.ClearSettledBy()
	} else {
		u.SetSettledBy(a.SettledBy)
	}
	n, err := u.Save(ctx)
	if err == nil && n == 0 {
		return fmt.Errorf("%w: %s", biz.ErrAttemptNotFound, a.RequestNo)
	}
	return err
}
