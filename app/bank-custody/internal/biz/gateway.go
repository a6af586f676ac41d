package biz

import (
	"context"
	"errors"
	"time"
)

// GatewayUsecase accepts the requests users confirm on the bank's page.
type GatewayUsecase struct {
	tx        Transaction
	requests  RequestRepo
	nonces    NonceRepo
	hasher    PasswordHasher
	platforms Platforms
	now       Clock
}

// NewGatewayUsecase returns the gateway use case.
func NewGatewayUsecase(tx Transaction, requests RequestRepo, nonces NonceRepo, hasher PasswordHasher, platforms Platforms) *GatewayUsecase {
	return &GatewayUsecase{tx: tx, requests: requests, nonces: nonces, hasher: hasher, platforms: platforms, now: SystemClock}
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

// Accept records an application the user confirmed with a custody password as
// PROCESSING; the poller completes it. The form's nonce is claimed in the same local
// transaction. A repeat of a request number the bank has already accepted returns that
// request and changes nothing.
func (uc *GatewayUsecase) Accept(ctx context.Context, a Application, password, confirm string, nonce FormNonce) (*CustodyRequest, error) {
	if err := uc.Review(a); err != nil {
		return nil, err
	}
	if err := CheckCustodyPassword(password, confirm); err != nil {
		return nil, err
	}
	if existing, err := uc.accepted(ctx, a); existing != nil || err != nil {
		return existing, err
	}
	platform, _ := uc.platforms.Platform(a.PlatformNo)
	now := uc.now()
	r := &CustodyRequest{
		RequestNo: a.RequestNo, PlatformNo: a.PlatformNo, ServiceName: a.ServiceName,
		PlatformUserID: a.PlatformUserID, Status: RequestProcessing, CallbackURL: platform.CallbackURL,
		Details:   RequestDetails{ReturnURL: a.ReturnURL},
		CreatedAt: now, UpdatedAt: now,
	}
	switch a.ServiceName {
	case ServiceOpenAccount:
		r.Details.RealName, r.Details.IDNumber = a.RealName, a.IDNumber
		r.Details.BankCardNo, r.Details.Mobile = a.BankCardNo, a.Mobile
		hash, err := uc.hasher.Hash(password)
		if err != nil {
			return nil, err
		}
		r.PasswordHash = hash
	case ServiceRecharge:
		amount := a.Amount
		r.UserNo, r.Amount = a.UserNo, &amount
	}
	err := uc.tx.InTx(ctx, func(ctx context.Context) error {
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
