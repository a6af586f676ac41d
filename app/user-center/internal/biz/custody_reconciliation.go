package biz

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/claims"
)

// ReconcileAction is what reconciliation does with one PENDING request.
type ReconcileAction int

// What reconciliation can do.
const (
	// ReconcileWait: the bank is still working on it, or may still receive it.
	ReconcileWait ReconcileAction = iota
	// ReconcileApply: the bank has a final result; apply it.
	ReconcileApply
	// ReconcileAbandon: the bank never received it and now never will; fail it.
	ReconcileAbandon
)

// DecideReconciliation says what to do with a PENDING request given the bank's answer
// (res, or queryErr when the query failed) at time now.
func DecideReconciliation(req *CustodyRequest, res BankResult, queryErr error, now time.Time, abandonAfter time.Duration) ReconcileAction {
	switch {
	case errors.Is(queryErr, ErrNotReceivedByBank):
		if now.Sub(req.CreatedAt) >= abandonAfter {
			return ReconcileAbandon
		}
		return ReconcileWait
	case queryErr != nil:
		return ReconcileWait
	case res.Status == RequestSuccess || res.Status == RequestFailed:
		return ReconcileApply
	}
	return ReconcileWait // PROCESSING, or anything the bank may add later
}

// JobReconcileCustody is the reconciliation's name in the claims table (pkg/claims).
const JobReconcileCustody = "custody-reconcile"

// ReconcileSummary counts what one round did.
type ReconcileSummary struct {
	Checked, Completed, Abandoned, Errors int
}

// Reconcile asks the bank about every PENDING request older than the minimum age and
// applies what it learns through ApplyResult, as a notification would be.
func (uc *CustodyUsecase) Reconcile(ctx context.Context) (ReconcileSummary, error) {
	var sum ReconcileSummary
	now := uc.settings.Now()
	var after *PageKey
	for {
		page, err := uc.repo.PendingRequests(ctx, now.Add(-uc.settings.MinAge), after, uc.settings.BatchSize)
		if err != nil {
			return sum, fmt.Errorf("list pending custody requests: %w", err)
		}
		// With two instances, each asks about the requests it holds (pkg/claims).
		mine, err := claims.Filter(ctx, uc.settings.Claims, JobReconcileCustody, page,
			func(r **CustodyRequest) string { return (*r).RequestNo })
		if err != nil {
			return sum, fmt.Errorf("claim pending custody requests: %w", err)
		}
		for _, req := range mine {
			if err := ctx.Err(); err != nil {
				return sum, err
			}
			uc.reconcileOne(ctx, req, &sum)
		}
		if len(page) < uc.settings.BatchSize {
			return sum, nil
		}
		last := page[len(page)-1]
		after = &PageKey{CreatedAt: last.CreatedAt, RequestNo: last.RequestNo}
	}
}

func (uc *CustodyUsecase) reconcileOne(ctx context.Context, req *CustodyRequest, sum *ReconcileSummary) {
	sum.Checked++
	l := uc.log.WithContext(ctx)
	res, qerr := uc.bank.QueryResult(ctx, req.RequestNo)
	now := uc.settings.Now()
	switch DecideReconciliation(req, res, qerr, now, uc.settings.AbandonAfter) {
	case ReconcileWait:
		if qerr != nil && !errors.Is(qerr, ErrNotReceivedByBank) {
			sum.Errors++
			l.Warnw("msg", "custody result query failed", "request_no", req.RequestNo, "err", qerr)
		}
	case ReconcileApply:
		applied, err := uc.ApplyResult(ctx, res, SourceReconciliation)
		if err != nil {
			sum.Errors++
			l.Errorw("msg", "custody result from the bank's query not applied", "request_no", req.RequestNo, "err", err)
			return
		}
		if applied.Changed {
			sum.Completed++
		}
	case ReconcileAbandon:
		amount := ""
		if req.Amount != nil {
			amount = req.Amount.String()
		}
		applied, err := uc.ApplyResult(ctx, BankResult{RequestNo: req.RequestNo, Kind: req.Kind,
			Status: RequestFailed, PlatformUserID: strconv.FormatInt(req.UserID, 10), Amount: amount,
			UserNo: req.BankUserNo, FailureReason: ReasonNotReceived}, SourceReconciliation)
		if err != nil {
			sum.Errors++
			l.Errorw("msg", "abandoning custody request failed", "request_no", req.RequestNo, "err", err)
			return
		}
		if applied.Changed {
			sum.Abandoned++
		}
	}
}
