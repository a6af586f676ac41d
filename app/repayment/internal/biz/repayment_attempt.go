package biz

import (
	"context"
	"errors"
	"fmt"
)

// One installment in a run: claim → send (or query) → settle.

// claim is an installment taken up by a run under its plan row's lock.
type claim struct {
	inst    Installment
	attempt Attempt
	// fresh: this run made the attempt and sends it; otherwise the attempt was SENT by
	// an earlier (or concurrent) run and is settled by a result query.
	fresh   bool
	credits []Credit
	// repaid: the installment is REPAID already; nothing to do.
	repaid bool
}

// verdict is the bank's word on an attempt.
type verdict int

const (
	verdictUnknown       verdict = iota // no answer, PROCESSING, or not found yet
	verdictPaid                         // the bank moved the money
	verdictRefused                      // the borrower's balance was short
	verdictRejected                     // refused for another reason, nothing moved
	verdictLost                         // never received, and now it never will be
	verdictAlreadyRepaid                // another request number paid the installment
)

func (uc *RunUsecase) execute(ctx context.Context, runID string, due Installment) (outcome, error) {
	c, err := uc.claim(ctx, runID, due)
	if err != nil {
		return outcomePending, fmt.Errorf("claim: %w", err)
	}
	if c.repaid {
		return outcomeRepaidElsewhere, nil
	}
	var v verdict
	var reason string
	if c.fresh {
		v, reason = uc.send(ctx, c)
	} else {
		v, reason = uc.query(ctx, c.attempt)
	}
	switch v {
	case verdictPaid:
		return uc.commitRepaid(ctx, c.inst, c.attempt)
	case verdictRefused:
		return uc.refuse(ctx, c.attempt, reason)
	case verdictRejected:
		return uc.close(ctx, c.attempt, AttemptRejected, reason)
	case verdictLost:
		return uc.close(ctx, c.attempt, AttemptLost, reason)
	case verdictAlreadyRepaid:
		return uc.recoverPaidAttempt(ctx, runID, c)
	}
	return outcomePending, nil
}

// claim locks the installment's plan row and hands this run its attempt: the SENT one if
// there is one (never a second request while its outcome is open), else a new one.
func (uc *RunUsecase) claim(ctx context.Context, runID string, due Installment) (claim, error) {
	var c claim
	err := uc.tx.InTx(ctx, func(ctx context.Context) error {
		inst, err := uc.repo.LockInstallment(ctx, due.ProjectID, due.Period)
		if err != nil {
			return err
		}
		c = claim{inst: inst, repaid: inst.Repaid()}
		if c.repaid {
			return nil
		}
		attempts, err := uc.repo.Attempts(ctx, inst.ProjectID, inst.Period)
		if err != nil {
			return err
		}
		for _, a := range attempts {
			if a.Status == AttemptSent {
				a.Claim(runID, uc.now())
				c.attempt = a
				return uc.repo.UpdateAttempt(ctx, a)
			}
		}
		if c.credits, err = uc.repo.Credits(ctx, inst.ProjectID, inst.Period); err != nil {
			return err
		}
		c.attempt, c.fresh = newAttempt(inst, runID, uc.now()), true
		return uc.repo.CreateAttempt(ctx, c.attempt)
	})
	return c, err
}

// send asks the bank to execute the installment; an unknown outcome is queried at once.
func (uc *RunUsecase) send(ctx context.Context, c claim) (verdict, string) {
	err := uc.bank.Repay(ctx, BankRepayment{
		RequestNo: c.attempt.RequestNo, ProjectNo: c.inst.BankProjectNo, Period: c.inst.Period,
		BorrowerUserNo: c.inst.BorrowerUserNo, Amount: c.inst.Amount, Commission: c.inst.Commission, Credits: c.credits,
	})
	switch {
	case err == nil:
		uc.faults.Crash(CrashRepayAfterBank)
		return verdictPaid, ""
	case errors.Is(err, ErrInsufficientBalance):
		return verdictRefused, "INSUFFICIENT_BALANCE"
	case errors.Is(err, ErrPeriodAlreadyRepaid):
		return verdictAlreadyRepaid, "PERIOD_ALREADY_REPAID"
	case errors.Is(err, ErrBankRefused):
		uc.log.WithContext(ctx).Errorw("msg", "the bank refused a repayment; a later run tries again",
			"request_no", c.attempt.RequestNo, "project_id", c.inst.ProjectID, "period", c.inst.Period, "err", err)
		return verdictRejected, err.Error()
	}
	uc.log.WithContext(ctx).Warnw("msg", "repayment outcome unknown; querying the bank",
		"request_no", c.attempt.RequestNo, "project_id", c.inst.ProjectID, "period", c.inst.Period, "err", err)
	return uc.query(ctx, c.attempt)
}

// query settles an attempt by the bank's result query, never by sending it again.
func (uc *RunUsecase) query(ctx context.Context, a Attempt) (verdict, string) {
	st, err := uc.bank.RequestStatus(ctx, a.RequestNo)
	switch {
	case err == nil && st == BankSucceeded:
		return verdictPaid, ""
	case err == nil && st == BankFailed:
		return verdictRefused, "INSUFFICIENT_BALANCE"
	case errors.Is(err, ErrRequestNotFound) && uc.now().Sub(a.CreatedAt) >= uc.settings.LostAfter:
		return verdictLost, "the bank never received the request"
	case err != nil && !errors.Is(err, ErrRequestNotFound):
		uc.log.WithContext(ctx).Warnw("msg", "repayment result query failed; the attempt stays SENT",
			"request_no", a.RequestNo, "err", err)
	}
	return verdictUnknown, ""
}
