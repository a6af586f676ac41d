package biz

import (
	"context"

	"github.com/p2p-dtx/p2p-dtx/pkg/auth"
)

// Balances are the bank's to say: the platform keeps no copy of them, so every read is a
// signed query to the bank and shows what the bank holds at that moment.

// Balance is the user's custody account as the bank reports it. Without an OPEN custody
// account there is nothing to ask the bank about: ErrCustodyNotOpen.
func (uc *CustodyUsecase) Balance(ctx context.Context, userID int64) (BankAccount, error) {
	c, err := uc.openCustody(ctx, userID)
	if err != nil {
		return BankAccount{}, err
	}
	return uc.bank.Account(ctx, c.CustodyUserNo)
}

// PlatformBalance is the platform's fee account as the bank reports it; for ADMIN only.
func (uc *CustodyUsecase) PlatformBalance(ctx context.Context, role string) (BankAccount, error) {
	if role != auth.RoleAdmin {
		return BankAccount{}, ErrForbidden
	}
	return uc.bank.FeeAccount(ctx)
}
