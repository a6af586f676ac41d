package data

import (
	"context"
	"fmt"
	"os"
	"sync"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/mq"
	"github.com/p2p-dtx/p2p-dtx/pkg/telemetry"
)

// The bank's internal notification topic and its groups (docs/custody-protocol.md).
const (
	NotifyTopic         = "TP_BANK_NOTIFY"
	NotifyProducerGroup = "PID_BANK_NOTIFY"
	NotifierGroup       = "CID_BANK_NOTIFIER"
	// NotifyTag marks result messages; the notifier subscribes to this tag only.
	NotifyTag = "RESULT"
	// TopicInitTag marks the message EnsureTopic sends so that the broker creates the
	// topic; the notifier never sees it (the broker filters by tag).
	TopicInitTag = "TOPIC_INIT"
	// PropertyPlatformNo names the platform to notify; the body is the platform's JSON.
	PropertyPlatformNo = "platformNo"
)

// Publisher sends request results to TP_BANK_NOTIFY. It is started and shut down by the
// poller's server, so it lives exactly as long as the app runs.
type Publisher struct {
	nameServers []string
	creds       primitive.Credentials
	signer      *mq.Signer
	mu          sync.Mutex
	producer    rocketmq.Producer
}

// NewPublisher returns a publisher on the configured name servers, signed in as the
// bank's broker account and signing with the bank's own key (pkg/mq auth.go); Start
// connects it.
func NewPublisher(c *conf.Bootstrap) (*Publisher, error) {
	ns := c.GetRocketmq().GetNameServers()
	if len(ns) == 0 || ns[0] == "" {
		return nil, fmt.Errorf("config rocketmq.name_servers: required")
	}
	creds, err := mq.CredentialsFromEnv()
	if err != nil {
		return nil, err
	}
	signer, err := mq.SignerFromEnv(NotifyTopic)
	if err != nil {
		return nil, err
	}
	return &Publisher{nameServers: ns, creds: creds, signer: signer}, nil
}

// NameServers are the RocketMQ name servers the publisher (and the notifier) use.
func (p *Publisher) NameServers() []string { return p.nameServers }

// Credentials is the bank's broker account, the notifier's too.
func (p *Publisher) Credentials() primitive.Credentials { return p.creds }

// Signer signs the results the publisher sends and checks those the notifier receives:
// only the bank's own publisher can have written a message the notifier delivers.
func (p *Publisher) Signer() *mq.Signer { return p.signer }

// Start creates and starts the producer.
func (p *Publisher) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.producer != nil {
		return nil
	}
	prod, err := rocketmq.NewProducer(
		producer.WithGroupName(NotifyProducerGroup),
		producer.WithNsResolver(primitive.NewPassthroughResolver(p.nameServers)),
		// Its own client instance, apart from the notifier's consumer.
		producer.WithInstanceName(fmt.Sprintf("bank-custody-publisher-%d", os.Getpid())),
		producer.WithCredentials(p.creds),
		producer.WithRetry(2),
	)
	if err != nil {
		return fmt.Errorf("rocketmq producer: %w", err)
	}
	if err := prod.Start(); err != nil {
		return fmt.Errorf("start rocketmq producer: %w", err)
	}
	p.producer = prod
	return nil
}

// Shutdown stops the producer.
func (p *Publisher) Shutdown() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.producer == nil {
		return nil
	}
	err := p.producer.Shutdown()
	p.producer = nil
	return err
}

// EnsureTopic makes sure TP_BANK_NOTIFY exists before anything waits for it:
// rocketmq-client-go refuses to start a consumer of a topic without a route, and a fresh
// broker only creates a topic (autoCreateTopicEnable) when a message is sent to it. So the
// publisher sends one small message tagged TOPIC_INIT at start. On a broker where topics
// are created by operators (production) it is an ordinary message nobody subscribes to.
func (p *Publisher) EnsureTopic(ctx context.Context) error {
	p.mu.Lock()
	prod := p.producer
	p.mu.Unlock()
	if prod == nil {
		return fmt.Errorf("publisher is not started")
	}
	msg := primitive.NewMessage(NotifyTopic, []byte(`{}`))
	msg.WithTag(TopicInitTag)
	if _, err := prod.SendSync(ctx, msg); err != nil {
		return fmt.Errorf("create topic %s by sending to it: %w", NotifyTopic, err)
	}
	return nil
}

// Publish sends one result and returns once the broker stored it.
func (p *Publisher) Publish(ctx context.Context, platformNo string, n biz.Notification) error {
	body, err := EncodeNotification(n)
	if err != nil {
		return err
	}
	p.mu.Lock()
	prod := p.producer
	p.mu.Unlock()
	if prod == nil {
		return fmt.Errorf("publisher is not started")
	}
	msg := primitive.NewMessage(NotifyTopic, body)
	msg.WithKeys([]string{n.RequestNo})
	msg.WithTag(NotifyTag)
	msg.WithProperty(PropertyPlatformNo, platformNo)
	p.signer.Sign(msg, PropertyPlatformNo)
	// Published by the poller, in the trace of the call that made the request.
	ctx = telemetry.Continue(ctx, n.TraceParent)
	ctx, span := mq.StartSend(ctx, msg, telemetry.KeyRequestNo.String(n.RequestNo))
	defer span.End()
	res, err := prod.SendSync(ctx, msg)
	mq.Sent(span, res, err)
	if err != nil {
		return fmt.Errorf("send to %s: %w", NotifyTopic, err)
	}
	if res.Status != primitive.SendOK {
		return fmt.Errorf("send to %s: broker answered status %d", NotifyTopic, res.Status)
	}
	return nil
}

var _ biz.NotificationPublisher = (*Publisher)(nil)
