package server

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
)

// RepaymentRunner is a Kratos transport.Server that runs the repayment run every
// interval as of today (UTC) — the same use case as POST /v1/repayment-runs — and
// removes expired nonces of the bank's answers. Two instances may run at once: the run
// claims each installment under its plan row's lock.
type RepaymentRunner struct {
	runs     *biz.RunUsecase
	nonces   *signing.SQLNonceStore
	interval time.Duration
	log      *log.Helper

	stop chan struct{}
	done sync.WaitGroup
}

// NewRepaymentRunner returns the job; Start runs it.
func NewRepaymentRunner(c *conf.Bootstrap, runs *biz.RunUsecase, nonces *signing.SQLNonceStore, logger log.Logger) (*RepaymentRunner, error) {
	interval := c.GetRepaymentRun().GetInterval().AsDuration()
	if interval <= 0 {
		return nil, errors.New("repayment_run.interval must be positive")
	}
	return &RepaymentRunner{runs: runs, nonces: nonces, interval: interval,
		log: log.NewHelper(log.With(logger, "module", "server/repayment-runner")), stop: make(chan struct{})}, nil
}

// Start runs the job in the background until Stop.
func (r *RepaymentRunner) Start(context.Context) error {
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
				r.round()
			}
		}
	}()
	return nil
}

func (r *RepaymentRunner) round() {
	// A round may wait on the bank and DTM for each installment; it is bounded so a
	// stuck peer cannot hold the job forever (the next round resumes where it stopped).
	ctx, cancel := context.WithTimeout(context.Background(), max(r.interval*10, time.Minute))
	defer cancel()
	if _, err := r.runs.Run(ctx, time.Now().UTC()); err != nil {
		r.log.Errorw("msg", "repayment run failed", "err", err)
	}
	if _, err := r.nonces.Purge(ctx, time.Now()); err != nil {
		r.log.Errorw("msg", "purging bank nonces failed", "err", err)
	}
}

// Stop ends the rounds and waits for a running one.
func (r *RepaymentRunner) Stop(context.Context) error {
	close(r.stop)
	r.done.Wait()
	return nil
}
