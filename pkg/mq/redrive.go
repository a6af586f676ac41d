package mq

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport"

	"github.com/p2p-dtx/p2p-dtx/pkg/telemetry"
)

// A message its consumer group gave up on — every retry level answered "later" — is
// parked by the broker in the group's dead-letter topic %DLQ%<group>, and nothing reads
// that topic. A Redriver does: it consumes the dead letters (group <group>_REDRIVE) and
// sends each back to the group's topic after a delay level, so the consumer gets its
// whole retry schedule again once it has recovered. A message is re-driven at most Max
// times (property P2P_REDRIVES counts them); after that it is kept in the dead-letter
// topic, logged and counted as given up, for an operator (`make redrive`).
//
// The re-sent message is the dead letter's body with its keys, tags and the properties
// its consumer acts on (Keep: the signature and what it covers, the trace context): its
// producer's signature still holds, and a consumer that is idempotent — every consumer
// of this platform is — has one effect however often a message comes back. A redriver
// that dies after sending and before acknowledging sends that message once more.

// PropertyRedrives counts how often a message came back from the dead-letter topic.
const PropertyRedrives = "P2P_REDRIVES"

// The trace context's properties (W3C names, as StartSend writes them), carried along.
const (
	traceParent = "traceparent"
	traceState  = "tracestate"
)

// Defaults of a Redriver.
const (
	// DefaultRedriveMax bounds the re-drives of one message.
	DefaultRedriveMax = 5
	// DefaultRedriveDelayLevel is the broker's 16th delay level: 30 minutes with the
	// broker's default levels, about 16 s with the local stack's compressed ones
	// (deploy/rocketmq/broker.conf).
	DefaultRedriveDelayLevel = 16
)

// DLQ is the dead-letter topic of a consumer group.
func DLQ(group string) string { return "%DLQ%" + group }

// RedriveGroup is the consumer group that reads group's dead letters.
func RedriveGroup(group string) string { return group + "_REDRIVE" }

// Redriver is a Kratos transport.Server (see the top of this file).
type Redriver struct {
	ep         Endpoint // the consumer group's topic and group
	keep       []string
	max        int
	delayLevel int
	service    string
	creds      primitive.Credentials
	log        *log.Helper

	mu       sync.Mutex
	producer rocketmq.Producer
	consumer rocketmq.PushConsumer
}

// NewRedriver re-drives the dead letters of ep.Group back to ep.Topic, keeping the
// properties keep (besides keys and tags); service names its clients. It needs the
// service's broker account to subscribe to the dead-letter topic and publish to ep.Topic.
func NewRedriver(service string, ep Endpoint, keep []string, logger log.Logger) (*Redriver, error) {
	creds, err := CredentialsFromEnv()
	if err != nil {
		return nil, err
	}
	return &Redriver{ep: ep, keep: keep, max: DefaultRedriveMax, delayLevel: DefaultRedriveDelayLevel, service: service,
		creds: creds, log: log.NewHelper(log.With(logger, "module", "mq/redriver", "group", ep.Group))}, nil
}

// WithDelayLevel is r re-driving at delay level n (DefaultRedriveDelayLevel when n is not
// positive).
func (r *Redriver) WithDelayLevel(n int) *Redriver {
	if n > 0 {
		r.delayLevel = n
	}
	return r
}

// Start makes sure the dead-letter topic exists (the broker would create it write-only on
// the first dead letter), starts the producer, then the dead letters' consumer.
func (r *Redriver) Start(ctx context.Context) error {
	dlq := DLQ(r.ep.Group)
	if err := EnsureTopic(ctx, r.log, r.ep.NameServers, r.ep.BrokerAddr, dlq, 1); err != nil {
		return err
	}
	p, err := rocketmq.NewProducer(
		producer.WithNsResolver(primitive.NewPassthroughResolver(r.ep.NameServers)),
		producer.WithGroupName(RedriveGroup(r.ep.Group)),
		producer.WithInstanceName(InstanceName(r.service+"-redrive-producer")),
		producer.WithCredentials(r.creds),
		producer.WithRetry(2),
	)
	if err != nil {
		return fmt.Errorf("redriver of %s: %w", r.ep.Group, err)
	}
	if err := p.Start(); err != nil {
		return fmt.Errorf("redriver of %s: start the producer: %w", r.ep.Group, err)
	}
	c, err := rocketmq.NewPushConsumer(
		consumer.WithNsResolver(primitive.NewPassthroughResolver(r.ep.NameServers)),
		consumer.WithGroupName(RedriveGroup(r.ep.Group)),
		consumer.WithInstance(InstanceName(r.service+"-redrive-consumer")),
		consumer.WithCredentials(r.creds),
		consumer.WithConsumerModel(consumer.Clustering),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
		consumer.WithConsumeMessageBatchMaxSize(1),
	)
	if err == nil {
		err = c.Subscribe(dlq, consumer.MessageSelector{}, r.consume)
	}
	if err == nil {
		err = c.Start()
	}
	if err != nil {
		return errors.Join(fmt.Errorf("redriver of %s: consume %s: %w", r.ep.Group, dlq, err), p.Shutdown())
	}
	r.mu.Lock()
	r.producer, r.consumer = p, c
	r.mu.Unlock()
	r.log.Infow("msg", "dead-letter redriver started", "dlq", dlq, "topic", r.ep.Topic, "max", r.max, "delay_level", r.delayLevel)
	return nil
}

// Stop shuts the consumer down first (a message being re-sent finishes), then the producer.
func (r *Redriver) Stop(context.Context) error {
	r.mu.Lock()
	p, c := r.producer, r.consumer
	r.producer, r.consumer = nil, nil
	r.mu.Unlock()
	var err error
	if c != nil {
		err = c.Shutdown()
	}
	if p != nil {
		if perr := p.Shutdown(); err == nil {
			err = perr
		}
	}
	return err
}

// redriven counts dead letters by what the redriver did with them.
var redriven = telemetry.NewCounter("p2p_messages_redriven", "dead letters sent back to their topic (redriven) or kept (given_up), by consumer group")

func (r *Redriver) consume(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
	for _, m := range msgs {
		n, _ := strconv.Atoi(m.GetProperty(PropertyRedrives))
		if n >= r.max {
			redriven.Inc(ctx, "group", r.ep.Group, "outcome", "given_up")
			r.log.Errorw("msg", "dead letter kept: re-driven too often; an operator can send it back with make redrive",
				"msg_id", m.MsgId, "keys", m.GetKeys(), "redrives", n)
			continue
		}
		out := Redriven(m, r.ep.Topic, r.keep, n+1)
		out.WithDelayTimeLevel(r.delayLevel)
		if _, err := r.send(ctx, out); err != nil {
			r.log.Warnw("msg", "dead letter not re-driven yet", "msg_id", m.MsgId, "keys", m.GetKeys(), "err", err)
			return consumer.ConsumeRetryLater, nil
		}
		redriven.Inc(ctx, "group", r.ep.Group, "outcome", "redriven")
		r.log.Warnw("msg", "dead letter re-driven to its topic", "msg_id", m.MsgId, "keys", m.GetKeys(), "topic", r.ep.Topic,
			"redrives", n+1, "delay_level", r.delayLevel)
	}
	return consumer.ConsumeSuccess, nil
}

func (r *Redriver) send(ctx context.Context, m *primitive.Message) (*primitive.SendResult, error) {
	r.mu.Lock()
	p := r.producer
	r.mu.Unlock()
	if p == nil {
		return nil, fmt.Errorf("redriver of %s stopped", r.ep.Group)
	}
	res, err := p.SendSync(ctx, m)
	if err == nil && res.Status != primitive.SendOK {
		err = fmt.Errorf("send status %d", res.Status)
	}
	return res, err
}

// Redriven is dead letter m as a new message to topic: its body, keys, tags and the
// properties keep, with PropertyRedrives set to redrives.
func Redriven(m *primitive.MessageExt, topic string, keep []string, redrives int) *primitive.Message {
	out := primitive.NewMessage(topic, m.Body)
	if k := m.GetKeys(); k != "" {
		out.WithKeys([]string{k})
	}
	if t := m.GetTags(); t != "" {
		out.WithTag(t)
	}
	for _, p := range append(keep, traceParent, traceState) {
		if v := m.GetProperty(p); v != "" {
			out.WithProperty(p, v)
		}
	}
	out.WithProperty(PropertyRedrives, strconv.Itoa(redrives))
	return out
}

var _ transport.Server = (*Redriver)(nil)
