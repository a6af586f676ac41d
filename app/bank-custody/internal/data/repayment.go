package data

import (
	"context"
	"fmt"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent/bankrepayment"
)

type repaymentRepo struct{ data *Data }

// NewRepaymentRepo returns the ent-backed installments paid out.
func NewRepaymentRepo(d *Data) biz.RepaymentRepo { return &repaymentRepo{data: d} }

func (r *repaymentRepo) Get(ctx context.Context, projectNo string, period int) (*biz.Repayment, error) {
	row, err := r.data.Client(ctx).BankRepayment.Query().
		Where(bankrepayment.ProjectNo(projectNo), bankrepayment.Period(period)).
		Only(ctx)
	if ent.IsNotFound(err) {
		return nil, fmt.Errorf("%w: %s period %d", biz.ErrRepaymentNotFound, projectNo, period)
	}
	if err != nil {
		return nil, err
	}
	return &biz.Repayment{
		InstallmentPayment: biz.InstallmentPayment{RequestNo: row.ID, ProjectNo: row.ProjectNo, Period: row.Period,
			BorrowerUserNo: row.BorrowerUserNo, Amount: row.Amount, Commission: row.Commission},
		Credits: row.Credits, CreatedAt: row.CreatedAt,
	}, nil
}

func (r *repaymentRepo) Create(ctx context.Context, p *biz.Repayment) error {
	err := r.data.Client(ctx).BankRepayment.Create().
		SetID(p.RequestNo).SetProjectNo(p.ProjectNo).SetPeriod(p.Period).SetBorrowerUserNo(p.BorrowerUserNo).
		SetAmount(p.Amount).SetCommission(p.Commission).SetCredits(p.Credits).SetCreatedAt(p.CreatedAt).
		Exec(ctx)
	switch key, dup := duplicateKey(err); {
	case !dup:
		return err
	case key == "uk_bank_repayment_period":
		return fmt.Errorf("%w: %s period %d", biz.ErrPeriodAlreadyRepaid, p.ProjectNo, p.Period)
	}
	return fmt.Errorf("%w: repayment %s", biz.ErrDuplicateRequest, p.RequestNo)
}
