package data

import (
	"context"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/data/ent"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/data/ent/project"
	"github.com/p2p-dtx/p2p-dtx/pkg/entx"
)

type projectRepo struct{ data *Data }

// NewProjectRepo returns the ent-backed project repository.
func NewProjectRepo(d *Data) biz.ProjectRepo { return &projectRepo{data: d} }

func (r *projectRepo) Project(ctx context.Context, id int64) (*biz.Project, error) {
	row, err := r.data.Client(ctx).Project.Get(ctx, id)
	return found(row, err, biz.ErrProjectNotFound, toProject)
}

func (r *projectRepo) Projects(ctx context.Context, f biz.ProjectFilter) ([]biz.Project, error) {
	q := r.data.Client(ctx).Project.Query().Order(ent.Desc(project.FieldID))
	if f.Status != "" {
		q = q.Where(project.Status(string(f.Status)))
	}
	if f.Limit > 0 {
		q = q.Limit(f.Limit)
	}
	rows, err := q.All(ctx)
	if err != nil {
		return nil, err
	}
	return entx.Rows(rows, toProject), nil
}

func (r *projectRepo) CreateProject(ctx context.Context, p *biz.Project) (*biz.Project, error) {
	create := r.data.Client(ctx).Project.Create().
		SetBorrowerID(p.BorrowerID).SetNillableBorrowerUserNo(nilIfEmpty(p.BorrowerUserNo)).
		SetName(p.Name).SetAmount(p.Amount).SetRaised(p.Raised).
		SetAnnualRate(p.AnnualRate).SetInvestorRate(p.InvestorRate).SetPeriods(p.Periods).
		SetStatus(string(p.Status)).SetNillableCollectDeadline(p.CollectDeadline)
	if p.CollectDays > 0 {
		create.SetCollectDays(p.CollectDays) // otherwise the column's default
	}
	row, err := create.Save(ctx)
	if err != nil {
		return nil, err
	}
	out := toProject(row)
	return &out, nil
}

func (r *projectRepo) LockProject(ctx context.Context, id int64) (*biz.Project, error) {
	if err := r.data.RequireTx(ctx); err != nil {
		return nil, err
	}
	row, err := r.data.Client(ctx).Project.Query().Where(project.ID(id)).ForUpdate().Only(ctx)
	return found(row, err, biz.ErrProjectNotFound, toProject)
}

func (r *projectRepo) UpdateProject(ctx context.Context, p *biz.Project) error {
	err := r.data.Client(ctx).Project.UpdateOneID(p.ID).
		SetRaised(p.Raised).SetStatus(string(p.Status)).
		SetNillableBankProjectNo(nilIfEmpty(p.BankProjectNo)).
		SetNillableLoanRequestNo(nilIfEmpty(p.LoanRequestNo)).
		SetNillableLoanedAt(p.LoanedAt).
		SetNillableCollectDeadline(p.CollectDeadline).
		SetNillableFailedAt(p.FailedAt).
		Exec(ctx)
	if ent.IsNotFound(err) {
		return biz.ErrProjectNotFound
	}
	return err
}

func (r *projectRepo) OverdueProjects(ctx context.Context, asOf time.Time, limit int) ([]biz.Project, error) {
	rows, err := r.data.Client(ctx).Project.Query().
		Where(project.Status(string(biz.ProjectCollecting)), project.CollectDeadlineLT(asOf)).
		Order(ent.Asc(project.FieldID)).
		Limit(limit).
		All(ctx)
	if err != nil {
		return nil, err
	}
	return entx.Rows(rows, toProject), nil
}

func toProject(p *ent.Project) biz.Project {
	return biz.Project{
		ID: p.ID, BorrowerID: p.BorrowerID, BorrowerUserNo: deref(p.BorrowerUserNo), Name: p.Name,
		Amount: p.Amount, Raised: p.Raised, AnnualRate: p.AnnualRate, InvestorRate: p.InvestorRate,
		Periods: p.Periods, Status: biz.ProjectStatus(p.Status),
		CollectDays: p.CollectDays, CollectDeadline: p.CollectDeadline,
		BankProjectNo: deref(p.BankProjectNo), LoanRequestNo: deref(p.LoanRequestNo),
		LoanedAt: p.LoanedAt, FailedAt: p.FailedAt, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
