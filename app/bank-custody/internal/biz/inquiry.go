package biz

import (
	"context"
	"fmt"
)

// InquiryUsecase answers a platform's questions: a request's result (reconciliation) and
// an account's balance. A platform only sees its own requests and users.
type InquiryUsecase struct {
	requests RequestRepo
	users    UserRepo
	accounts AccountRepo
}

// NewInquiryUsecase returns the inquiry use cases.
func NewInquiryUsecase(requests RequestRepo, users UserRepo, accounts AccountRepo) *InquiryUsecase {
	return &InquiryUsecase{requests: requests, users: users, accounts: accounts}
}

// Request returns a request the platform made; ErrRequestNotFound if the bank never
// received it (for a gateway request: the user left the bank's page).
func (uc *InquiryUsecase) Request(ctx context.Context, platformNo, requestNo string) (*CustodyRequest, error) {
	r, err := uc.requests.Get(ctx, requestNo)
	if err != nil {
		return nil, err
	}
	if r.PlatformNo != platformNo {
		return nil, fmt.Errorf("%w: %s", ErrRequestNotFound, requestNo)
	}
	return r, nil
}

// Account returns the money of a custody account the platform opened.
func (uc *InquiryUsecase) Account(ctx context.Context, platformNo, userNo string) (*Account, error) {
	u, err := uc.users.ByUserNo(ctx, userNo)
	if err != nil {
		return nil, err
	}
	if u.PlatformNo != platformNo {
		return nil, fmt.Errorf("%w: %s", ErrAccountNotFound, userNo)
	}
	return uc.accounts.Get(ctx, userNo)
}
