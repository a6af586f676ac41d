package biz

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/pkg/claims"
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
)

// Refunds of a failed project (docs/repayment-execution.md "Failed projects")
//
// Every tender of a FAILED project that is FROZEN or PENDING is unfrozen at the bank by
// its own request number, UF + the tender's id: the same number on every pass, so a pass
// that crashed (or an instance that died) is resumed by the next one and the bank, which
// is idempotent by request number, never unfreezes twice. One tender at a time:
//
//  1. Ask the bank to unfreeze (no row lock is held across the call).
//  2. Record the answer in one local transaction, project row locked first and then the
//     tender (the order of the tender's own release, so the two cannot deadlock), and only
//     if the tender still awaits its refund: UNFROZEN → REFUNDED; VOIDED (the bank never
//     held the money, and now refuses the freeze if it arrives) → FAILED, its amount leaves
//     raised.
//
// Two instances may pick the same tender at once: nothing is claimed, both send the same
// request number and get the same answer, and the second recording finds the tender
// settled and changes nothing. A refusal or an unknown outcome leaves the tender for the
// next pass; a freeze a loan transferred (which the rules of Project.Fail exclude) is
// logged as an error for an operator.

// FaultRefundHalt stops a refund pass right after the bank answered its first unfreeze
// and before that answer is recorded, as a crash there would; the next pass resumes.
const FaultRefundHalt = "refund.halt"

// RefundBatch is how many tenders one page of a refund pass reads.
const RefundBatch = 100

// errRefundHalted is the pass that FaultRefundHalt stopped.
var errRefundHalted = errors.New("fault refund.halt: the refund pass stops after one unfreeze")

// unfreezeRequestNo is the request number of a tender's unfreeze: stable, so every pass
// asks the bank the same question (UF…, docs/custody-protocol.md).
func unfreezeRequestNo(tenderID int64) string { return fmt.Sprintf("UF%012d", tenderID) }

// RefundRun is what one refund pass did.
type RefundRun struct {
	Refunded int // tenders REFUNDED
	Voided   int // tenders FAILED because the bank never held their money
	Left     int // tenders whose refund waits for a later pass (bank unavailable or refusing)
}

// RefundUsecase gives the money of failed projects' tenders back.
type RefundUsecase struct {
	projects ProjectRepo
	tenders  TenderRepo
	tx       Transaction
	bank     Bank
	faults   *faults.Registry
	claims   claims.Claimer
	log      *log.Helper
	kicks    chan struct{}
}

// NewRefundUsecase returns the refund job's use case; f may be nil (faults disabled), c
// too (one instance: the job holds every tender).
func NewRefundUsecase(projects ProjectRepo, tenders TenderRepo, tx Transaction, bank Bank, f *faults.Registry,
	c claims.Claimer, logger log.Logger) *RefundUsecase {
	return &RefundUsecase{projects: projects, tenders: tenders, tx: tx, bank: bank, faults: f, claims: claims.Or(c),
		log: log.NewHelper(logger), kicks: make(chan struct{}, 1)}
}

// Kick asks the refund job for a pass now (a project has just failed); it never blocks.
func (uc *RefundUsecase) Kick() {
	select {
	case uc.kicks <- struct{}{}:
	default: // a pass is asked for already
	}
}

// Kicks delivers the Kick calls to the job that runs the passes.
func (uc *RefundUsecase) Kicks() <-chan struct{} { return uc.kicks }

// RefundFailedProjects is one pass over every tender awaiting its refund (see the top of
// this file). Only a database failure ends it early with an error.
func (uc *RefundUsecase) RefundFailedProjects(ctx context.Context) (RefundRun, error) {
	var run RefundRun
	projectNos := map[int64]string{}
	for after := int64(0); ; {
		page, err := uc.tenders.TendersToRefund(ctx, after, RefundBatch)
		if err != nil || len(page) == 0 {
			return run, err
		}
		after = page[len(page)-1].ID
		// With two instances, each refunds the tenders it holds (pkg/claims).
		mine, err := claims.Filter(ctx, uc.claims, JobRefundTenders, page, tenderKey)
		if err != nil {
			return run, err
		}
		for i := range mine {
			t := &mine[i]
			if err := uc.refundTender(ctx, t, projectNos, &run); err != nil {
				return run, err
			}
		}
	}
}

// refundTender unfreezes one tender and records the answer.
func (uc *RefundUsecase) refundTender(ctx context.Context, t *Tender, projectNos map[int64]string, run *RefundRun) error {
	projectNo, ok := projectNos[t.ProjectID]
	if !ok {
		p, err := uc.projects.Project(ctx, t.ProjectID)
		if err != nil {
			return err
		}
		projectNo, projectNos[t.ProjectID] = p.BankProjectNo, p.BankProjectNo
	}
	u := BankUnfreeze{RequestNo: unfreezeRequestNo(t.ID), FreezeRequestNo: t.FreezeRequestNo, ProjectNo: projectNo,
		UserNo: t.InvestorUserNo, Amount: t.Amount}
	result, err := uc.bank.Unfreeze(ctx, u)
	if err != nil {
		run.Left++
		uc.logRefusal(ctx, t, u, err)
		return nil
	}
	uc.faults.Crash(CrashRefundAfterUnfreeze)
	if uc.faults.Hit(FaultRefundHalt).Fire {
		return fmt.Errorf("%w: tender %d answered %s, not recorded", errRefundHalted, t.ID, result)
	}
	if err := uc.record(ctx, t, result); err != nil {
		return err
	}
	if result == Voided {
		run.Voided++
	} else {
		run.Refunded++
	}
	uc.log.WithContext(ctx).Infow("msg", "tender refunded", "tender_id", t.ID, "project_id", t.ProjectID,
		"request_no", u.RequestNo, "result", string(result))
	return nil
}

// logRefusal reports an unfreeze that did not happen; the tender waits for a later pass.
func (uc *RefundUsecase) logRefusal(ctx context.Context, t *Tender, u BankUnfreeze, err error) {
	l := uc.log.WithContext(ctx)
	keys := []any{"tender_id", t.ID, "project_id", t.ProjectID, "request_no", u.RequestNo, "err", err}
	switch {
	case errors.Is(err, ErrBankUnavailable):
		l.Warnw(append([]any{"msg", "unfreeze outcome unknown; the next pass asks again"}, keys...)...)
	case errors.Is(err, ErrFreezeTransferred):
		l.Errorw(append([]any{"msg", "a failed project's freeze was transferred by a loan: an operator must look"}, keys...)...)
	default:
		l.Errorw(append([]any{"msg", "the bank refused an unfreeze; the next pass asks again"}, keys...)...)
	}
}

// record settles a tender by the bank's answer, unless someone recorded it first.
func (uc *RefundUsecase) record(ctx context.Context, tender *Tender, result UnfreezeResult) error {
	return uc.tx.InTx(ctx, func(ctx context.Context) error {
		p, err := uc.projects.LockProject(ctx, tender.ProjectID)
		if err != nil {
			return err
		}
		t, err := uc.tenders.LockTender(ctx, tender.ID)
		if err != nil || !t.AwaitsRefund() {
			return err
		}
		if result == Unfrozen {
			t.Refund()
			return uc.tenders.UpdateTender(ctx, t)
		}
		t.Void()
		if err := uc.tenders.UpdateTender(ctx, t); err != nil {
			return err
		}
		p.Release(t.Amount)
		return uc.projects.UpdateProject(ctx, p)
	})
}
