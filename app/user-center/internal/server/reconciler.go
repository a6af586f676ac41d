package server

import (
	"context"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/servers"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
)

// noncePurgeEvery is how often expired callback nonces are deleted.
const noncePurgeEvery = time.Minute

// Reconciler is the job that asks the bank about custody requests still PENDING after the
// minimum age (a lost or late notification) and applies what it learns, as a notification
// would be. It also purges expired callback nonces. It is a Kratos transport.Server, so
// the app starts and stops it with the others; Stop cancels a round in progress, which
// is safe because every change is one local transaction.
type Reconciler struct {
	*servers.Periodic
	uc       *biz.CustodyUsecase
	nonces   *signing.SQLNonceStore
	interval time.Duration
	purge    servers.Every
	log      *log.Helper
}

// NewReconciler returns the reconciliation job; NewCustodySettings has checked the interval.
func NewReconciler(c *conf.Bootstrap, uc *biz.CustodyUsecase, nonces *signing.SQLNonceStore, logger log.Logger) *Reconciler {
	r := &Reconciler{uc: uc, nonces: nonces, interval: c.GetCustody().GetReconciliation().GetInterval().AsDuration(),
		purge: servers.Every{Period: noncePurgeEvery}, log: log.NewHelper(log.With(logger, "module", "custody/reconciler"))}
	r.Periodic = servers.NewPeriodic("custody reconciliation round", r.interval, r.round, r.log, servers.CancelPassOnStop())
	return r
}

// Start runs rounds every interval until Stop.
func (r *Reconciler) Start(ctx context.Context) error {
	r.log.Infow("msg", "custody reconciliation started", "interval", r.interval.String())
	return r.Periodic.Start(ctx)
}

// Stop cancels the running round and waits for it, or for ctx to end.
func (r *Reconciler) Stop(ctx context.Context) error {
	if err := r.Periodic.Stop(ctx); err != nil {
		return err
	}
	r.log.Info("custody reconciliation stopped")
	return nil
}

// round reconciles, then purges the nonces when due, whether or not the reconciliation
// failed.
func (r *Reconciler) round(ctx context.Context) error {
	sum, err := r.uc.Reconcile(ctx)
	if err == nil && ctx.Err() == nil && sum.Completed+sum.Abandoned+sum.Errors > 0 {
		r.log.Infow("msg", "custody reconciliation round", "checked", sum.Checked, "completed", sum.Completed,
			"abandoned", sum.Abandoned, "errors", sum.Errors)
	}
	if now := time.Now(); r.purge.Due(now) {
		r.purgeNonces(ctx, now)
	}
	return err
}

func (r *Reconciler) purgeNonces(ctx context.Context, now time.Time) {
	n, err := r.nonces.Purge(ctx, now)
	if err != nil && ctx.Err() == nil {
		r.log.Warnw("msg", "purging callback nonces failed", "err", err)
		return
	}
	if n > 0 {
		r.log.Debugw("msg", "callback nonces purged", "count", n)
	}
}
