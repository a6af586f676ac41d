package biz

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/pkg/claims"
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
)

// LoanUsecase approves full loans.
type LoanUsecase struct {
	projects  ProjectRepo
	tenders   TenderRepo
	messages  LoanMessageRepo
	tx        Transaction
	bank      Bank
	messenger LoanMessenger
	ledger    *LoanLedger
	failures  *FailureUsecase
	faults    *faults.Registry
	claims    claims.Claimer
	log       *log.Helper
	now       func() time.Time
}

// NewLoanUsecase returns the loan approval use case; failures rejects loans; f may be
// nil (faults disabled), c too (one instance: ResumeInterrupted holds every project).
func NewLoanUsecase(projects ProjectRepo, tenders TenderRepo, messages LoanMessageRepo, tx Transaction, bank Bank,
	messenger LoanMessenger, ledger *LoanLedger, failures *FailureUsecase, f *faults.Registry, c claims.Claimer,
	logger log.Logger) *LoanUsecase {
	return &LoanUsecase{projects: projects, tenders: tenders, messages: messages, tx: tx, bank: bank,
		messenger: messenger, ledger: ledger, failures: failures, faults: f, claims: claims.Or(c),
		log: log.NewHelper(logger), now: time.Now}
}

// Approve confirms a FULL project's loan at the bank and starts repayment (see the top of
// this file); it answers REPAYING once the local transaction has committed. Approving a
// REPAYING project answers REPAYING again and changes nothing. approve=false rejects the
// loan instead: the project FAILED and its tenders refunded (FailureUsecase.RejectLoan).
// Errors: ErrForbidden, ErrProjectNotFound, ErrProjectNotFull, ErrTendersUnsettled, the
// bank's errors, ErrBrokerUnavailable, ErrLoanNotCommitted; ErrProjectNotFailable for a
// rejection.
func (uc *LoanUsecase) Approve(ctx context.Context, caller Caller, id int64, approve bool) (ProjectStatus, error) {
	if caller.Role != RoleAdmin {
		return "", fmt.Errorf("%w: only an admin approves loans", ErrForbidden)
	}
	if !approve {
		return uc.failures.RejectLoan(ctx, id)
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
	uc.faults.Crash(CrashLoanAfterTransfer)
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

// systemAdmin is the caller of approvals trade-center resumes on its own.
var systemAdmin = Caller{Role: RoleAdmin}

// ResumeInterrupted finishes approvals that stopped half-way — trade-center died after
// the bank moved the loan, or the broker was unreachable for the half message: a FULL
// project that already has its loan request number has been approved by an admin, and if
// it has not changed for after, it is approved again. Every step is idempotent (the
// bank's transfer by the request number, the message by its loan_message row), so the
// money moves once and the plan is written once. It returns how many it resumed; the
// first failure is returned after the others were tried (the project stays FULL for the
// next pass).
func (uc *LoanUsecase) ResumeInterrupted(ctx context.Context, after time.Duration) (int, error) {
	full, err := uc.projects.Projects(ctx, ProjectFilter{Status: ProjectFull, Limit: resumeBatch})
	if err != nil {
		return 0, err
	}
	// With two instances, each resumes the projects it holds (pkg/claims).
	if full, err = claims.Filter(ctx, uc.claims, JobResumeLoans, full, projectKey); err != nil {
		return 0, err
	}
	var errs []error
	n := 0
	for _, p := range full {
		if p.LoanRequestNo == "" || uc.now().Sub(p.UpdatedAt) < after {
			continue
		}
		st, err := uc.Approve(ctx, systemAdmin, p.ID, true)
		if err != nil {
			errs = append(errs, fmt.Errorf("resume the loan of project %d: %w", p.ID, err))
			continue
		}
		n++
		uc.log.WithContext(ctx).Warnw("msg", "interrupted loan approval resumed", "project_id", p.ID,
			"loan_request_no", p.LoanRequestNo, "status", string(st))
	}
	return n, errors.Join(errs...)
}

// resumeBatch bounds the FULL projects one resume pass looks at.
const resumeBatch = 200

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
		LoanedAt: *p.LoanedAt, LoanRequestNo: p.LoanRequestNo, BankProjectNo: p.BankProjectNo,
		BorrowerUserNo: p.BorrowerUserNo, Tenders: make([]TenderShare, 0, len(frozen)),
	}
	for _, t := range frozen {
		msg.Tenders = append(msg.Tenders, TenderShare{TenderID: t.ID, InvestorID: t.InvestorID,
			InvestorUserNo: t.InvestorUserNo, Amount: t.Amount})
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
