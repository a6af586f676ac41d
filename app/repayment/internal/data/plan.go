package data

import (
	"context"
	"errors"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/data/ent"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/data/ent/receivableplan"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/data/ent/repaymentplan"
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
)

type planRepo struct {
	data   *Data
	faults *faults.Registry
}

// NewPlanRepo returns the ent-backed plan repository.
// f may be nil (faults disabled); it holds crash.plan.in_tx.
func NewPlanRepo(d *Data, f *faults.Registry) biz.PlanRepo { return &planRepo{data: d, faults: f} }

func (r *planRepo) RepaymentPlan(ctx context.Context, projectID int64) ([]biz.RepaymentItem, error) {
	rows, err := r.data.Client(ctx).RepaymentPlan.Query().
		Where(repaymentplan.ProjectID(projectID)).
		Order(ent.Asc(repaymentplan.FieldPeriod)).
		All(ctx)
	if err != nil {
		return nil, err
	}
	items := make([]biz.RepaymentItem, 0, len(rows))
	for _, p := range rows {
		items = append(items, toRepaymentItem(p))
	}
	return items, nil
}

// toRepaymentItem is a repayment_plan row as biz sees it (a reader's item, the run's
// installment).
func toRepaymentItem(p *ent.RepaymentPlan) biz.RepaymentItem {
	return biz.RepaymentItem{
		ProjectID: p.ProjectID, BorrowerID: p.BorrowerID, Period: p.Period, DueDate: p.DueDate,
		Principal: p.Principal, Interest: p.Interest, Amount: p.Amount, Commission: p.Commission,
		Status: biz.PlanStatus(p.Status), BankProjectNo: deref(p.BankProjectNo), BorrowerUserNo: deref(p.BorrowerUserNo),
		RepaidAt: derefTime(p.RepaidAt),
	}
}

func (r *planRepo) Receivables(ctx context.Context, projectID int64) ([]biz.ReceivableItem, error) {
	rows, err := r.data.Client(ctx).ReceivablePlan.Query().
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
			Status: biz.ReceivableStatus(p.Status), InvestorUserNo: deref(p.InvestorUserNo), ReceivedAt: derefTime(p.ReceivedAt),
		})
	}
	return items, nil
}

// errAlreadyWritten ends a transaction that found the plans written by another delivery.
var errAlreadyWritten = errors.New("plans written already")

func (r *planRepo) SaveSchedule(ctx context.Context, s biz.Schedule) (int, error) {
	if len(s.Repayments) == 0 {
		return 0, nil
	}
	projectID := s.Repayments[0].ProjectID
	err := r.data.InTx(ctx, func(ctx context.Context) error {
		tx := r.data.Client(ctx)
		// Both plans are written in one transaction, so one existing row means the
		// whole schedule exists: a later duplicate delivery stops here.
		exists, err := tx.RepaymentPlan.Query().Where(repaymentplan.ProjectID(projectID)).Exist(ctx)
		if err != nil {
			return err
		}
		if exists {
			return errAlreadyWritten
		}
		now := time.Now().UTC()
		repayments := make([]*ent.RepaymentPlanCreate, 0, len(s.Repayments))
		for _, it := range s.Repayments {
			repayments = append(repayments, tx.RepaymentPlan.Create().
				SetProjectID(it.ProjectID).SetBorrowerID(it.BorrowerID).SetPeriod(it.Period).SetDueDate(it.DueDate).
				SetPrincipal(it.Principal).SetInterest(it.Interest).SetAmount(it.Amount).SetCommission(it.Commission).
				SetNillableBankProjectNo(optional(it.BankProjectNo)).SetNillableBorrowerUserNo(optional(it.BorrowerUserNo)).
				SetStatus(string(it.Status)).SetCreatedAt(now).SetUpdatedAt(now))
		}
		// The borrower's rows are the claim: a twin delivery running at the same time
		// waits on their unique key (project, period) until we commit, then fails with a
		// duplicate key and writes nothing.
		if err := tx.RepaymentPlan.CreateBulk(repayments...).Exec(ctx); err != nil {
			if ent.IsConstraintError(err) {
				return errAlreadyWritten
			}
			return err
		}
		// (tender, period) is unique too: a receivable written by anything but this
		// transaction is an anomaly, refused rather than ignored (receivables_load.go).
		if len(s.Receivables) > 0 {
			if err := loadReceivables(ctx, tx, projectID, s.Receivables, now); err != nil {
				return err
			}
		}
		r.faults.Crash(biz.CrashPlanInTx)
		if s := r.faults.Hit(biz.FaultPlanCommitDelay); s.Fire {
			select {
			case <-time.After(s.Delay):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	if errors.Is(err, errAlreadyWritten) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return len(s.Repayments) + len(s.Receivables), nil
}

// optional is s for a nullable column: NULL when empty (plans written before the message
// carried the bank's numbers).
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func derefTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}
