package biz

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/p2p-dtx/p2p-dtx/pkg/claims"
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
	"github.com/p2p-dtx/p2p-dtx/pkg/telemetry"
)

// The repayment run (docs/repayment-execution.md "Repayment run"): for each installment
// due, claim it under its plan row's lock, send one request number to the bank, settle
// the bank's answer (or query it), then record a refusal, or the success together with
// DTM's two-phase message to trade-center. The claim makes at most one attempt SENT per
// installment, so a second request is never sent while the first one's outcome is open.

// Fault points of the run (API.md "Fault points").
const (
	// FaultRepayLocalTxFail makes the success's local transaction fail after the bank
	// paid: no message, nothing marked; the next run settles the attempt by query.
	FaultRepayLocalTxFail = "repay.localtx.fail"
	// FaultRepaySubmitLost drops the two-phase message's submit after the local
	// transaction committed: DTM's check-back decides (data's messenger fires it).
	FaultRepaySubmitLost = "repay.submit.lost"
	// CrashRepayAfterBank kills repayment (pkg/faults Registry.Crash) after the bank
	// executed an installment, before the two-phase message is sent.
	CrashRepayAfterBank = "crash.repay.after_bank"
)

var errLocalTxInjected = errors.New("fault repay.localtx.fail: the local transaction fails")

// ErrInstallmentRepaid: another run's local transaction repaid the installment first.
var ErrInstallmentRepaid = errors.New("the installment is repaid already")

// RunSettings tune the run; zero values take the defaults.
type RunSettings struct {
	// LostAfter: an attempt the bank has no record of is LOST once it is this old. It must
	// exceed the signature window (the bank refuses older requests), so a request still
	// on its way can no longer be accepted when it is given up. 6 minutes when unset.
	LostAfter time.Duration
	// BatchSize: installments one run takes up at most; 500 when unset.
	BatchSize int
	// Now is the clock (UTC); nil means the real one.
	Now func() time.Time
}

// RunResult is what one run came to: installments it repaid, found refused (OVERDUE) and
// left with an open outcome (the bank's answer unknown, or the platform's record to
// follow). Installments another run settled at the same time are not counted.
type RunResult struct {
	RunID                    string
	Repaid, Overdue, Pending int
}

// outcome is what one installment came to in a run.
type outcome int

const (
	outcomeRepaid outcome = iota
	outcomeOverdue
	outcomePending
	// outcomeRepaidElsewhere: another run repaid it at the same time; not counted, and the
	// project goes on with its next period.
	outcomeRepaidElsewhere
	// outcomeSettledElsewhere: another run recorded its refusal; not counted.
	outcomeSettledElsewhere
)

// RunUsecase executes the installments due.
type RunUsecase struct {
	tx       Transaction
	repo     InstallmentRepo
	bank     Bank
	messages RepaidMessenger
	settings RunSettings
	faults   *faults.Registry
	claims   claims.Claimer
	log      *log.Helper
}

// JobRepaymentRun is the repayment runner's name in the claims table (pkg/claims).
const JobRepaymentRun = "repayment-run"

// NewRunUsecase returns the run; f may be nil (faults disabled), c too (one instance:
// the runner holds every project).
func NewRunUsecase(tx Transaction, repo InstallmentRepo, bank Bank, messages RepaidMessenger, s RunSettings,
	f *faults.Registry, c claims.Claimer, logger log.Logger) *RunUsecase {
	if s.LostAfter <= 0 {
		s.LostAfter = 6 * time.Minute
	}
	if s.BatchSize <= 0 {
		s.BatchSize = 500
	}
	if s.Now == nil {
		s.Now = func() time.Time { return time.Now().UTC() }
	}
	return &RunUsecase{tx: tx, repo: repo, bank: bank, messages: messages, settings: s, faults: f, claims: claims.Or(c),
		log: log.NewHelper(log.With(logger, "module", "biz/repayment-run"))}
}

// Run executes every installment due on or before asOf that is not REPAID, in period
// order per project: a project stops at its first installment that this run does not
// see repaid. A failing installment is logged and left to the next run; only a failure
// to list the installments is an error.
func (uc *RunUsecase) Run(ctx context.Context, asOf time.Time) (RunResult, error) {
	return uc.run(ctx, asOf, false)
}

// RunClaimed is Run for the periodic runner: with two instances, each executes the
// projects it holds (pkg/claims), so they do not race each other installment by
// installment. An admin's run (Run) takes every project; the plan row's lock keeps it
// apart from a runner's.
func (uc *RunUsecase) RunClaimed(ctx context.Context, asOf time.Time) (RunResult, error) {
	return uc.run(ctx, asOf, true)
}

func (uc *RunUsecase) run(ctx context.Context, asOf time.Time, claimed bool) (RunResult, error) {
	res := RunResult{RunID: newRunID()}
	due, err := uc.repo.DueInstallments(ctx, asOf, uc.settings.BatchSize)
	if err != nil {
		return res, fmt.Errorf("repayment run %s: list the installments due: %w", res.RunID, err)
	}
	if claimed {
		if due, err = claims.Filter(ctx, uc.claims, JobRepaymentRun, due, installmentProject); err != nil {
			return res, fmt.Errorf("repayment run %s: claim the projects due: %w", res.RunID, err)
		}
	}
	stopped := map[int64]bool{}
	for _, inst := range due {
		if stopped[inst.ProjectID] {
			continue
		}
		o, err := uc.traced(ctx, res.RunID, inst)
		if err != nil {
			uc.log.WithContext(ctx).Errorw("msg", "installment left to the next run", "run_id", res.RunID,
				"project_id", inst.ProjectID, "period", inst.Period, "err", err)
		}
		switch o {
		case outcomeRepaid:
			res.Repaid++
		case outcomeOverdue:
			res.Overdue++
		case outcomePending:
			res.Pending++
		}
		if o != outcomeRepaid && o != outcomeRepaidElsewhere {
			stopped[inst.ProjectID] = true
		}
	}
	if len(due) > 0 {
		uc.log.WithContext(ctx).Infow("msg", "repayment run", "run_id", res.RunID, "as_of", asOf.Format(time.DateOnly),
			"due", len(due), "repaid", res.Repaid, "overdue", res.Overdue, "pending", res.Pending)
	}
	return res, nil
}

func (uc *RunUsecase) now() time.Time { return uc.settings.Now() }

func installmentProject(i *Installment) string { return strconv.FormatInt(i.ProjectID, 10) }

// repayments counts installments by what a run made of them.
var repayments = telemetry.NewCounter("p2p_repayments", "installments executed by repayment runs, by outcome")

// traced executes one installment in a trace of its own (the bank's repayment and the
// two-phase message to trade-center join it) and counts its outcome.
func (uc *RunUsecase) traced(ctx context.Context, runID string, inst Installment) (o outcome, err error) {
	ctx, span := telemetry.Tracer().Start(ctx, "repay installment", trace.WithAttributes(
		telemetry.KeyProjectID.String(strconv.FormatInt(inst.ProjectID, 10)), attribute.Int("installment.period", inst.Period)))
	defer func() {
		telemetry.Fail(span, err)
		span.SetAttributes(attribute.String("installment.outcome", o.String()))
		span.End()
		repayments.Inc(ctx, "outcome", o.String())
	}()
	return uc.execute(ctx, runID, inst)
}

func (o outcome) String() string {
	switch o {
	case outcomeRepaid:
		return "repaid"
	case outcomeOverdue:
		return "overdue"
	case outcomePending:
		return "pending"
	case outcomeRepaidElsewhere:
		return "repaid_elsewhere"
	case outcomeSettledElsewhere:
		return "settled_elsewhere"
	}
	return "unknown"
}
