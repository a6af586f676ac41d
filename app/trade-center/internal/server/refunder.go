package server

import (
	"context"
	"sync"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/conf"
)

const defaultRefundInterval = 10 * time.Second

// Refunder is a Kratos transport.Server that runs a refund pass
// (biz.RefundUsecase.RefundFailedProjects) every interval and whenever a project has just
// failed. Every instance runs it: the passes are safe side by side (see biz/refund.go).
type Refunder struct {
	refunds  *biz.RefundUsecase
	interval time.Duration
	log      *log.Helper

	stop chan struct{}
	done sync.WaitGroup
}

// NewRefunder returns the refund job; Start runs it.
func NewRefunder(c *conf.Bootstrap, refunds *biz.RefundUsecase, logger log.Logger) *Refunder {
	interval := c.GetLending().GetRefundInterval().AsDuration()
	if interval <= 0 {
		interval = defaultRefundInterval
	}
	return &Refunder{refunds: refunds, interval: interval,
		log: log.NewHelper(log.With(logger, "module", "server/refunder")), stop: make(chan struct{})}
}

// Start runs the passes in the background until Stop.
func (r *Refunder) Start(context.Context) error {
	r.done.Add(1)
	go func() {
		defer r.done.Done()
		tick := time.NewTicker(r.interval)
		defer tick.Stop()
		for {
			select {
			case <-r.stop:
				return
			case <-tick.C:
			case <-r.refunds.Kicks():
			}
			r.pass()
		}
	}()
	return nil
}

func (r *Refunder) pass() {
	ctx, cancel := context.WithTimeout(context.Background(), r.interval*6)
	defer cancel()
	run, err := r.refunds.RefundFailedProjects(ctx)
	if err != nil {
		r.log.Errorw("msg", "refund pass stopped", "refunded", run.Refunded, "voided", run.Voided, "left", run.Left, "err", err)
		return
	}
	if run != (biz.RefundRun{}) {
		r.log.Infow("msg", "refund pass", "refunded", run.Refunded, "voided", run.Voided, "left", run.Left)
	}
}

// Stop ends the passes and waits for a running one.
func (r *Refunder) Stop(context.Context) error {
	close(r.stop)
	r.done.Wait()
	return nil
}
