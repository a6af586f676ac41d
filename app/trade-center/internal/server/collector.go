package server

import (
	"context"
	"sync"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/conf"
)

const defaultCollectionInterval = time.Minute

// Collector is a Kratos transport.Server that, every interval, fails the COLLECTING
// projects whose deadline is before today (UTC) — the code path of POST
// /v1/collection-runs (biz.FailureUsecase.FailOverdue). Instances may run it side by side:
// each project is failed under its row lock, once.
type Collector struct {
	failures *biz.FailureUsecase
	interval time.Duration
	log      *log.Helper

	stop chan struct{}
	done sync.WaitGroup
}

// NewCollector returns the collection job; Start runs it.
func NewCollector(c *conf.Bootstrap, failures *biz.FailureUsecase, logger log.Logger) *Collector {
	interval := c.GetLending().GetCollectionInterval().AsDuration()
	if interval <= 0 {
		interval = defaultCollectionInterval
	}
	return &Collector{failures: failures, interval: interval,
		log: log.NewHelper(log.With(logger, "module", "server/collector")), stop: make(chan struct{})}
}

// Start runs the collection in the background until Stop.
func (c *Collector) Start(context.Context) error {
	c.done.Add(1)
	go func() {
		defer c.done.Done()
		tick := time.NewTicker(c.interval)
		defer tick.Stop()
		for {
			select {
			case <-c.stop:
				return
			case <-tick.C:
				c.round()
			}
		}
	}()
	return nil
}

func (c *Collector) round() {
	ctx, cancel := context.WithTimeout(context.Background(), c.interval*4)
	defer cancel()
	now := time.Now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	n, err := c.failures.FailOverdue(ctx, today)
	switch {
	case err != nil:
		c.log.Errorw("msg", "collection run failed", "failed", n, "err", err)
	case n > 0:
		c.log.Infow("msg", "collection run", "failed", n, "as_of", today.Format(time.DateOnly))
	}
}

// Stop ends the rounds and waits for a running one.
func (c *Collector) Stop(context.Context) error {
	close(c.stop)
	c.done.Wait()
	return nil
}
