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
// Everything goes through the public APIs with test/driver; afterwards the platform's
// rows of the users and the project are removed (-keep leaves them; the bank keeps its own).
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
	"github.com/p2p-dtx/p2p-dtx/test/driver"
	"github.com/p2p-dtx/p2p-dtx/test/stack"
)

const tenderAmount = "100.00"

type options struct {
	tenders, periods, investors, clients int
	keep                                 bool
}

func main() {
	var o options
	flag.IntVar(&o.tenders, "tenders", 1000, "tenders in the project (100.00 each), i.e. receivable rows per installment")
	flag.IntVar(&o.periods, "periods", 12, "monthly periods of the loan")
	flag.IntVar(&o.investors, "investors", 10, "investors placing the tenders")
	flag.IntVar(&o.clients, "clients", 16, "tenders placed concurrently")
	flag.BoolVar(&o.keep, "keep", false, "keep the platform's rows of the users and the project")
	flag.Parse()
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "bench-repay:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	if o.tenders < o.investors || o.investors < 1 || o.periods < 1 {
		return errors.New("need tenders ≥ investors ≥ 1 and periods ≥ 1")
	}
	p, err := driver.FromStack()
	if err != nil {
		return err
	}
	admin, err := p.Admin(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("bench-repay: %d tenders of %s from %d investors, %d periods; one repayment run as of period 1's due date\n",
		o.tenders, tenderAmount, o.investors, o.periods)
	borrower, investors, err := people(ctx, p, o)
	if err != nil {
		return err
	}
	var projectID string
	if !o.keep {
		defer func() {
			if err := cleanup(append(investors, borrower), projectID); err != nil {
				fmt.Fprintln(os.Stderr, "bench-repay: cleanup:", err)
			}
		}()
	}
	total := times(tenderAmount, o.tenders)
	if projectID, err = borrower.Publish(ctx, driver.NewProject{Name: "bench-repay", Amount: total.String(), AnnualRate: "0.12", Periods: o.periods}); err != nil {
		return err
	}
	if _, err := admin.Review(ctx, projectID, true); err != nil {
		return err
	}
	began := time.Now()
	if err := tender(ctx, projectID, investors, o); err != nil {
		return err
	}
	fmt.Printf("  tenders      %d placed in %s\n", o.tenders, time.Since(began).Round(time.Millisecond))
	if _, err := admin.ApproveLoan(ctx, projectID); err != nil {
		return err
	}
	plan, err := waitPlan(ctx, p, admin, projectID, o)
	if err != nil {
		return err
	}
	return measure(ctx, p, admin, projectID, plan[0], o)
}

// measure runs the repayment as of the first due date and prints the figures.
func measure(ctx context.Context, p *driver.Platform, admin *driver.Admin, projectID string, first driver.Installment, o options) error {
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
	if plan[0].Status != "REPAID" || received != o.tenders {
		return fmt.Errorf("after the run (%+v): period 1 %s, %d of %d receivables RECEIVED", r, plan[0].Status, received, o.tenders)
	}
	fmt.Printf("  run          %s as of %s: %d repaid, %d overdue, %d pending\n", r.RunID, first.DueDate, r.Repaid, r.Overdue, r.Pending)
	fmt.Printf("  wall time    %s (bank call + local transaction + two-phase message submit)\n", wall.Round(time.Millisecond))
	fmt.Printf("  installments %.2f/s\n", float64(r.Repaid)/wall.Seconds())
	fmt.Printf("  receivables  %.0f rows/s (%d rows marked RECEIVED, %d bank credits)\n",
		float64(received)/wall.Seconds(), received, o.tenders)
	return nil
}

// times is n × a, exact.
func times(a string, n int) money.Amount {
	s := money.Amount{}
	for range n {
		s = s.Add(money.MustParseAmount(a))
	}
	return s
}

// people registers the borrower and the investors and funds the investors.
func people(ctx context.Context, p *driver.Platform, o options) (*driver.User, []*driver.User, error) {
	per := (o.tenders + o.investors - 1) / o.investors
	funds := times(tenderAmount, per).String()
	users := make([]*driver.User, o.investors+1)
	errs := make([]error, len(users))
	var wg sync.WaitGroup
	for i := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			role := "INVESTOR"
			if i == 0 {
				role = "BORROWER"
			}
			u, err := p.Register(ctx, driver.NewUser{Role: role})
			if err == nil {
				err = u.OpenCustody(ctx)
			}
			if err == nil && i > 0 {
				err = u.Recharge(ctx, funds)
			}
			users[i], errs[i] = u, err
		}()
	}
	wg.Wait()
	return users[0], users[1:], errors.Join(errs...)
}

// tender places o.tenders tenders round-robin over the investors from o.clients clients.
func tender(ctx context.Context, projectID string, investors []*driver.User, o options) error {
	var next atomic.Int64
	errs := make([]error, o.clients)
	var wg sync.WaitGroup
	for c := range o.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(o.tenders) {
					return
				}
				if _, err := investors[i%int64(len(investors))].Tender(ctx, projectID, tenderAmount); err != nil {
					errs[c] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func waitPlan(ctx context.Context, p *driver.Platform, admin *driver.Admin, projectID string, o options) ([]driver.Installment, error) {
	var plan []driver.Installment
	err := driver.WaitFor(ctx, 2*time.Minute, func() error {
		var err error
		plan, err = p.Plan(ctx, admin.Token, projectID)
		if err == nil && len(plan) != o.periods {
			err = fmt.Errorf("%d of %d installments", len(plan), o.periods)
		}
		return err
	})
	return plan, err
}

// cleanup removes the platform's rows of the users and the project with the stack's
// inspection login.
func cleanup(users []*driver.User, projectID string) error {
	env, err := stack.ReadRunDir()
	if err != nil {
		return err
	}
	open := func(db string) (*sql.DB, error) {
		cfg := mysql.NewConfig()
		cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = "p2p_inspect", env["P2P_INSPECT_PASSWORD"], "tcp", env.MySQLAddr(), db
		return sql.Open("mysql", cfg.FormatDSN())
	}
	var errs []error
	exec := func(db string, queries []string, arg any) {
		conn, err := open(db)
		if err != nil {
			errs = append(errs, err)
			return
		}
		defer conn.Close()
		for _, q := range queries {
			if _, err := conn.Exec(q, arg); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", q, err))
			}
		}
	}
	if projectID != "" {
		exec("repayment", []string{"DELETE FROM receivable_plan WHERE project_id = ?", "DELETE FROM repayment_plan WHERE project_id = ?",
			"DELETE FROM repayment_attempt WHERE project_id = ?"}, projectID)
		exec("trade_center", []string{"DELETE FROM project_installment WHERE project_id = ?", "DELETE FROM tender WHERE project_id = ?",
			"DELETE FROM loan_message WHERE project_id = ?", "DELETE FROM project WHERE id = ?"}, projectID)
	}
	for _, u := range users {
		if u == nil {
			continue
		}
		exec("user_center", []string{"DELETE FROM custody_request WHERE user_id = ?", "DELETE FROM recharge_record WHERE user_id = ?"}, u.ID)
		exec("user_center", []string{"DELETE FROM consumer WHERE username = ?"}, u.Username)
		exec("unified_account", []string{"DELETE FROM account WHERE username = ?"}, u.Username)
	}
	return errors.Join(errs...)
}
