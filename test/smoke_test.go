package test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/p2p-dtx/p2p-dtx/test/stack"
)

// TestSmoke checks the local stack is whole: every service healthy over HTTP and gRPC, DTM
// hands out gids, a RocketMQ message goes through a topic, and every schema is migrated.
func TestSmoke(t *testing.T) {
	env := stack.Load(t)

	t.Run("services", func(t *testing.T) {
		for _, svc := range stack.Services {
			t.Run(svc.Name, func(t *testing.T) {
				t.Parallel()
				resp, err := http.Get(svc.HTTP + "/healthz")
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var rep struct {
					Status string            `json:"status"`
					Checks map[string]string `json:"checks"`
				}
				if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
					t.Fatal(err)
				}
				if resp.StatusCode != http.StatusOK || rep.Status != "UP" || rep.Checks["database"] != "UP" {
					t.Fatalf("GET /healthz = %d %+v", resp.StatusCode, rep)
				}

				conn, err := grpc.NewClient(svc.GRPC, grpc.WithTransportCredentials(insecure.NewCredentials()))
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				hc, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
				if err != nil {
					t.Fatal(err)
				}
				if hc.GetStatus() != healthpb.HealthCheckResponse_SERVING {
					t.Fatalf("gRPC health = %v", hc.GetStatus())
				}
			})
		}
	})

	t.Run("dtm gives a new gid", func(t *testing.T) {
		t.Parallel()
		resp, err := http.Get(stack.DTMHTTP + "/newGid")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct {
			Gid       string `json:"gid"`
			DtmResult string `json:"dtm_result"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK || body.Gid == "" {
			t.Fatalf("newGid = %d %+v", resp.StatusCode, body)
		}
	})

	t.Run("rocketmq round trip", func(t *testing.T) {
		t.Parallel()
		roundTrip(t)
	})

	t.Run("schemas migrated", func(t *testing.T) {
		for _, svc := range stack.Services {
			t.Run(svc.DB, func(t *testing.T) {
				t.Parallel()
				db := env.Inspect(t, svc.DB)
				var applied int
				if err := db.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&applied); err != nil {
					t.Fatal(err)
				}
				var tables int
				if err := db.QueryRow(`SELECT COUNT(*) FROM information_schema.tables
					WHERE table_schema = ? AND table_name <> 'schema_migrations'`, svc.DB).Scan(&tables); err != nil {
					t.Fatal(err)
				}
				if applied == 0 || tables == 0 {
					t.Fatalf("%s: %d migrations applied, %d tables", svc.DB, applied, tables)
				}
			})
		}
		for db, table := range map[string]string{"dtm": "trans_global", "dtm_barrier": "barrier"} {
			t.Run(db, func(t *testing.T) {
				t.Parallel()
				var n int
				if err := env.Inspect(t, db).QueryRow(`SELECT COUNT(*) FROM information_schema.tables
					WHERE table_schema = ? AND table_name = ?`, db, table).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n != 1 {
					t.Fatalf("%s.%s missing", db, table)
				}
			})
		}
	})
}

// roundTrip sends a message with a unique body to TP_SMOKE (created, like every topic, by
// the stack's rmqacl) as the tests' broker account and waits, with a deadline, until a
// push consumer of a fresh group has received exactly that body.
func roundTrip(t *testing.T) {
	suffix := fmt.Sprint(time.Now().UnixNano())
	topic, body := "TP_SMOKE", "smoke-"+suffix
	ns := primitive.NamesrvAddr{stack.RocketMQNamesrv}

	got := make(chan string, 16)
	c, err := rocketmq.NewPushConsumer(
		consumer.WithNameServer(ns),
		consumer.WithCredentials(testBrokerAccount(t)),
		consumer.WithGroupName("CID_TEST_SMOKE_"+suffix),
		consumer.WithInstance("smoke-consumer-"+suffix),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
	)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Subscribe(topic, consumer.MessageSelector{}, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		for _, m := range msgs {
			got <- string(m.Body)
		}
		return consumer.ConsumeSuccess, nil
	})
	if err != nil {
		t.Fatal(err)
	}

	p, err := rocketmq.NewProducer(
		producer.WithNameServer(ns),
		producer.WithCredentials(testBrokerAccount(t)),
		producer.WithGroupName("PID_SMOKE"),
		producer.WithInstanceName("smoke-producer-"+suffix),
		producer.WithRetry(2),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer shutdown(t, "producer", p.Shutdown)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// Retry until the client has the topic's route.
	var res *primitive.SendResult
	stack.Eventually(t, 20*time.Second, func() error {
		var err error
		res, err = p.SendSync(ctx, primitive.NewMessage(topic, []byte(body)))
		if err == nil && res.Status != primitive.SendOK {
			err = fmt.Errorf("send status %v", res.Status)
		}
		return err
	})

	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer shutdown(t, "consumer", c.Shutdown)
	deadline := time.After(60 * time.Second)
	for {
		select {
		case b := <-got:
			if b == body {
				return
			}
		case <-deadline:
			t.Fatalf("message %q (id %s) not received within 60s", body, res.MsgID)
		}
	}
}

func shutdown(t *testing.T, what string, f func() error) {
	if err := f(); err != nil && !strings.Contains(err.Error(), "already") {
		t.Errorf("%s shutdown: %v", what, err)
	}
}
