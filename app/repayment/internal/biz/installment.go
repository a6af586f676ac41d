package biz

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"time"
)

// Installment is one period of a borrower's plan as the repayment run executes it: the
// same row a plan reader sees (RepaymentItem), named for what the run does with it.
type Installment = RepaymentItem

// Repaid reports whether the installment is settled for good.
func (i Installment) Repaid() bool { return i.Status == PlanRepaid }

// Executable reports whether the bank can be asked to execute it: it carries the bank's
// numbers (plans written before the start-repayment message had them do not).
func (i Installment) Executable() bool { return i.BankProjectNo != "" && i.BorrowerUserNo != "" }

// AttemptStatus is where one request to the bank for an installment stands.
type AttemptStatus string

// The attempt statuses.
const (
	// AttemptSent: the request may have reached the bank; its outcome is not known yet.
	AttemptSent AttemptStatus = "SENT"
	// AttemptSucceeded: the bank moved the money and the platform recorded it.
	AttemptSucceeded AttemptStatus = "SUCCESS"
	// AttemptRefused: the borrower's balance was short; the installment is OVERDUE.
	AttemptRefused AttemptStatus = "REFUSED"
	// AttemptRejected: the bank refused it for another reason; nothing moved.
	AttemptRejected AttemptStatus = "REJECTED"
	// AttemptLost: the bank never received it, and now never will.
	AttemptLost AttemptStatus = "LOST"
)

// ErrAttemptSettled: the attempt's outcome is already recorded.
var ErrAttemptSettled = errors.New("the repayment attempt is settled already")

// Attempt is one request number sent to the bank for one installment.
type Attempt struct {
	RequestNo string
	ProjectID int64
	Period    int
	Status    AttemptStatus
	// Claims counts the runs that took the attempt up (the one that sent it first).
	Claims        int
	RunID         string
	FailureReason string
	// SettledBy is the gid of the two-phase message whose local transaction recorded the
	// success: what to look up in DTM.
	SettledBy string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// newAttempt is a fresh SENT attempt for the installment, claimed by run.
func newAttempt(i Installment, runID string, now time.Time) Attempt {
	return Attempt{RequestNo: newRequestNo(), ProjectID: i.ProjectID, Period: i.Period, Status: AttemptSent,
		Claims: 1, RunID: runID, CreatedAt: now, UpdatedAt: now}
}

// Claim hands the attempt to another run, which settles it by a result query.
func (a *Attempt) Claim(runID string, now time.Time) {
	a.Claims++
	a.RunID, a.UpdatedAt = runID, now
}

// MessageGID is the gid of the two-phase message this claim sends when the bank says the
// attempt succeeded: the request number itself the first time, the request number and the
// claim after that. A DTM gid is spent once its message failed (a local transaction that
// did not commit gets its message aborted), so a later claim must not reuse it.
func (a Attempt) MessageGID() string {
	if a.Claims <= 1 {
		return a.RequestNo
	}
	return fmt.Sprintf("%s-%d", a.RequestNo, a.Claims)
}

// Succeed records the bank's success; a LOST attempt may still turn out paid (the bank
// answered PERIOD_ALREADY_REPAID to a later one and its query says SUCCESS).
func (a *Attempt) Succeed(gid string, now time.Time) error {
	if a.Status != AttemptSent && a.Status != AttemptLost {
		return fmt.Errorf("%w: %s is %s", ErrAttemptSettled, a.RequestNo, a.Status)
	}
	a.Status, a.SettledBy, a.UpdatedAt = AttemptSucceeded, gid, now
	return nil
}

// settle ends a SENT attempt with status.
func (a *Attempt) settle(status AttemptStatus, reason string, now time.Time) error {
	if a.Status != AttemptSent {
		return fmt.Errorf("%w: %s is %s", ErrAttemptSettled, a.RequestNo, a.Status)
	}
	a.Status, a.FailureReason, a.UpdatedAt = status, truncate(reason, 255), now
	return nil
}

// Refuse records the bank's refusal for the borrower's balance.
func (a *Attempt) Refuse(reason string, now time.Time) error {
	return a.settle(AttemptRefused, reason, now)
}

// Reject records a refusal for another reason.
func (a *Attempt) Reject(reason string, now time.Time) error {
	return a.settle(AttemptRejected, reason, now)
}

// Lose records that the bank never received the request.
func (a *Attempt) Lose(now time.Time) error {
	return a.settle(AttemptLost, "the bank never received the request", now)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// newRequestNo is a fresh repayment request number: RP and 26 random base32 characters.
func newRequestNo() string { return "RP" + randomToken() }

// newRunID names one repayment run in logs, attempts and the API's answer.
func newRunID() string { return "RR" + randomToken()[:16] }

func randomToken() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err)) // documented never to happen
	}
	return tokenEncoding.EncodeToString(b[:])
}

var tokenEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)
