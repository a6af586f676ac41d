// Command demo walks the whole lending lifecycle through the public API of a running
// stack, printing each step, the distributed-transaction scheme at work and what it
// guaranteed: registration, custody accounts, recharges, a loan, the first installment
// repaid, a withdrawal and a rejected project's refunds. It exits non-zero as soon as a
// step does not turn out as printed. `make demo` starts the stack and runs it; it needs
// headless Chromium for the bank's pages (scripts/ensure-chromium.sh).
//
// It drives the platform with test/driver, which takes endpoints from test/stack
// (P2P_<SERVICE>_HTTP when set, as in the compose demo container, else the run
// directory's stack.env) and keys and the admin password from P2P_KEYS_DIR /
// P2P_ADMIN_PASSWORD or the run directory (P2P_RUN_DIR, .run).
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"text/tabwriter"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
	"github.com/p2p-dtx/p2p-dtx/test/browser"
	"github.com/p2p-dtx/p2p-dtx/test/driver"
	"github.com/p2p-dtx/p2p-dtx/test/stack"
)

func main() {
	start := time.Now()
	if err := run(context.Background()); err != nil {
		fmt.Printf("\n✗ demo failed: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("\n✓ demo finished in %s\n", time.Since(start).Round(time.Second))
}

// demo is the walkthrough's cast and the platform they use.
type demo struct {
	p                    *driver.Platform
	admin                *driver.Admin
	bank                 *driver.Bank
	seq                  int64
	borrower, alice, bob *person
	projectID            string
	plan                 []driver.Installment
	recv                 []driver.Receivable
}

// person is a demo user with a label to print.
type person struct {
	*driver.User
	label string
}

func run(ctx context.Context) error {
	n, err := rand.Int(rand.Reader, big.NewInt(1e7))
	if err != nil {
		return err
	}
	p, err := driver.FromStack()
	if err != nil {
		return err
	}
	d := &demo{p: p, seq: n.Int64()}
	bctx, closeBrowser, err := browser.Start(5 * time.Minute)
	if err != nil {
		return err
	}
	defer closeBrowser()
	// The bank's pages are filled in a real (headless) browser.
	p.AtBank = func(_ context.Context, g browser.Gateway, typed map[string]string) error {
		return browser.Accept(bctx, g, typed)
	}
	for _, s := range []func(context.Context) error{
		d.register, d.openAccounts, d.recharge, d.fillProject, d.approveLoan, d.showPlan, d.showReceivables,
		d.showMoney, d.repayFirstPeriod, d.withdraw, d.refundRejected, d.checkBooks, d.showTraces,
	} {
		if err := s(ctx); err != nil {
			return err
		}
	}
	d.summary()
	return nil
}

func (d *demo) register(ctx context.Context) error {
	step("1. Registration — DTM TCC and DTM XA across user-center and unified-account")
	d.borrower = &person{label: "borrower"}
	d.alice = &person{label: "investor Alice"}
	d.bob = &person{label: "investor Bob"}
	for i, c := range []struct {
		p          *person
		name, role string
		mode       string
	}{{d.borrower, "borrower", "BORROWER", "TCC"}, {d.alice, "alice", "INVESTOR", "XA"}, {d.bob, "bob", "INVESTOR", "TCC"}} {
		u, err := d.p.Register(ctx, driver.NewUser{Username: fmt.Sprintf("demo%d_%s", d.seq, c.name),
			Mobile: fmt.Sprintf("13%d%08d", 7+i%3, d.seq), Password: "demo-password-1", Role: c.role, Mode: c.mode})
		if err != nil {
			return fmt.Errorf("register %s: %w", c.p.label, err)
		}
		c.p.User = u
		ok("%-15s %-22s %s  user %s ACTIVE in both services (gid %s)", c.p.label, u.Username, c.mode, u.ID, u.Gid)
	}
	if err := d.registerRolledBack(ctx); err != nil {
		return err
	}
	var err error
	if d.admin, err = d.p.Admin(ctx); err != nil {
		return err
	}
	if d.bank, err = d.p.BankAPI(); err != nil {
		return err
	}
	ok("everyone logged in at unified-account (and the admin, provisioned from configuration)")
	return nil
}

// registerRolledBack shows a TCC rollback through the fault point account.try.fail. A
// stack started with a production config has no fault points (404): the demo says so
// and goes on without this part.
func (d *demo) registerRolledBack(ctx context.Context) error {
	say("Now one that fails: arm unified-account's fault point account.try.fail and register.")
	err := d.p.ArmFault(ctx, d.p.UnifiedAccount, "account.try.fail", 1, 0)
	if driver.Status(err) == http.StatusNotFound {
		ok("skipped: fault points are not mounted here (faults.enabled is off, as in configs/production.yaml)")
		return nil
	}
	if err != nil {
		return fmt.Errorf("arm fault (faults.enabled must be true, P2P_OPERATOR_TOKEN set): %w", err)
	}
	_, err = d.p.Register(ctx, driver.NewUser{Username: fmt.Sprintf("demo%d_rollback", d.seq),
		Mobile: fmt.Sprintf("1360%07d", d.seq), Role: "INVESTOR"})
	if driver.Status(err) != http.StatusConflict {
		return fmt.Errorf("want the faulty registration rolled back with 409, got %v", err)
	}
	ok("409 %s — DTM called every Cancel: no user, no account, the names are free again", driver.Reason(err))
	return nil
}

func (d *demo) openAccounts(ctx context.Context) error {
	step("2. Custody accounts — best-effort notification from the bank")
	say("Each user gets a signed form from user-center, the (headless) browser carries it to the")
	say("bank's page, a custody password is typed twice, the bank answers \"Request accepted\" at once,")
	say("opens the account asynchronously and notifies user-center with a signed callback")
	say("(retried with growing intervals; a reconciliation job closes anything the notification misses).")
	for _, p := range []*person{d.borrower, d.alice, d.bob} {
		if err := p.OpenCustody(ctx); err != nil {
			return fmt.Errorf("%s at the bank: %w", p.label, err)
		}
		ok("%-15s custody OPEN, bank user %s", p.label, p.UserNo)
	}
	return nil
}

func (d *demo) recharge(ctx context.Context) error {
	step("3. Recharges — the same pattern; money lands at the bank")
	for _, r := range []struct {
		p      *person
		amount string
	}{{d.alice, "6000.00"}, {d.bob, "5000.00"}} {
		if err := r.p.Recharge(ctx, r.amount); err != nil {
			return fmt.Errorf("recharge for %s: %w", r.p.label, err)
		}
		a, err := d.bank.Account(ctx, r.p.UserNo)
		if err != nil {
			return err
		}
		ok("%-15s recharged %s → bank balance %s", r.p.label, r.amount, a.Balance)
	}
	return nil
}

func (d *demo) fillProject(ctx context.Context) error {
	step("4. A project is published, reviewed and filled by tenders")
	id, err := d.borrower.Publish(ctx, driver.NewProject{Name: fmt.Sprintf("Demo bakery oven %d", d.seq), Amount: "10000.00", AnnualRate: "0.12", Periods: 6})
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	d.projectID = id
	ok("project %s: 10000.00 at 12%% for 6 months — PENDING_REVIEW", id)
	st, err := d.admin.Review(ctx, id, true)
	if err != nil {
		return fmt.Errorf("review: %w", err)
	}
	ok("admin approved it; the bank registered it — %s", st)
	for _, t := range []struct {
		p      *person
		amount string
	}{{d.alice, "6000.00"}, {d.bob, "4000.00"}} {
		tn, err := t.p.Tender(ctx, id, t.amount)
		if err != nil {
			return fmt.Errorf("tender by %s: %w", t.p.label, err)
		}
		ok("%-15s tendered %s — tender %s %s (money frozen at the bank by request number)", t.p.label, t.amount, tn.TenderID, tn.Status)
	}
	pr, err := d.p.Project(ctx, id)
	if err != nil {
		return err
	}
	if pr.Status != "FULL" {
		return fmt.Errorf("project is %s after the tenders, want FULL", pr.Status)
	}
	ok("raised %s of %s — FULL", pr.Raised, pr.Amount)
	return nil
}

func (d *demo) approveLoan(ctx context.Context) error {
	step("5. Full-loan approval — RocketMQ transactional message")
	say("The bank moves the frozen money to the borrower; trade-center sends a half message on")
	say("TP_START_REPAYMENT, marks the project REPAYING and its tenders LOANED in one local")
	say("transaction, then commits the message (the broker checks back if it never hears).")
	st, err := d.admin.ApproveLoan(ctx, d.projectID)
	if err != nil {
		return fmt.Errorf("loan approval: %w", err)
	}
	ok("loan approved — project %s", st)
	began := time.Now()
	if err := driver.WaitFor(ctx, 30*time.Second, func() error {
		plan, err := d.p.Plan(ctx, d.borrower.Token, d.projectID)
		if err == nil && len(plan) != 6 {
			err = fmt.Errorf("%d of 6 installments", len(plan))
		}
		d.plan = plan
		return err
	}); err != nil {
		return fmt.Errorf("the repayment plan: %w", err)
	}
	ok("repayment consumed the message and wrote the plans in one local transaction (%s after approval)", time.Since(began).Round(time.Millisecond))
	return nil
}

func (d *demo) showPlan(context.Context) error {
	step("6. The borrower's repayment plan (equal installments, exact to the cent)")
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "   period\tdue\tprincipal\tinterest\tamount\tcommission\t")
	var principal money.Amount
	for _, it := range d.plan {
		fmt.Fprintf(tw, "   %d\t%s\t%s\t%s\t%s\t%s\t\n", it.Period, it.DueDate, it.Principal, it.Interest, it.Amount, it.Commission)
		principal = principal.Add(money.MustParseAmount(it.Principal))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if principal.String() != "10000.00" {
		return fmt.Errorf("plan principal sums to %s, want 10000.00", principal)
	}
	ok("principal sums to %s exactly", principal)
	return nil
}

func (d *demo) showReceivables(ctx context.Context) error {
	step("7. The investors' receivables (investors' rate = 12% − 3% commission)")
	recv, err := d.p.Receivables(ctx, d.admin.Token, d.projectID)
	if err != nil {
		return err
	}
	d.recv = recv
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "   tender\tinvestor\tperiod\tdue\tprincipal\tinterest\tamount\t")
	for _, it := range recv {
		fmt.Fprintf(tw, "   %s\t%s\t%d\t%s\t%s\t%s\t%s\t\n", it.TenderID, it.InvestorID, it.Period, it.DueDate, it.Principal, it.Interest, it.Amount)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(recv) != 12 {
		return fmt.Errorf("%d receivable rows, want 12 (2 tenders × 6 periods)", len(recv))
	}
	toInvestors := map[int]money.Amount{}
	for _, it := range recv {
		toInvestors[it.Period] = toInvestors[it.Period].Add(money.MustParseAmount(it.Amount))
	}
	for _, it := range d.plan {
		if got := toInvestors[it.Period].Add(money.MustParseAmount(it.Commission)); !got.Equal(money.MustParseAmount(it.Amount)) {
			return fmt.Errorf("period %d: investors %s + commission %s ≠ borrower %s", it.Period, toInvestors[it.Period], it.Commission, it.Amount)
		}
	}
	ok("per period: borrower's amount = investors' amounts + the platform's commission, to the cent")
	return nil
}

func (d *demo) showMoney(ctx context.Context) error {
	step("8. Where the money is now (the bank's books, signed answers)")
	return d.expectAccounts(ctx, map[*person]string{d.borrower: "10000.00", d.alice: "0.00", d.bob: "1000.00"})
}

// expectAccounts prints each person's bank account and checks its balance (nothing frozen).
func (d *demo) expectAccounts(ctx context.Context, want map[*person]string) error {
	for _, p := range []*person{d.borrower, d.alice, d.bob} {
		w, listed := want[p]
		if !listed {
			continue
		}
		a, err := d.bank.Account(ctx, p.UserNo)
		if err != nil {
			return err
		}
		if a.Balance != w || a.Frozen != "0.00" {
			return fmt.Errorf("%s at the bank: balance %s frozen %s, want %s and 0.00", p.label, a.Balance, a.Frozen, w)
		}
		ok("%-15s bank %s: balance %s, frozen %s", p.label, p.UserNo, a.Balance, a.Frozen)
	}
	return nil
}

func (d *demo) repayFirstPeriod(ctx context.Context) error {
	step("9. Repayment execution — period 1 repaid as of its due date (DTM two-phase message)")
	say("The run sends the bank one request per installment attempt; the bank debits the borrower")
	say("and credits each investor and the platform's fee account in one local transaction. Then one")
	say("local transaction in repayment marks the plan REPAID and the receivables RECEIVED and submits a")
	say("DTM two-phase message that tells trade-center (DTM checks back if the submit is lost).")
	fee, err := d.bank.FeeAccount(ctx)
	if err != nil {
		return err
	}
	first := d.plan[0]
	r, err := d.admin.RepaymentRun(ctx, first.DueDate)
	if err != nil {
		return fmt.Errorf("repayment run: %w", err)
	}
	ok("run %s as of %s: %d repaid, %d overdue, %d pending", r.RunID, first.DueDate, r.Repaid, r.Overdue, r.Pending)
	plan, err := d.p.Plan(ctx, d.borrower.Token, d.projectID)
	if err != nil {
		return err
	}
	if plan[0].Status != "REPAID" {
		return fmt.Errorf("period 1 is %s after the run, want REPAID", plan[0].Status)
	}
	ok("period 1 REPAID at %s: the borrower paid %s", plan[0].RepaidAt, first.Amount)
	gets := map[string]money.Amount{}
	for _, it := range d.recv {
		if it.Period == 1 {
			gets[it.InvestorID] = gets[it.InvestorID].Add(money.MustParseAmount(it.Amount))
		}
	}
	for _, p := range []*person{d.alice, d.bob} {
		ok("%-15s received %s", p.label, gets[p.ID])
	}
	after, err := d.bank.FeeAccount(ctx)
	if err != nil {
		return err
	}
	got := money.MustParseAmount(after.Balance).Sub(money.MustParseAmount(fee.Balance))
	if !got.Equal(money.MustParseAmount(first.Commission)) {
		return fmt.Errorf("the fee account grew by %s, want the commission %s", got, first.Commission)
	}
	ok("platform fee account %s: +%s commission → %s", after.UserNo, first.Commission, after.Balance)
	return d.expectAccounts(ctx, map[*person]string{
		d.borrower: money.MustParseAmount("10000.00").Sub(money.MustParseAmount(first.Amount)).String(),
		d.alice:    gets[d.alice.ID].String(),
		d.bob:      money.MustParseAmount("1000.00").Add(gets[d.bob.ID]).String(),
	})
}

func (d *demo) withdraw(ctx context.Context) error {
	step("10. Withdrawal — best-effort notification, the bank asks for the custody password")
	a, err := d.bank.Account(ctx, d.bob.UserNo)
	if err != nil {
		return err
	}
	no, err := d.bob.Withdraw(ctx, "500.00")
	if err != nil {
		return fmt.Errorf("withdrawal: %w", err)
	}
	b, err := d.bob.Balance(ctx)
	if err != nil {
		return err
	}
	want := money.MustParseAmount(a.Balance).Sub(money.MustParseAmount("500.00"))
	if !money.MustParseAmount(b.Balance).Equal(want) {
		return fmt.Errorf("balance of investor Bob after withdrawing 500.00 is %s, want %s", b.Balance, want)
	}
	ok("%-15s withdrew 500.00 (request %s SUCCESS, notified by the bank) → balance %s", d.bob.label, no, b.Balance)
	return nil
}

func (d *demo) refundRejected(ctx context.Context) error {
	step("11. A rejected project refunds its tenders (idempotent unfreeze per tender)")
	id, err := d.borrower.Publish(ctx, driver.NewProject{Name: fmt.Sprintf("Demo food truck %d", d.seq), Amount: "3000.00", AnnualRate: "0.12", Periods: 3})
	if err != nil {
		return err
	}
	if _, err := d.admin.Review(ctx, id, true); err != nil {
		return err
	}
	if _, err := d.bob.Tender(ctx, id, "400.00"); err != nil {
		return err
	}
	ok("project %s COLLECTING; Bob tendered 400.00 (frozen at the bank)", id)
	st, err := d.admin.RejectLoan(ctx, id)
	if err != nil {
		return fmt.Errorf("reject: %w", err)
	}
	ok("admin rejected the loan — project %s", st)
	if err := driver.WaitFor(ctx, 30*time.Second, func() error {
		a, err := d.bank.Account(ctx, d.bob.UserNo)
		if err == nil && a.Frozen != "0.00" {
			err = fmt.Errorf("investor Bob still has %s frozen", a.Frozen)
		}
		return err
	}); err != nil {
		return err
	}
	ok("the refund job unfroze Bob's tender at the bank: nothing frozen any more")
	return nil
}

func (d *demo) checkBooks(ctx context.Context) error {
	step("12. The bank's books add up (money conservation)")
	t, err := d.bank.Totals(ctx)
	if err != nil {
		return err
	}
	held := money.MustParseAmount(t.Balances).Add(money.MustParseAmount(t.Frozen))
	in := money.MustParseAmount(t.Recharged).Sub(money.MustParseAmount(t.Withdrawn))
	if !held.Equal(in) {
		return errors.New("Σ balances + Σ frozen ≠ Σ recharged − Σ withdrawn: " + held.String() + " vs " + in.String())
	}
	ok("Σ balances %s + Σ frozen %s = Σ recharged %s − Σ withdrawn %s (%d accounts)", t.Balances, t.Frozen, t.Recharged, t.Withdrawn, t.Accounts)
	return nil
}

// showTraces prints, from Jaeger, the trace of the borrower's TCC registration and of the
// loan, as make trace does (tools/tracetree; scripts/demo.sh builds it into
// $P2P_TRACETREE).
func (d *demo) showTraces(ctx context.Context) error {
	step("12. One business transaction is one trace (OpenTelemetry → Jaeger; make trace id=<id>)")
	bin := os.Getenv("P2P_TRACETREE")
	if bin == "" {
		say("(P2P_TRACETREE is not set: run the demo through make demo to see the traces)")
		return nil
	}
	for _, t := range []struct{ what, id string }{
		{"the borrower's TCC registration, gid " + d.borrower.Gid, d.borrower.Gid},
		{"the loan of project " + d.projectID + ": approval → half message → local transaction → repayment's consumer", d.projectID},
	} {
		say("%s:", t.what)
		cmd := exec.CommandContext(ctx, bin, "-wait", "20s", "-jaeger", stack.JaegerQuery, t.id)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("trace of %s: %w", t.id, err)
		}
	}
	ok("each trace holds the spans of every service it crossed, with the gid or project id on them")
	return nil
}

func (d *demo) summary() {
	step("Summary")
	say("registration    TCC and XA committed both sides; the faulty one left nothing behind")
	say("custody         3 accounts opened and 2 recharges applied exactly once from the bank's notifications")
	say("lending         tenders froze money at the bank; the loan moved it to the borrower and the")
	say("                transactional message made repayment write the plans")
	say("repayment       period 1 paid at the bank in one request; a DTM two-phase message told trade-center")
	say("money back out  a withdrawal and a rejected project's refund; the bank's books add up")
	say("Look next:")
	say("  make logs                                      every component's log (.run/logs)")
	say("  curl '%s/query?gid=<gid>'    DTM's record of a registration or repayment", stack.DTMHTTP)
	say("  make trace id=<gid|requestNo|projectId>        a transaction's trace as a tree (Jaeger: %s)", stack.JaegerQuery)
	say("  make status                                    every /metrics URL (Prometheus text)")
	say("  scripts/stack.sh mqadmin topicList             RocketMQ's topics")
}

func step(title string)      { fmt.Printf("\n== %s\n", title) }
func say(f string, a ...any) { fmt.Printf("   "+f+"\n", a...) }
func ok(f string, a ...any)  { fmt.Printf("   ✓ "+f+"\n", a...) }
