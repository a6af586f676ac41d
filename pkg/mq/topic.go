// Package mq holds RocketMQ helpers the producers and consumers of several services share.
package mq

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/go-kratos/kratos/v2/log"
)

// EnsureTopic creates topic on the broker at brokerAddr unless the name server already
// routes it. The broker creates topics on first use too (autoCreateTopicEnable), but a
// push consumer refuses to start on a topic without a route, and the first send to a
// missing topic can fail: creating it up front makes either side's start independent of
// the other's first message.
func EnsureTopic(ctx context.Context, logger *log.Helper, nameServers []string, brokerAddr, topic string, queues int) error {
	adm, err := admin.NewAdmin(admin.WithResolver(primitive.NewPassthroughResolver(nameServers)))
	if err != nil {
		return fmt.Errorf("rocketmq admin: %w", err)
	}
	defer func() {
		if err := adm.Close(); err != nil {
			logger.Warnw("msg", "close rocketmq admin", "err", err)
		}
	}()
	routed := func() bool {
		qs, err := adm.FetchPublishMessageQueues(ctx, topic)
		return err == nil && len(qs) > 0
	}
	if routed() {
		return nil
	}
	if brokerAddr == "" {
		return fmt.Errorf("topic %s has no route and no broker address is configured to create it", topic)
	}
	if err := adm.CreateTopic(ctx, admin.WithTopicCreate(topic), admin.WithBrokerAddrCreate(brokerAddr),
		admin.WithReadQueueNums(queues), admin.WithWriteQueueNums(queues)); err != nil {
		return fmt.Errorf("create topic %s on %s: %w", topic, brokerAddr, err)
	}
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); {
		if routed() {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	return fmt.Errorf("topic %s created on %s but the name server does not route it", topic, brokerAddr)
}
