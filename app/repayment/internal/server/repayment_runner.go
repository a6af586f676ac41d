package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/servers"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
)

// RepaymentRunner is a Kratos transport.Server that runs the repayment run every
// interval as of today (UTC) — the same use case as POST /v1/repayment-runs — and
// removes expired nonces of the bank's answers. Two instances may run at once: each
// round executes the projects its instance holds a claim on (pkg/claims), and every
// installment is still executed under its plan row's lock.
type RepaymentRunner struct {
	*servers.Periodic
	runs   *biz.RunUsecase
	nonces *signing.SQLNonceStore
}

// NewRepaymentRunner returns the job; Start runs it.
func NewRepaymentRunner(c *conf.Bootstrap, runs *biz.RunUsecase, nonces *signing.SQLNonceStore, logger log.Logger) (*RepaymentRunner, error) {
	interval := c.GetRepaymentRun().GetInterval().AsDuration()
	if interval <= 0 {
		return nil, errors.New("repayment_run.interval must be positive")
	}
	r := &RepaymentRunner{runs: runs, nonces: nonces}
	// A round may wait on the bank and DTM for each installment; it is bounded so a
	// stuck peer cannot hold the job forever (the next round resumes where it stopped).
	r.Periodic = servers.NewPeriodic("repayment run", interval, r.round,
		log.NewHelper(log.With(logger, "module", "server/repayment-runner")), servers.PassTimeout(max(interval*10, time.Minute)))
	return r, nil
}

// round runs the repayments and purges; a failure of one does not skip the other.
func (r *RepaymentRunner) round(ctx context.Context) error {
	var runErr, purgeErr error
	if _, err := r.runs.RunClaimed(ctx, time.Now().UTC()); err != nil {
		runErr = err
	}
	if _, err := r.nonces.Purge(ctx, time.Now()); err != nil {
		purgeErr = fmt.Errorf("purging bank nonces: %w", err)
	}
	return errors.Join(runErr, purgeErr)
}
