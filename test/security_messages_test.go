package test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"

	"github.com/p2p-dtx/p2p-dtx/pkg/mq"
	"github.com/p2p-dtx/p2p-dtx/test/stack"
)

const bankNotifyTopic = "TP_BANK_NOTIFY"

// testBrokerAccount is the acceptance tests' broker account (p2p-test: Pub and Sub on
// TP_START_REPAYMENT and TP_SMOKE, Pub on TP_BANK_NOTIFY, Sub on groups CID_TEST_*).
func testBrokerAccount(t *testing.T) primitive.Credentials {
	t.Helper()
	secret := stack.Load(t)["P2P_RMQ_SECRET_TEST"]
	if secret == "" {
		t.Fatal("P2P_RMQ_SECRET_TEST missing from the run directory's secrets.env (run make up)")
	}
	return primitive.Credentials{AccessKey: "p2p-test", SecretKey: secret}
}

// newTestProducer starts a producer signed in as creds (none: anonymous).
func newTestProducer(t *testing.T, creds *primitive.Credentials) rocketmq.Producer {
	t.Helper()
	opts := []producer.Option{
		producer.WithNameServer(primitive.NamesrvAddr{stack.RocketMQNamesrv}),
		producer.WithGroupName("PID_TEST_FORGER"),
		producer.WithInstanceName("forger-" + strconv.FormatInt(time.Now().UnixNano(), 36)),
		producer.WithRetry(0),
	}
	if creds != nil {
		opts = append(opts, producer.WithCredentials(*creds))
	}
	p, err := rocketmq.NewProducer(opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shutdown(t, "forger producer", p.Shutdown) })
	return p
}

// The broker runs with ACL and consumers check who wrote a message (README "Security
// model"): a client without an account, or with an account that may not publish on a
// topic, cannot send to it; a message that an allowed account sends without the
// producer's signature is dropped by its consumer — no plan, no notification — and
// logged, not retried.
func TestForgedMessagesChangeNothing(t *testing.T) {
	env := stack.Load(t)
	forgedProject := 900000000 + time.Now().UnixNano()%99999999
	body := []byte(fmt.Sprintf(`{"projectId":"%d","borrowerId":"1","principal":"1000.00","borrowerRate":"0.12",`+
		`"investorRate":"0.10","periods":3,"loanedAt":"2026-01-01T00:00:00Z","tenders":[{"tenderId":"1","investorId":"2","amount":"1000.00"}]}`,
		forgedProject))
	send := func(p rocketmq.Producer, topic string, keys string) (*primitive.SendResult, error) {
		m := primitive.NewMessage(topic, body)
		m.WithKeys([]string{keys})
		m.WithTag("RESULT")
		m.WithProperty("platformNo", "P2PDTX")
		m.WithProperty(mq.PropertySignature, "0badc0de")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return p.SendSync(ctx, m)
	}

	t.Run("no account, or one without Pub on the topic", func(t *testing.T) {
		repayment := primitive.Credentials{AccessKey: "repayment", SecretKey: env["P2P_RMQ_SECRET_REPAYMENT"]}
		wrongSecret := primitive.Credentials{AccessKey: "trade-center", SecretKey: "not-the-secret"}
		for name, creds := range map[string]*primitive.Credentials{"anonymous": nil, "repayment (Sub only)": &repayment, "a wrong secret": &wrongSecret} {
			p := newTestProducer(t, creds)
			for _, topic := range []string{startRepaymentTopic, bankNotifyTopic} {
				if res, err := send(p, topic, "FORGED"); err == nil {
					t.Errorf("%s: send to %s accepted: %v", name, topic, res)
				}
			}
		}
	})

	testAccount := testBrokerAccount(t)
	p := newTestProducer(t, &testAccount)

	t.Run("a start-repayment message trade-center did not sign", func(t *testing.T) {
		dropped := func() float64 {
			return counterSum(scrape(t, stack.HTTP("repayment")), "p2p_messages_dropped_total", map[string]string{"topic": startRepaymentTopic})
		}
		before := dropped()
		res, err := send(p, startRepaymentTopic, fmt.Sprintf("PROJECT_%d", forgedProject))
		if err != nil {
			t.Fatalf("the test account's send: %v", err)
		}
		stack.Eventually(t, 30*time.Second, func() error {
			if len(logLines(t, env, "repayment", "dropped a message that fails the signature check", "msg_id="+res.MsgID)) == 0 {
				return fmt.Errorf("repayment has not dropped %s yet", res.MsgID)
			}
			return nil
		})
		if after := dropped(); after < before+1 {
			t.Errorf("repayment's p2p_messages_dropped_total{topic=%q}: %v before, %v after the drop", startRepaymentTopic, before, after)
		}
		if n, m := planRows(t, env, strconv.FormatInt(forgedProject, 10)); n != 0 || m != 0 {
			t.Fatalf("the forged message wrote %d repayment and %d receivable rows", n, m)
		}
	})

	t.Run("a bank result the bank did not sign", func(t *testing.T) {
		requestNo := fmt.Sprintf("REQ-FORGED-%d", time.Now().UnixNano())
		res, err := send(p, bankNotifyTopic, requestNo)
		if err != nil {
			t.Fatalf("the test account's send: %v", err)
		}
		stack.Eventually(t, 30*time.Second, func() error {
			if len(logLines(t, env, "bank-custody", "dropped a message that fails the signature check", "msg_id="+res.MsgID)) == 0 {
				return fmt.Errorf("the bank's notifier has not dropped %s yet", res.MsgID)
			}
			return nil
		})
		attempts, err := platform(t).NotificationAttempts(context.Background(), requestNo)
		if err != nil {
			t.Fatal(err)
		}
		if len(attempts) != 0 {
			t.Fatalf("the bank delivered a forged result %d times: %+v", len(attempts), attempts)
		}
	})
}
