package biz_test

import (
	"context"
	"errors"
	"maps"
	"testing"

	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz/biztest"
	"github.com/p2p-dtx/p2p-dtx/pkg/auth"
)

// readWorld is project 9 (borrower 7, tenders 1 of investor 21 and 2 of investor 22,
// 12 periods) with its plans written, and project 10 with none.
func readWorld(t *testing.T) *biz.PlanUsecase {
	t.Helper()
	s, err := biz.Amortize(startTerms())
	if err != nil {
		t.Fatal(err)
	}
	plans := biztest.NewPlans()
	if _, err := plans.SaveSchedule(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return biz.NewPlanUsecase(plans)
}

func TestARepaymentPlanIsItsBorrowersAndTheOperators(t *testing.T) {
	t.Parallel()
	uc := readWorld(t)
	for _, c := range []struct {
		name    string
		reader  biz.Reader
		project int64
		rows    int
		refused bool
	}{
		{"the borrower", biz.Reader{UserID: 7, Role: auth.RoleBorrower}, 9, 12, false},
		{"an admin", biz.Reader{UserID: 1, Role: auth.RoleAdmin}, 9, 12, false},
		{"another borrower", biz.Reader{UserID: 8, Role: auth.RoleBorrower}, 9, 0, true},
		{"an investor of the project", biz.Reader{UserID: 21, Role: auth.RoleInvestor}, 9, 0, true},
		// An investor whose id is the borrower's: the role decides, not the number.
		{"an investor numbered like the borrower", biz.Reader{UserID: 7, Role: auth.RoleInvestor}, 9, 0, true},
		{"no role", biz.Reader{UserID: 7}, 9, 0, true},
		{"a borrower before any plan", biz.Reader{UserID: 8, Role: auth.RoleBorrower}, 10, 0, false},
		{"an investor before any plan", biz.Reader{UserID: 21, Role: auth.RoleInvestor}, 10, 0, true},
	} {
		plan, err := uc.RepaymentPlan(context.Background(), c.reader, c.project)
		if c.refused != errors.Is(err, biz.ErrForbidden) || (!c.refused && err != nil) || len(plan) != c.rows {
			t.Errorf("%s: %d rows, %v; want %d rows, refused %v", c.name, len(plan), err, c.rows, c.refused)
		}
		for _, it := range plan {
			if it.ProjectID != c.project || it.BorrowerID != 7 {
				t.Errorf("%s: row %+v is not project %d's", c.name, it, c.project)
			}
		}
	}
}

func TestReceivablesAreTheirInvestorsAndTheOperators(t *testing.T) {
	t.Parallel()
	uc := readWorld(t)
	for _, c := range []struct {
		name    string
		reader  biz.Reader
		project int64
		tenders map[int64]int // rows per tender
		refused bool
	}{
		{"an admin", biz.Reader{UserID: 1, Role: auth.RoleAdmin}, 9, map[int64]int{1: 12, 2: 12}, false},
		{"the first investor", biz.Reader{UserID: 21, Role: auth.RoleInvestor}, 9, map[int64]int{1: 12}, false},
		{"the second investor", biz.Reader{UserID: 22, Role: auth.RoleInvestor}, 9, map[int64]int{2: 12}, false},
		{"an investor without a tender", biz.Reader{UserID: 23, Role: auth.RoleInvestor}, 9, map[int64]int{}, false},
		{"an investor before any plan", biz.Reader{UserID: 21, Role: auth.RoleInvestor}, 10, map[int64]int{}, false},
		{"the project's borrower", biz.Reader{UserID: 7, Role: auth.RoleBorrower}, 9, nil, true},
		// A borrower whose id is an investor's: the role decides, not the number.
		{"a borrower numbered like an investor", biz.Reader{UserID: 21, Role: auth.RoleBorrower}, 9, nil, true},
		{"no role", biz.Reader{UserID: 21}, 9, nil, true},
	} {
		rows, err := uc.Receivables(context.Background(), c.reader, c.project)
		if c.refused != errors.Is(err, biz.ErrForbidden) || (!c.refused && err != nil) {
			t.Errorf("%s: %v, want refused %v", c.name, err, c.refused)
			continue
		}
		got := map[int64]int{}
		for _, r := range rows {
			got[r.TenderID]++
			if c.reader.Role == auth.RoleInvestor && r.InvestorID != c.reader.UserID {
				t.Errorf("%s: sees investor %d's row %+v", c.name, r.InvestorID, r)
			}
		}
		if !c.refused && !maps.Equal(got, c.tenders) {
			t.Errorf("%s: rows per tender %v, want %v", c.name, got, c.tenders)
		}
		if c.refused && rows != nil {
			t.Errorf("%s: refused but answered %d rows", c.name, len(rows))
		}
	}
}
