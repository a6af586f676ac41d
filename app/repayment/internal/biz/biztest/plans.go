// Package biztest holds the one in-memory fake of each of repayment's ports — the plan
// store (Plans: plans, installments, attempts and transactions), the custody bank (Bank)
// and DTM's two-phase message (Messages) — and the contract suites the stores pass: the
// fake in the biz tests, the ent adapters in the data package's integration tests.
package biztest

import (
	"cmp"
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz"
)

type planKey struct {
	projectID int64
	period    int
}

type receivableKey struct {
	tenderID int64
	period   int
}

// Plans is an in-memory biz.PlanRepo, biz.InstallmentRepo and biz.Transaction: a
// project's schedule is written once, like the unique keys make it in MariaDB, and read
// back in period (and tender) order. Transactions are serialised (as the plan row's lock
// serialises the run's in MariaDB) and roll back on error; locking reads outside one fail.
type Plans struct {
	txMu sync.Mutex // held for a whole transaction
	mu   sync.Mutex // guards the maps

	repayments  map[planKey]biz.RepaymentItem
	receivables map[receivableKey]biz.ReceivableItem
	attempts    map[string]biz.Attempt
	created     map[string]int // insertion order of attempts, as the ids of ent's rows
	// Err, when set, fails every SaveSchedule (a database that is down).
	Err error
}

// NewPlans returns an empty Plans.
func NewPlans() *Plans {
	return &Plans{repayments: map[planKey]biz.RepaymentItem{}, receivables: map[receivableKey]biz.ReceivableItem{},
		attempts: map[string]biz.Attempt{}, created: map[string]int{}}
}

type inTxKey struct{}

// ErrNoTx is a locking read outside a transaction.
var ErrNoTx = errors.New("locking read outside a transaction")

// InTx implements biz.Transaction.
func (p *Plans) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if ctx.Value(inTxKey{}) != nil {
		return fn(ctx)
	}
	p.txMu.Lock()
	defer p.txMu.Unlock()
	p.mu.Lock()
	r, v, a, c := maps.Clone(p.repayments), maps.Clone(p.receivables), maps.Clone(p.attempts), maps.Clone(p.created)
	p.mu.Unlock()
	if err := fn(context.WithValue(ctx, inTxKey{}, true)); err != nil {
		p.mu.Lock()
		p.repayments, p.receivables, p.attempts, p.created = r, v, a, c
		p.mu.Unlock()
		return err
	}
	return nil
}

func needTx(ctx context.Context) error {
	if ctx.Value(inTxKey{}) == nil {
		return ErrNoTx
	}
	return nil
}

// RepaymentPlan implements biz.PlanRepo.
func (p *Plans) RepaymentPlan(_ context.Context, projectID int64) ([]biz.RepaymentItem, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []biz.RepaymentItem
	for k, it := range p.repayments {
		if k.projectID == projectID {
			out = append(out, it)
		}
	}
	slices.SortFunc(out, func(a, b biz.RepaymentItem) int { return cmp.Compare(a.Period, b.Period) })
	return out, nil
}

// Receivables implements biz.PlanRepo.
func (p *Plans) Receivables(_ context.Context, projectID int64) ([]biz.ReceivableItem, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []biz.ReceivableItem
	for _, it := range p.receivables {
		if it.ProjectID == projectID {
			out = append(out, it)
		}
	}
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
	if _, ok := p.repayments[planKey{id, s.Repayments[0].Period}]; ok {
		return 0, nil
	}
	for _, it := range s.Repayments {
		p.repayments[planKey{it.ProjectID, it.Period}] = it
	}
	for _, it := range s.Receivables {
		p.receivables[receivableKey{it.TenderID, it.Period}] = it
	}
	return len(s.Repayments) + len(s.Receivables), nil
}

// dateOf is t's calendar date (UTC), like a DATE column keeps it.
func dateOf(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
