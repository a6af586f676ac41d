package data

import (
	"context"

	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/data/ent"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/data/ent/receivableplan"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/data/ent/repaymentplan"
)

type planRepo struct{ data *Data }

// NewPlanRepo returns the ent-backed plan repository.
func NewPlanRepo(d *Data) biz.PlanRepo { return &planRepo{data: d} }

func (r *planRepo) RepaymentPlan(ctx context.Context, projectID int64) ([]biz.RepaymentItem, error) {
	rows, err := r.data.ent.RepaymentPlan.Query().
		Where(repaymentplan.ProjectID(projectID)).
		Order(ent.Asc(repaymentplan.FieldPeriod)).
		All(ctx)
	if err != nil {
		return nil, err
	}
	items := make([]biz.RepaymentItem, 0, len(rows))
	for _, p := range rows {
		items = append(items, biz.RepaymentItem{
			ProjectID: p.ProjectID, BorrowerID: p.BorrowerID, Period: p.Period, DueDate: p.DueDate,
			Principal: p.Principal, Interest: p.Interest, Amount: p.Amount, Commission: p.Commission,
			Status: p.Status,
		})
	}
	return items, nil
}

func (r *planRepo) Receivables(ctx context.Context, projectID int64) ([]biz.ReceivableItem, error) {
	rows, err := r.data.ent.ReceivablePlan.Query().
		Where(receivableplan.ProjectID(projectID)).
		Order(ent.Asc(receivableplan.FieldTenderID), ent.Asc(receivableplan.FieldPeriod)).
		All(ctx)
	if err != nil {
		return nil, err
	}
	items := make([]biz.ReceivableItem, 0, len(rows))
	for _, p := range rows {
		items = append(items, biz.ReceivableItem{
			ProjectID: p.ProjectID, TenderID: p.TenderID, InvestorID: p.InvestorID, Period: p.Period,
			DueDate: p.DueDate, Principal: p.Principal, Interest: p.Interest, Amount: p.Amount,
			Status: p.Status,
		})
	}
	return items, nil
}
