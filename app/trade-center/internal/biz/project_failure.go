package biz

import (
	"context"
	"fmt"
	"time"

	"github.com/go-kratos/kratos/v2/log"
)

// Failed projects: an admin rejects the loan of a COLLECTING or FULL project, or the
// collection run finds a project still COLLECTING after its deadline. Either way the
// project becomes FAILED in one short transaction on its row lock — the lock every tender
// reservation takes, so no tender is reserved once it is FAILED (they answer
// PROJECT_NOT_COLLECTING) — and the refund job is kicked to give the tenders' money back
// (refund.go).

// OverdueBatch is how many overdue projects the collection run reads at a time.
const OverdueBatch = 100

// FailureUsecase fails projects.
type FailureUsecase struct {
	projects ProjectRepo
	tx       Transaction
	refunds  *RefundUsecase
	log      *log.Helper
	now      func() time.Time
}

// NewFailureUsecase returns the project failure use cases.
func NewFailureUsecase(projects ProjectRepo, tx Transaction, refunds *RefundUsecase, logger log.Logger) *FailureUsecase {
	return &FailureUsecase{projects: projects, tx: tx, refunds: refunds, log: log.NewHelper(logger), now: time.Now}
}

// RejectLoan fails a COLLECTING or FULL project whose loan has not been requested at the
// bank (ErrProjectNotFailable otherwise) and answers FAILED; rejecting a FAILED project
// again answers FAILED. The refunds follow asynchronously.
func (uc *FailureUsecase) RejectLoan(ctx context.Context, id int64) (ProjectStatus, error) {
	if _, err := uc.fail(ctx, id, func(*Project) bool { return true }); err != nil {
		return "", err
	}
	uc.refunds.Kick()
	return ProjectFailed, nil
}

// RunCollection is the operator's collection run: FailOverdue as of asOf, ADMIN only.
func (uc *FailureUsecase) RunCollection(ctx context.Context, caller Caller, asOf time.Time) (int, error) {
	if caller.Role != RoleAdmin {
		return 0, fmt.Errorf("%w: only an admin runs the collection", ErrForbidden)
	}
	return uc.FailOverdue(ctx, asOf)
}

// FailOverdue fails every project still COLLECTING whose collection deadline is before
// asOf and says how many it failed; the scheduled job calls it with today's date.
func (uc *FailureUsecase) FailOverdue(ctx context.Context, asOf time.Time) (int, error) {
	failed := 0
	defer func() {
		if failed > 0 {
			uc.refunds.Kick()
		}
	}()
	for {
		overdue, err := uc.projects.OverdueProjects(ctx, asOf, OverdueBatch)
		if err != nil || len(overdue) == 0 {
			return failed, err
		}
		progress := 0
		for _, p := range overdue {
			// Checked again under the lock: a tender may have filled it meanwhile.
			turned, err := uc.fail(ctx, p.ID, func(p *Project) bool { return p.CollectionOverdue(asOf) })
			if err != nil {
				return failed, err
			}
			if turned {
				failed++
				progress++
				uc.log.WithContext(ctx).Infow("msg", "project failed: collection deadline passed", "project_id", p.ID,
					"deadline", p.CollectDeadline, "as_of", asOf.Format(time.DateOnly))
			}
		}
		if progress == 0 {
			return failed, nil // every one changed under us; the next run looks again
		}
	}
}

// fail turns the project FAILED under its row lock when should (checked under the lock)
// says so; it reports whether this call turned it.
func (uc *FailureUsecase) fail(ctx context.Context, id int64, should func(*Project) bool) (bool, error) {
	turned := false
	err := uc.tx.InTx(ctx, func(ctx context.Context) error {
		p, err := uc.projects.LockProject(ctx, id)
		if err != nil || p.Status == ProjectFailed || !should(p) {
			return err
		}
		if err := p.Fail(uc.now()); err != nil {
			return err
		}
		turned = true
		return uc.projects.UpdateProject(ctx, p)
	})
	return turned, err
}
