package server

import (
	"context"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/servers"
)

const defaultRepublishInterval = 10 * time.Second

// Republisher is a Kratos transport.Server that runs the start-repayment outbox
// (biz.OutboxUsecase) every interval: committed loans whose plan repayment does not have
// get their event again. Instances may run it side by side: a second re-send is a
// duplicate delivery, which repayment's consumer ignores.
type Republisher struct{ *servers.Periodic }

// NewRepublisher returns the outbox job; Start runs it.
func NewRepublisher(c *conf.Bootstrap, outbox *biz.OutboxUsecase, logger log.Logger) *Republisher {
	interval := servers.DurationOr(c.GetStartRepayment().GetRepublishInterval(), defaultRepublishInterval)
	return &Republisher{servers.NewJob("start-repayment outbox", "server/republisher", logger, interval,
		func(ctx context.Context, lg *log.Helper) error {
			pass, err := outbox.Pass(ctx)
			if pass.Confirmed+pass.Republished > 0 {
				lg.Infow("msg", "start-repayment outbox pass", "confirmed", pass.Confirmed, "sent_again", pass.Republished)
			}
			return err
		}, servers.PassTimeout(interval*4))}
}
