package data

import (
	"context"
	"fmt"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent/bankfreeze"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent/bankproject"
	"github.com/p2p-dtx/p2p-dtx/pkg/entx"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

type projectRepo struct{ data *Data }

// NewProjectRepo returns the ent-backed registered projects.
func NewProjectRepo(d *Data) biz.ProjectRepo { return &projectRepo{data: d} }

func (r *projectRepo) Get(ctx context.Context, projectNo string) (*biz.Project, error) {
	return r.get(ctx, projectNo, false)
}

func (r *projectRepo) Lock(ctx context.Context, projectNo string) (*biz.Project, error) {
	if err := r.data.RequireTx(ctx); err != nil {
		return nil, err
	}
	return r.get(ctx, projectNo, true)
}

func (r *projectRepo) get(ctx context.Context, projectNo string, lock bool) (*biz.Project, error) {
	q := r.data.Client(ctx).BankProject.Query().Where(bankproject.ID(projectNo))
	if lock {
		q.ForUpdate()
	}
	p, err := q.Only(ctx)
	if ent.IsNotFound(err) {
		return nil, fmt.Errorf("%w: %s", biz.ErrProjectNotFound, projectNo)
	}
	if err != nil {
		return nil, err
	}
	return &biz.Project{
		ProjectNo: p.ID, PlatformProjectID: p.PlatformProjectID, BorrowerUserNo: p.BorrowerUserNo, Amount: p.Amount,
		Held: p.Held, Status: biz.ProjectStatus(p.Status), CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
	}, nil
}

func (r *projectRepo) Create(ctx context.Context, p *biz.Project) error {
	err := r.data.Client(ctx).BankProject.Create().
		SetID(p.ProjectNo).SetPlatformProjectID(p.PlatformProjectID).SetBorrowerUserNo(p.BorrowerUserNo).
		SetAmount(p.Amount).SetStatus(string(p.Status)).SetCreatedAt(p.CreatedAt).SetUpdatedAt(p.UpdatedAt).
		Exec(ctx)
	if _, dup := duplicateKey(err); dup {
		return fmt.Errorf("%w: project %s / platform project %d", biz.ErrProjectAlreadyRegistered, p.ProjectNo, p.PlatformProjectID)
	}
	return err
}

func (r *projectRepo) SetStatus(ctx context.Context, projectNo string, status biz.ProjectStatus, at time.Time) error {
	return r.data.Client(ctx).BankProject.UpdateOneID(projectNo).SetStatus(string(status)).SetUpdatedAt(at).Exec(ctx)
}

func (r *projectRepo) SetHeld(ctx context.Context, projectNo string, held money.Amount, at time.Time) error {
	if err := r.data.RequireTx(ctx); err != nil {
		return err
	}
	return r.data.Client(ctx).BankProject.UpdateOneID(projectNo).SetHeld(held).SetUpdatedAt(at).Exec(ctx)
}

type freezeRepo struct{ data *Data }

// NewFreezeRepo returns the ent-backed freezes.
func NewFreezeRepo(d *Data) biz.FreezeRepo { return &freezeRepo{data: d} }

func (r *freezeRepo) Get(ctx context.Context, requestNo string) (*biz.Freeze, error) {
	f, err := r.data.Client(ctx).BankFreeze.Get(ctx, requestNo)
	if ent.IsNotFound(err) {
		return nil, fmt.Errorf("%w: %s", biz.ErrFreezeNotFound, requestNo)
	}
	if err != nil {
		return nil, err
	}
	return freezeToBiz(f), nil
}

func (r *freezeRepo) OfProject(ctx context.Context, projectNo string) ([]*biz.Freeze, error) {
	if err := r.data.RequireTx(ctx); err != nil {
		return nil, err
	}
	// A plain read: the caller holds the project's row lock. FOR UPDATE here would take
	// next-key locks on idx_bank_freeze_project, and two first freezes of projects whose
	// entries share a gap of that index then deadlock inserting into it (seen on MariaDB).
	rows, err := r.data.Client(ctx).BankFreeze.Query().
		Where(bankfreeze.ProjectNo(projectNo)).
		Order(ent.Asc(bankfreeze.FieldID)).
		All(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*biz.Freeze, 0, len(rows))
	for _, f := range rows {
		out = append(out, freezeToBiz(f))
	}
	return out, nil
}

func (r *freezeRepo) Create(ctx context.Context, f *biz.Freeze) error {
	err := r.create(ctx, f).Exec(ctx)
	if _, dup := duplicateKey(err); dup {
		return fmt.Errorf("%w: freeze %s", biz.ErrDuplicateRequest, f.RequestNo)
	}
	return err
}

func (r *freezeRepo) create(ctx context.Context, f *biz.Freeze) *ent.BankFreezeCreate {
	return r.data.Client(ctx).BankFreeze.Create().
		SetID(f.RequestNo).SetProjectNo(f.ProjectNo).SetUserNo(f.UserNo).SetAmount(f.Amount).
		SetStatus(string(f.Status)).SetCreatedAt(f.CreatedAt).SetUpdatedAt(f.UpdatedAt)
}

func (r *freezeRepo) CreateAll(ctx context.Context, fs []*biz.Freeze) error {
	builders := make([]*ent.BankFreezeCreate, len(fs))
	for i, f := range fs {
		builders[i] = r.create(ctx, f)
	}
	err := r.data.Client(ctx).BankFreeze.CreateBulk(builders...).Exec(ctx)
	if _, dup := duplicateKey(err); dup {
		return fmt.Errorf("%w: one of %d freezes", biz.ErrDuplicateRequest, len(fs))
	}
	return err
}

func (r *freezeRepo) GetMany(ctx context.Context, requestNos []string) (map[string]*biz.Freeze, error) {
	rows, err := r.data.Client(ctx).BankFreeze.Query().Where(bankfreeze.IDIn(requestNos...)).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*biz.Freeze, len(rows))
	for _, f := range rows {
		out[f.ID] = freezeToBiz(f)
	}
	return out, nil
}

func (r *freezeRepo) SetStatus(ctx context.Context, requestNos []string, status biz.FreezeStatus, at time.Time) error {
	n, err := entx.UpdateByKey(ctx, r.data.Client(ctx), bankfreeze.Table, func(u *entsql.UpdateBuilder) {
		u.Set(bankfreeze.FieldStatus, string(status)).Set(bankfreeze.FieldUpdatedAt, at).
			Where(entsql.In(bankfreeze.FieldID, entx.Args(requestNos)...))
	})
	if err != nil {
		return err
	}
	return allFound(ctx, fmt.Sprintf("set %d freezes %s", len(requestNos), status), n, len(requestNos),
		r.data.Client(ctx).BankFreeze.Query().Where(bankfreeze.IDIn(requestNos...)).Count)
}

func freezeToBiz(f *ent.BankFreeze) *biz.Freeze {
	return &biz.Freeze{
		RequestNo: f.ID, ProjectNo: f.ProjectNo, UserNo: f.UserNo, Amount: f.Amount, Status: biz.FreezeStatus(f.Status),
		CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt,
	}
}
