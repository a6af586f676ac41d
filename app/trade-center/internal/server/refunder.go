package server

import (
	"context"
	"fmt"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/servers"
)

const defaultRefundInterval = 10 * time.Second

// Refunder is a Kratos transport.Server that runs a refund pass
// (biz.RefundUsecase.RefundFailedProjects) every interval and whenever a project has just
// failed. Every instance runs it: the passes are safe side by side (see biz/refund.go).
type Refunder struct{ *servers.Periodic }

// NewRefunder returns the refund job; Start runs it.
func NewRefunder(c *conf.Bootstrap, refunds *biz.RefundUsecase, logger log.Logger) *Refunder {
	interval := servers.DurationOr(c.GetLending().GetRefundInterval(), defaultRefundInterval)
	return &Refunder{servers.NewJob("refund pass", "server/refunder", logger, interval, refundPass(refunds),
		servers.PassTimeout(interval*6), servers.KickedBy(refunds.Kicks()))}
}

// refundPass runs one refund pass over the failed projects and logs what it did.
func refundPass(refunds *biz.RefundUsecase) func(context.Context, *log.Helper) error {
	return func(ctx context.Context, lg *log.Helper) error {
		run, err := refunds.RefundFailedProjects(ctx)
		if err != nil {
			return fmt.Errorf("stopped with %d refunded, %d voided, %d left: %w", run.Refunded, run.Voided, run.Left, err)
		}
		if run != (biz.RefundRun{}) {
			lg.Infow("msg", "refund pass", "refunded", run.Refunded, "voided", run.Voided, "left", run.Left)
		}
		return nil
	}
}
