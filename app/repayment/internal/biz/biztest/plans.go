// Package biztest holds the one in-memory fake of repayment's plan repository and the
// contract suite every implementation passes: the fake in the biz tests, the ent adapter
// in the data package's integration tests.
package biztest

import (
	"cmp"
	"context"
	"slices"
	"sync"

	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz"
)

// Plans is an in-memory biz.PlanRepo: a project's schedule is written once, like the
// unique keys make it in MariaDB, and read back in period (and tender) order.
type Plans struct {
	mu    sync.Mutex
	saved map[int64]biz.Schedule
	// Err, when set, fails every SaveSchedule (a database that is down).
	Err error
}

// NewPlans returns an empty Plans.
func NewPlans() *Plans { return &Plans{saved: map[int64]biz.Schedule{}} }

// RepaymentPlan implements biz.PlanRepo.
func (p *Plans) RepaymentPlan(_ context.Context, projectID int64) ([]biz.RepaymentItem, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := slices.Clone(p.saved[projectID].Repayments)
	slices.SortFunc(out, func(a, b biz.RepaymentItem) int { return cmp.Compare(a.Period, b.Period) })
	return out, nil
}

// Receivables implements biz.PlanRepo.
func (p *Plans) Receivables(_ context.Context, projectID int64) ([]biz.ReceivableItem, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := slices.Clone(p.saved[projectID].Receivables)
	slices.SortFunc(out, func(a, b biz.ReceivableItem) int {
		return cmp.Or(cmp.Compare(a.TenderID, b.TenderID), cmp.Compare(a.Period, b.Period))
	})
	return out, nil
}

// SaveSchedule implements biz.PlanRepo.
func (p *Plans) SaveSchedule(_ context.Context, s biz.Schedule) (int, error) {
	if p.Err != nil {
		return 0, p.Err
	}
	if len(s.Repayments) == 0 {
		return 0, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	id := s.Repayments[0].ProjectID
	if _, ok := p.saved[id]; ok {
		return 0, nil
	}
	p.saved[id] = s
	return len(s.Repayments) + len(s.Receivables), nil
}
