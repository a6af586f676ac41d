package biz

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/pkg/claims"
)

// The start-repayment outbox. The transactional message guarantees that the broker
// delivers the event once the loan's local transaction committed — as long as the broker
// gets the commit or a check-back answer in time. It does not when trade-center stays
// down longer than the broker's check-back window (the half message is discarded after
// transactionCheckMax), nor when the message ends in the consumer's dead-letter queue. So
// the loan_message row is kept as an outbox: a COMMITTED message stays unconfirmed until
// trade-center has seen repayment's plan for the project, and until then, every After,
// the outbox job asks repayment and, finding no plan, sends the event again as a plain
// signed message. Repayment's consumer is idempotent (one plan per project), so a re-send
// that races the original, or two instances' jobs, cost a duplicate delivery and nothing
// more. Within After + the job's interval of both services being up, every committed
// loan has its plan.

// PlanChecker asks repayment whether a project's plan is written (plans are written in
// one transaction, so a plan that exists is whole).
type PlanChecker interface {
	PlanWritten(ctx context.Context, projectID int64) (bool, error)
}

// StartRepaymentPublisher sends the start-repayment event again, outside a transaction.
type StartRepaymentPublisher interface {
	Publish(ctx context.Context, key string, msg StartRepayment) error
}

// OutboxSettings tune the outbox job.
type OutboxSettings struct {
	// After is how long a committed message may stay unconfirmed before the job looks at
	// it (and between two re-sends).
	After time.Duration
	// Batch bounds the messages one pass handles.
	Batch int
}

// OutboxPass is what one pass did.
type OutboxPass struct{ Confirmed, Republished int }

// OutboxUsecase drives the outbox.
type OutboxUsecase struct {
	messages  LoanMessageRepo
	projects  ProjectRepo
	tenders   TenderRepo
	plans     PlanChecker
	publisher StartRepaymentPublisher
	settings  OutboxSettings
	claims    claims.Claimer
	log       *log.Helper
	now       func() time.Time
}

// NewOutboxUsecase returns the outbox; zero settings mean After 1 minute and Batch 100;
// c may be nil (one instance: the outbox holds every message).
func NewOutboxUsecase(messages LoanMessageRepo, projects ProjectRepo, tenders TenderRepo, plans PlanChecker,
	publisher StartRepaymentPublisher, s OutboxSettings, c claims.Claimer, logger log.Logger) *OutboxUsecase {
	if s.After <= 0 {
		s.After = time.Minute
	}
	if s.Batch <= 0 {
		s.Batch = 100
	}
	return &OutboxUsecase{messages: messages, projects: projects, tenders: tenders, plans: plans, publisher: publisher,
		settings: s, claims: claims.Or(c), log: log.NewHelper(logger), now: time.Now}
}

// After is how long a message stays unconfirmed before the outbox looks at it; the
// approvals ResumeInterrupted picks up wait as long.
func (o *OutboxUsecase) After() time.Duration { return o.settings.After }

// Pass confirms or re-sends every due message (up to Batch). A message it cannot handle
// now (repayment or the broker unreachable) stays due for the next pass; the first such
// error is returned after the others were tried.
func (o *OutboxUsecase) Pass(ctx context.Context) (OutboxPass, error) {
	var pass OutboxPass
	due, err := o.messages.Unconfirmed(ctx, o.now().Add(-o.settings.After), o.settings.Batch)
	if err != nil {
		return pass, err
	}
	// With two instances, each re-sends the messages it holds (pkg/claims).
	if due, err = claims.Filter(ctx, o.claims, JobOutbox, due, func(m **LoanMessage) string { return (*m).Key }); err != nil {
		return pass, err
	}
	var errs []error
	for _, m := range due {
		confirmed, err := o.settle(ctx, m)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("loan message %s of project %d: %w", m.Key, m.ProjectID, err))
		case confirmed:
			pass.Confirmed++
		default:
			pass.Republished++
		}
	}
	return pass, errors.Join(errs...)
}

// settle confirms m when repayment has the plan, and otherwise sends its event again.
func (o *OutboxUsecase) settle(ctx context.Context, m *LoanMessage) (confirmed bool, err error) {
	written, err := o.plans.PlanWritten(ctx, m.ProjectID)
	if err != nil {
		return false, fmt.Errorf("ask repayment for the plan: %w", err)
	}
	if written {
		return true, o.messages.ConfirmLoanMessage(ctx, m.ID, o.now().UTC())
	}
	msg, err := o.event(ctx, m.ProjectID)
	if err != nil {
		return false, err
	}
	if err := o.publisher.Publish(ctx, m.Key, msg); err != nil {
		return false, fmt.Errorf("send the event again: %w", err)
	}
	if err := o.messages.MarkRepublished(ctx, m.ID, o.now().UTC()); err != nil {
		return false, err
	}
	o.log.WithContext(ctx).Warnw("msg", "start-repayment event sent again: the project is REPAYING and repayment has no plan",
		"project_id", m.ProjectID, "key", m.Key, "times", m.Republished+1, "committed_at", m.UpdatedAt.UTC().Format(time.RFC3339))
	return false, nil
}

// event rebuilds the start-repayment message of a REPAYING project from the database:
// the same terms and LOANED tenders its local transaction committed.
func (o *OutboxUsecase) event(ctx context.Context, projectID int64) (StartRepayment, error) {
	p, err := o.projects.Project(ctx, projectID)
	if err != nil {
		return StartRepayment{}, err
	}
	if p.Status != ProjectRepaying {
		return StartRepayment{}, fmt.Errorf("project %d is %s, not REPAYING", projectID, p.Status)
	}
	loaned, err := o.tenders.Tenders(ctx, projectID, TenderLoaned)
	if err != nil {
		return StartRepayment{}, err
	}
	return startRepaymentOf(p, loaned), nil
}
