package server

import (
	"context"
	"sync"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
)

// Defaults of the poller's config.
const (
	DefaultPollInterval = time.Second
	DefaultBatchSize    = 50
	// nonceSweepEvery is how often expired nonces are deleted from api_nonce.
	nonceSweepEvery = time.Minute
)

// Poller is the bank's back office as a Kratos server: at start it opens the platforms'
// fee accounts, then every poll interval it completes PROCESSING gateway requests and
// publishes their results to TP_BANK_NOTIFY. Its state is all in the database, so a
// restart loses nothing. It owns the publisher's producer.
type Poller struct {
	uc        *biz.ProcessingUsecase
	publisher *data.Publisher
	nonces    *signing.SQLNonceStore
	interval  time.Duration
	batch     int
	log       *log.Helper

	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
}

// NewPoller returns the poller.
func NewPoller(c *conf.Bootstrap, uc *biz.ProcessingUsecase, publisher *data.Publisher, nonces *signing.SQLNonceStore, logger log.Logger) *Poller {
	p := &Poller{uc: uc, publisher: publisher, nonces: nonces, interval: DefaultPollInterval, batch: DefaultBatchSize,
		log: log.NewHelper(log.With(logger, "module", "server/poller")), stop: make(chan struct{}), done: make(chan struct{})}
	if d := c.GetProcessor().GetPollInterval(); d != nil && d.AsDuration() > 0 {
		p.interval = d.AsDuration()
	}
	if n := c.GetProcessor().GetBatchSize(); n > 0 {
		p.batch = int(n)
	}
	return p
}

// Start starts the producer and polls until Stop.
func (p *Poller) Start(ctx context.Context) error {
	defer close(p.done)
	if err := p.publisher.Start(); err != nil {
		return err
	}
	ectx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	if err := p.publisher.EnsureTopic(ectx); err != nil {
		// Not fatal: the first published result creates the topic too.
		p.log.Warnw("msg", "could not make sure the notification topic exists", "err", err)
	}
	cancel()
	p.log.Infow("msg", "poller started", "interval", p.interval.String(), "batch", p.batch)
	ticker := time.NewTicker(p.interval)
	defer ticker.Stop()
	nextSweep := time.Now()
	failing := false
	feesOpen := p.openFeeAccounts(true)
	for {
		select {
		case <-p.stop:
			return nil
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
		// Each poll gets a fresh context: stopping waits for a poll in flight to finish
		// rather than cutting its transaction short.
		if !feesOpen {
			feesOpen = p.openFeeAccounts(false)
		}
		pctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := p.uc.Poll(pctx, p.batch)
		if time.Now().After(nextSweep) {
			if _, serr := p.nonces.Purge(pctx, time.Now()); serr != nil {
				p.log.Warnw("msg", "purge expired nonces", "err", serr)
			}
			nextSweep = time.Now().Add(nonceSweepEvery)
		}
		cancel()
		// Log a failing dependency once, and when it recovers, not every interval.
		switch {
		case err != nil && !failing:
			p.log.Errorw("msg", "poll failed; retrying every interval", "err", err)
			failing = true
		case err == nil && failing:
			p.log.Infow("msg", "poll recovered")
			failing = false
		}
	}
}

// openFeeAccounts opens the fee accounts the repayments credit; until it succeeds (the
// database may still be starting) every poll tries again, and only the first failure is
// logged.
func (p *Poller) openFeeAccounts(first bool) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.uc.OpenFeeAccounts(ctx); err != nil {
		if first {
			p.log.Errorw("msg", "open the platforms' fee accounts; retrying every poll", "err", err)
		}
		return false
	}
	if !first {
		p.log.Infow("msg", "fee accounts opened after a failure")
	}
	return true
}

// Stop ends polling, waits for the poll in flight, then shuts the producer down.
func (p *Poller) Stop(ctx context.Context) error {
	p.stopOnce.Do(func() { close(p.stop) })
	select {
	case <-p.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	return p.publisher.Shutdown()
}

var _ transport.Server = (*Poller)(nil)
