package server

import (
	"context"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data"
	"github.com/p2p-dtx/p2p-dtx/pkg/servers"
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
	*servers.Periodic
	uc        *biz.ProcessingUsecase
	publisher *data.Publisher
	nonces    *signing.SQLNonceStore
	interval  time.Duration
	batch     int
	log       *log.Helper

	sweep    servers.Every
	feesOpen bool // set by Start before the first poll, then by the polls
}

// NewPoller returns the poller.
func NewPoller(c *conf.Bootstrap, uc *biz.ProcessingUsecase, publisher *data.Publisher, nonces *signing.SQLNonceStore, logger log.Logger) *Poller {
	p := &Poller{uc: uc, publisher: publisher, nonces: nonces, batch: DefaultBatchSize, sweep: servers.Every{Period: nonceSweepEvery},
		interval: servers.DurationOr(c.GetProcessor().GetPollInterval(), DefaultPollInterval),
		log:      log.NewHelper(log.With(logger, "module", "server/poller"))}
	if n := c.GetProcessor().GetBatchSize(); n > 0 {
		p.batch = int(n)
	}
	// Each poll gets a fresh context: stopping waits for a poll in flight to finish rather
	// than cutting its transaction short. A failing dependency is logged once, and when it
	// recovers, not every interval.
	p.Periodic = servers.NewPeriodic("poll", p.interval, p.poll, p.log, servers.PassTimeout(30*time.Second),
		servers.LogFailureOnce(), servers.StartWith(p.start))
	return p
}

// start starts the producer and opens the fee accounts before the first poll.
func (p *Poller) start(context.Context) error {
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
	p.feesOpen = p.openFeeAccounts(true)
	return nil
}

// poll completes a batch of gateway requests and, once a minute, deletes expired nonces.
func (p *Poller) poll(ctx context.Context) error {
	if !p.feesOpen {
		p.feesOpen = p.openFeeAccounts(false)
	}
	err := p.uc.Poll(ctx, p.batch)
	if now := time.Now(); p.sweep.Due(now) {
		if _, serr := p.nonces.Purge(ctx, now); serr != nil {
			p.log.Warnw("msg", "purge expired nonces", "err", serr)
		}
	}
	return err
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
	if err := p.Periodic.Stop(ctx); err != nil {
		return err
	}
	return p.publisher.Shutdown()
}

var _ transport.Server = (*Poller)(nil)
