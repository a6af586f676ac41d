package biz

import (
	"context"
	"errors"
	"time"
)

// Recording the bank's word: each step locks the installment's plan row first, like the
// claim, so two runs settling one attempt record it once.

// commitRepaid records the bank's success with DTM's two-phase message to trade-center:
// the local transaction (plan REPAID, receivables RECEIVED, attempt SUCCESS) runs in the
// message's barrier, gid MessageGID. When Send fails the database decides: a committed
// local transaction (the submit was lost) is repaid and DTM's check-back delivers the
// message; otherwise the attempt stays SENT and the next run settles it by query again.
func (uc *RunUsecase) commitRepaid(ctx context.Context, inst Installment, a Attempt) (outcome, error) {
	gid, now := a.MessageGID(), uc.now()
	msg := InstallmentRepaid{ProjectID: inst.ProjectID, Period: inst.Period, RequestNo: a.RequestNo,
		Amount: inst.Amount, RepaidAt: now}
	err := uc.messages.Send(ctx, gid, msg, func(ctx context.Context) error {
		return uc.recordRepaid(ctx, a.RequestNo, gid, now)
	})
	if err == nil {
		return outcomeRepaid, nil
	}
	if errors.Is(err, ErrInstallmentRepaid) {
		return outcomeRepaidElsewhere, nil
	}
	settled, rerr := uc.repo.Attempt(ctx, a.RequestNo)
	if rerr != nil {
		return outcomePending, errors.Join(err, rerr)
	}
	if settled.Status == AttemptSucceeded && settled.SettledBy == gid {
		uc.log.WithContext(ctx).Warnw("msg", "installment repaid; its message's submit failed, DTM's check-back delivers it",
			"request_no", a.RequestNo, "gid", gid, "err", err)
		return outcomeRepaid, nil
	}
	uc.log.WithContext(ctx).Warnw("msg", "the bank repaid but the local transaction did not commit; the next run settles it by query",
		"request_no", a.RequestNo, "gid", gid, "project_id", inst.ProjectID, "period", inst.Period, "err", err)
	return outcomePending, nil
}

// recordRepaid is the two-phase message's local transaction.
func (uc *RunUsecase) recordRepaid(ctx context.Context, requestNo, gid string, now time.Time) error {
	a, err := uc.repo.Attempt(ctx, requestNo)
	if err != nil {
		return err
	}
	inst, err := uc.repo.LockInstallment(ctx, a.ProjectID, a.Period)
	if err != nil {
		return err
	}
	if inst.Repaid() {
		return ErrInstallmentRepaid
	}
	if a, err = uc.repo.Attempt(ctx, requestNo); err != nil { // again, now under the lock
		return err
	}
	if err := a.Succeed(gid, now); err != nil {
		return err
	}
	if err := uc.repo.UpdateAttempt(ctx, a); err != nil {
		return err
	}
	if err := uc.repo.MarkRepaid(ctx, a.ProjectID, a.Period, now); err != nil {
		return err
	}
	if uc.faults.Hit(FaultRepayLocalTxFail).Fire {
		return errLocalTxInjected
	}
	return nil
}

// refuse records the bank's refusal for the borrower's balance: the attempt REFUSED, the
// installment and its receivables OVERDUE, in one local transaction. Nothing moved at
// the bank; the next run makes a new attempt.
func (uc *RunUsecase) refuse(ctx context.Context, a Attempt, reason string) (outcome, error) {
	err := uc.tx.InTx(ctx, func(ctx context.Context) error {
		inst, err := uc.repo.LockInstallment(ctx, a.ProjectID, a.Period)
		if err != nil {
			return err
		}
		cur, err := uc.repo.Attempt(ctx, a.RequestNo)
		if err != nil {
			return err
		}
		if err := cur.Refuse(reason, uc.now()); err != nil {
			return err
		}
		if err := uc.repo.UpdateAttempt(ctx, cur); err != nil || inst.Repaid() {
			return err
		}
		return uc.repo.MarkOverdue(ctx, a.ProjectID, a.Period)
	})
	if errors.Is(err, ErrAttemptSettled) {
		return outcomeSettledElsewhere, nil
	}
	if err != nil {
		return outcomePending, err
	}
	return outcomeOverdue, nil
}

// close ends a SENT attempt that moved nothing (REJECTED or LOST): the installment keeps
// its status and a later run makes a new attempt.
func (uc *RunUsecase) close(ctx context.Context, a Attempt, status AttemptStatus, reason string) (outcome, error) {
	err := uc.tx.InTx(ctx, func(ctx context.Context) error {
		if _, err := uc.repo.LockInstallment(ctx, a.ProjectID, a.Period); err != nil {
			return err
		}
		cur, err := uc.repo.Attempt(ctx, a.RequestNo)
		if err != nil {
			return err
		}
		if status == AttemptLost {
			err = cur.Lose(uc.now())
		} else {
			err = cur.Reject(reason, uc.now())
		}
		if err != nil {
			return err
		}
		return uc.repo.UpdateAttempt(ctx, cur)
	})
	if errors.Is(err, ErrAttemptSettled) {
		return outcomeSettledElsewhere, nil
	}
	return outcomePending, err
}

// recoverPaidAttempt handles the bank's 409 PERIOD_ALREADY_REPAID: another request number
// of ours paid the installment — one given up as LOST that reached the bank after all.
// The new attempt is REJECTED, and the LOST one the bank reports SUCCESS for is claimed
// again and recorded like any success.
func (uc *RunUsecase) recoverPaidAttempt(ctx context.Context, runID string, c claim) (outcome, error) {
	if _, err := uc.close(ctx, c.attempt, AttemptRejected, "PERIOD_ALREADY_REPAID"); err != nil {
		return outcomePending, err
	}
	attempts, err := uc.repo.Attempts(ctx, c.inst.ProjectID, c.inst.Period)
	if err != nil {
		return outcomePending, err
	}
	for _, a := range attempts {
		if a.Status != AttemptLost {
			continue
		}
		if st, err := uc.bank.RequestStatus(ctx, a.RequestNo); err != nil || st != BankSucceeded {
			continue
		}
		err := uc.tx.InTx(ctx, func(ctx context.Context) error {
			if _, err := uc.repo.LockInstallment(ctx, a.ProjectID, a.Period); err != nil {
				return err
			}
			if a, err = uc.repo.Attempt(ctx, a.RequestNo); err != nil {
				return err
			}
			a.Claim(runID, uc.now()) // a fresh gid: the attempt's earlier ones may be spent
			return uc.repo.UpdateAttempt(ctx, a)
		})
		if err != nil {
			return outcomePending, err
		}
		return uc.commitRepaid(ctx, c.inst, a)
	}
	uc.log.WithContext(ctx).Errorw("msg", "the bank says the period is repaid but by none of our attempts; an operator must look",
		"project_id", c.inst.ProjectID, "period", c.inst.Period, "request_no", c.attempt.RequestNo)
	return outcomePending, nil
}
