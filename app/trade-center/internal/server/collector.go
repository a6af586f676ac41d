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

const defaultCollectionInterval = time.Minute

// Collector is a Kratos transport.Server that, every interval, fails the COLLECTING
// projects whose deadline is before today (UTC) — the code path of POST
// /v1/collection-runs (biz.FailureUsecase.FailOverdue). Instances may run it side by side:
// each project is failed under its row lock, once.
type Collector struct{ *servers.Periodic }

// NewCollector returns the collection job; Start runs it.
func NewCollector(c *conf.Bootstrap, failures *biz.FailureUsecase, logger log.Logger) *Collector {
	interval := servers.DurationOr(c.GetLending().GetCollectionInterval(), defaultCollectionInterval)
	return &Collector{servers.NewJob("collection run", "server/collector", logger, interval, collectionRound(failures),
		servers.PassTimeout(interval*4))}
}

// collectionRound fails the projects overdue as of today (UTC).
func collectionRound(failures *biz.FailureUsecase) func(context.Context, *log.Helper) error {
	return func(ctx context.Context, lg *log.Helper) error {
		now := time.Now().UTC()
		today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
		n, err := failures.FailOverdue(ctx, today)
		if err != nil {
			return fmt.Errorf("%d projects failed before: %w", n, err)
		}
		if n > 0 {
			lg.Infow("msg", "collection run", "failed", n, "as_of", today.Format(time.DateOnly))
		}
		return nil
	}
}
