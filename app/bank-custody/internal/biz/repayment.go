package biz

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// Bounds of a repayment order: credits (one per receivable of the installment) and the
// period number (a hundred years of monthly installments).
const (
	MaxCredits = 20_000
	MaxPeriod  = 1200
)

// Credit is money a repayment pays to one investor's account.
type Credit struct {
	UserNo string
	Amount money.Amount
}

// InstallmentPayment is what a repayment order asks and the repayment it made records:
// the request paying one installment of a loaned project, the borrower who pays it, the
// amount debited and the commission of it the platform's fee account receives.
type InstallmentPayment struct {
	RequestNo      string
	ProjectNo      string
	Period         int
	BorrowerUserNo string
	Amount         money.Amount
	Commission     money.Amount
}

// RepaymentOrder asks the bank to execute one installment of a loaned project (REPAY):
// debit the borrower Amount, credit each credit, and credit the platform's fee account
// with Commission. Amount = Σ credits + Commission.
type RepaymentOrder struct {
	InstallmentPayment
	// Credits may name one user several times (one investor, several tenders).
	Credits []Credit
}

// Validate checks the order's fields and that its amounts add up to the cent.
func (o RepaymentOrder) Validate() error {
	if err := cmp.Or(validRequestNo(o.RequestNo), validProjectNo(o.ProjectNo)); err != nil {
		return err
	}
	if o.Period < 1 || o.Period > MaxPeriod {
		return &ValidationError{"period", fmt.Sprintf("must be 1 to %d", MaxPeriod)}
	}
	if err := cmp.Or(validUserNo("borrowerUserNo", o.BorrowerUserNo), positiveAmount(o.Amount)); err != nil {
		return err
	}
	switch {
	case o.Commission.IsNegative():
		return &ValidationError{"commission", "must be 0.00 or more"}
	case len(o.Credits) < 1 || len(o.Credits) > MaxCredits:
		return &ValidationError{"credits", fmt.Sprintf("1 to %d credits are needed", MaxCredits)}
	}
	sum := o.Commission
	for i, c := range o.Credits {
		if err := validUserNo(fmt.Sprintf("credits[%d].userNo", i), c.UserNo); err != nil {
			return err
		}
		if c.Amount.IsNegative() {
			return &ValidationError{fmt.Sprintf("credits[%d].amount", i), "must be 0.00 or more"}
		}
		sum = sum.Add(c.Amount)
	}
	if !sum.Equal(o.Amount) {
		return &ValidationError{"amount", fmt.Sprintf("must equal Σ credits[].amount + commission = %s", sum)}
	}
	return nil
}

// payees sums the credits per user number.
func (o RepaymentOrder) payees() map[string]money.Amount {
	out := make(map[string]money.Amount, len(o.Credits))
	for _, c := range o.Credits {
		out[c.UserNo] = out[c.UserNo].Add(c.Amount)
	}
	return out
}

// Repayment is an installment the bank paid out, to Credits credits.
type Repayment struct {
	InstallmentPayment
	Credits   int
	CreatedAt time.Time
}

// RepaymentUsecase executes installments: one local transaction of the bank debits the
// borrower and credits every investor and the fee account, or moves nothing.
type RepaymentUsecase struct {
	tx         Transaction
	requests   RequestRepo
	users      UserRepo
	accounts   AccountRepo
	projects   ProjectRepo
	repayments RepaymentRepo
	now        Clock
}

// NewRepaymentUsecase returns the repayment use case.
func NewRepaymentUsecase(tx Transaction, requests RequestRepo, users UserRepo, accounts AccountRepo, projects ProjectRepo,
	repayments RepaymentRepo) *RepaymentUsecase {
	return &RepaymentUsecase{tx: tx, requests: requests, users: users, accounts: accounts, projects: projects,
		repayments: repayments, now: SystemClock}
}

// Repay executes one installment. Borrower short of the amount → ErrInsufficientBalance,
// nothing moved and the request recorded FAILED; a repeat of a FAILED request number is
// attempted again, a repeat of a successful one answers it and moves nothing. A second
// successful repayment of the same period, under any number, is ErrPeriodAlreadyRepaid.
func (uc *RepaymentUsecase) Repay(ctx context.Context, platformNo string, order RepaymentOrder) (*Repayment, error) {
	if err := order.Validate(); err != nil {
		return nil, err
	}
	if done, err := uc.repeat(ctx, platformNo, order); done != nil || err != nil {
		return done, err
	}
	var outcome *CustodyRequest
	err := uc.tx.InTx(ctx, func(ctx context.Context) error {
		var err error
		outcome, err = uc.execute(ctx, platformNo, order)
		return err
	})
	if err != nil {
		// A twin with the same number may have paid it (then this one found the period
		// repaid, or its number taken).
		if done, rerr := uc.repeat(ctx, platformNo, order); done != nil || rerr != nil {
			return done, rerr
		}
		if errors.Is(err, ErrDuplicateRequest) {
			return nil, ErrRequestNoConflict
		}
		return nil, err
	}
	if outcome.Status == RequestFailed {
		return nil, fmt.Errorf("%w: borrower %s cannot pay %s", ErrInsufficientBalance, order.BorrowerUserNo, order.Amount)
	}
	return repaymentOf(outcome), nil
}

// repeat answers a request number recorded before: a SUCCESS is answered again, a
// FAILED one (nil, nil) is attempted again, another request's number is a conflict.
func (uc *RepaymentUsecase) repeat(ctx context.Context, platformNo string, order RepaymentOrder) (*Repayment, error) {
	r, err := uc.requests.Get(ctx, order.RequestNo)
	switch {
	case errors.Is(err, ErrRequestNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	case r.PlatformNo != platformNo || r.ServiceName != ServiceRepay || r.Details.ProjectNo != order.ProjectNo ||
		r.Details.Period != order.Period || r.Amount == nil || !r.Amount.Equal(order.Amount):
		return nil, fmt.Errorf("%w: %s", ErrRequestNoConflict, order.RequestNo)
	case r.Status == RequestSuccess:
		return repaymentOf(r), nil
	}
	return nil, nil
}

// execute runs in the transaction: it returns the request as recorded, SUCCESS with the
// money moved or FAILED with nothing moved.
func (uc *RepaymentUsecase) execute(ctx context.Context, platformNo string, order RepaymentOrder) (*CustodyRequest, error) {
	// The project's lock orders the repayments of a project (and its freezes and loan).
	p, err := uc.projects.Lock(ctx, order.ProjectNo)
	if err != nil {
		return nil, err
	}
	switch {
	case p.Status != ProjectLoaned:
		return nil, fmt.Errorf("%w: project %s is %s", ErrProjectNotLoaned, p.ProjectNo, p.Status)
	case p.BorrowerUserNo != order.BorrowerUserNo:
		return nil, fmt.Errorf("%w: %s is not the borrower of project %s", ErrRequestNoConflict, order.BorrowerUserNo, p.ProjectNo)
	}
	if _, err := uc.repayments.Get(ctx, order.ProjectNo, order.Period); err == nil {
		return nil, fmt.Errorf("%w: project %s period %d", ErrPeriodAlreadyRepaid, order.ProjectNo, order.Period)
	} else if !errors.Is(err, ErrRepaymentNotFound) {
		return nil, err
	}
	prior, err := uc.requests.Get(ctx, order.RequestNo)
	if errors.Is(err, ErrRequestNotFound) {
		prior, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	now := uc.now()
	r := order.request(platformNo, now)
	moved, err := uc.move(ctx, platformNo, order, now)
	switch {
	case errors.Is(err, ErrInsufficientBalance):
		r.Status, r.FailureReason = RequestFailed, ReasonInsufficientBalance
	case err != nil:
		return nil, err
	}
	if moved {
		err = uc.repayments.Create(ctx, &Repayment{InstallmentPayment: order.InstallmentPayment, Credits: len(order.Credits), CreatedAt: now})
		if err != nil {
			return nil, err
		}
	}
	if prior != nil {
		return r, uc.requests.SaveRetry(ctx, r)
	}
	return r, uc.requests.Create(ctx, r)
}

// move debits the borrower and credits the payees and the fee account, locking every
// account in user-number order so two repayments never deadlock. It reports whether it
// moved the money; ErrInsufficientBalance means nothing moved.
func (uc *RepaymentUsecase) move(ctx context.Context, platformNo string, order RepaymentOrder, now time.Time) (bool, error) {
	payees := order.payees()
	feeNo := FeeAccountNo(platformNo)
	userNos := []string{order.BorrowerUserNo}
	for no := range payees {
		userNos = append(userNos, no)
	}
	if err := uc.ownAccounts(ctx, platformNo, userNos); err != nil {
		return false, err
	}
	userNos = append(userNos, feeNo)
	slices.Sort(userNos)
	userNos = slices.Compact(userNos)
	accounts, err := uc.accounts.LockAll(ctx, userNos)
	if err != nil {
		return false, err
	}
	for _, no := range userNos {
		if _, ok := accounts[no]; !ok {
			return false, fmt.Errorf("%w: %s", ErrAccountNotFound, no)
		}
	}
	// Debit first: the borrower's money must be there before anyone is paid (a borrower
	// who also invested is not paid with the installment itself).
	if err := accounts[order.BorrowerUserNo].Debit(order.Amount); err != nil {
		return false, err
	}
	accounts[feeNo].Credit(order.Commission)
	for no, amount := range payees {
		accounts[no].Credit(amount)
	}
	changed := make([]*Account, 0, len(userNos))
	for _, no := range userNos {
		a := accounts[no]
		a.UpdatedAt = now
		changed = append(changed, a)
	}
	return true, uc.accounts.SaveAll(ctx, changed)
}

// ownAccounts checks, in one read, that every user number is a custody account the
// platform opened (the fee account is none: it is never a payee).
func (uc *RepaymentUsecase) ownAccounts(ctx context.Context, platformNo string, userNos []string) error {
	users, err := uc.users.ByUserNos(ctx, userNos)
	if err != nil {
		return err
	}
	for _, no := range userNos {
		if u, ok := users[no]; !ok || u.PlatformNo != platformNo {
			return fmt.Errorf("%w: %s", ErrAccountNotFound, no)
		}
	}
	return nil
}

// request is the order as the request log records it, SUCCESS until refused.
func (o RepaymentOrder) request(platformNo string, now time.Time) *CustodyRequest {
	amount, commission := o.Amount, o.Commission
	return &CustodyRequest{
		RequestNo: o.RequestNo, PlatformNo: platformNo, ServiceName: ServiceRepay, UserNo: o.BorrowerUserNo,
		Amount: &amount, Status: RequestSuccess,
		Details:   RequestDetails{ProjectNo: o.ProjectNo, Period: o.Period, Commission: &commission},
		CreatedAt: now, UpdatedAt: now,
	}
}

// repaymentOf answers a successful repayment from its request record.
func repaymentOf(r *CustodyRequest) *Repayment {
	out := &Repayment{InstallmentPayment: InstallmentPayment{RequestNo: r.RequestNo, ProjectNo: r.Details.ProjectNo,
		Period: r.Details.Period, BorrowerUserNo: r.UserNo}, CreatedAt: r.UpdatedAt}
	if r.Amount != nil {
		out.Amount = *r.Amount
	}
	if r.Details.Commission != nil {
		out.Commission = *r.Details.Commission
	}
	return out
}
