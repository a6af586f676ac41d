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

// ProjectStatus is where a registered project is at the bank.
type ProjectStatus string

// Project statuses.
const (
	ProjectCollecting ProjectStatus = "COLLECTING"
	ProjectLoaned     ProjectStatus = "LOANED"
)

// Project is a platform's loan project registered at the bank.
type Project struct {
	ProjectNo         string
	PlatformProjectID int64
	BorrowerUserNo    string
	Amount            money.Amount
	// Held is what the project's freezes hold (FROZEN or TRANSFERRED), never above Amount.
	Held      money.Amount
	Status    ProjectStatus
	CreatedAt time.Time
	UpdatedAt time.Time
}

// FreezeStatus is where money frozen for a tender is.
type FreezeStatus string

// Freeze statuses.
const (
	FreezeFrozen      FreezeStatus = "FROZEN"
	FreezeTransferred FreezeStatus = "TRANSFERRED"
	// FreezeUnfrozen: the money went back to the investor (the project failed).
	FreezeUnfrozen FreezeStatus = "UNFROZEN"
	// FreezeVoided: the unfreeze arrived before the freeze; nothing was ever held, and
	// the freeze is refused when it comes.
	FreezeVoided FreezeStatus = "VOIDED"
)

// Freeze is money held on an investor's account for one tender.
type Freeze struct {
	RequestNo string
	ProjectNo string
	UserNo    string
	Amount    money.Amount
	Status    FreezeStatus
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Holds reports whether the freeze's money counts towards its project: frozen, or paid
// to the borrower.
func (f *Freeze) Holds() bool { return f.Status == FreezeFrozen || f.Status == FreezeTransferred }

// ProjectRegistration asks the bank to register a project (REGISTER_PROJECT).
type ProjectRegistration struct {
	RequestNo         string
	ProjectNo         string
	PlatformProjectID int64
	BorrowerUserNo    string
	Amount            money.Amount
}

// Validate checks the registration's fields.
func (p ProjectRegistration) Validate() error {
	if err := cmp.Or(validRequestNo(p.RequestNo), validNumber("projectNo", p.ProjectNo)); err != nil {
		return err
	}
	if p.PlatformProjectID <= 0 {
		return &ValidationError{"platformProjectId", "must be a positive number"}
	}
	return cmp.Or(validUserNo("borrowerUserNo", p.BorrowerUserNo), positiveAmount(p.Amount))
}

// FreezeOrder asks the bank to freeze an investor's money for a tender (FREEZE).
type FreezeOrder struct {
	RequestNo string
	ProjectNo string
	UserNo    string
	Amount    money.Amount
}

// Validate checks the order's fields.
func (f FreezeOrder) Validate() error {
	return cmp.Or(validRequestNo(f.RequestNo), validProjectNo(f.ProjectNo), validUserNo("userNo", f.UserNo), positiveAmount(f.Amount))
}

// Loan is the bank's record of a confirmed loan (CONFIRM_LOAN).
type Loan struct {
	RequestNo      string
	ProjectNo      string
	BorrowerUserNo string
	// Amount is the sum of the freezes transferred to the borrower.
	Amount money.Amount
}

// LendingUsecase moves investors' money for the platform's projects: register, freeze
// per tender, transfer to the borrower on loan confirmation. Every call is idempotent by
// its request number and changes balances under row locks in one local transaction.
type LendingUsecase struct {
	tx       Transaction
	requests RequestRepo
	users    UserRepo
	accounts AccountRepo
	projects ProjectRepo
	freezes  FreezeRepo
	now      Clock
}

// NewLendingUsecase returns the lending use cases.
func NewLendingUsecase(tx Transaction, requests RequestRepo, users UserRepo, accounts AccountRepo,
	projects ProjectRepo, freezes FreezeRepo) *LendingUsecase {
	return &LendingUsecase{tx: tx, requests: requests, users: users, accounts: accounts, projects: projects,
		freezes: freezes, now: SystemClock}
}

// RegisterProject registers a project for the borrower's custody account. A repeat of the
// request returns the project as registered then.
func (uc *LendingUsecase) RegisterProject(ctx context.Context, platformNo string, reg ProjectRegistration) (*Project, error) {
	if err := reg.Validate(); err != nil {
		return nil, err
	}
	var out *Project
	err := uc.idempotent(ctx, platformNo, reg.RequestNo, ServiceRegisterProject, reg.ProjectNo, func(ctx context.Context) error {
		if err := uc.ownAccount(ctx, platformNo, reg.BorrowerUserNo); err != nil {
			return err
		}
		now := uc.now()
		p := &Project{
			ProjectNo: reg.ProjectNo, PlatformProjectID: reg.PlatformProjectID, BorrowerUserNo: reg.BorrowerUserNo,
			Amount: reg.Amount, Status: ProjectCollecting, CreatedAt: now, UpdatedAt: now,
		}
		if err := uc.projects.Create(ctx, p); err != nil {
			return err
		}
		amount := reg.Amount
		out = p
		return uc.requests.Create(ctx, &CustodyRequest{
			RequestNo: reg.RequestNo, PlatformNo: platformNo, ServiceName: ServiceRegisterProject,
			UserNo: reg.BorrowerUserNo, Amount: &amount, Status: RequestSuccess,
			Details: RequestDetails{ProjectNo: reg.ProjectNo}, CreatedAt: now, UpdatedAt: now,
		})
	}, func(ctx context.Context, _ *CustodyRequest) error {
		p, err := uc.projects.Get(ctx, reg.ProjectNo)
		out = p
		return err
	})
	return out, err
}

// Freeze holds an investor's money for a tender: 422 INSUFFICIENT_BALANCE when balance −
// frozen < amount. A repeat of the request returns the first freeze and holds nothing
// more. It is a batch of one order (freeze_batch.go): one way to freeze.
func (uc *LendingUsecase) Freeze(ctx context.Context, platformNo string, order FreezeOrder) (*Freeze, error) {
	if err := order.Validate(); err != nil {
		return nil, err
	}
	var out []FreezeOutcome
	err := uc.tx.InTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = uc.freezeBatch(ctx, platformNo, order.ProjectNo, []FreezeOrder{order})
		return err
	})
	if errors.Is(err, ErrDuplicateRequest) {
		return nil, ErrRequestNoConflict // the number was used by another kind of request
	}
	if err != nil {
		return nil, err
	}
	return out[0].Freeze, out[0].Err
}

// ConfirmLoan transfers every FROZEN freeze of the project from its investor to the
// borrower (investor balance and frozen −= amount, borrower balance += amount), marks the
// freezes TRANSFERRED and the project LOANED. A repeat — of the request, or for a
// project already loaned — transfers nothing and answers with the loan.
func (uc *LendingUsecase) ConfirmLoan(ctx context.Context, platformNo, requestNo, projectNo string) (*Loan, error) {
	if err := cmp.Or(validRequestNo(requestNo), validProjectNo(projectNo)); err != nil {
		return nil, err
	}
	var out *Loan
	err := uc.idempotent(ctx, platformNo, requestNo, ServiceConfirmLoan, projectNo, func(ctx context.Context) error {
		p, err := uc.projects.Lock(ctx, projectNo)
		if err != nil {
			return err
		}
		freezes, err := uc.freezes.OfProject(ctx, projectNo)
		if err != nil {
			return err
		}
		loan := &Loan{RequestNo: requestNo, ProjectNo: projectNo, BorrowerUserNo: p.BorrowerUserNo}
		now := uc.now()
		if p.Status == ProjectLoaned {
			for _, f := range freezes {
				if f.Status == FreezeTransferred {
					loan.Amount = loan.Amount.Add(f.Amount)
				}
			}
		} else {
			if loan.Amount, err = uc.transfer(ctx, p, freezes, now); err != nil {
				return err
			}
		}
		amount := loan.Amount
		out = loan
		return uc.requests.Create(ctx, &CustodyRequest{
			RequestNo: requestNo, PlatformNo: platformNo, ServiceName: ServiceConfirmLoan, UserNo: p.BorrowerUserNo,
			Amount: &amount, Status: RequestSuccess, Details: RequestDetails{ProjectNo: projectNo},
			CreatedAt: now, UpdatedAt: now,
		})
	}, func(_ context.Context, r *CustodyRequest) error {
		out = &Loan{RequestNo: r.RequestNo, ProjectNo: r.Details.ProjectNo, BorrowerUserNo: r.UserNo}
		if r.Amount != nil {
			out.Amount = *r.Amount
		}
		return nil
	})
	return out, err
}

// transfer moves the project's FROZEN freezes to the borrower and returns the total.
func (uc *LendingUsecase) transfer(ctx context.Context, p *Project, freezes []*Freeze, now time.Time) (money.Amount, error) {
	var total money.Amount
	var moved []string
	userNos := []string{p.BorrowerUserNo}
	for _, f := range freezes {
		if f.Status == FreezeFrozen {
			moved = append(moved, f.RequestNo)
			userNos = append(userNos, f.UserNo)
		}
	}
	if len(moved) == 0 {
		return total, fmt.Errorf("%w: project %s", ErrNothingFrozen, p.ProjectNo)
	}
	slices.Sort(userNos)
	accounts, err := uc.accounts.LockAll(ctx, slices.Compact(userNos))
	if err != nil {
		return total, err
	}
	borrower, ok := accounts[p.BorrowerUserNo]
	if !ok {
		return total, fmt.Errorf("%w: borrower %s", ErrAccountNotFound, p.BorrowerUserNo)
	}
	for _, f := range freezes {
		if f.Status != FreezeFrozen {
			continue
		}
		investor, ok := accounts[f.UserNo]
		if !ok {
			return total, fmt.Errorf("%w: investor %s", ErrAccountNotFound, f.UserNo)
		}
		// Pay out first: a borrower who also invested must not be paid with their own
		// frozen money before it leaves.
		if err := investor.PayFrozen(f.Amount); err != nil {
			return total, err
		}
		borrower.Credit(f.Amount)
		total = total.Add(f.Amount)
	}
	for _, a := range accounts {
		a.UpdatedAt = now
		if err := uc.accounts.Save(ctx, a); err != nil {
			return total, err
		}
	}
	if err := uc.freezes.SetStatus(ctx, moved, FreezeTransferred, now); err != nil {
		return total, err
	}
	return total, uc.projects.SetStatus(ctx, p.ProjectNo, ProjectLoaned, now)
}

// idempotent runs do in a transaction unless requestNo was recorded before, in which case
// repeat answers from that record. A concurrent twin that records it first is treated as
// recorded before. A number recorded for another kind of request, another project or
// another platform is ErrRequestNoConflict.
func (uc *LendingUsecase) idempotent(ctx context.Context, platformNo, requestNo string, service ServiceName, projectNo string,
	do func(ctx context.Context) error, repeat func(ctx context.Context, r *CustodyRequest) error) error {
	again := func() (bool, error) {
		r, err := uc.requests.Get(ctx, requestNo)
		switch {
		case errors.Is(err, ErrRequestNotFound):
			return false, nil
		case err != nil:
			return false, err
		case r.PlatformNo != platformNo || r.ServiceName != service || r.Details.ProjectNo != projectNo:
			return true, ErrRequestNoConflict
		}
		return true, repeat(ctx, r)
	}
	if done, err := again(); done || err != nil {
		return err
	}
	err := uc.tx.InTx(ctx, do)
	if err != nil {
		// A twin may have won the race (its insert made ours fail on a unique key).
		if done, aerr := again(); done {
			return aerr
		}
	}
	if errors.Is(err, ErrDuplicateRequest) {
		return ErrRequestNoConflict
	}
	return err
}

// ownAccount checks that userNo is a custody account the platform opened.
func (uc *LendingUsecase) ownAccount(ctx context.Context, platformNo, userNo string) error {
	u, err := uc.users.ByUserNo(ctx, userNo)
	if err != nil {
		return err
	}
	if u.PlatformNo != platformNo {
		return fmt.Errorf("%w: %s", ErrAccountNotFound, userNo)
	}
	return nil
}
