package biz

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// Full-loan approval (DESIGN.md): the bank moves the frozen money to the borrower, then a
// RocketMQ transactional message starts repayment.
//
//  1. Prepare: lock the project; it must be FULL with every tender FROZEN. Its loan
//     request number (LN…) is fixed by its id, so every approval of the project asks the
//     bank the same question.
//  2. The bank confirms the loan (idempotent by the request number): frozen → borrower.
//  3. Record the loan date and a loan_message row PENDING with a fresh key, and build the
//     message from the FROZEN tenders.
//  4. Send the half message carrying the key; the producer then runs Execute (the local
//     transaction) and commits or rolls back the message by its outcome.
//  5. Settle: a row still PENDING means the local transaction never ran (the half message
//     was refused, or the producer failed before it): it is fenced to ROLLED_BACK. The
//     answer is REPAYING once the row is COMMITTED.
//
// Execute, in one local transaction: lock the loan_message row, then the project; if the
// row is still PENDING and the project FULL, the project becomes REPAYING, its tenders
// LOANED and the row COMMITTED; otherwise the row becomes ROLLED_BACK. If the transaction
// fails, a second one marks the row ROLLED_BACK.
//
// The broker's check-back answers from that row, never from memory (any producer of the
// group may be asked, after a restart too):
//   - COMMITTED (project REPAYING) → commit;
//   - ROLLED_BACK (project unchanged by this message) → rollback;
//   - PENDING while the local transaction holds the row's lock, or younger than the
//     grace period (the producer may be about to run it) → unknown, the broker asks
//     again;
//   - PENDING, unlocked and older than the grace → nobody is running it: the check-back
//     fences the row to ROLLED_BACK in a transaction and answers rollback. A local
//     transaction that starts after that finds ROLLED_BACK and changes nothing, so the
//     message and the project cannot disagree whatever the timing.

// Fault points of the loan (API.md).
const (
	// FaultLoanLocalTxFail makes the loan's local transaction fail → message rolled back.
	FaultLoanLocalTxFail = "loan.localtx.fail"
	// FaultLoanLocalTxUnknown lets the local transaction commit but tells the broker
	// UNKNOWN, so the check-back decides.
	FaultLoanLocalTxUnknown = "loan.localtx.unknown"
)

var (
	// ErrProjectNotFull: a loan approval of a project that is not FULL.
	ErrProjectNotFull = errors.New("project is not full")
	// ErrTendersUnsettled: some tender's freeze is not confirmed yet.
	ErrTendersUnsettled = errors.New("some tenders are not settled with the bank yet")
	// ErrLoanRejectionUnsupported: the bank has no call to release frozen money.
	ErrLoanRejectionUnsupported = errors.New("rejecting a full project's loan is not supported")
	// ErrLoanNotCommitted: the local transaction did not commit and the message was
	// rolled back; the project is still FULL and the approval may be retried.
	ErrLoanNotCommitted = errors.New("the loan's local transaction did not commit")
	// ErrBrokerUnavailable: the broker did not take the half message.
	ErrBrokerUnavailable = errors.New("the message broker did not take the start-repayment message")
	// ErrLoanMessageNotFound: no loan_message row has the key.
	ErrLoanMessageNotFound = errors.New("loan message not found")
	// ErrLoanMessageBusy: another transaction holds the loan_message row's lock.
	ErrLoanMessageBusy = errors.New("loan message is locked by a running local transaction")
	// errInjected is the failure the loan.localtx.fail fault causes.
	errInjected = errors.New("fault loan.localtx.fail: local transaction fails")
)

// LoanMessageState is where a start-repayment message's local transaction is.
type LoanMessageState string

// States of a loan_message row.
const (
	LoanMessagePending    LoanMessageState = "PENDING"
	LoanMessageCommitted  LoanMessageState = "COMMITTED"
	LoanMessageRolledBack LoanMessageState = "ROLLED_BACK"
)

// Outcome is what the broker is told for a message in this state.
func (s LoanMessageState) Outcome() TxOutcome {
	switch s {
	case LoanMessageCommitted:
		return TxCommit
	case LoanMessageRolledBack:
		return TxRollback
	}
	return TxUnknown
}

// LoanMessage is one start-repayment transactional message's record.
type LoanMessage struct {
	ID        int64
	Key       string
	ProjectID int64
	State     LoanMessageState
	CreatedAt time.Time
	UpdatedAt time.Time
}

// LoanMessageRepo reads and writes loan_message rows.
type LoanMessageRepo interface {
	CreateLoanMessage(ctx context.Context, projectID int64, key string) (*LoanMessage, error)
	// LoanMessage is a plain (non-locking) read; ErrLoanMessageNotFound when absent.
	LoanMessage(ctx context.Context, key string) (*LoanMessage, error)
	// LockLoanMessage reads the row FOR UPDATE inside Transaction.InTx. With nowait it
	// does not wait for a lock another transaction holds but fails with
	// ErrLoanMessageBusy.
	LockLoanMessage(ctx context.Context, key string, nowait bool) (*LoanMessage, error)
	UpdateLoanMessageState(ctx context.Context, id int64, state LoanMessageState) error
}

// StartRepayment is the message that tells repayment to write the plans: everything it
// needs, nothing secret (no bank user numbers, no tokens).
type StartRepayment struct {
	ProjectID     int64
	BorrowerID    int64
	Principal     money.Amount
	BorrowerRate  money.Rate
	InvestorRate  money.Rate
	Periods       int
	LoanedAt      time.Time
	LoanRequestNo string
	Tenders       []TenderShare
}

// TenderShare is one tender's part of the loan.
type TenderShare struct {
	TenderID   int64
	InvestorID int64
	Amount     money.Amount
}

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
	var state LoanMessageState
	err := l.tx.InTx(ctx, func(ctx context.Context) error {
		m, err := l.messages.LockLoanMessage(ctx, key, false)
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
	var state LoanMessageState
	err = l.tx.InTx(ctx, func(ctx context.Context) error {
		m, err := l.messages.LockLoanMessage(ctx, key, true)
		if err != nil {
			return err
		}
		if state = m.State; state != LoanMessagePending {
			return nil
		}
		state = LoanMessageRolledBack
		return l.messages.UpdateLoanMessageState(ctx, m.ID, state)
	})
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

// LoanUsecase approves full loans.
type LoanUsecase struct {
	projects  ProjectRepo
	tenders   TenderRepo
	messages  LoanMessageRepo
	tx        Transaction
	bank      Bank
	messenger LoanMessenger
	ledger    *LoanLedger
	log       *log.Helper
	now       func() time.Time
}

// NewLoanUsecase returns the loan approval use case.
func NewLoanUsecase(projects ProjectRepo, tenders TenderRepo, messages LoanMessageRepo, tx Transaction, bank Bank,
	messenger LoanMessenger, ledger *LoanLedger, logger log.Logger) *LoanUsecase {
	return &LoanUsecase{projects: projects, tenders: tenders, messages: messages, tx: tx, bank: bank,
		messenger: messenger, ledger: ledger, log: log.NewHelper(logger), now: time.Now}
}

// Approve confirms a FULL project's loan at the bank and starts repayment (see the top of
// this file); it answers REPAYING once the local transaction has committed. Approving a
// REPAYING project answers REPAYING again and changes nothing. Errors: ErrForbidden,
// ErrLoanRejectionUnsupported, ErrProjectNotFound, ErrProjectNotFull,
// ErrTendersUnsettled, the bank's errors, ErrBrokerUnavailable, ErrLoanNotCommitted.
func (uc *LoanUsecase) Approve(ctx context.Context, caller Caller, id int64, approve bool) (ProjectStatus, error) {
	if caller.Role != RoleAdmin {
		return "", fmt.Errorf("%w: only an admin approves loans", ErrForbidden)
	}
	if !approve {
		return "", ErrLoanRejectionUnsupported
	}
	// 1. Prepare: the request number the bank's transfer is idempotent by.
	p, err := uc.prepareLoan(ctx, id)
	if err != nil || p.Status == ProjectRepaying {
		return statusOrNothing(p, err)
	}
	// 2. The bank moves the money.
	if err := uc.bank.ConfirmLoan(ctx, p.LoanRequestNo, p.BankProjectNo); err != nil {
		return "", fmt.Errorf("confirm the loan of project %d at the bank: %w", p.ID, err)
	}
	// 3. Record the loan date and the message.
	key := newLoanMessageKey()
	p, msg, err := uc.recordLoan(ctx, id, key)
	if err != nil || p.Status == ProjectRepaying {
		return statusOrNothing(p, err)
	}
	// 4. Half message, local transaction, commit or rollback.
	outcome, sendErr := uc.messenger.SendInTransaction(ctx, key, msg)
	// 5. Settle.
	state, err := uc.ledger.Settle(context.WithoutCancel(ctx), key)
	if err != nil {
		return "", fmt.Errorf("loan of project %d: local transaction outcome unknown (the broker's check-back decides): %w", id, err)
	}
	uc.log.WithContext(ctx).Infow("msg", "loan approved", "project_id", id, "key", key, "producer_outcome", outcome.String(),
		"state", string(state), "send_err", sendErr)
	if state == LoanMessageCommitted {
		return ProjectRepaying, nil
	}
	// A concurrent approval's message may have committed the project instead.
	if p, err := uc.projects.Project(ctx, id); err == nil && p.Status == ProjectRepaying {
		return ProjectRepaying, nil
	}
	if sendErr != nil {
		return "", fmt.Errorf("%w: %w", ErrBrokerUnavailable, sendErr)
	}
	return "", fmt.Errorf("%w: project %d", ErrLoanNotCommitted, id)
}

// statusOrNothing answers an approval that stopped early: the error, or the project
// already REPAYING (an earlier approval finished the job).
func statusOrNothing(p *Project, err error) (ProjectStatus, error) {
	if err != nil {
		return "", err
	}
	return p.Status, nil
}

// prepareLoan locks a loanable project and gives it the request number of its loan at
// the bank, once.
func (uc *LoanUsecase) prepareLoan(ctx context.Context, id int64) (*Project, error) {
	var p *Project
	err := uc.tx.InTx(ctx, func(ctx context.Context) error {
		var err error
		if p, err = uc.lockLoanable(ctx, id); err != nil || p.Status == ProjectRepaying {
			return err
		}
		if p.LoanRequestNo == "" {
			p.LoanRequestNo = loanRequestNo(p.ID)
			return uc.projects.UpdateProject(ctx, p)
		}
		return nil
	})
	return p, err
}

// recordLoan stamps the loan date (once) and writes the message row under key, in one
// transaction; it returns the start-repayment message to send.
func (uc *LoanUsecase) recordLoan(ctx context.Context, id int64, key string) (*Project, StartRepayment, error) {
	var p *Project
	var msg StartRepayment
	err := uc.tx.InTx(ctx, func(ctx context.Context) error {
		var err error
		if p, err = uc.lockLoanable(ctx, id); err != nil || p.Status == ProjectRepaying {
			return err
		}
		if p.LoanedAt == nil {
			now := uc.now().UTC()
			p.LoanedAt = &now
			if err := uc.projects.UpdateProject(ctx, p); err != nil {
				return err
			}
		}
		frozen, err := uc.tenders.Tenders(ctx, p.ID, TenderFrozen)
		if err != nil {
			return err
		}
		msg = startRepaymentOf(p, frozen)
		_, err = uc.messages.CreateLoanMessage(ctx, p.ID, key)
		return err
	})
	return p, msg, err
}

// startRepaymentOf is the message that makes repayment write a loaned project's plans.
func startRepaymentOf(p *Project, frozen []Tender) StartRepayment {
	msg := StartRepayment{
		ProjectID: p.ID, BorrowerID: p.BorrowerID, Principal: p.Amount,
		BorrowerRate: p.AnnualRate, InvestorRate: p.InvestorRate, Periods: p.Periods,
		LoanedAt: *p.LoanedAt, LoanRequestNo: p.LoanRequestNo, Tenders: make([]TenderShare, 0, len(frozen)),
	}
	for _, t := range frozen {
		msg.Tenders = append(msg.Tenders, TenderShare{TenderID: t.ID, InvestorID: t.InvestorID, Amount: t.Amount})
	}
	return msg
}

// lockLoanable locks the project and checks it may be loaned: FULL with every tender
// settled, or REPAYING already (returned as is).
func (uc *LoanUsecase) lockLoanable(ctx context.Context, id int64) (*Project, error) {
	p, err := uc.projects.LockProject(ctx, id)
	if err != nil {
		return nil, err
	}
	switch p.Status {
	case ProjectRepaying:
		return p, nil
	case ProjectFull:
	default:
		return nil, fmt.Errorf("%w: project %d is %s", ErrProjectNotFull, p.ID, p.Status)
	}
	n, err := uc.tenders.CountTenders(ctx, p.ID, TenderPending)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, fmt.Errorf("%w: project %d has %d PENDING tenders", ErrTendersUnsettled, p.ID, n)
	}
	return p, nil
}

// newLoanMessageKey is a fresh key of a start-repayment message: LM and 24 hex digits.
func newLoanMessageKey() string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err)) // documented never to happen
	}
	return "LM" + hex.EncodeToString(b[:])
}
