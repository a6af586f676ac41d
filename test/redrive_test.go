package test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"

	"github.com/p2p-dtx/p2p-dtx/pkg/mq"
	"github.com/p2p-dtx/p2p-dtx/test/stack"
)

// lendingDeadLetterIsRedriven: a start-repayment message that dead-lettered — its
// consumer failed through every retry level — comes back. The test takes a loan whose
// plan was written and whose outbox row is confirmed (so trade-center will not send the
// event again), removes the plan as if it had never been written, and puts the loan's
// real message into %DLQ%CID_START_REPAYMENT, where the broker parks a message after
// its last retry. Repayment's redriver sends it back to TP_START_REPAYMENT after a
// delay level (about 16 s on the local stack), still signed by trade-center, and the
// consumer writes the plan: once, with P2P_REDRIVES=1, counted on /metrics.
func lendingDeadLetterIsRedriven(t *testing.T, w *lendingWorld) {
	s := startSpy(t)
	id := w.fullProject(t, 3, map[int]string{0: "300.00", 1: "200.00"})
	if status, r := w.approveLoan(t, id); r.Status != http.StatusOK || status != "REPAYING" {
		t.Fatalf("approval: %v %q", r, status)
	}
	waitPlans(t, id, 30*time.Second)
	key := "PROJECT_" + id
	var original *primitive.MessageExt
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
	before := redrivenCount(t, "CID_START_REPAYMENT")

	p, err := rocketmq.NewProducer(
		producer.WithNameServer(primitive.NamesrvAddr{stack.RocketMQNamesrv}),
		producer.WithCredentials(testBrokerAccount(t)),
		producer.WithGroupName("PID_TEST_DEAD_LETTER"),
		producer.WithInstanceName("lending-dead-letter-"+strconv.FormatInt(time.Now().UnixNano(), 36)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer shutdown(t, "producer", p.Shutdown)
	dead := primitive.NewMessage(mq.DLQ("CID_START_REPAYMENT"), original.Body)
	dead.WithKeys([]string{key})
	dead.WithProperty(mq.PropertySignature, original.GetProperty(mq.PropertySignature))
	dead.WithProperty(primitive.PropertyRetryTopic, startRepaymentTopic)
	res, err := p.SendSync(context.Background(), dead)
	if err != nil || res.Status != primitive.SendOK {
		t.Fatalf("park the message in the dead-letter topic: %v %v", res, err)
	}

	installments, receivables := waitPlans(t, id, 90*time.Second)
	if len(installments) != 3 || len(receivables) != 6 {
		t.Fatalf("plan after the redrive: %d repayment, %d receivable rows; want 3 and 6", len(installments), len(receivables))
	}
	stack.Eventually(t, 30*time.Second, func() error {
		if got := redrivenCount(t, "CID_START_REPAYMENT"); got < before+1 {
			return fmt.Errorf("p2p_messages_redriven_total{outcome=redriven} is %d, was %d", got, before)
		}
		return nil
	})
	lines := logLines(t, w.env, "repayment", "dead letter re-driven to its topic", "keys="+key+" ")
	if len(lines) != 1 || !strings.Contains(lines[0], "redrives=1") {
		t.Fatalf("repayment's log of the redrive of %s:\n%s", key, strings.Join(lines, "\n"))
	}
	stack.Consistently(t, 2*time.Second, func() error {
		if n, m := planRows(t, w.env, id); n != 3 || m != 6 {
			return fmt.Errorf("plan rows %d repayment, %d receivable; want 3 and 6 exactly once", n, m)
		}
		return nil
	})
}

// redrivenCount is repayment's p2p_messages_redriven_total for group's re-driven dead
// letters.
func redrivenCount(t *testing.T, group string) int {
	t.Helper()
	resp, err := http.Get(stack.HTTP("repayment") + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	text, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(text), "\n") {
		if strings.HasPrefix(line, "p2p_messages_redriven_total{") && strings.Contains(line, `group="`+group+`"`) &&
			strings.Contains(line, `outcome="redriven"`) {
			n, err := strconv.Atoi(line[strings.LastIndexByte(line, ' ')+1:])
			if err != nil {
				t.Fatalf("%q: %v", line, err)
			}
			return n
		}
	}
	return 0
}
