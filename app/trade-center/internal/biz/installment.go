package biz

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// Installments in trade-center (docs/repayment-execution.md)
//
// repayment tells trade-center about each repaid installment with a DTM two-phase
// message whose action is RecordInstallmentRepaid. DTM calls it until it succeeds, so it
// runs in DTM's barrier (a redelivery of the same gid does nothing) and in that one local
// transaction: lock the project, record the installment (a period recorded already is a
// no-op), and once every period is recorded the REPAYING project becomes FINISHED.
//
// The action of a two-phase message must eventually succeed — DTM retries it whatever it
// answers, Aborted included — so a project that is missing or not REPAYING (which the
// loan's ordering rules out: plans exist only for REPAYING projects) is answered as a
// retryable error and logged as an error: the message waits, an operator looks, and the
// next retry after the repair records the installment.

var (
	// ErrProjectNotRepaying: an installment of a project that is not REPAYING (or
	// FINISHED), or of no project at all.
	ErrProjectNotRepaying = errors.New("project is not repaying")
)

// Installment is one repaid installment of a project.
type Installment struct {
	ProjectID int64
	Period    int
	// RequestNo is the bank request number of the repayment (RP…).
	RequestNo string
	Amount    money.Amount
	RepaidAt  time.Time
}

// Validate checks what a branch request can be checked for without the project; the
// error is an *InvalidArgumentError naming the field.
func (in Installment) Validate() error {
	switch {
	case in.ProjectID <= 0:
		return invalid("projectId", "must be a positive id")
	case in.Period < 1 || in.Period > MaxPeriods:
		return invalid("period", "must be 1 to %d", MaxPeriods)
	case in.RequestNo == "" || len(in.RequestNo) > 64:
		return invalid("requestNo", "must be 1 to 64 characters")
	case !in.Amount.IsPositive():
		return invalid("amount", "must be positive")
	case in.RepaidAt.IsZero():
		return invalid("repaidAt", "is required")
	}
	return nil
}

// InstallmentRepo records repaid installments.
type InstallmentRepo interface {
	// RecordInstallment inserts the installment and reports whether it did; a period of
	// the project recorded already is left as it is (false, nil).
	RecordInstallment(ctx context.Context, in Installment) (bool, error)
	// CountInstallments counts the project's recorded periods.
	CountInstallments(ctx context.Context, projectID int64) (int, error)
}

// InstallmentUsecase is trade-center's branch of repayment's two-phase messages.
type InstallmentUsecase struct {
	runner       BranchRunner
	projects     ProjectRepo
	installments InstallmentRepo
	log          *log.Helper
}

// NewInstallmentUsecase returns the installment branch's use case.
func NewInstallmentUsecase(runner BranchRunner, projects ProjectRepo, installments InstallmentRepo, logger log.Logger) *InstallmentUsecase {
	return &InstallmentUsecase{runner: runner, projects: projects, installments: installments, log: log.NewHelper(logger)}
}

// RecordRepaid records one repaid installment inside DTM's barrier (see the top of this
// file). Errors: *InvalidArgumentError (the request can never succeed),
// ErrProjectNotRepaying (retryable), database errors (retryable).
func (uc *InstallmentUsecase) RecordRepaid(ctx context.Context, in Installment) error {
	err := in.Validate()
	if err == nil {
		err = uc.runner.InBarrier(ctx, func(ctx context.Context, gid string) error {
			return uc.record(ctx, in, gid)
		})
	}
	var ia *InvalidArgumentError
	switch {
	case errors.Is(err, ErrProjectNotFound):
		err = fmt.Errorf("%w: %w", ErrProjectNotRepaying, err)
		fallthrough
	case errors.Is(err, ErrProjectNotRepaying), errors.As(err, &ia):
		uc.log.WithContext(ctx).Errorw("msg", "installment branch refused: DTM retries it until an operator repairs the cause",
			"project_id", in.ProjectID, "period", in.Period, "request_no", in.RequestNo, "err", err)
	}
	return err
}

// record is the branch's change, in the barrier's transaction.
func (uc *InstallmentUsecase) record(ctx context.Context, in Installment, gid string) error {
	p, err := uc.projects.LockProject(ctx, in.ProjectID)
	if err != nil {
		return err
	}
	if p.Status != ProjectRepaying && p.Status != ProjectFinished {
		return fmt.Errorf("%w: project %d is %s", ErrProjectNotRepaying, p.ID, p.Status)
	}
	if in.Period > p.Periods {
		return invalid("period", "project %d has %d periods", p.ID, p.Periods)
	}
	inserted, err := uc.installments.RecordInstallment(ctx, in)
	if err != nil || !inserted || p.Status == ProjectFinished {
		return err
	}
	n, err := uc.installments.CountInstallments(ctx, p.ID)
	if err != nil || n < p.Periods {
		return err
	}
	p.Finish()
	uc.log.WithContext(ctx).Infow("msg", "project finished: every installment repaid", "project_id", p.ID, "gid", gid)
	return uc.projects.UpdateProject(ctx, p)
}
