package server

import (
	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/mq"
)

// StartRepaymentRedriver sends the start-repayment messages that dead-lettered in
// %DLQ%CID_START_REPAYMENT (repayment's consumer failed through every retry level) back to
// TP_START_REPAYMENT, signed as trade-center sent them, at most mq.DefaultRedriveMax times
// each (pkg/mq/redrive.go). It runs in trade-center because trade-center is the topic's
// only publisher: repayment may only subscribe. The outbox would re-send the event too;
// the redriver brings the broker's own copy back and leaves the dead-letter topic holding
// only what was given up on (make redrive sends that back).
type StartRepaymentRedriver struct{ *mq.Redriver }

// NewStartRepaymentRedriver returns the redriver; Start connects it.
func NewStartRepaymentRedriver(c *conf.Bootstrap, logger log.Logger) (*StartRepaymentRedriver, error) {
	sr := c.GetStartRepayment()
	ep := mq.EndpointOf(sr, sr.GetConsumerGroup(), c.GetRocketmq().GetNameServers())
	if err := ep.Check("start_repayment", "consumer_group"); err != nil {
		return nil, err
	}
	r, err := mq.NewRedriver("trade-center", ep, []string{mq.PropertySignature, PropertyLoanMessageKey}, logger)
	if err != nil {
		return nil, err
	}
	return &StartRepaymentRedriver{r.WithDelayLevel(int(sr.GetRedriveDelayLevel()))}, nil
}
