package biz

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// GatewayUsecase accepts the requests users confirm on the bank's page.
type GatewayUsecase struct {
	tx        Transaction
	requests  RequestRepo
	nonces    NonceRepo
	users     UserRepo
	accounts  AccountRepo
	hasher    PasswordHasher
	platforms Platforms
	now       Clock
}

// NewGatewayUsecase returns the gateway use case.
func NewGatewayUsecase(tx Transaction, requests RequestRepo, nonces NonceRepo, users UserRepo, accounts AccountRepo,
	hasher PasswordHasher, platforms Platforms) *GatewayUsecase {
	return &GatewayUsecase{tx: tx, requests: requests, nonces: nonces, users: users, accounts: accounts, hasher: hasher,
		platforms: platforms, now: SystemClock}
}

// FormNonce is the signed form's nonce and until when it must be remembered.
type FormNonce struct {
	Value     string
	ExpiresAt time.Time
}

// Review checks an application before the bank shows it to the user.
func (uc *GatewayUsecase) Review(a Application) error {
	if _, ok := uc.platforms.Platform(a.PlatformNo); !ok {
		return ErrUnknownPlatform
	}
	return a.Validate()
}

// Withdrawable is what a withdrawal's account can give: balance − frozen. The account
// must be the platform user's.
func (uc *GatewayUsecase) Withdrawable(ctx context.Context, a Application) (money.Amount, error) {
	if _, err := uc.holder(ctx, a); err != nil {
		return money.Amount{}, err
	}
	acct, err := uc.accounts.Get(ctx, a.UserNo)
	if err != nil {
		return money.Amount{}, err
	}
	return acct.Available(), nil
}

// Accept records an application the user confirmed with a custody password as
// PROCESSING; the poller completes it. The form's nonce is claimed in the same local
// transaction. A repeat of a request number the bank has already accepted returns that
// request and changes nothing. A withdrawal needs the password set at account opening
// and no more than the available balance (checked again when the poller debits it).
func (uc *GatewayUsecase) Accept(ctx context.Context, a Application, password, confirm string, nonce FormNonce) (*CustodyRequest, error) {
	if err := uc.Review(a); err != nil {
		return nil, err
	}
	if err := uc.checkPassword(ctx, a, password, confirm); err != nil {
		return nil, err
	}
	if existing, err := uc.accepted(ctx, a); existing != nil || err != nil {
		return existing, err
	}
	if a.ServiceName == ServiceWithdraw {
		available, err := uc.Withdrawable(ctx, a)
		if err != nil {
			return nil, err
		}
		if available.Cmp(a.Amount) < 0 {
			return nil, fmt.Errorf("%w: %s available, %s asked", ErrExceedsAvailable, available, a.Amount)
		}
	}
	r, err := uc.newRequest(a, password)
	if err != nil {
		return nil, err
	}
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		fresh, err := uc.nonces.Claim(ctx, nonce.Value, nonce.ExpiresAt)
		if err != nil {
			return err
		}
		if !fresh {
			return ErrNonceReplayed
		}
		return uc.requests.Create(ctx, r)
	})
	if errors.Is(err, ErrDuplicateRequest) || errors.Is(err, ErrNonceReplayed) {
		// The same page submitted twice at once: the other submission recorded it.
		if existing, gerr := uc.accepted(ctx, a); existing != nil || gerr != nil {
			return existing, gerr
		}
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// checkPassword checks the custody password typed on the page: chosen twice for an
// account opening (and typed twice for a recharge), the one set at opening for a
// withdrawal.
func (uc *GatewayUsecase) checkPassword(ctx context.Context, a Application, password, confirm string) error {
	if a.ServiceName != ServiceWithdraw {
		return CheckCustodyPassword(password, confirm)
	}
	if !isDigits(password, 6, 6) {
		return ErrPasswordFormat
	}
	u, err := uc.holder(ctx, a)
	if err != nil {
		return err
	}
	if !uc.hasher.Matches(u.PasswordHash, password) {
		return ErrWrongPassword
	}
	return nil
}

// holder is the bank user of a request naming an account; ErrAccountNotFound unless it
// is the custody account of the platform's user.
func (uc *GatewayUsecase) holder(ctx context.Context, a Application) (*BankUser, error) {
	u, err := uc.users.ByUserNo(ctx, a.UserNo)
	if err != nil {
		return nil, err
	}
	if u.PlatformNo != a.PlatformNo || u.PlatformUserID != a.PlatformUserID {
		return nil, fmt.Errorf("%w: %s is not the custody account of platform user %d", ErrAccountNotFound, a.UserNo, a.PlatformUserID)
	}
	return u, nil
}

// newRequest is the application as the request log records it, PROCESSING.
func (uc *GatewayUsecase) newRequest(a Application, password string) (*CustodyRequest, error) {
	platform, _ := uc.platforms.Platform(a.PlatformNo)
	now := uc.now()
	r := &CustodyRequest{
		RequestNo: a.RequestNo, PlatformNo: a.PlatformNo, ServiceName: a.ServiceName,
		PlatformUserID: a.PlatformUserID, Status: RequestProcessing, CallbackURL: platform.CallbackURL,
		Details:   RequestDetails{ReturnURL: a.ReturnURL},
		CreatedAt: now, UpdatedAt: now,
	}
	switch {
	case a.ServiceName == ServiceOpenAccount:
		r.Details.RealName, r.Details.IDNumber = a.RealName, a.IDNumber
		r.Details.BankCardNo, r.Details.Mobile = a.BankCardNo, a.Mobile
		hash, err := uc.hasher.Hash(password)
		if err != nil {
			return nil, err
		}
		r.PasswordHash = hash
	case a.ServiceName.MovesMoney():
		amount := a.Amount
		r.UserNo, r.Amount = a.UserNo, &amount
	}
	return r, nil
}

// accepted returns the request already recorded under a's number, or nil.
func (uc *GatewayUsecase) accepted(ctx context.Context, a Application) (*CustodyRequest, error) {
	existing, err := uc.requests.Get(ctx, a.RequestNo)
	switch {
	case errors.Is(err, ErrRequestNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	case existing.PlatformNo != a.PlatformNo || existing.ServiceName != a.ServiceName:
		return nil, ErrRequestNoConflict
	}
	return existing, nil
}
