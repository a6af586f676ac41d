package service

import (
	"testing"

	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/errmap"
)

// repayment's API reads plans and starts repayment runs; a read the caller may not make
// is FORBIDDEN. The other errors its biz declares belong to writing the plans from the
// start-repayment message (answered to the broker: retry, then DLQ) and to executing
// installments, where the run records the bank's word on the installment and never
// answers an error for one installment (the run's answer counts it pending).
func TestEveryBizErrorHasItsReason(t *testing.T) {
	t.Parallel()
	consumer := "a start-repayment message that cannot be amortized: the consumer refuses it, it never reaches the API"
	run := "settled inside the repayment run: the installment is recorded (OVERDUE, LOST, REJECTED) or left pending for the next run"
	errmap.Check(t, "../biz", apiError, []errmap.Row{
		{Name: "ErrForbidden", Err: biz.ErrForbidden, Code: 403, Reason: "FORBIDDEN"},
		{Name: "ErrInvalidLoanTerms", Err: biz.ErrInvalidLoanTerms, Internal: consumer},
		{Name: "ErrNegativeCommission", Err: biz.ErrNegativeCommission, Internal: consumer},
		{Name: "ErrInstallmentNotFound", Err: biz.ErrInstallmentNotFound, Internal: run},
		{Name: "ErrAttemptNotFound", Err: biz.ErrAttemptNotFound, Internal: run},
		{Name: "ErrAttemptSettled", Err: biz.ErrAttemptSettled, Internal: run},
		{Name: "ErrInstallmentRepaid", Err: biz.ErrInstallmentRepaid, Internal: run},
		{Name: "ErrInsufficientBalance", Err: biz.ErrInsufficientBalance, Internal: run},
		{Name: "ErrPeriodAlreadyRepaid", Err: biz.ErrPeriodAlreadyRepaid, Internal: run},
		{Name: "ErrBankRefused", Err: biz.ErrBankRefused, Internal: run},
		{Name: "ErrBankUnavailable", Err: biz.ErrBankUnavailable, Internal: run},
		{Name: "ErrRequestNotFound", Err: biz.ErrRequestNotFound, Internal: run},
	})
}
