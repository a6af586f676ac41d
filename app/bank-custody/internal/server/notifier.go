package server

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport"
	"go.opentelemetry.io/otel/attribute"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data"
	"github.com/p2p-dtx/p2p-dtx/pkg/mq"
	"github.com/p2p-dtx/p2p-dtx/pkg/telemetry"
)

// NewRetrySchedule reads the notifier's retry schedule from the config.
func NewRetrySchedule(c *conf.Bootstrap) (biz.RetrySchedule, error) {
	return biz.NewRetrySchedule(c.GetNotifier().GetRetryDelayLevels())
}

// consumerRetryEvery is how often the notifier tries to start its consumer while the
// topic does not exist yet (a fresh broker creates it with the first result published).
const consumerRetryEvery = time.Second

// Notifier is the push consumer of group CID_BANK_NOTIFIER on TP_BANK_NOTIFY, as a Kratos
// server. Each message is one delivery attempt: HTTP 200 from the platform acknowledges
// it; anything else asks the broker to redeliver it after the schedule's next delay
// level, and after the last one the broker moves it to %DLQ%CID_BANK_NOTIFIER.
type Notifier struct {
	uc          *biz.DeliveryUsecase
	nameServers []string
	creds       primitive.Credentials
	signer      *mq.Signer
	log         *log.Helper

	mu       sync.Mutex
	consumer rocketmq.PushConsumer
	started  int

	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
}

// NewNotifier returns the notifier.
func NewNotifier(uc *biz.DeliveryUsecase, publisher *data.Publisher, logger log.Logger) *Notifier {
	return &Notifier{uc: uc, nameServers: publisher.NameServers(), creds: publisher.Credentials(), signer: publisher.Signer(),
		log: log.NewHelper(log.With(logger, "module", "server/notifier")), stop: make(chan struct{}), done: make(chan struct{})}
}

// Start subscribes and consumes until Stop. rocketmq-client-go refuses to start a
// consumer of a topic that has no route yet; the poller's publisher creates the topic at
// start (Publisher.EnsureTopic), and until then the notifier tries again every second.
// Messages sent meanwhile are read from the queue's start (a new group consumes from the
// first offset).
func (n *Notifier) Start(ctx context.Context) error {
	defer close(n.done)
	// Checked before the first consumer's heartbeat creates it (see below).
	retryRouted := n.routeExists(retryTopic)
	if !n.startConsuming(ctx) {
		return nil
	}
	if !retryRouted {
		// The broker creates %RETRY%CID_BANK_NOTIFIER on the consumer's first
		// heartbeat, but the client looks up routes only every 30 s, so the first
		// redeliveries of a fresh broker would wait up to that long. Once the route
		// exists, a new consumer picks it up at its start.
		if n.waitFor(ctx, 10*time.Second, func() bool { return n.routeExists(retryTopic) }) {
			n.shutdownConsumer()
			if !n.startConsuming(ctx) {
				return nil
			}
			n.log.Infow("msg", "notifier restarted to consume its new retry topic", "topic", retryTopic)
		}
	}
	select {
	case <-n.stop:
	case <-ctx.Done():
	}
	return nil
}

// retryTopic is where the broker keeps the notifier's messages between attempts.
const retryTopic = "%RETRY%" + data.NotifierGroup

// startConsuming starts a consumer, trying every second while the topic has no route;
// false when stopped first.
func (n *Notifier) startConsuming(ctx context.Context) bool {
	waitingSince := time.Now()
	lastLog := time.Time{}
	for {
		err := n.startConsumer()
		if err == nil {
			n.log.Infow("msg", "notifier consuming", "topic", data.NotifyTopic, "group", data.NotifierGroup,
				"maxReconsumeTimes", n.uc.Schedule().Retries())
			return true
		}
		if time.Since(lastLog) > 30*time.Second {
			n.log.Warnw("msg", "notifier waiting for its topic", "topic", data.NotifyTopic, "since", waitingSince.Format(time.RFC3339), "err", err)
			lastLog = time.Now()
		}
		select {
		case <-n.stop:
			return false
		case <-ctx.Done():
			return false
		case <-time.After(consumerRetryEvery):
		}
	}
}

// waitFor polls cond every half second for up to d; false when d passed, or Stop came,
// without cond holding.
func (n *Notifier) waitFor(ctx context.Context, d time.Duration, cond func() bool) bool {
	deadline := time.After(d)
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-n.stop:
			return false
		case <-ctx.Done():
			return false
		case <-deadline:
			return false
		case <-tick.C:
			if cond() {
				return true
			}
		}
	}
}

// routeExists asks the name servers whether topic has a route.
func (n *Notifier) routeExists(topic string) bool {
	a, err := admin.NewAdmin(admin.WithResolver(primitive.NewPassthroughResolver(n.nameServers)))
	if err != nil {
		return false
	}
	defer func() {
		if err := a.Close(); err != nil {
			n.log.Warnw("msg", "close rocketmq admin client", "err", err)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	queues, err := a.FetchPublishMessageQueues(ctx, topic)
	return err == nil && len(queues) > 0
}

func (n *Notifier) shutdownConsumer() {
	n.mu.Lock()
	c := n.consumer
	n.consumer = nil
	n.mu.Unlock()
	if c == nil {
		return
	}
	if err := c.Shutdown(); err != nil {
		n.log.Warnw("msg", "shut down notifier consumer", "err", err)
	}
}

func (n *Notifier) startConsumer() error {
	n.mu.Lock()
	n.started++
	attempt := n.started
	n.mu.Unlock()
	c, err := rocketmq.NewPushConsumer(
		consumer.WithGroupName(data.NotifierGroup),
		consumer.WithNsResolver(primitive.NewPassthroughResolver(n.nameServers)),
		consumer.WithConsumerModel(consumer.Clustering),
		consumer.WithCredentials(n.creds),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
		// A fresh client instance per try: a consumer that failed to start cannot be
		// started again, and the publisher's producer must not share its client.
		consumer.WithInstance(fmt.Sprintf("bank-custody-notifier-%d-%d", os.Getpid(), attempt)),
		consumer.WithMaxReconsumeTimes(int32(n.uc.Schedule().Retries())),
		consumer.WithConsumeMessageBatchMaxSize(1),
	)
	if err != nil {
		return err
	}
	selector := consumer.MessageSelector{Type: consumer.TAG, Expression: data.NotifyTag}
	if err := c.Subscribe(data.NotifyTopic, selector, n.consume); err != nil {
		return err
	}
	if err := c.Start(); err != nil {
		// Start has shut the consumer down already (route not found).
		return err
	}
	n.mu.Lock()
	n.consumer = c
	n.mu.Unlock()
	return nil
}

// consume handles one message: attempt = ReconsumeTimes+1.
func (n *Notifier) consume(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
	for _, m := range msgs {
		// Only the bank's publisher signs results: a message anyone else wrote on the
		// topic is dropped, not signed by the bank and delivered.
		if err := n.signer.Verify(m, data.PropertyPlatformNo); err != nil {
			n.signer.Drop(n.log, m, err)
			continue
		}
		note, err := data.DecodeNotification(m.Body)
		if err != nil {
			// Retrying cannot make an unreadable message readable.
			n.log.Errorw("msg", "drop unreadable notification message", "msgId", m.MsgId, "err", err)
			continue
		}
		attempt := int(m.ReconsumeTimes) + 1
		out := n.deliver(ctx, m, note, attempt)
		if out.Done {
			continue
		}
		// The broker redelivers after this delay level (rocketmq-client-go sends it with
		// the message back; 0 would mean the broker's default, 3 + reconsume times).
		if cc, ok := primitive.GetConcurrentlyCtx(ctx); ok {
			cc.DelayLevelWhenNextConsume = out.DelayLevel
		}
		return consumer.ConsumeRetryLater, nil
	}
	return consumer.ConsumeSuccess, nil
}

// deliver calls the platform back with one result, in a span that continues the trace
// the result was published in (the gateway request's).
func (n *Notifier) deliver(ctx context.Context, m *primitive.MessageExt, note biz.Notification, attempt int) biz.DeliveryOutcome {
	ctx, span := mq.StartProcess(ctx, "process", m, telemetry.KeyRequestNo.String(note.RequestNo),
		attribute.Int("notification.attempt", attempt))
	defer span.End()
	out := n.uc.Deliver(ctx, m.GetProperty(data.PropertyPlatformNo), note, attempt)
	span.SetAttributes(attribute.Bool("notification.done", out.Done))
	return out
}

// Stop ends consumption and shuts the consumer down.
func (n *Notifier) Stop(ctx context.Context) error {
	n.stopOnce.Do(func() { close(n.stop) })
	select {
	case <-n.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	n.mu.Lock()
	c := n.consumer
	n.consumer = nil
	n.mu.Unlock()
	if c == nil {
		return nil
	}
	return c.Shutdown()
}

var _ transport.Server = (*Notifier)(nil)
