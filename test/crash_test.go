package test

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/test/stack"
)

// Crash points (pkg/faults Registry.Crash): an armed point kills its service with SIGKILL
// at that exact step, as `kill -9` would. Each test below crashes one step, starts the
// service again through the stack scripts (as an operator or a supervisor would) and
// checks, black-box and against the bank's books, that everything converges within 60 s
// of the restart with no money lost or doubled. README "Failure modes and how the
// platform recovers" lists them.

// convergeWithin is how long after the restart a crashed step must have converged.
const convergeWithin = 60 * time.Second

// crashingCall makes the call that hits an armed crash point: the service dies before it
// answers, so the caller sees no HTTP status at all.
func crashingCall(t *testing.T, method, url, token string, body any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	status, err := platform(t).CallStatus(ctx, method, url, token, body, nil)
	if status != 0 || err == nil {
		t.Fatalf("%s %s answered %d %v; want the service to die before answering", method, url, status, err)
	}
}

// restartCrashed waits until svc's process is gone and starts it again with
// scripts/stack.sh up, which waits until it is healthy.
func restartCrashed(t *testing.T, svc string) time.Time {
	t.Helper()
	health := stack.HTTP(svc) + "/healthz"
	stack.Eventually(t, 30*time.Second, func() error {
		resp, err := http.Get(health)
		if err != nil {
			return nil // nothing listens: the process is gone
		}
		resp.Body.Close()
		return fmt.Errorf("%s still answers /healthz (%d)", svc, resp.StatusCode)
	})
	if err := startAgain(svc, nil); err != nil {
		t.Fatal(err)
	}
	return time.Now()
}

// startAgain starts a stopped component with scripts/stack.sh up, which returns once it
// is healthy; env (when not nil) is the environment the script runs with.
func startAgain(svc string, env []string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join("..", "scripts", "stack.sh"), "up", svc)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("start %s again: %w\n%s", svc, err, out)
	}
	return nil
}

// lendingCrashInTender crashes trade-center inside a tender, at point, and checks that
// the settler brings the tender to FROZEN after the restart, frozen once at the bank.
func lendingCrashInTender(t *testing.T, w *lendingWorld, point string) {
	inv := w.investors[3]
	id := w.publish(t, "500.00", "0.10", 3)
	w.review(t, id, true)
	before := bankBalance(t, inv.UserNo)
	armFault(t, tradeCenter.Base, point, 1, 0)
	crashingCall(t, http.MethodPost, tradeCenter.Base+"/v1/projects/"+id+"/tenders", inv.Token,
		map[string]string{"amount": "120.00", "idempotencyKey": "crash-" + id})
	restarted := restartCrashed(t, "trade-center")
	stack.Eventually(t, convergeWithin, func() error {
		if st := tenderStatuses(t, w.env, id); st["FROZEN"] != 1 || len(st) != 1 {
			return fmt.Errorf("tenders of project %s: %v", id, st)
		}
		return nil
	})
	t.Logf("tender FROZEN %v after the restart", time.Since(restarted).Round(100*time.Millisecond))
	if p := getProject(t, id); p.Raised != "120.00" {
		t.Fatalf("project after the crash: %+v, want raised 120.00", p)
	}
	if sum, n := bankFrozenFor(t, w.env, id); sum != "120.00" || n != 1 {
		t.Fatalf("bank freezes of the project: %d adding up to %s, want one of 120.00", n, sum)
	}
	if got := bankBalance(t, inv.UserNo); got.Frozen != add(before.Frozen, "120.00") || got.Balance != before.Balance {
		t.Fatalf("investor at the bank: %+v, before %+v", got, before)
	}
}

// lendingCrashAfterTransfer crashes trade-center after the bank moved the loan and
// before anything of it is recorded: the project is FULL with its loan request number.
// Nobody approves again: the restarted trade-center's loan recovery job resumes the
// approval (the bank's transfer is idempotent by the request number) — REPAYING, paid out
// once, plan written once.
func lendingCrashAfterTransfer(t *testing.T, w *lendingWorld) {
	id := w.fullProject(t, 3, map[int]string{0: "150.00", 1: "250.00"})
	borrowerBefore := bankBalance(t, w.borrower.UserNo)
	armFault(t, tradeCenter.Base, "crash.loan.after_transfer", 1, 0)
	crashingCall(t, http.MethodPost, tradeCenter.Base+"/v1/projects/"+id+"/loan", w.admin.Token, map[string]bool{"approve": true})
	restarted := restartCrashed(t, "trade-center")
	if rp, _ := waitPlans(t, id, convergeWithin); len(rp) != 3 {
		t.Fatalf("plan rows %d, want 3", len(rp))
	}
	t.Logf("plans %v after the restart", time.Since(restarted).Round(100*time.Millisecond))
	if p := getProject(t, id); p.Status != "REPAYING" {
		t.Fatalf("project %+v, want REPAYING", p)
	}
	if lines := logLines(t, w.env, "trade-center", "interrupted loan approval resumed", "project_id="+id+" "); len(lines) != 1 {
		t.Fatalf("approval of project %s resumed %d times, want once by the recovery job", id, len(lines))
	}
	if got := bankBalance(t, w.borrower.UserNo); got.Balance != add(borrowerBefore.Balance, "400.00") {
		t.Fatalf("borrower at the bank %+v, before %+v: want the loan paid out once", got, borrowerBefore)
	}
	if written := logLines(t, w.env, "repayment", "repayment plans written", "project_id="+id+" "); len(written) != 1 {
		t.Fatalf("the plans of project %s were written %d times", id, len(written))
	}
}

// lendingCrashAfterLocalTx crashes trade-center right after the loan's local transaction
// committed, before the producer tells the broker: the half message waits, the restarted
// trade-center answers the broker's check-back from loan_message (COMMIT), and the plan is
// written once.
func lendingCrashAfterLocalTx(t *testing.T, w *lendingWorld) {
	id := w.fullProject(t, 3, map[int]string{2: "200.00", 3: "100.00"})
	armFault(t, tradeCenter.Base, "crash.loan.after_localtx", 1, 0)
	crashingCall(t, http.MethodPost, tradeCenter.Base+"/v1/projects/"+id+"/loan", w.admin.Token, map[string]bool{"approve": true})
	restarted := restartCrashed(t, "trade-center")
	if rp, rc := waitPlans(t, id, convergeWithin); len(rp) != 3 || len(rc) != 6 {
		t.Fatalf("plan rows %d/%d, want 3 and 6", len(rp), len(rc))
	}
	t.Logf("plans %v after the restart", time.Since(restarted).Round(100*time.Millisecond))
	if p := getProject(t, id); p.Status != "REPAYING" {
		t.Fatalf("project %+v, want REPAYING", p)
	}
	if written := logLines(t, w.env, "repayment", "repayment plans written", "project_id="+id+" "); len(written) != 1 {
		t.Fatalf("the plans of project %s were written %d times", id, len(written))
	}
}

// lendingCrashInPlanTx crashes repayment inside the transaction that writes a project's
// plans: MariaDB rolls it back, the broker redelivers the unacknowledged message to the
// restarted consumer, and the plan is written once.
func lendingCrashInPlanTx(t *testing.T, w *lendingWorld) {
	id := w.fullProject(t, 3, map[int]string{0: "300.00", 4: "300.00"})
	armFault(t, stack.HTTP("repayment"), "crash.plan.in_tx", 1, 0)
	if status, r := w.approveLoan(t, id); r.Status != http.StatusOK || status != "REPAYING" {
		t.Fatalf("approval: %v %q", r, status)
	}
	restarted := restartCrashed(t, "repayment")
	if rp, rc := waitPlans(t, id, convergeWithin); len(rp) != 3 || len(rc) != 6 {
		t.Fatalf("plan rows %d/%d, want 3 and 6", len(rp), len(rc))
	}
	t.Logf("plans %v after the restart", time.Since(restarted).Round(100*time.Millisecond))
	if n, m := planRows(t, w.env, id); n != 3 || m != 6 {
		t.Fatalf("plan rows in the database %d/%d, want 3 and 6 exactly once", n, m)
	}
}

// User-center dies after it committed a bank notification's result and before it answered
// 200: the bank, having no answer, notifies again; the restarted user-center finds the
// request complete, changes nothing and answers 200. One SUCCESS request, one OPEN
// account.
func TestCustodyCrashAfterTheCallbackCommitted(t *testing.T) {
	env := stack.Load(t)
	c := registeredUser(t, env, "INVESTOR")
	g := c.requestAccount(t)
	armFault(t, userCenter.Base, "crash.callback.after_commit", 1, 0)
	atBank(t, g.Gateway)
	restarted := restartCrashed(t, "user-center")
	c.waitOpen(t, convergeWithin)
	stack.Eventually(t, convergeWithin, func() error {
		var answered, failed int
		for _, at := range attempts(t, g.RequestNo) {
			if at.HTTPStatus == http.StatusOK {
				answered++
			} else {
				failed++
			}
		}
		if answered != 1 || failed == 0 {
			return fmt.Errorf("notification attempts: %d answered 200, %d not; want the crashed one and one 200", answered, failed)
		}
		return nil
	})
	t.Logf("acknowledged %v after the restart", time.Since(restarted).Round(100*time.Millisecond))
	var n int
	if err := env.Inspect(t, "user_center").QueryRow(
		"SELECT COUNT(*) FROM custody_request WHERE request_no = ? AND status = 'SUCCESS'", g.RequestNo).Scan(&n); err != nil || n != 1 {
		t.Fatalf("SUCCESS rows %d, err %v", n, err)
	}
}

// Repayment dies after the bank executed an installment and before the two-phase message
// is sent: the next run finds the attempt without an outcome, asks the bank's result
// query (never sends the installment again), and records it repaid on both sides — the
// borrower debited once.
func repayCrashAfterBank(t *testing.T, w *moneyWorld) {
	borrower, investors := w.people(t, 1, "5000.00", "")
	l := w.lend(t, borrower, investors, []string{"600.00"}, 2)
	due := l.plan[0].DueDate
	armFault(t, stack.HTTP("repayment"), "crash.repay.after_bank", 1, 0)
	crashingCall(t, http.MethodPost, stack.HTTP("repayment")+"/v1/repayment-runs", w.admin.Token, map[string]string{"asOf": due})
	restartCrashed(t, "repayment")
	w.runUntilRepaid(t, l.id, due)
	w.paid(t, l, 1)
	if _, attempts := w.bankRepayments(t, w.bankProjectNo(t, l.id), 1); attempts != 1 {
		t.Errorf("the bank got %d repayment requests for period 1, want 1 (the crash is settled by query)", attempts)
	}
}
