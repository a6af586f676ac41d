package biztest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz"
)

// Plans as a biz.InstallmentRepo.

// DueInstallments implements biz.InstallmentRepo.
func (p *Plans) DueInstallments(_ context.Context, asOf time.Time, limit int) ([]biz.Installment, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []biz.Installment
	for _, it := range p.repayments {
		if it.Repaid() || !it.Executable() || dateOf(it.DueDate).After(dateOf(asOf)) {
			continue
		}
		out = append(out, it)
	}
	slices.SortFunc(out, func(a, b biz.Installment) int {
		return cmp.Or(cmp.Compare(a.ProjectID, b.ProjectID), cmp.Compare(a.Period, b.Period))
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Installment implements biz.InstallmentRepo.
func (p *Plans) Installment(_ context.Context, projectID int64, period int) (biz.Installment, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	it, ok := p.repayments[planKey{projectID, period}]
	if !ok {
		return biz.Installment{}, fmt.Errorf("%w: project %d period %d", biz.ErrInstallmentNotFound, projectID, period)
	}
	return it, nil
}

// LockInstallment implements biz.InstallmentRepo; the transaction's lock is the fake's
// serialised transactions.
func (p *Plans) LockInstallment(ctx context.Context, projectID int64, period int) (biz.Installment, error) {
	if err := needTx(ctx); err != nil {
		return biz.Installment{}, err
	}
	return p.Installment(ctx, projectID, period)
}

// Credits implements biz.InstallmentRepo.
func (p *Plans) Credits(ctx context.Context, projectID int64, period int) ([]biz.Credit, error) {
	all, err := p.Receivables(ctx, projectID)
	if err != nil {
		return nil, err
	}
	var out []biz.Credit
	for _, r := range all {
		if r.Period == period {
			out = append(out, biz.Credit{UserNo: r.InvestorUserNo, Amount: r.Amount})
		}
	}
	return out, nil
}

// MarkRepaid implements biz.InstallmentRepo.
func (p *Plans) MarkRepaid(_ context.Context, projectID int64, period int, at time.Time) error {
	return p.mark(projectID, period, func(it *biz.RepaymentItem) { it.Status, it.RepaidAt = biz.PlanRepaid, at },
		func(r *biz.ReceivableItem) { r.Status, r.ReceivedAt = biz.ReceivableReceived, at })
}

// MarkOverdue implements biz.InstallmentRepo.
func (p *Plans) MarkOverdue(_ context.Context, projectID int64, period int) error {
	return p.mark(projectID, period, func(it *biz.RepaymentItem) { it.Status = biz.PlanOverdue },
		func(r *biz.ReceivableItem) { r.Status = biz.ReceivableOverdue })
}

func (p *Plans) mark(projectID int64, period int, plan func(*biz.RepaymentItem), recv func(*biz.ReceivableItem)) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := planKey{projectID, period}
	it, ok := p.repayments[k]
	if !ok {
		return fmt.Errorf("%w: project %d period %d", biz.ErrInstallmentNotFound, projectID, period)
	}
	plan(&it)
	p.repayments[k] = it
	for rk, r := range p.receivables {
		if r.ProjectID == projectID && r.Period == period {
			recv(&r)
			p.receivables[rk] = r
		}
	}
	return nil
}

// Attempts implements biz.InstallmentRepo.
func (p *Plans) Attempts(_ context.Context, projectID int64, period int) ([]biz.Attempt, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []biz.Attempt
	for _, a := range p.attempts {
		if a.ProjectID == projectID && a.Period == period {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b biz.Attempt) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(p.created[a.RequestNo], p.created[b.RequestNo]))
	})
	return out, nil
}

// Attempt implements biz.InstallmentRepo.
func (p *Plans) Attempt(_ context.Context, requestNo string) (biz.Attempt, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.attempts[requestNo]
	if !ok {
		return biz.Attempt{}, fmt.Errorf("%w: %s", biz.ErrAttemptNotFound, requestNo)
	}
	return a, nil
}

// CreateAttempt implements biz.InstallmentRepo.
func (p *Plans) CreateAttempt(_ context.Context, a biz.Attempt) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.attempts[a.RequestNo]; ok {
		return fmt.Errorf("duplicate request number %s", a.RequestNo)
	}
	p.attempts[a.RequestNo] = a
	p.created[a.RequestNo] = len(p.created) + 1
	return nil
}

// UpdateAttempt implements biz.InstallmentRepo.
func (p *Plans) UpdateAttempt(_ context.Context, a biz.Attempt) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	cur, ok := p.attempts[a.RequestNo]
	if !ok {
		return fmt.Errorf("%w: %s", biz.ErrAttemptNotFound, a.RequestNo)
	}
	// Only what the column list of the ent adapter writes changes.
	cur.Status, cur.Claims, cur.RunID, cur.FailureReason, cur.SettledBy, cur.UpdatedAt =
		a.Status, a.Claims, a.RunID, a.FailureReason, a.SettledBy, a.UpdatedAt
	p.attempts[a.RequestNo] = cur
	return nil
}
