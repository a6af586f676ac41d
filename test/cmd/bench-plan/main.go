// Command bench-plan measures the full-loan approval → repayment plan path against the
// running local stack: a project funded by many tenders (1,000 by default) over many
// periods (36) is approved, and the command prints how long it takes from the approval
// request until the complete plan is readable through repayment's API, and how many plan
// rows per second repayment's consumer wrote (from the consumer's own log line). It
// asserts nothing.
//
//	go run ./test/cmd/bench-plan -tenders 1000 -periods 36
//
// It registers a borrower and a few investors, opens and funds their custody accounts at
// the bank (submitting the bank's gateway form as a browser would), publishes and reviews
// the project and places the tenders through trade-center, all through the public APIs
// with test/driver. Afterwards it removes the users, the project and its plans (-keep
// leaves them).
package main

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
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
	runDir                               string
	keep                                 bool
}

func main() {
	var o options
	flag.IntVar(&o.tenders, "tenders", 1000, "tenders in the project (100.00 each)")
	flag.IntVar(&o.periods, "periods", 36, "monthly periods of the loan")
	flag.IntVar(&o.investors, "investors", 10, "investors placing the tenders")
	flag.IntVar(&o.clients, "clients", 16, "tenders placed concurrently")
	flag.StringVar(&o.runDir, "run-dir", "", "the stack's run directory (default: $P2P_RUN_DIR or ./.run)")
	flag.BoolVar(&o.keep, "keep", false, "keep the users, the project and its plans")
	flag.Parse()
	if o.runDir == "" {
		o.runDir = os.Getenv("P2P_RUN_DIR")
	}
	if o.runDir == "" {
		o.runDir = ".run"
	}
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "bench-plan:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	if o.tenders < 1 || o.periods < 1 || o.investors < 1 || o.clients < 1 {
		return errors.New("-tenders, -periods, -investors and -clients must be positive")
	}
	p, err := driver.FromRunDir(o.runDir)
	if err != nil {
		return fmt.Errorf("read the stack's run directory (is the stack up? make up): %w", err)
	}
	// Enough idle connections that o.clients tendering at once do not open new ones.
	p.HTTP = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: o.clients * 2}}
	b := &bench{o: o, p: p, prefix: fmt.Sprintf("bp%d", time.Now().Unix()%100000)}
	if !o.keep {
		defer func() {
			if err := b.cleanup(filepath.Join(o.runDir, "mariadb", "mysqld.sock")); err != nil {
				fmt.Fprintln(os.Stderr, "bench-plan: cleanup:", err)
			}
		}()
	}
	admin, err := p.Admin(ctx)
	if err != nil {
		return err
	}
	borrower, investors, err := b.people(ctx)
	if err != nil {
		return err
	}
	if err := b.publish(ctx, borrower, admin); err != nil {
		return err
	}
	tendering, err := b.placeTenders(ctx, investors)
	if err != nil {
		return err
	}
	return b.approveAndReport(ctx, admin, tendering)
}

type bench struct {
	o         options
	p         *driver.Platform
	prefix    string // of every username, which cleanup removes
	projectID string
}

// times is n × a, exact (in whole cents).
func times(a string, n int) money.Amount {
	return money.FromCents(money.MustParseAmount(a).Cents() * int64(n))
}

// people registers the borrower and the investors, each with a custody account; every
// investor is recharged with what their share of the tenders needs.
func (b *bench) people(ctx context.Context) (*driver.User, []*driver.User, error) {
	o := b.o
	funds := times(tenderAmount, (o.tenders+o.investors-1)/o.investors)
	fmt.Printf("setting up: 1 borrower and %d investors with custody accounts (%s each)…\n", o.investors, funds)
	t0 := time.Now()
	borrower, err := b.person(ctx, "BORROWER", 0, "")
	if err != nil {
		return nil, nil, fmt.Errorf("borrower: %w", err)
	}
	investors := make([]*driver.User, o.investors)
	errs := make([]error, o.investors)
	var wg sync.WaitGroup
	for i := range investors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			investors[i], errs[i] = b.person(ctx, "INVESTOR", i+1, funds.String())
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	fmt.Printf("  ready in %v\n", time.Since(t0).Round(100*time.Millisecond))
	return borrower, investors, nil
}

// person registers a user named after the run's prefix, opens their custody account at
// the bank and, for an investor, recharges it with funds.
func (b *bench) person(ctx context.Context, role string, n int, funds string) (*driver.User, error) {
	username := fmt.Sprintf("%s_%d", b.prefix, n)
	u, err := b.p.Register(ctx, driver.NewUser{Username: username, Mobile: fmt.Sprintf("147%03d%05d", time.Now().Unix()%1000, n),
		Password: "bench-password", Role: role})
	if err != nil {
		return nil, fmt.Errorf("register %s: %w", username, err)
	}
	if err := u.OpenCustody(ctx); err != nil {
		return nil, fmt.Errorf("custody account of %s: %w", username, err)
	}
	if funds == "" {
		return u, nil
	}
	if err := u.Recharge(ctx, funds); err != nil {
		return nil, fmt.Errorf("recharge for %s: %w", username, err)
	}
	return u, nil
}

// publish publishes the project the tenders fill and has the admin review it.
func (b *bench) publish(ctx context.Context, borrower *driver.User, admin *driver.Admin) error {
	id, err := borrower.Publish(ctx, driver.NewProject{Name: "bench-plan " + b.prefix,
		Amount: times(tenderAmount, b.o.tenders).String(), AnnualRate: "0.15", Periods: b.o.periods})
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	b.projectID = id
	if _, err := admin.Review(ctx, id, true); err != nil {
		return fmt.Errorf("review: %w", err)
	}
	return nil
}

// placeTenders fills the project with o.tenders tenders from o.clients clients at once.
func (b *bench) placeTenders(ctx context.Context, investors []*driver.User) (time.Duration, error) {
	o := b.o
	fmt.Printf("placing %d tenders of %s in project %s (%d at a time)…\n", o.tenders, tenderAmount, b.projectID, o.clients)
	t0 := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	tenderErrs := make([]error, o.clients)
	for c := range o.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := int(next.Add(1)) - 1
				if n >= o.tenders {
					return
				}
				if _, err := investors[n%len(investors)].Tender(ctx, b.projectID, tenderAmount); err != nil {
					tenderErrs[c] = fmt.Errorf("tender %d: %w", n, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(t0), errors.Join(tenderErrs...)
}

// approveAndReport approves the loan, waits for the complete plan and prints the figures.
func (b *bench) approveAndReport(ctx context.Context, admin *driver.Admin, tendering time.Duration) error {
	o := b.o
	fmt.Println("approving the loan…")
	start := time.Now()
	approved, err := admin.ApproveLoan(ctx, b.projectID)
	if err != nil {
		return fmt.Errorf("approve the loan: %w", err)
	}
	answered := time.Since(start)
	wantRows := o.periods * (1 + o.tenders)
	readable, err := b.waitForPlan(ctx, o.periods, o.periods*o.tenders, start, 5*time.Minute)
	if err != nil {
		return err
	}
	consumer := consumerLine(filepath.Join(o.runDir, "logs", "repayment.log"), b.projectID)

	fmt.Println()
	fmt.Printf("project %s: %d tenders × %d periods = %d plan rows (%d repayment + %d receivable)\n",
		b.projectID, o.tenders, o.periods, wantRows, o.periods, o.periods*o.tenders)
	fmt.Printf("  %-44s %v (%.0f tenders/s, %d clients)\n", "tenders placed (each frozen at the bank)",
		tendering.Round(time.Millisecond), float64(o.tenders)/tendering.Seconds(), o.clients)
	fmt.Printf("  %-44s %v (%s)\n", "loan approval answered", answered.Round(time.Millisecond), approved)
	fmt.Printf("  %-44s %v\n", "approval → complete plan readable", readable.Round(time.Millisecond))
	if consumer == nil {
		fmt.Printf("  %-44s n/a (no \"repayment plans written\" line for project %s in repayment.log)\n", "consumer", b.projectID)
		return nil
	}
	fmt.Printf("  %-44s amortize %s + write %s (one transaction)\n", "consumer",
		roundDuration(consumer["amortize"]), roundDuration(consumer["write"]))
	fmt.Printf("  %-44s %s rows → %s rows/s\n", "consumer rows written", consumer["rows"], consumer["rows_per_sec"])
	return nil
}

// waitForPlan polls repayment's API every 10 ms until the borrower's plan is there, then
// reads the receivables once and checks they are complete; both are written in one
// transaction.
func (b *bench) waitForPlan(ctx context.Context, periods, receivables int, start time.Time, within time.Duration) (time.Duration, error) {
	var plan []driver.Installment
	err := stack.Poll(ctx, 10*time.Millisecond, within, func() error {
		var err error
		if plan, err = b.p.Plan(ctx, "", b.projectID); err == nil && len(plan) == 0 {
			err = errors.New("no plan yet")
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("repayment plan of project %s: %w", b.projectID, err)
	}
	if len(plan) != periods {
		return 0, fmt.Errorf("repayment plan of project %s has %d periods, want %d", b.projectID, len(plan), periods)
	}
	recv, err := b.p.Receivables(ctx, "", b.projectID)
	if err != nil {
		return 0, err
	}
	readable := time.Since(start)
	if len(recv) != receivables {
		return 0, fmt.Errorf("project %s has %d receivable rows, want %d", b.projectID, len(recv), receivables)
	}
	return readable, nil
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

// cleanup removes the benchmark's users, project and plans, as root over the socket.
func (b *bench) cleanup(socket string) error {
	cfg := mysql.NewConfig()
	// A default database, because MariaDB resolves a multi-table DELETE's alias in it.
	cfg.User, cfg.Net, cfg.Addr, cfg.DBName = "root", "unix", socket, "user_center"
	root, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return err
	}
	defer root.Close()
	ctx := context.Background()
	var errs []error
	exec := func(q string, args ...any) {
		if _, err := root.ExecContext(ctx, q, args...); err != nil {
			errs = append(errs, err)
		}
	}
	if b.projectID != "" {
		for _, q := range []string{
			"DELETE FROM trade_center.tender WHERE project_id = ?",
			"DELETE FROM trade_center.loan_message WHERE project_id = ?",
			"DELETE FROM trade_center.project WHERE id = ?",
			"DELETE FROM repayment.receivable_plan WHERE project_id = ?",
			"DELETE FROM repayment.repayment_plan WHERE project_id = ?",
		} {
			exec(q, b.projectID)
		}
	}
	like := b.prefix + `\_%`
	exec(`DELETE r FROM user_center.custody_request r JOIN user_center.consumer c ON c.id = r.user_id WHERE c.username LIKE ?`, like)
	exec(`DELETE r FROM user_center.recharge_record r JOIN user_center.consumer c ON c.id = r.user_id WHERE c.username LIKE ?`, like)
	exec("DELETE FROM user_center.consumer WHERE username LIKE ?", like)
	exec("DELETE FROM unified_account.account WHERE username LIKE ?", like)
	return errors.Join(errs...)
}
