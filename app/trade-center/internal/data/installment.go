package data

import (
	"context"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/data/ent"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/data/ent/projectinstallment"
)

type installmentRepo struct{ data *Data }

// NewInstallmentRepo returns the ent-backed repository of repaid installments.
func NewInstallmentRepo(d *Data) biz.InstallmentRepo { return &installmentRepo{data: d} }

func (r *installmentRepo) RecordInstallment(ctx context.Context, in biz.Installment) (bool, error) {
	err := r.data.Client(ctx).ProjectInstallment.Create().
		SetProjectID(in.ProjectID).SetPeriod(in.Period).SetRequestNo(in.RequestNo).
		SetAmount(in.Amount).SetRepaidAt(in.RepaidAt.UTC()).
		Exec(ctx)
	if ent.IsConstraintError(err) {
		// The only unique key besides the id is (project_id, period): recorded already. A
		// duplicate-key error ends the statement only, so the transaction goes on.
		return false, nil
	}
	return err == nil, err
}

func (r *installmentRepo) CountInstallments(ctx context.Context, projectID int64) (int, error) {
	return r.data.Client(ctx).ProjectInstallment.Query().
		Where(projectinstallment.ProjectID(projectID)).
		Count(ctx)
}
