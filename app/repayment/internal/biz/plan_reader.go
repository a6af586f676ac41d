package biz

import (
	"errors"
	"fmt"

	"github.com/p2p-dtx/p2p-dtx/pkg/auth"
)

// ErrForbidden: the reader may not see these rows (API.md "repayment": a plan is its
// borrower's and the operators', a receivable its investor's and the operators').
var ErrForbidden = errors.New("not allowed for this caller")

// Reader is who reads the plans, as the bearer token says.
type Reader struct {
	UserID int64
	Role   string
}

// MayReadPlan answers nil when the reader may see the project's plan: an ADMIN always, a
// borrower when the plan's rows are theirs. A plan that does not exist yet has no owner
// to tell apart and nothing to hide, so a borrower reads it as empty; an investor never
// owns a plan and is refused whether or not it exists.
func (r Reader) MayReadPlan(plan []RepaymentItem) error {
	switch {
	case r.Role == auth.RoleAdmin:
		return nil
	case r.Role != auth.RoleBorrower:
		return fmt.Errorf("%w: a repayment plan is for its borrower and operators, not a %s", ErrForbidden, r.Role)
	case len(plan) > 0 && plan[0].BorrowerID != r.UserID:
		return fmt.Errorf("%w: the repayment plan of project %d is another borrower's", ErrForbidden, plan[0].ProjectID)
	}
	return nil
}

// VisibleReceivables are the rows of all the reader may see: every row for an ADMIN, the
// rows of their own tenders for an investor (none is an empty list, not a refusal, so an
// investor cannot tell another's project from one they did not tender in). Anyone else
// is refused.
func (r Reader) VisibleReceivables(all []ReceivableItem) ([]ReceivableItem, error) {
	switch r.Role {
	case auth.RoleAdmin:
		return all, nil
	case auth.RoleInvestor:
		own := make([]ReceivableItem, 0, len(all))
		for _, it := range all {
			if it.InvestorID == r.UserID {
				own = append(own, it)
			}
		}
		return own, nil
	}
	return nil, fmt.Errorf("%w: receivables are for their investors and operators, not a %s", ErrForbidden, r.Role)
}
