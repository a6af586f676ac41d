package service

import (
	"testing"

	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/errmap"
)

// repayment's API only reads plans; the errors its biz declares belong to writing them
// from the start-repayment message, and are answered to the broker (retry, then DLQ).
func TestEveryBizErrorHasItsReason(t *testing.T) {
	t.Parallel()
	consumer := "a start-repayment message that cannot be amortized: the consumer refuses it, it never reaches the API"
	errmap.Check(t, "../biz", func(err error) error { return err }, []errmap.Row{
		{Name: "ErrInvalidLoanTerms", Err: biz.ErrInvalidLoanTerms, Internal: consumer},
		{Name: "ErrNegativeCommission", Err: biz.ErrNegativeCommission, Internal: consumer},
	})
}
