package data

import (
	"context"
	"fmt"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/data/ent"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/data/ent/project"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/data/ent/tender"
	"github.com/p2p-dtx/p2p-dtx/pkg/entx"
)

type tenderRepo struct{ data *Data }

// NewTenderRepo returns the ent-backed tender repository.
func NewTenderRepo(d *Data) biz.TenderRepo { return &tenderRepo{data: d} }

func (r *tenderRepo) CreateTender(ctx context.Context, t *biz.Tender) (*biz.Tender, error) {
	row, err := r.create(ctx, t).Save(ctx)
	if ent.IsConstraintError(err) {
		// The only unique key besides the id is the freeze request number.
		return nil, biz.ErrDuplicateRequestNo
	}
	if err != nil {
		return nil, err
	}
	out := toTender(row)
	return &out, nil
}

func (r *tenderRepo) create(ctx context.Context, t *biz.Tender) *ent.TenderCreate {
	return r.data.Client(ctx).Tender.Create().
		SetProjectID(t.ProjectID).SetInvestorID(t.InvestorID).
		SetNillableInvestorUserNo(nilIfEmpty(t.InvestorUserNo)).
		SetAmount(t.Amount).SetStatus(string(t.Status)).SetFreezeRequestNo(t.FreezeRequestNo).
		SetNillableFailureReason(nilIfEmpty(t.FailureReason))
}

func (r *tenderRepo) CreateTenders(ctx context.Context, ts []*biz.Tender) ([]biz.Tender, error) {
	if err := r.data.RequireTx(ctx); err != nil {
		return nil, err
	}
	builders := make([]*ent.TenderCreate, len(ts))
	nos := make([]string, len(ts))
	for i, t := range ts {
		builders[i], nos[i] = r.create(ctx, t), t.FreezeRequestNo
	}
	err := r.data.Client(ctx).Tender.CreateBulk(builders...).Exec(ctx)
	if ent.IsConstraintError(err) {
		return nil, biz.ErrDuplicateRequestNo
	}
	if err != nil {
		return nil, err
	}
	// Read the rows back by request number rather than trust ids counted up from the
	// first one: that holds only while innodb_autoinc_lock_mode is not 2 (interleaved).
	rows, err := r.data.Client(ctx).Tender.Query().Where(tender.FreezeRequestNoIn(nos...)).All(ctx)
	if err != nil {
		return nil, err
	}
	byNo := make(map[string]*ent.Tender, len(rows))
	for _, row := range rows {
		byNo[row.FreezeRequestNo] = row
	}
	out := make([]biz.Tender, len(ts))
	for i, no := range nos {
		row, ok := byNo[no]
		if !ok {
			return nil, fmt.Errorf("tender %s inserted but not read back", no)
		}
		out[i] = toTender(row)
	}
	return out, nil
}

func (r *tenderRepo) TenderByRequestNo(ctx context.Context, requestNo string) (*biz.Tender, error) {
	row, err := r.data.Client(ctx).Tender.Query().Where(tender.FreezeRequestNo(requestNo)).Only(ctx)
	return found(row, err, biz.ErrTenderNotFound, toTender)
}

func (r *tenderRepo) LockTender(ctx context.Context, id int64) (*biz.Tender, error) {
	if err := r.data.RequireTx(ctx); err != nil {
		return nil, err
	}
	row, err := r.data.Client(ctx).Tender.Query().Where(tender.ID(id)).ForUpdate().Only(ctx)
	return found(row, err, biz.ErrTenderNotFound, toTender)
}

func (r *tenderRepo) UpdateTender(ctx context.Context, t *biz.Tender) error {
	err := r.data.Client(ctx).Tender.UpdateOneID(t.ID).
		SetStatus(string(t.Status)).SetNillableFailureReason(nilIfEmpty(t.FailureReason)).
		Exec(ctx)
	if ent.IsNotFound(err) {
		return biz.ErrTenderNotFound
	}
	return err
}

func (r *tenderRepo) LockTenders(ctx context.Context, ids []int64) ([]biz.Tender, error) {
	if err := r.data.RequireTx(ctx); err != nil {
		return nil, err
	}
	// One statement reading the primary key in order locks the rows in that order.
	rows, err := r.data.Client(ctx).Tender.Query().Where(tender.IDIn(ids...)).
		Order(ent.Asc(tender.FieldID)).ForUpdate().All(ctx)
	if err != nil {
		return nil, err
	}
	return entx.Rows(rows, toTender), nil
}

func (r *tenderRepo) SetTendersStatus(ctx context.Context, ids []int64, status biz.TenderStatus) error {
	// By primary key only: a group's tenders are marked while another group of the same
	// project holds its own rows (entx.UpdateByKey says why ent's Update deadlocked).
	_, err := entx.UpdateByKey(ctx, r.data.Client(ctx), tender.Table, func(u *entsql.UpdateBuilder) {
		u.Set(tender.FieldStatus, string(status)).
			Set(tender.FieldUpdatedAt, tender.UpdateDefaultUpdatedAt()).
			Where(entsql.In(tender.FieldID, entx.Args(ids)...))
	})
	return err
}

func (r *tenderRepo) Tenders(ctx context.Context, projectID int64, status biz.TenderStatus) ([]biz.Tender, error) {
	rows, err := r.data.Client(ctx).Tender.Query().
		Where(tender.ProjectID(projectID), tender.Status(string(status))).
		Order(ent.Asc(tender.FieldID)).
		All(ctx)
	if err != nil {
		return nil, err
	}
	return entx.Rows(rows, toTender), nil
}

func (r *tenderRepo) CountTenders(ctx context.Context, projectID int64, status biz.TenderStatus) (int, error) {
	return r.data.Client(ctx).Tender.Query().
		Where(tender.ProjectID(projectID), tender.Status(string(status))).
		Count(ctx)
}

func (r *tenderRepo) PendingTenders(ctx context.Context, before time.Time, limit int) ([]biz.Tender, error) {
	rows, err := r.data.Client(ctx).Tender.Query().
		Where(tender.Status(string(biz.TenderPending)), tender.CreatedAtLT(before)).
		Order(ent.Asc(tender.FieldCreatedAt), ent.Asc(tender.FieldID)).
		Limit(limit).
		All(ctx)
	if err != nil {
		return nil, err
	}
	return entx.Rows(rows, toTender), nil
}

func (r *tenderRepo) LoanTenders(ctx context.Context, projectID int64) (int, error) {
	return r.data.Client(ctx).Tender.Update().
		Where(tender.ProjectID(projectID), tender.Status(string(biz.TenderFrozen))).
		SetStatus(string(biz.TenderLoaned)).
		Save(ctx)
}

func (r *tenderRepo) TendersToRefund(ctx context.Context, afterID int64, limit int) ([]biz.Tender, error) {
	rows, err := r.data.Client(ctx).Tender.Query().
		Where(
			tender.IDGT(afterID),
			tender.StatusIn(string(biz.TenderFrozen), string(biz.TenderPending)),
			ofFailedProject,
		).
		Order(ent.Asc(tender.FieldID)).
		Limit(limit).
		All(ctx)
	if err != nil {
		return nil, err
	}
	return entx.Rows(rows, toTender), nil
}

// ofFailedProject keeps the tenders whose project is FAILED (the schema has no edges, so
// a sub-select on the project table).
func ofFailedProject(s *entsql.Selector) {
	p := entsql.Table(project.Table)
	s.Where(entsql.In(s.C(tender.FieldProjectID),
		entsql.Select(p.C(project.FieldID)).From(p).Where(entsql.EQ(p.C(project.FieldStatus), string(biz.ProjectFailed)))))
}

func toTender(t *ent.Tender) biz.Tender {
	return biz.Tender{
		ID: t.ID, ProjectID: t.ProjectID, InvestorID: t.InvestorID, InvestorUserNo: deref(t.InvestorUserNo),
		Amount: t.Amount, Status: biz.TenderStatus(t.Status), FreezeRequestNo: t.FreezeRequestNo,
		FailureReason: deref(t.FailureReason), CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt,
	}
}
