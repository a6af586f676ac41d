package data

import (
	"context"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/data/ent"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/data/ent/project"
)

type projectRepo struct{ data *Data }

// NewProjectRepo returns the ent-backed project repository.
func NewProjectRepo(d *Data) biz.ProjectRepo { return &projectRepo{data: d} }

func (r *projectRepo) Project(ctx context.Context, id int64) (*biz.Project, error) {
	row, err := r.data.ent.Project.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, biz.ErrProjectNotFound
	}
	if err != nil {
		return nil, err
	}
	p := toProject(row)
	return &p, nil
}

func (r *projectRepo) Projects(ctx context.Context, f biz.ProjectFilter) ([]biz.Project, error) {
	q := r.data.ent.Project.Query().Order(ent.Desc(project.FieldID))
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
	projects := make([]biz.Project, 0, len(rows))
	for _, row := range rows {
		projects = append(projects, toProject(row))
	}
	return projects, nil
}

func toProject(p *ent.Project) biz.Project {
	return biz.Project{
		ID: p.ID, BorrowerID: p.BorrowerID, Name: p.Name,
		Amount: p.Amount, Raised: p.Raised, AnnualRate: p.AnnualRate, InvestorRate: p.InvestorRate,
		Periods: p.Periods, Status: biz.ProjectStatus(p.Status),
		BankProjectNo: deref(p.BankProjectNo), LoanRequestNo: deref(p.LoanRequestNo),
		LoanedAt: p.LoanedAt, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
