package biz

import (
	"context"
	"errors"
	"fmt"
)

// Sources of a bank result, for the logs.
const (
	SourceNotification   = "notification"
	SourceReconciliation = "reconciliation"
)

// Applied is what applying a bank result did.
type Applied struct {
	// Request as it stands after the result.
	Request *CustodyRequest
	// Changed is true when this result completed the request; false for a duplicate.
	Changed bool
}

// ErrFaultCallbackReject is the callback.reject fault point firing.
var ErrFaultCallbackReject = fmt.Errorf("%w: %s", ErrFaultInjected, FaultCallbackReject)

// ReceiveNotification applies the bank's notification; the callback.reject fault point
// refuses it before anything is read.
func (uc *CustodyUsecase) ReceiveNotification(ctx context.Context, res BankResult) (Applied, error) {
	if uc.faults.Hit(FaultCallbackReject).Fire {
		return Applied{}, ErrFaultCallbackReject
	}
	applied, err := uc.ApplyResult(ctx, res, SourceNotification)
	if err == nil {
		// Committed; the bank has no answer yet and will notify again.
		uc.faults.Crash(CrashCallbackAfterCommit)
	}
	return applied, err
}

// ApplyResult applies the bank's final result to its request in one local transaction,
// exactly once: the request's row lock orders concurrent results, the first completes it
// (with its effect on the consumer, the recharges or the withdrawals) and the others find
// it complete and change nothing. A mismatching result changes nothing and is reported as
// ErrResultMismatch.
func (uc *CustodyUsecase) ApplyResult(ctx context.Context, res BankResult, source string) (Applied, error) {
	var out Applied
	err := uc.tx.InTx(ctx, func(ctx context.Context) error {
		out = Applied{}
		req, err := uc.repo.LockRequest(ctx, res.RequestNo)
		if errors.Is(err, ErrNotFound) {
			return ErrRequestNotFound
		}
		if err != nil {
			return err
		}
		out.Request = req
		changed, err := req.Complete(res, uc.settings.Now())
		if err != nil || !changed {
			return err
		}
		if err := uc.repo.SaveCompletion(ctx, req); err != nil {
			return err
		}
		switch {
		case req.Kind == KindOpenAccount && req.Status == RequestSuccess:
			err = uc.repo.SetCustody(ctx, req.UserID, CustodyOpen, req.BankUserNo)
		case req.Kind == KindOpenAccount:
			err = uc.repo.SetCustody(ctx, req.UserID, CustodyFailed, "")
		case req.Kind == KindRecharge && req.Status == RequestSuccess:
			err = uc.repo.CreateRecharge(ctx, Recharge{RequestNo: req.RequestNo, UserID: req.UserID,
				Amount: *req.Amount, CreatedAt: *req.CompletedAt})
		case req.Kind == KindWithdraw && req.Status == RequestSuccess:
			err = uc.repo.CreateWithdrawal(ctx, Withdrawal{RequestNo: req.RequestNo, UserID: req.UserID,
				Amount: *req.Amount, CreatedAt: *req.CompletedAt})
		}
		out.Changed = err == nil
		return err
	})
	if err != nil {
		return Applied{}, err
	}
	l := uc.log.WithContext(ctx)
	switch r := out.Request; {
	case out.Changed:
		l.Infow("msg", "custody request completed", "request_no", r.RequestNo, "kind", r.Kind,
			"status", r.Status, "user_id", r.UserID, "source", source, "failure_reason", r.FailureReason)
	case r.Status != res.Status:
		// The bank contradicts what was applied first (e.g. a request given up as never
		// received that the bank completed after all): an operator must look.
		l.Warnw("msg", "bank result contradicts a completed custody request", "request_no", r.RequestNo,
			"kind", r.Kind, "status", r.Status, "bank_status", res.Status, "source", source)
	default:
		l.Debugw("msg", "duplicate custody result ignored", "request_no", r.RequestNo, "source", source)
	}
	return out, nil
}
