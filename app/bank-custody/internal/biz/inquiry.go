package biz

import (
	"context"
	"fmt"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// InquiryUsecase answers a platform's questions: a request's result (reconciliation), an
// account's balance, its fee account and the bank's totals. A platform only sees its own
// requests and users.
type InquiryUsecase struct {
	snapshot Snapshot
	requests RequestRepo
	users    UserRepo
	accounts AccountRepo
}

// NewInquiryUsecase returns the inquiry use cases.
func NewInquiryUsecase(snapshot Snapshot, requests RequestRepo, users UserRepo, accounts AccountRepo) *InquiryUsecase {
	return &InquiryUsecase{snapshot: snapshot, requests: requests, users: users, accounts: accounts}
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

// FeeAccount returns the platform's fee account, which repayments credit with the
// platform's commission.
func (uc *InquiryUsecase) FeeAccount(ctx context.Context, platformNo string) (*Account, error) {
	return uc.accounts.Get(ctx, FeeAccountNo(platformNo))
}

// Totals are the bank's books at one moment. Money only enters by recharges and leaves
// by withdrawals, and frozen money is part of a balance, so at any moment
// Balances = Available() + Frozen = Recharged − Withdrawn.
type Totals struct {
	Recharged money.Amount
	Withdrawn money.Amount
	AccountTotals
}

// Totals reads the sums over every account, fee accounts included, and the successful
// recharges and withdrawals, in one consistent snapshot.
func (uc *InquiryUsecase) Totals(ctx context.Context) (*Totals, error) {
	var t Totals
	err := uc.snapshot.InSnapshot(ctx, func(ctx context.Context) error {
		var err error
		if t.Recharged, err = uc.requests.SumSucceeded(ctx, ServiceRecharge); err != nil {
			return err
		}
		if t.Withdrawn, err = uc.requests.SumSucceeded(ctx, ServiceWithdraw); err != nil {
			return err
		}
		t.AccountTotals, err = uc.accounts.Totals(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}
