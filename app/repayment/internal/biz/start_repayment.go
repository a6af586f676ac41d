package biz

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
)

// FaultPlanConsumeFail makes the start-repayment consumer fail (API.md): the broker
// redelivers the message.
const FaultPlanConsumeFail = "plan.consume.fail"

// CrashPlanInTx kills repayment (pkg/faults Registry.Crash) inside the transaction that
// writes a project's plans, after every row is written and before the commit.
const CrashPlanInTx = "crash.plan.in_tx"

// FaultPlanCommitDelay holds the plan transaction open for delayMs after every row is
// written and before the commit, so a test can watch that nobody reads a partial plan.
const FaultPlanCommitDelay = "plan.commit.delay"

// errInjected is the failure FaultPlanConsumeFail causes.
var errInjected = errors.New("fault plan.consume.fail: consumer fails")

// PlansWritten says what one start-repayment message came to.
type PlansWritten struct {
	// Rows is how many plan rows were written; 0 for a project whose plans existed.
	Rows     int
	Amortize time.Duration
	Write    time.Duration
}

// StartRepaymentUsecase turns a confirmed loan into its plans.
type StartRepaymentUsecase struct {
	repo   PlanRepo
	faults *faults.Registry
	log    *log.Helper
}

// NewStartRepaymentUsecase returns the use case; f may be nil (faults disabled).
func NewStartRepaymentUsecase(repo PlanRepo, f *faults.Registry, logger log.Logger) *StartRepaymentUsecase {
	return &StartRepaymentUsecase{repo: repo, faults: f, log: log.NewHelper(logger)}
}

// Start writes the borrower's repayment plan and every investor's receivable plan for the
// loan, exactly once however often it is called for the same project. Any error means
// nothing was written and the caller should try again later.
func (uc *StartRepaymentUsecase) Start(ctx context.Context, terms LoanTerms) (PlansWritten, error) {
	if uc.faults.Hit(FaultPlanConsumeFail).Fire {
		return PlansWritten{}, errInjected
	}
	t0 := time.Now()
	s, err := Amortize(terms)
	if err != nil {
		return PlansWritten{}, fmt.Errorf("amortize project %d: %w", terms.ProjectID, err)
	}
	t1 := time.Now()
	rows, err := uc.repo.SaveSchedule(ctx, s)
	if err != nil {
		return PlansWritten{}, fmt.Errorf("save the plans of project %d: %w", terms.ProjectID, err)
	}
	return PlansWritten{Rows: rows, Amortize: t1.Sub(t0), Write: time.Since(t1)}, nil
}
