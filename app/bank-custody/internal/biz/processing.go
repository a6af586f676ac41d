package biz

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/pkg/claims"
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// ProcessingUsecase completes accepted gateway requests — the bank's back office — and
// hands their results to the notifier.
type ProcessingUsecase struct {
	tx        Transaction
	requests  RequestRepo
	users     UserRepo
	accounts  AccountRepo
	publisher NotificationPublisher
	platforms Platforms
	userNos   UserNumbers
	claims    claims.Claimer
	faults    *faults.Registry
	now       Clock
	log       *log.Helper
}

// JobPublishResults is the poller's publishing step in the claims table (pkg/claims).
const JobPublishResults = "result-publish"

// NewProcessingUsecase returns the back office; c may be nil (one instance: its poller
// publishes every result), f too (faults disabled).
func NewProcessingUsecase(tx Transaction, requests RequestRepo, users UserRepo, accounts AccountRepo,
	publisher NotificationPublisher, platforms Platforms, userNos UserNumbers, c claims.Claimer, f *faults.Registry,
	logger log.Logger) *ProcessingUsecase {
	return &ProcessingUsecase{tx: tx, requests: requests, users: users, accounts: accounts, publisher: publisher,
		platforms: platforms, userNos: userNos, claims: claims.Or(c), faults: f, now: SystemClock, log: log.NewHelper(log.With(logger, "module", "biz/processing"))}
}

// OpenFeeAccounts opens each platform's fee account (FeeAccountNo) with 0.00 unless it
// exists. Safe to run at every start and from several instances at once.
func (uc *ProcessingUsecase) OpenFeeAccounts(ctx context.Context) error {
	for _, platformNo := range uc.platforms.Nos() {
		no := FeeAccountNo(platformNo)
		if len(no) > 32 {
			return fmt.Errorf("platform %s: fee account number %s is longer than 32 characters", platformNo, no)
		}
		_, err := uc.accounts.Get(ctx, no)
		if !errors.Is(err, ErrAccountNotFound) {
			if err != nil {
				return err
			}
			continue
		}
		if err := uc.accounts.Open(ctx, no, uc.now()); err != nil {
			// Another instance may have opened it meanwhile.
			if _, gerr := uc.accounts.Get(ctx, no); gerr != nil {
				return fmt.Errorf("open fee account %s: %w", no, err)
			}
			continue
		}
		uc.log.Infow("msg", "fee account opened", "userNo", no)
	}
	return nil
}

// Poll completes up to batch PROCESSING requests, then publishes up to batch results that
// are not published yet — the ones just completed, and any a crash left behind. It
// returns the first error; the next poll tries again.
func (uc *ProcessingUsecase) Poll(ctx context.Context, batch int) error {
	var first error
	keep := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	nos, err := uc.requests.Processing(ctx, uc.platforms.Nos(), batch)
	keep(err)
	for _, no := range nos {
		if err := uc.Complete(ctx, no); err != nil {
			keep(fmt.Errorf("complete %s: %w", no, err))
			continue
		}
		// Completed and committed, not published: the next poll after a restart finds
		// it among the unpublished results below.
		uc.faults.Crash(CrashAfterComplete)
	}
	unpublished, err := uc.requests.Unpublished(ctx, uc.platforms.Nos(), batch)
	keep(err)
	// Completing is safe side by side (the row lock); publishing is not — two pollers
	// would send one result twice — so each publishes the results it holds (pkg/claims).
	unpublished, err = claims.Filter(ctx, uc.claims, JobPublishResults, unpublished,
		func(r **CustodyRequest) string { return (*r).RequestNo })
	keep(err)
	for _, r := range unpublished {
		keep(uc.publish(ctx, r))
	}
	return first
}

// Complete carries out one PROCESSING request in one local transaction: the account is
// opened, credited or debited and the request finished together, or neither. A request that is
// no longer PROCESSING (another poller got there first) is left alone.
func (uc *ProcessingUsecase) Complete(ctx context.Context, requestNo string) error {
	return uc.tx.InTx(ctx, func(ctx context.Context) error {
		r, err := uc.requests.Lock(ctx, requestNo)
		if err != nil {
			return err
		}
		if r.Status != RequestProcessing {
			return nil
		}
		switch r.ServiceName {
		case ServiceOpenAccount:
			err = uc.openAccount(ctx, r)
		case ServiceRecharge:
			err = uc.changeBalance(ctx, r, func(a *Account, amount money.Amount) error { a.Credit(amount); return nil })
		case ServiceWithdraw:
			err = uc.changeBalance(ctx, r, (*Account).Debit)
		default:
			err = r.Fail(fmt.Sprintf("%s is not a gateway request", r.ServiceName), uc.now())
		}
		if err != nil {
			return err
		}
		return uc.requests.SaveResult(ctx, r)
	})
}

func (uc *ProcessingUsecase) openAccount(ctx context.Context, r *CustodyRequest) error {
	existing, err := uc.users.ByPlatformUser(ctx, r.PlatformNo, r.PlatformUserID)
	switch {
	case err == nil:
		return r.Fail(fmt.Sprintf("platform user %d already has custody account %s", r.PlatformUserID, existing.UserNo), uc.now())
	case !errors.Is(err, ErrAccountNotFound):
		return err
	case r.PasswordHash == "":
		return r.Fail("no custody password was set", uc.now())
	}
	now := uc.now()
	u := BankUser{
		PlatformNo: r.PlatformNo, PlatformUserID: r.PlatformUserID, RealName: r.Details.RealName,
		IDNumber: r.Details.IDNumber, BankCardNo: r.Details.BankCardNo, PasswordHash: r.PasswordHash, CreatedAt: now,
	}
	// A random number is taken one time in billions; draw again a few times.
	for range 5 {
		u.UserNo = uc.userNos()
		if err = uc.users.Create(ctx, u); !errors.Is(err, ErrUserNoTaken) {
			break
		}
	}
	if errors.Is(err, ErrPlatformUserHasAccount) {
		return r.Fail(fmt.Sprintf("platform user %d already has a custody account", r.PlatformUserID), now)
	}
	if err != nil {
		return err
	}
	if err := uc.accounts.Open(ctx, u.UserNo, now); err != nil {
		return err
	}
	return r.Succeed(u.UserNo, now)
}

// changeBalance applies a recharge or a withdrawal to the account under its lock. A
// withdrawal short of money (checked again here: the page's check was without a lock)
// fails the request with ReasonInsufficientBalance.
func (uc *ProcessingUsecase) changeBalance(ctx context.Context, r *CustodyRequest, change func(*Account, money.Amount) error) error {
	now := uc.now()
	if r.Amount == nil || !r.Amount.IsPositive() {
		return r.Fail("the amount must be more than 0.00", now)
	}
	u, err := uc.users.ByUserNo(ctx, r.UserNo)
	if errors.Is(err, ErrAccountNotFound) {
		return r.Fail(fmt.Sprintf("unknown userNo %s", r.UserNo), now)
	}
	if err != nil {
		return err
	}
	if u.PlatformNo != r.PlatformNo || u.PlatformUserID != r.PlatformUserID {
		return r.Fail(fmt.Sprintf("userNo %s is not the custody account of platform user %d", r.UserNo, r.PlatformUserID), now)
	}
	a, err := uc.accounts.Lock(ctx, r.UserNo)
	if errors.Is(err, ErrAccountNotFound) {
		return r.Fail(fmt.Sprintf("userNo %s has no account", r.UserNo), now)
	}
	if err != nil {
		return err
	}
	if err := change(a, *r.Amount); errors.Is(err, ErrInsufficientBalance) {
		return r.Fail(ReasonInsufficientBalance, now)
	} else if err != nil {
		return err
	}
	a.UpdatedAt = now
	if err := uc.accounts.Save(ctx, a); err != nil {
		return err
	}
	return r.Succeed(r.UserNo, now)
}

// publish hands a finished request's result to the notifier and remembers that it did.
// A crash in between publishes it twice; the platform applies a result once.
func (uc *ProcessingUsecase) publish(ctx context.Context, r *CustodyRequest) error {
	n, err := r.Notification()
	if err != nil {
		return err
	}
	if err := uc.publisher.Publish(ctx, r.PlatformNo, n); err != nil {
		return fmt.Errorf("publish result of %s: %w", r.RequestNo, err)
	}
	if err := uc.requests.MarkPublished(ctx, r.RequestNo, uc.now()); err != nil {
		return fmt.Errorf("mark %s published: %w", r.RequestNo, err)
	}
	uc.log.Infow("msg", "result published", "requestNo", r.RequestNo, "status", string(r.Status))
	return nil
}
