package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/servers"
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
	*servers.Periodic
	tenders *biz.TenderUsecase
	nonces  *signing.SQLNonceStore
	minAge  time.Duration
}

// NewTenderSettler returns the settler; Start runs it.
func NewTenderSettler(c *conf.Bootstrap, tenders *biz.TenderUsecase, nonces *signing.SQLNonceStore, logger log.Logger) *TenderSettler {
	interval := servers.DurationOr(c.GetLending().GetTenderSettleInterval(), defaultSettleInterval)
	minAge := servers.DurationOr(c.GetLending().GetTenderSettleMinAge(), defaultSettleMinAge)
	s := &TenderSettler{tenders: tenders, nonces: nonces, minAge: minAge}
	s.Periodic = servers.NewPeriodic("tender settlement", interval, s.round,
		log.NewHelper(log.With(logger, "module", "server/tender-settler")), servers.PassTimeout(interval*4))
	return s
}

// round settles and purges; a failure of one does not skip the other.
func (s *TenderSettler) round(ctx context.Context) error {
	var settleErr, purgeErr error
	if n, err := s.tenders.SettlePendingTenders(ctx, s.minAge); err != nil {
		settleErr = fmt.Errorf("settling pending tenders (%d settled): %w", n, err)
	}
	if _, err := s.nonces.Purge(ctx, time.Now()); err != nil {
		purgeErr = fmt.Errorf("purging bank nonces: %w", err)
	}
	return errors.Join(settleErr, purgeErr)
}
