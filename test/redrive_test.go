package test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/p2p-dtx/p2p-dtx/pkg/mq"
	"github.com/p2p-dtx/p2p-dtx/test/stack"
)

// lendingDeadLetterIsRedriven: a start-repayment message that dead-lettered — its
// consumer failed through every retry level — comes back. The loan's real message is put
// into %DLQ%CID_START_REPAYMENT after its plan was removed (loanWithoutPlan); trade-center's
// redriver sends it back to TP_START_REPAYMENT after a delay level (1 s on the local
// stack, start_repayment.redrive_delay_level), still signed by trade-center, and the consumer writes the plan: once,
// with P2P_REDRIVES=1, counted on /metrics.
func lendingDeadLetterIsRedriven(t *testing.T, w *lendingWorld) {
	id, key, original := loanWithoutPlan(t, w)
	before := redrivenCount(t, "CID_START_REPAYMENT", "redriven")
	parkDeadLetter(t, original, key, "")

	installments, receivables := waitPlans(t, id, 90*time.Second)
	if len(installments) != 3 || len(receivables) != 6 {
		t.Fatalf("plan after the redrive: %d repayment, %d receivable rows; want 3 and 6", len(installments), len(receivables))
	}
	stack.Eventually(t, 30*time.Second, func() error {
		if got := redrivenCount(t, "CID_START_REPAYMENT", "redriven"); got < before+1 {
			return fmt.Errorf("p2p_messages_redriven_total{outcome=redriven} is %d, was %d", got, before)
		}
		return nil
	})
	lines := logLines(t, w.env, "trade-center", "dead letter re-driven to its topic", "keys="+key+" ")
	if len(lines) != 1 || !strings.Contains(lines[0], "redrives=1") {
		t.Fatalf("trade-center's log of the redrive of %s:\n%s", key, strings.Join(lines, "\n"))
	}
	planOnce(t, w, id)
}

// lendingGivenUpDeadLetterIsRedrivenByTheOperator: a dead letter the redriver has given
// up on (re-driven 5 times already) stays put — no plan — until an operator's redrive
// (make redrive, POST /v1/operator/redrive with the operator token) sends it back; a
// request without the token is refused and changes nothing.
func lendingGivenUpDeadLetterIsRedrivenByTheOperator(t *testing.T, w *lendingWorld) {
	id, key, original := loanWithoutPlan(t, w)
	before := redrivenCount(t, "CID_START_REPAYMENT", "given_up")
	parkDeadLetter(t, original, key, strconv.Itoa(mq.DefaultRedriveMax))
	stack.Eventually(t, 30*time.Second, func() error {
		if got := redrivenCount(t, "CID_START_REPAYMENT", "given_up"); got < before+1 {
			return fmt.Errorf("p2p_messages_redriven_total{outcome=given_up} is %d, was %d", got, before)
		}
		return nil
	})
	if n, m := planRows(t, w.env, id); n != 0 || m != 0 {
		t.Fatalf("a given-up dead letter wrote the plan: %d repayment, %d receivable rows", n, m)
	}

	url := stack.HTTP("trade-center") + "/v1/operator/redrive"
	if res, err := http.Post(url, "application/json", nil); err != nil || res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("redrive without the operator token: %v %v, want 401", res, err)
	}
	req, err := http.NewRequest(http.MethodPost, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-P2P-Operator-Token", w.env["P2P_OPERATOR_TOKEN"])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var report mq.RedriveReport
	if err := json.NewDecoder(res.Body).Decode(&report); err != nil || res.StatusCode != http.StatusOK || report.Sent < 1 ||
		report.Read < report.Sent {
		t.Fatalf("operator redrive: %d %+v %v, want 200 with at least one message sent", res.StatusCode, report, err)
	}
	waitPlans(t, id, 60*time.Second)
	planOnce(t, w, id)
}

// loanWithoutPlan takes a loan whose plan was written and whose outbox row is confirmed
// (so trade-center will not send the event again), then removes the plan as if it had
// never been written. It returns the project, its message key and the loan's real
// start-repayment message as the broker delivered it.
func loanWithoutPlan(t *testing.T, w *lendingWorld) (id, key string, original *primitive.MessageExt) {
	t.Helper()
	s := startSpy(t)
	id = w.fullProject(t, 3, map[int]string{0: "300.00", 1: "200.00"})
	if status, r := w.approveLoan(t, id); r.Status != http.StatusOK || status != "REPAYING" {
		t.Fatalf("approval: %v %q", r, status)
	}
	waitPlans(t, id, 30*time.Second)
	key = "PROJECT_" + id
	stack.Eventually(t, 30*time.Second, func() error {
		if got := s.withKey(key); len(got) > 0 {
			original = got[0]
			return nil
		}
		return fmt.Errorf("the spy has not seen the message of project %s", id)
	})
	tc := w.env.Inspect(t, "trade_center")
	stack.Eventually(t, 30*time.Second, func() error {
		var confirmed int
		if err := tc.QueryRow("SELECT COUNT(*) FROM loan_message WHERE project_id = ? AND confirmed_at IS NOT NULL", id).Scan(&confirmed); err != nil {
			return err
		}
		if confirmed != 1 {
			return fmt.Errorf("the outbox has not confirmed project %s's message yet", id)
		}
		return nil
	})
	rp := w.env.Inspect(t, "repayment")
	for _, q := range []string{"DELETE FROM receivable_plan WHERE project_id = ?", "DELETE FROM repayment_plan WHERE project_id = ?"} {
		if _, err := rp.Exec(q, id); err != nil {
			t.Fatal(err)
		}
	}
	return id, key, original
}

// parkDeadLetter puts a copy of original into %DLQ%CID_START_REPAYMENT, where the broker
// parks a message after its last retry; redrives, when set, is its P2P_REDRIVES.
func parkDeadLetter(t *testing.T, original *primitive.MessageExt, key, redrives string) {
	t.Helper()
	p := testProducer(t, "PID_TEST_DEAD_LETTER", "lending-dead-letter")
	dead := primitive.NewMessage(mq.DLQ("CID_START_REPAYMENT"), original.Body)
	dead.WithKeys([]string{key})
	dead.WithProperty(mq.PropertySignature, original.GetProperty(mq.PropertySignature))
	dead.WithProperty(primitive.PropertyRetryTopic, startRepaymentTopic)
	if redrives != "" {
		dead.WithProperty(mq.PropertyRedrives, redrives)
	}
	res, err := p.SendSync(context.Background(), dead)
	if err != nil || res.Status != primitive.SendOK {
		t.Fatalf("park the message in the dead-letter topic: %v %v", res, err)
	}
}

// planOnce asserts the 3-period plan of two tenders is there exactly once.
func planOnce(t *testing.T, w *lendingWorld, id string) {
	t.Helper()
	stack.Consistently(t, 2*time.Second, func() error {
		if n, m := planRows(t, w.env, id); n != 3 || m != 6 {
			return fmt.Errorf("plan rows %d repayment, %d receivable; want 3 and 6 exactly once", n, m)
		}
		return nil
	})
}

// redrivenCount is trade-center's p2p_messages_redriven_total of group's dead letters with
// that outcome (redriven, given_up, operator).
func redrivenCount(t *testing.T, group, outcome string) int {
	t.Helper()
	return int(counterSum(scrape(t, stack.HTTP("trade-center")), "p2p_messages_redriven_total",
		map[string]string{"group": group, "outcome": outcome}))
}
