// Command bench-plan measures the full-loan approval → repayment plan path against the
// running local stack: a project funded by many tenders (1,000 by default) over many
// periods (36) is approved, and the command prints how long it takes from the approval
// request until the complete plan is readable through repayment's API, and how many plan
// rows per second repayment's consumer wrote (from the consumer's own log line). It
// asserts nothing.
//
//	go run ./test/cmd/bench-plan -tenders 1000 -periods 36
//
// It sets the run up with test/cmd/internal/bench, as bench-repay does: a borrower and a
// few investors with custody accounts opened and funded at the bank, the project published
// and reviewed, the tenders placed through trade-center, all through the public APIs with
// test/driver. Afterwards it removes the platform's rows of the users, the project and its
// plans (-keep leaves them).
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/p2p-dtx/p2p-dtx/test/cmd/internal/bench"
	"github.com/p2p-dtx/p2p-dtx/test/driver"
	"github.com/p2p-dtx/p2p-dtx/test/stack"
)

func main() { bench.Main("bench-plan", 36, "0.15", approveAndReport) }

// approveAndReport approves the loan, waits for the complete plan and prints the figures.
func approveAndReport(ctx context.Context, r *bench.Run, tendering time.Duration) error {
	o := r.O
	fmt.Println("approving the loan…")
	start := time.Now()
	approved, err := r.Admin.ApproveLoan(ctx, r.ProjectID)
	if err != nil {
		return fmt.Errorf("approve the loan: %w", err)
	}
	answered := time.Since(start)
	wantRows := o.Periods * (1 + o.Tenders)
	visible, readBack, err := waitForPlan(ctx, r, o.Periods, o.Periods*o.Tenders, start, 5*time.Minute)
	if err != nil {
		return err
	}
	consumer := consumerLine(filepath.Join(o.RunDir, "logs", "repayment.log"), r.ProjectID)

	fmt.Println()
	fmt.Printf("project %s: %d tenders × %d periods = %d plan rows (%d repayment + %d receivable)\n",
		r.ProjectID, o.Tenders, o.Periods, wantRows, o.Periods, o.Periods*o.Tenders)
	fmt.Printf("  %-44s %v (%.0f tenders/s, %d clients)\n", "tenders placed (each frozen at the bank)",
		tendering.Round(time.Millisecond), float64(o.Tenders)/tendering.Seconds(), o.Clients)
	fmt.Printf("  %-44s %v (%s)\n", "loan approval answered", answered.Round(time.Millisecond), approved)
	fmt.Printf("  %-44s %v\n", "approval → complete plan readable", visible.Round(time.Millisecond))
	fmt.Printf("  %-44s %v (every receivable read back through the API)\n", "approval → all rows read by one client", readBack.Round(time.Millisecond))
	if consumer == nil {
		fmt.Printf("  %-44s n/a (no \"repayment plans written\" line for project %s in repayment.log)\n", "consumer", r.ProjectID)
		return nil
	}
	fmt.Printf("  %-44s amortize %s + write %s (one transaction)\n", "consumer",
		roundDuration(consumer["amortize"]), roundDuration(consumer["write"]))
	fmt.Printf("  %-44s %s rows → %s rows/s\n", "consumer rows written", consumer["rows"], consumer["rows_per_sec"])
	return nil
}

// waitForPlan polls repayment's API every 10 ms until the borrower's plan is there: the
// moment the plan became readable, since both plans commit in one transaction (the
// acceptance test TestLending/APlanIsNeverVisibleHalfWritten holds that). It then reads
// every receivable back through the API, checks the count and reports when that read
// ended too: what one client needs to fetch a 360,000-row plan, not part of writing it.
func waitForPlan(ctx context.Context, r *bench.Run, periods, receivables int, start time.Time, within time.Duration) (visible, readBack time.Duration, err error) {
	var plan []driver.Installment
	err = stack.Poll(ctx, 10*time.Millisecond, within, func() error {
		var err error
		if plan, err = r.P.Plan(ctx, r.Admin.Token, r.ProjectID); err == nil && len(plan) == 0 {
			err = errors.New("no plan yet")
		}
		return err
	})
	if err != nil {
		return 0, 0, fmt.Errorf("repayment plan of project %s: %w", r.ProjectID, err)
	}
	visible = time.Since(start)
	if len(plan) != periods {
		return 0, 0, fmt.Errorf("repayment plan of project %s has %d periods, want %d", r.ProjectID, len(plan), periods)
	}
	recv, err := r.P.Receivables(ctx, r.Admin.Token, r.ProjectID)
	if err != nil {
		return 0, 0, err
	}
	readBack = time.Since(start)
	if len(recv) != receivables {
		return 0, 0, fmt.Errorf("project %s has %d receivable rows, want %d", r.ProjectID, len(recv), receivables)
	}
	return visible, readBack, nil
}

// consumerLine returns the key=value fields of repayment's "repayment plans written" log
// line for the project, or nil.
func consumerLine(path, projectID string) map[string]string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var found map[string]string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, "repayment plans written") || !strings.Contains(line, "project_id="+projectID+" ") {
			continue
		}
		found = map[string]string{}
		for _, field := range strings.Fields(line) {
			if k, v, ok := strings.Cut(field, "="); ok {
				found[k] = v
			}
		}
	}
	return found
}

// roundDuration prints a logged duration to the millisecond.
func roundDuration(s string) string {
	d, err := time.ParseDuration(s)
	if err != nil {
		return s
	}
	return d.Round(time.Millisecond).String()
}
