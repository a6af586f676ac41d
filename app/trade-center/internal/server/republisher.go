package server

import (
	"context"
	"errors"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/servers"
)

const defaultRepublishInterval = 10 * time.Second

// Republisher is a Kratos transport.Server that, every interval, brings interrupted loans
// to their end: it resumes approvals that stopped after the bank moved the loan
// (biz.LoanUsecase.ResumeInterrupted) and runs the start-repayment outbox
// (biz.OutboxUsecase): committed loans whose plan repayment does not have get their
// event again. Instances may run it side by side: approvals lock the project row, and a
// second re-send is a duplicate delivery, which repayment's consumer ignores.
type Republisher struct{ *servers.Periodic }

// NewRepublisher returns the job; Start runs it.
func NewRepublisher(c *conf.Bootstrap, loans *biz.LoanUsecase, outbox *biz.OutboxUsecase, logger log.Logger) *Republisher {
	interval := servers.DurationOr(c.GetStartRepayment().GetRepublishInterval(), defaultRepublishInterval)
	return &Republisher{servers.NewJob("loan recovery", "server/republisher", logger, interval,
		func(ctx context.Context, lg *log.Helper) error {
			_, resumeErr := loans.ResumeInterrupted(ctx, outbox.After())
			pass, err := outbox.Pass(ctx)
			if pass.Confirmed+pass.Republished > 0 {
				lg.Infow("msg", "start-repayment outbox pass", "confirmed", pass.Confirmed, "sent_again", pass.Republished)
			}
			return errors.Join(resumeErr, err)
		}, servers.PassTimeout(interval*4))}
}
