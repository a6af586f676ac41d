package biz

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// DefaultCheckBackGrace is how long a check-back waits for a PENDING local transaction
// that nobody seems to run before it rolls the message back.
const DefaultCheckBackGrace = 10 * time.Second

// LoanLedger runs the loan's local transaction and answers the broker's check-backs,
// both from the database.
type LoanLedger struct {
	projects ProjectRepo
	tenders  TenderRepo
	messages LoanMessageRepo
	tx       Transaction
	faults   *faults.Registry
	grace    time.Duration
	log      *log.Helper
	now      func() time.Time
}

// CheckBackGrace configures LoanLedger (conf start_repayment.check_back_grace).
type CheckBackGrace time.Duration

// NewLoanLedger returns the ledger; f may be nil (faults disabled).
func NewLoanLedger(projects ProjectRepo, tenders TenderRepo, messages LoanMessageRepo, tx Transaction,
	f *faults.Registry, grace CheckBackGrace, logger log.Logger) *LoanLedger {
	g := time.Duration(grace)
	if g <= 0 {
		g = DefaultCheckBackGrace
	}
	return &LoanLedger{projects: projects, tenders: tenders, messages: messages, tx: tx, faults: f,
		grace: g, log: log.NewHelper(logger), now: time.Now}
}

// Execute is the loan's local transaction for the message with key (see the top of this
// file). It returns what the broker is to be told.
func (l *LoanLedger) Execute(ctx context.Context, key string) TxOutcome {
	var state LoanMessageState
	err := l.tx.InTx(ctx, func(ctx context.Context) error {
		m, err := l.messages.LockLoanMessage(ctx, key, false)
		if err != nil {
			return err
		}
		if state = m.State; state != LoanMessagePending {
			return nil // fenced by a check-back already
		}
		p, err := l.projects.LockProject(ctx, m.ProjectID)
		if err != nil {
			return err
		}
		state = LoanMessageRolledBack
		if err := l.checkLoanable(ctx, p); err != nil {
			// A concurrent approval's message won, or the project changed: this
			// message must not start repayment (again).
			l.log.WithContext(ctx).Warnw("msg", "loan message rolled back", "key", key, "project_id", p.ID, "reason", err)
			return l.messages.UpdateLoanMessageState(ctx, m.ID, state)
		}
		if l.faults.Hit(FaultLoanLocalTxFail).Fire {
			return errInjected
		}
		p.StartRepaying()
		if err := l.projects.UpdateProject(ctx, p); err != nil {
			return err
		}
		if _, err := l.tenders.LoanTenders(ctx, p.ID); err != nil {
			return err
		}
		state = LoanMessageCommitted
		return l.messages.UpdateLoanMessageState(ctx, m.ID, state)
	})
	if err != nil {
		l.log.WithContext(ctx).Errorw("msg", "loan local transaction failed", "key", key, "err", err)
		state, err = l.Settle(ctx, key)
		if err != nil {
			l.log.WithContext(ctx).Errorw("msg", "cannot record the failed local transaction; the check-back decides",
				"key", key, "err", err)
			return TxUnknown
		}
		return state.Outcome()
	}
	if state == LoanMessageCommitted && l.faults.Hit(FaultLoanLocalTxUnknown).Fire {
		return TxUnknown
	}
	if state == LoanMessageCommitted {
		// Committed here, and the broker never hears of it: only a check-back (or the
		// outbox) can settle the half message.
		l.faults.Crash(CrashLoanAfterLocalTx)
	}
	if state == LoanMessageCommitted && l.faults.Hit(FaultLoanMessageLost).Fire {
		// The broker drops the half message although the loan committed: what it does
		// after transactionCheckMax unanswered check-backs. Only the outbox can recover.
		return TxRollback
	}
	return state.Outcome()
}

// checkLoanable is the state a project must be in for its loan's local transaction:
// FULL, and the FROZEN tenders (every tender a FULL project has besides FAILED ones) add
// up to its amount.
func (l *LoanLedger) checkLoanable(ctx context.Context, p *Project) error {
	if p.Status != ProjectFull {
		return fmt.Errorf("%w: project %d is %s", ErrProjectNotFull, p.ID, p.Status)
	}
	frozen, err := l.tenders.Tenders(ctx, p.ID, TenderFrozen)
	if err != nil {
		return err
	}
	sum := money.Amount{}
	for _, t := range frozen {
		sum = sum.Add(t.Amount)
	}
	if !sum.Equal(p.Amount) {
		return fmt.Errorf("%w: frozen tenders of project %d add up to %s of %s", ErrTendersUnsettled, p.ID, sum, p.Amount)
	}
	return nil
}

// Settle fences a message whose local transaction is not running: a PENDING row becomes
// ROLLED_BACK (waiting for the lock if a local transaction holds it). It returns the
// row's final state.
func (l *LoanLedger) Settle(ctx context.Context, key string) (LoanMessageState, error) {
	return l.rollBackPending(ctx, key, false)
}

// rollBackPending turns the message's row ROLLED_BACK if it is still PENDING, under its
// row lock, and returns the row's final state. With nowait a lock held by the running
// local transaction answers ErrLoanMessageBusy instead of waiting for it.
func (l *LoanLedger) rollBackPending(ctx context.Context, key string, nowait bool) (LoanMessageState, error) {
	var state LoanMessageState
	err := l.tx.InTx(ctx, func(ctx context.Context) error {
		m, err := l.messages.LockLoanMessage(ctx, key, nowait)
		if err != nil {
			return err
		}
		if state = m.State; state != LoanMessagePending {
			return nil
		}
		state = LoanMessageRolledBack
		return l.messages.UpdateLoanMessageState(ctx, m.ID, state)
	})
	return state, err
}

// Check answers the broker's check-back for the message with key from the database (see
// the top of this file).
func (l *LoanLedger) Check(ctx context.Context, key string) TxOutcome {
	m, err := l.messages.LoanMessage(ctx, key)
	if errors.Is(err, ErrLoanMessageNotFound) {
		// Every message of ours has its row before the half message is sent.
		l.log.WithContext(ctx).Warnw("msg", "check-back for an unknown loan message: rollback", "key", key)
		return TxRollback
	}
	if err != nil {
		l.log.WithContext(ctx).Errorw("msg", "check-back cannot read the loan message", "key", key, "err", err)
		return TxUnknown
	}
	if m.State != LoanMessagePending || l.now().Sub(m.CreatedAt) < l.grace {
		return m.State.Outcome()
	}
	state, err := l.rollBackPending(ctx, key, true)
	switch {
	case errors.Is(err, ErrLoanMessageBusy):
		return TxUnknown // the local transaction is running right now
	case err != nil:
		l.log.WithContext(ctx).Errorw("msg", "check-back cannot settle the loan message", "key", key, "err", err)
		return TxUnknown
	}
	if state == LoanMessageRolledBack {
		l.log.WithContext(ctx).Warnw("msg", "check-back rolled back an abandoned loan message", "key", key,
			"project_id", m.ProjectID)
	}
	return state.Outcome()
}
