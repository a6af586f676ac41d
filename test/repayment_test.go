package test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
	"github.com/p2p-dtx/p2p-dtx/test/driver"
	"github.com/p2p-dtx/p2p-dtx/test/stack"
)

// Repayment execution (DESIGN.md "Repayment execution"): a run takes every installment due
// and not REPAID; the bank moves the money in one local transaction of its own (borrower →
// investors and the platform's fee account) by one request number per attempt, and a DTM
// two-phase message from repayment's local transaction tells trade-center, which marks the
// project FINISHED after its last period. Fault points are process-wide, so the subtests
// run one after another.

func TestRepayment(t *testing.T) {
	w := newMoneyWorld(t)
	t.Run("EveryPeriodRepaidFinishesTheProject", func(t *testing.T) { repayEveryPeriod(t, w) })
	t.Run("ShortBorrowerIsOverdueUntilRecharged", func(t *testing.T) { repayShortBorrower(t, w) })
	t.Run("LostBankAnswerIsSettledByQuery", func(t *testing.T) { repayLostAnswer(t, w) })
	t.Run("TwoRunsAtOncePayOnce", func(t *testing.T) { repayTwoRunsAtOnce(t, w) })
	t.Run("FailedLocalTxSendsNoMessage", func(t *testing.T) { repayLocalTxFails(t, w) })
	t.Run("LostSubmitIsDecidedByCheckBack", func(t *testing.T) { repayLostSubmit(t, w) })
	t.Run("RunsNeedTheAdminAndADate", func(t *testing.T) { repayRunsGuarded(t, w) })
	t.Run("CrashAfterTheBankPaidIsSettledByQuery", func(t *testing.T) { repayCrashAfterBank(t, w) })
	w.conserved(t)
}

// run executes a repayment run as of asOf and fails the test on an error answer.
func (w *moneyWorld) run(t *testing.T, asOf string) driver.Run {
	t.Helper()
	r, err := w.admin.RepaymentRun(context.Background(), asOf)
	must(t, err)
	return r
}

// runUntilRepaid runs the repayment as of due again until the project's period 1 is
// REPAID: a run that could not know the bank's answer leaves it to the next run's query.
func (w *moneyWorld) runUntilRepaid(t *testing.T, id, due string) {
	t.Helper()
	must(t, driver.WaitFor(context.Background(), 30*time.Second, func() error {
		if it := w.installment(t, id, 1); it.Status != "REPAID" {
			w.run(t, due)
			return fmt.Errorf("period 1 is %s", it.Status)
		}
		return nil
	}))
}

// installment re-reads one period of the project's plan.
func (w *moneyWorld) installment(t *testing.T, id string, period int) driver.Installment {
	t.Helper()
	plan, err := w.p.Plan(context.Background(), w.admin.Token, id)
	must(t, err)
	for _, it := range plan {
		if it.Period == period {
			return it
		}
	}
	t.Fatalf("project %s has no period %d", id, period)
	return driver.Installment{}
}

// receivablesOf are the project's receivable rows of one period.
func (w *moneyWorld) receivablesOf(t *testing.T, id string, period int) []driver.Receivable {
	t.Helper()
	all, err := w.p.Receivables(context.Background(), w.admin.Token, id)
	must(t, err)
	var out []driver.Receivable
	for _, r := range all {
		if r.Period == period {
			out = append(out, r)
		}
	}
	return out
}

// bankRepayments counts the bank's successful repayment requests of the project's period,
// and all its repayment requests: an installment is paid at most once whatever happens.
func (w *moneyWorld) bankRepayments(t *testing.T, projectNo string, period int) (succeeded, all int) {
	t.Helper()
	db := w.env.Inspect(t, "bank_custody")
	err := db.QueryRow(`SELECT COALESCE(SUM(status = 'SUCCESS'), 0), COUNT(*) FROM bank_request
		WHERE service_name = 'REPAY' AND JSON_VALUE(payload, '$.projectNo') = ? AND JSON_VALUE(payload, '$.period') = ?`,
		projectNo, period).Scan(&succeeded, &all)
	must(t, err)
	return succeeded, all
}

func (w *moneyWorld) bankProjectNo(t *testing.T, id string) string {
	t.Helper()
	var no string
	must(t, w.env.Inspect(t, "trade_center").QueryRow("SELECT bank_project_no FROM project WHERE id = ?", id).Scan(&no))
	return no
}

// installmentsRecorded is how many installments trade-center has recorded for the project
// (its side of the two-phase message).
func (w *moneyWorld) installmentsRecorded(t *testing.T, id string, period int) int {
	t.Helper()
	var n int
	must(t, w.env.Inspect(t, "trade_center").QueryRow("SELECT COUNT(*) FROM project_installment WHERE project_id = ? AND period = ?", id, period).Scan(&n))
	return n
}

// paid checks that the project's period is REPAID with every receivable RECEIVED, paid
// at the bank exactly once and recorded by trade-center exactly once.
func (w *moneyWorld) paid(t *testing.T, l loan, period int) {
	t.Helper()
	it := w.installment(t, l.id, period)
	if it.Status != "REPAID" || it.RepaidAt == "" {
		t.Errorf("period %d: %+v, want REPAID with repaidAt", period, it)
	}
	for _, r := range w.receivablesOf(t, l.id, period) {
		if r.Status != "RECEIVED" || r.ReceivedAt == "" {
			t.Errorf("period %d receivable of tender %s: %+v, want RECEIVED with receivedAt", period, r.TenderID, r)
		}
	}
	if ok, _ := w.bankRepayments(t, w.bankProjectNo(t, l.id), period); ok != 1 {
		t.Errorf("period %d was paid %d times at the bank, want once", period, ok)
	}
	must(t, driver.WaitFor(context.Background(), 30*time.Second, func() error {
		if n := w.installmentsRecorded(t, l.id, period); n != 1 {
			return fmt.Errorf("trade-center recorded period %d of project %s %d times", period, l.id, n)
		}
		return nil
	}))
}

// received sums what each of the loan's investors receives in the given periods.
func received(l loan, periods ...int) map[string]money.Amount {
	in := map[int]bool{}
	for _, p := range periods {
		in[p] = true
	}
	out := map[string]money.Amount{}
	for _, r := range l.recv {
		if in[r.Period] {
			out[r.InvestorID] = out[r.InvestorID].Add(money.MustParseAmount(r.Amount))
		}
	}
	return out
}

func repayEveryPeriod(t *testing.T, w *moneyWorld) {
	borrower, investors := w.people(t, 2, "5000.00", "100.00")
	l := w.lend(t, borrower, investors, []string{"600.00", "400.00"}, 2)
	before := w.accounts(t, append([]*driver.User{borrower}, investors...)...)
	fee := w.feeBalance(t)
	var installments, commission money.Amount
	for _, it := range l.plan {
		r := w.run(t, it.DueDate)
		if r.RunID == "" || r.Repaid < 1 {
			t.Fatalf("run as of %s: %+v, want period %d repaid", it.DueDate, r, it.Period)
		}
		w.paid(t, l, it.Period)
		installments = installments.Add(money.MustParseAmount(it.Amount))
		commission = commission.Add(money.MustParseAmount(it.Commission))
	}
	must(t, w.p.WaitProject(context.Background(), l.id, "FINISHED", 30*time.Second))
	after := w.accounts(t, append([]*driver.User{borrower}, investors...)...)
	wantAmount(t, "borrower's balance", after[0].Balance, money.MustParseAmount(before[0].Balance).Sub(installments))
	gets := received(l, 1, 2)
	for i, inv := range investors {
		wantAmount(t, "investor "+inv.Username+"'s balance", after[i+1].Balance, money.MustParseAmount(before[i+1].Balance).Add(gets[inv.ID]))
	}
	// Other projects' installments may fall due in the same runs, so the fee account is
	// checked against every commission the bank has paid it, and this project's part
	// against its plan.
	var paidCommission string
	must(t, w.env.Inspect(t, "bank_custody").QueryRow("SELECT COALESCE(SUM(commission), 0) FROM bank_repayment WHERE project_no = ?",
		w.bankProjectNo(t, l.id)).Scan(&paidCommission))
	wantAmount(t, "commission paid for the project", paidCommission, commission)
	if w.feeBalance(t).Cmp(fee.Add(commission)) < 0 {
		t.Errorf("fee account %s grew by less than the project's commission %s (from %s)", w.feeBalance(t), commission, fee)
	}
	w.conserved(t)
}

func repayShortBorrower(t *testing.T, w *moneyWorld) {
	ctx := context.Background()
	borrower, investors := w.people(t, 1, "5000.00", "")
	l := w.lend(t, borrower, investors, []string{"1200.00"}, 3)
	// The borrower takes the loan out of the bank, so the first installment is short.
	_, err := borrower.Withdraw(ctx, "1200.00")
	must(t, err)
	before := w.accounts(t, borrower, investors[0])
	first := l.plan[0]
	w.run(t, first.DueDate)
	if it := w.installment(t, l.id, 1); it.Status != "OVERDUE" {
		t.Fatalf("period 1 with the borrower short: %+v, want OVERDUE", it)
	}
	for _, r := range w.receivablesOf(t, l.id, 1) {
		if r.Status != "OVERDUE" {
			t.Errorf("receivable with the borrower short: %+v, want OVERDUE", r)
		}
	}
	if after := w.accounts(t, borrower, investors[0]); after[0] != before[0] || after[1] != before[1] {
		t.Errorf("money moved on a refused installment: %+v → %+v", before, after)
	}
	if ok, _ := w.bankRepayments(t, w.bankProjectNo(t, l.id), 1); ok != 0 {
		t.Errorf("a refused installment was paid %d times", ok)
	}
	must(t, borrower.Recharge(ctx, first.Amount))
	w.run(t, first.DueDate)
	w.paid(t, l, 1)
	_, attempts := w.bankRepayments(t, w.bankProjectNo(t, l.id), 1)
	if attempts < 2 {
		t.Errorf("the bank saw %d attempts, want a new request number after the refusal", attempts)
	}
	wantAmount(t, "borrower after repaying", w.accounts(t, borrower)[0].Balance, money.Amount{})
	w.conserved(t)
}

func repayLostAnswer(t *testing.T, w *moneyWorld) {
	borrower, investors := w.people(t, 1, "5000.00", "")
	l := w.lend(t, borrower, investors, []string{"800.00"}, 2)
	armFault(t, bankURL, "bank.repay.lost", 1, 0)
	due := l.plan[0].DueDate
	first := w.run(t, due)
	// The bank committed but the answer never came: the run cannot know, so the
	// installment waits to be settled by a query of the same request number.
	if first.Repaid == 0 {
		w.run(t, due)
	}
	w.runUntilRepaid(t, l.id, due)
	w.paid(t, l, 1)
	if _, attempts := w.bankRepayments(t, w.bankProjectNo(t, l.id), 1); attempts != 1 {
		t.Errorf("the bank got %d repayment requests for period 1, want 1 (the lost answer is settled by query)", attempts)
	}
	wantAmount(t, "investor's balance", w.accounts(t, investors[0])[0].Balance,
		money.MustParseAmount("4200.00").Add(received(l, 1)[investors[0].ID]))
}

func repayTwoRunsAtOnce(t *testing.T, w *moneyWorld) {
	borrower, investors := w.people(t, 2, "5000.00", "")
	l := w.lend(t, borrower, investors, []string{"500.00", "700.00"}, 2)
	due := l.plan[0].DueDate
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := w.admin.RepaymentRun(context.Background(), due); err != nil {
				t.Errorf("concurrent run: %v", err)
			}
		}()
	}
	wg.Wait()
	w.runUntilRepaid(t, l.id, due)
	w.paid(t, l, 1)
	if _, attempts := w.bankRepayments(t, w.bankProjectNo(t, l.id), 1); attempts != 1 {
		t.Errorf("four runs at once sent %d repayment requests, want 1", attempts)
	}
	gets := received(l, 1)
	after := w.accounts(t, investors...)
	wantAmount(t, "first investor", after[0].Balance, money.MustParseAmount("4500.00").Add(gets[investors[0].ID]))
	wantAmount(t, "second investor", after[1].Balance, money.MustParseAmount("4300.00").Add(gets[investors[1].ID]))
}

func repayLocalTxFails(t *testing.T, w *moneyWorld) {
	borrower, investors := w.people(t, 1, "5000.00", "")
	l := w.lend(t, borrower, investors, []string{"900.00"}, 2)
	armFault(t, stack.HTTP("repayment"), "repay.localtx.fail", 1, 0)
	due := l.plan[0].DueDate
	w.run(t, due)
	// The bank has paid, but repayment's local transaction failed: no message, nothing
	// marked, trade-center knows nothing.
	if it := w.installment(t, l.id, 1); it.Status == "REPAID" {
		t.Fatalf("period 1 is REPAID although its local transaction failed")
	}
	stack.Consistently(t, 3*time.Second, func() error {
		if n := w.installmentsRecorded(t, l.id, 1); n != 0 {
			return fmt.Errorf("trade-center recorded period 1 without a committed local transaction")
		}
		return nil
	})
	w.run(t, due) // settles the attempt by query: the bank says SUCCESS
	w.paid(t, l, 1)
	if _, attempts := w.bankRepayments(t, w.bankProjectNo(t, l.id), 1); attempts != 1 {
		t.Errorf("the bank got %d repayment requests, want 1", attempts)
	}
}

func repayLostSubmit(t *testing.T, w *moneyWorld) {
	borrower, investors := w.people(t, 1, "5000.00", "")
	l := w.lend(t, borrower, investors, []string{"700.00"}, 2)
	armFault(t, stack.HTTP("repayment"), "repay.submit.lost", 1, 0)
	w.run(t, l.plan[0].DueDate)
	// The local transaction committed, the submit never reached DTM: DTM's check-back
	// finds repayment's barrier row and delivers the message, exactly once.
	if it := w.installment(t, l.id, 1); it.Status != "REPAID" {
		t.Fatalf("period 1 after a lost submit: %+v, want REPAID (the local transaction committed)", it)
	}
	w.paid(t, l, 1)
}

func repayRunsGuarded(t *testing.T, w *moneyWorld) {
	ctx := context.Background()
	investor, err := w.p.Register(ctx, driver.NewUser{Role: "INVESTOR"})
	must(t, err)
	w.forget(t, investor)
	url := w.p.Repayment + "/v1/repayment-runs"
	for _, c := range []struct {
		token, asOf string
		status      int
	}{
		{"", "2027-01-01", http.StatusUnauthorized},
		{investor.Token, "2027-01-01", http.StatusForbidden},
		{w.admin.Token, "2027-13-01", http.StatusBadRequest},
		{w.admin.Token, "", http.StatusBadRequest},
	} {
		err := w.p.Call(ctx, http.MethodPost, url, c.token, map[string]string{"asOf": c.asOf}, nil)
		if driver.Status(err) != c.status {
			t.Errorf("run as of %q with token %.8q: %v, want HTTP %d", c.asOf, c.token, err, c.status)
		}
	}
}
