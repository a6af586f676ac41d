package test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
	"github.com/p2p-dtx/p2p-dtx/test/driver"
	"github.com/p2p-dtx/p2p-dtx/test/stack"
)

// The money-back-out scenarios (repayment, withdrawal, refunds) share this world: the
// typed driver (test/driver), the admin, the bank's signed API, and helpers that set up
// people with OPEN, funded custody accounts and loaned projects, and check the bank's
// books after each scenario.

type moneyWorld struct {
	env   stack.Env
	p     *driver.Platform
	admin *driver.Admin
	bank  *driver.Bank
}

func newMoneyWorld(t *testing.T) *moneyWorld {
	t.Helper()
	env, p := stack.Load(t), platform(t)
	admin, err := p.Admin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	bank, err := p.BankAPI()
	if err != nil {
		t.Fatal(err)
	}
	return &moneyWorld{env: env, p: p, admin: admin, bank: bank}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// people registers a borrower and investors (in parallel), opens their custody accounts
// and recharges each investor with invest and the borrower with own ("" = nothing).
func (w *moneyWorld) people(t *testing.T, investors int, invest, own string) (*driver.User, []*driver.User) {
	t.Helper()
	ctx := context.Background()
	all := make([]*driver.User, investors+1)
	errs := make([]error, len(all))
	var wg sync.WaitGroup
	for i := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			role, amount := "INVESTOR", invest
			if i == 0 {
				role, amount = "BORROWER", own
			}
			u, err := w.p.Register(ctx, driver.NewUser{Role: role})
			if err == nil {
				err = u.OpenCustody(ctx)
			}
			if err == nil && amount != "" {
				err = u.Recharge(ctx, amount)
			}
			all[i], errs[i] = u, err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		must(t, err)
	}
	w.forget(t, all...)
	return all[0], all[1:]
}

// forget removes the users' platform rows when the test ends (the bank keeps its own:
// it is an external system, and its books must keep adding up).
func (w *moneyWorld) forget(t *testing.T, users ...*driver.User) {
	ua, uc := w.env.Inspect(t, "unified_account"), w.env.Inspect(t, "user_center")
	t.Cleanup(func() {
		for _, u := range users {
			if u == nil {
				continue
			}
			for _, q := range []string{"DELETE FROM custody_request WHERE user_id = ?", "DELETE FROM recharge_record WHERE user_id = ?"} {
				if _, err := uc.Exec(q, u.ID); err != nil {
					t.Errorf("cleanup: %v", err)
				}
			}
			if _, err := uc.Exec("DELETE FROM consumer WHERE username = ?", u.Username); err != nil {
				t.Errorf("cleanup: %v", err)
			}
			if _, err := ua.Exec("DELETE FROM account WHERE username = ?", u.Username); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
	})
}

// loan is a project that was filled and loaned, with its plans.
type loan struct {
	id        string
	borrower  *driver.User
	investors []*driver.User
	plan      []driver.Installment
	recv      []driver.Receivable
}

// lend publishes a project of Σ amounts for the borrower, fills it with one tender per
// investor, approves the loan and waits for the plans.
func (w *moneyWorld) lend(t *testing.T, borrower *driver.User, investors []*driver.User, amounts []string, periods int) loan {
	t.Helper()
	ctx := context.Background()
	id := w.collecting(t, borrower, investors, amounts, periods)
	if st, err := w.admin.ApproveLoan(ctx, id); err != nil || st != "REPAYING" {
		t.Fatalf("approve loan %s: %s %v", id, st, err)
	}
	l := loan{id: id, borrower: borrower, investors: investors}
	must(t, driver.WaitFor(ctx, 30*time.Second, func() error {
		var err error
		if l.plan, err = w.p.Plan(ctx, w.admin.Token, id); err != nil {
			return err
		}
		if len(l.plan) != periods {
			return fmt.Errorf("project %s has %d of %d installments", id, len(l.plan), periods)
		}
		l.recv, err = w.p.Receivables(ctx, w.admin.Token, id)
		return err
	}))
	return l
}

// collecting publishes and opens a project of Σ amounts and tenders amounts[i] for
// investors[i]; the project is FULL when the tenders add up to it.
func (w *moneyWorld) collecting(t *testing.T, borrower *driver.User, investors []*driver.User, amounts []string, periods int) string {
	t.Helper()
	ctx := context.Background()
	total := money.Amount{}
	for _, a := range amounts {
		total = total.Add(money.MustParseAmount(a))
	}
	id, err := borrower.Publish(ctx, driver.NewProject{Name: "money " + t.Name(), Amount: total.String(), AnnualRate: "0.12", Periods: periods})
	must(t, err)
	w.forgetProject(t, id)
	if st, err := w.admin.Review(ctx, id, true); err != nil || st != "COLLECTING" {
		t.Fatalf("review %s: %s %v", id, st, err)
	}
	for i, a := range amounts {
		if tn, err := investors[i].Tender(ctx, id, a); err != nil || tn.Status != "FROZEN" {
			t.Fatalf("tender %s by investor %d: %+v %v", a, i, tn, err)
		}
	}
	return id
}

// forgetProject removes the project's rows in trade-center and repayment when the test
// ends, so later repayment runs do not find its installments.
func (w *moneyWorld) forgetProject(t *testing.T, id string) {
	tc, rp := w.env.Inspect(t, "trade_center"), w.env.Inspect(t, "repayment")
	t.Cleanup(func() {
		for _, q := range []string{"DELETE FROM receivable_plan WHERE project_id = ?", "DELETE FROM repayment_plan WHERE project_id = ?",
			"DELETE FROM repayment_attempt WHERE project_id = ?"} {
			if _, err := rp.Exec(q, id); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
		for _, q := range []string{"DELETE FROM project_installment WHERE project_id = ?", "DELETE FROM tender WHERE project_id = ?",
			"DELETE FROM loan_message WHERE project_id = ?", "DELETE FROM project WHERE id = ?"} {
			if _, err := tc.Exec(q, id); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
	})
}

// accounts reads the users' bank accounts.
func (w *moneyWorld) accounts(t *testing.T, users ...*driver.User) []driver.Account {
	t.Helper()
	out := make([]driver.Account, len(users))
	for i, u := range users {
		a, err := w.bank.Account(context.Background(), u.UserNo)
		must(t, err)
		out[i] = a
	}
	return out
}

func (w *moneyWorld) feeBalance(t *testing.T) money.Amount {
	t.Helper()
	a, err := w.bank.FeeAccount(context.Background())
	must(t, err)
	return money.MustParseAmount(a.Balance)
}

// conserved checks the bank's books: Σ balances + Σ frozen = Σ recharged − Σ withdrawn,
// to the cent, over every account (fee accounts included), and the fee account against
// the commissions paid into it.
func (w *moneyWorld) conserved(t *testing.T) {
	t.Helper()
	tot, err := w.bank.Totals(context.Background())
	must(t, err)
	held := money.MustParseAmount(tot.Balances).Add(money.MustParseAmount(tot.Frozen))
	in := money.MustParseAmount(tot.Recharged).Sub(money.MustParseAmount(tot.Withdrawn))
	if !held.Equal(in) {
		t.Errorf("the bank's books do not add up: balances %s + frozen %s = %s, recharged %s − withdrawn %s = %s",
			tot.Balances, tot.Frozen, held, tot.Recharged, tot.Withdrawn, in)
	}
	// The fee account holds exactly the commission of every installment the bank repaid
	// for this platform.
	var commission string
	must(t, w.env.Inspect(t, "bank_custody").QueryRow(`SELECT COALESCE(SUM(p.commission), 0) FROM bank_repayment p
		JOIN bank_request r ON r.request_no = p.request_no WHERE r.platform_no = 'P2PDTX'`).Scan(&commission))
	wantAmount(t, "fee account (Σ commission of the repaid installments)", w.feeBalance(t).String(), money.MustParseAmount(commission))
}

func wantAmount(t *testing.T, what string, got string, want money.Amount) {
	t.Helper()
	if !money.MustParseAmount(got).Equal(want) {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}
