package server

import (
	"context"
	"sync"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
)

// Defaults of the settler when the config leaves them out.
const (
	defaultSettleInterval = 5 * time.Second
	defaultSettleMinAge   = 15 * time.Second
)

// TenderSettler is a Kratos transport.Server that, every interval, settles the tenders
// whose freeze outcome stayed unknown (biz.TenderUsecase.SettlePendingTenders) and
// removes expired nonces of the bank's answers.
type TenderSettler struct {
	tenders  *biz.TenderUsecase
	nonces   *signing.SQLNonceStore
	interval time.Duration
	minAge   time.Duration
	log      *log.Helper

	stop chan struct{}
	done sync.WaitGroup
}

// NewTenderSettler returns the settler; Start runs it.
func NewTenderSettler(c *conf.Bootstrap, tenders *biz.TenderUsecase, nonces *signing.SQLNonceStore, logger log.Logger) *TenderSettler {
	interval := c.GetLending().GetTenderSettleInterval().AsDuration()
	if interval <= 0 {
		interval = defaultSettleInterval
	}
	minAge := c.GetLending().GetTenderSettleMinAge().AsDuration()
	if minAge <= 0 {
		minAge = defaultSettleMinAge
	}
	return &TenderSettler{tenders: tenders, nonces: nonces, interval: interval, minAge: minAge,
		log: log.NewHelper(log.With(logger, "module", "server/tender-settler")), stop: make(chan struct{})}
}

// Start runs the rounds in the background until Stop.
func (s *TenderSettler) Start(context.Context) error {
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		tick := time.NewTicker(s.interval)
		defer tick.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-tick.C:
				s.round()
			}
		}
	}()
	return nil
}

func (s *TenderSettler) round() {
	ctx, cancel := context.WithTimeout(context.Background(), s.interval*4)
	defer cancel()
	if n, err := s.tenders.SettlePendingTenders(ctx, s.minAge); err != nil {
		s.log.Errorw("msg", "settling pending tenders failed", "settled", n, "err", err)
	}
	if _, err := s.nonces.Purge(ctx, time.Now()); err != nil {
		s.log.Errorw("msg", "purging bank nonces failed", "err", err)
	}
}

// Stop ends the rounds and waits for a running one.
func (s *TenderSettler) Stop(context.Context) error {
	close(s.stop)
	s.done.Wait()
	return nil
}
