package server

import (
	"context"
	"sync"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/conf"
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
	uc       *biz.CustodyUsecase
	nonces   *signing.SQLNonceStore
	interval time.Duration
	log      *log.Helper

	ctx    context.Context // cancelled by Stop
	cancel context.CancelFunc
	mu     sync.Mutex
	done   chan struct{} // closed when Start returns; nil until Start runs
}

// NewReconciler returns the reconciliation job; NewCustodySettings has checked the interval.
func NewReconciler(c *conf.Bootstrap, uc *biz.CustodyUsecase, nonces *signing.SQLNonceStore, logger log.Logger) *Reconciler {
	ctx, cancel := context.WithCancel(context.Background())
	return &Reconciler{uc: uc, nonces: nonces, interval: c.GetCustody().GetReconciliation().GetInterval().AsDuration(),
		log: log.NewHelper(log.With(logger, "module", "custody/reconciler")), ctx: ctx, cancel: cancel}
}

// Start runs rounds every interval until Stop.
func (r *Reconciler) Start(context.Context) error {
	r.mu.Lock()
	if r.done != nil || r.ctx.Err() != nil {
		r.mu.Unlock()
		return nil // started already, or stopped before it could start
	}
	done := make(chan struct{})
	r.done = done
	r.mu.Unlock()
	defer close(done)

	r.log.Infow("msg", "custody reconciliation started", "interval", r.interval.String())
	tick := time.NewTicker(r.interval)
	defer tick.Stop()
	var nextPurge time.Time
	for {
		select {
		case <-r.ctx.Done():
			return nil
		case now := <-tick.C:
			r.round()
			if !now.Before(nextPurge) {
				r.purgeNonces(now)
				nextPurge = now.Add(noncePurgeEvery)
			}
		}
	}
}

func (r *Reconciler) round() {
	sum, err := r.uc.Reconcile(r.ctx)
	switch {
	case r.ctx.Err() != nil:
		return // stopping
	case err != nil:
		r.log.Errorw("msg", "custody reconciliation round failed", "err", err)
	case sum.Completed+sum.Abandoned+sum.Errors > 0:
		r.log.Infow("msg", "custody reconciliation round", "checked", sum.Checked, "completed", sum.Completed,
			"abandoned", sum.Abandoned, "errors", sum.Errors)
	}
}

func (r *Reconciler) purgeNonces(now time.Time) {
	n, err := r.nonces.Purge(r.ctx, now)
	if err != nil && r.ctx.Err() == nil {
		r.log.Warnw("msg", "purging callback nonces failed", "err", err)
		return
	}
	if n > 0 {
		r.log.Debugw("msg", "callback nonces purged", "count", n)
	}
}

// Stop cancels the running round and waits for Start to return, or for ctx to end.
func (r *Reconciler) Stop(ctx context.Context) error {
	r.mu.Lock()
	r.cancel()
	done := r.done
	r.mu.Unlock()
	if done == nil {
		return nil
	}
	select {
	case <-done:
		r.log.Info("custody reconciliation stopped")
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
