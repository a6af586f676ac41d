// Command bench-repay measures repayment execution against the running local stack: one
// project funded by many tenders (1,000 by default) is loaned, and one repayment run as of
// its first due date executes that installment — the bank moves the money in one local
// transaction (borrower → every investor and the fee account), then repayment marks the
// installment and its receivable rows in one local transaction that submits the DTM
// two-phase message. It prints the run's wall time, installments/s and receivable rows/s,
// and checks the outcome (REPAID, every receivable RECEIVED); it asserts no timing.
//
//	go run ./cmd/bench-repay -tenders 1000 -periods 12     (from test/)
//
// It sets the run up with test/cmd/internal/bench, as bench-plan does, through the public
// APIs with test/driver; afterwards the platform's rows of the users and the project are
// removed (-keep leaves them; the bank keeps its own).
package main

import (
	"context"
	"fmt"
	"time"

	"github.com/p2p-dtx/p2p-dtx/test/cmd/internal/bench"
	"github.com/p2p-dtx/p2p-dtx/test/driver"
)

func main() { bench.Main("bench-repay", 12, "0.12", approveAndMeasure) }

// approveAndMeasure approves the loan, waits for the plan and measures one repayment run
// as of period 1's due date.
func approveAndMeasure(ctx context.Context, r *bench.Run, tendering time.Duration) error {
	fmt.Printf("  tenders      %d placed in %s\n", r.O.Tenders, tendering.Round(time.Millisecond))
	if _, err := r.Admin.ApproveLoan(ctx, r.ProjectID); err != nil {
		return err
	}
	plan, err := waitPlan(ctx, r)
	if err != nil {
		return err
	}
	return measure(ctx, r, plan[0])
}

// measure runs the repayment as of the first due date and prints the figures.
func measure(ctx context.Context, b *bench.Run, first driver.Installment) error {
	p, admin, projectID := b.P, b.Admin, b.ProjectID
	began := time.Now()
	r, err := admin.RepaymentRun(ctx, first.DueDate)
	wall := time.Since(began)
	if err != nil {
		return err
	}
	recv, err := p.Receivables(ctx, admin.Token, projectID)
	if err != nil {
		return err
	}
	received := 0
	for _, it := range recv {
		if it.Period == 1 && it.Status == "RECEIVED" {
			received++
		}
	}
	plan, err := p.Plan(ctx, admin.Token, projectID)
	if err != nil {
		return err
	}
	if plan[0].Status != "REPAID" || received != b.O.Tenders {
		return fmt.Errorf("after the run (%+v): period 1 %s, %d of %d receivables RECEIVED", r, plan[0].Status, received, b.O.Tenders)
	}
	fmt.Printf("  run          %s as of %s: %d repaid, %d overdue, %d pending\n", r.RunID, first.DueDate, r.Repaid, r.Overdue, r.Pending)
	fmt.Printf("  wall time    %s (bank call + local transaction + two-phase message submit)\n", wall.Round(time.Millisecond))
	fmt.Printf("  installments %.2f/s\n", float64(r.Repaid)/wall.Seconds())
	fmt.Printf("  receivables  %.0f rows/s (%d rows marked RECEIVED, %d bank credits)\n",
		float64(received)/wall.Seconds(), received, b.O.Tenders)
	return nil
}

// waitPlan waits until repayment has written the whole plan.
func waitPlan(ctx context.Context, r *bench.Run) ([]driver.Installment, error) {
	var plan []driver.Installment
	err := driver.WaitFor(ctx, 2*time.Minute, func() error {
		var err error
		plan, err = r.P.Plan(ctx, r.Admin.Token, r.ProjectID)
		if err == nil && len(plan) != r.O.Periods {
			err = fmt.Errorf("%d of %d installments", len(plan), r.O.Periods)
		}
		return err
	})
	return plan, err
}
