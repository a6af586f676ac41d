package biz

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// Account is one bank user's money: Balance is everything the user owns at the bank,
// Frozen the part of it held for tenders. Frozen never exceeds Balance.
type Account struct {
	UserNo    string
	Balance   money.Amount
	Frozen    money.Amount
	UpdatedAt time.Time
}

// Available is what can still be frozen: balance − frozen.
func (a *Account) Available() money.Amount { return a.Balance.Sub(a.Frozen) }

// Credit adds money to the balance (a recharge, a loan paid out to the borrower).
func (a *Account) Credit(amount money.Amount) { a.Balance = a.Balance.Add(amount) }

// Freeze holds amount for a tender; ErrInsufficientBalance if balance − frozen < amount.
func (a *Account) Freeze(amount money.Amount) error {
	if a.Available().Cmp(amount) < 0 {
		return fmt.Errorf("%w: account %s has %s available, %s asked", ErrInsufficientBalance, a.UserNo, a.Available(), amount)
	}
	a.Frozen = a.Frozen.Add(amount)
	return nil
}

// Release gives a frozen amount back to what can be spent (a failed project's tender):
// frozen goes down by amount, the balance stays.
func (a *Account) Release(amount money.Amount) error {
	if a.Frozen.Cmp(amount) < 0 {
		return fmt.Errorf("account %s: cannot release %s of frozen %s", a.UserNo, amount, a.Frozen)
	}
	a.Frozen = a.Frozen.Sub(amount)
	return nil
}

// Debit takes amount out of what can be spent (a withdrawal, a repayment);
// ErrInsufficientBalance if balance − frozen < amount. Frozen money is never debited.
func (a *Account) Debit(amount money.Amount) error {
	if a.Available().Cmp(amount) < 0 {
		return fmt.Errorf("%w: account %s has %s available, %s asked", ErrInsufficientBalance, a.UserNo, a.Available(), amount)
	}
	a.Balance = a.Balance.Sub(amount)
	return nil
}

// PayFrozen takes a frozen amount out of the account (the loan moves it to the
// borrower): balance and frozen both go down by amount.
func (a *Account) PayFrozen(amount money.Amount) error {
	if a.Frozen.Cmp(amount) < 0 || a.Balance.Cmp(amount) < 0 {
		return fmt.Errorf("account %s: cannot pay %s out of frozen %s (balance %s)", a.UserNo, amount, a.Frozen, a.Balance)
	}
	a.Balance = a.Balance.Sub(amount)
	a.Frozen = a.Frozen.Sub(amount)
	return nil
}

// FeeAccountNo is the user number of a platform's fee account at the bank, which
// repayments credit with the platform's commission. It has an account but no bank user.
func FeeAccountNo(platformNo string) string { return "FEE_" + platformNo }

// AccountTotals are sums over every account of the bank, fee accounts included.
type AccountTotals struct {
	// Balances is Σ balance; frozen money is part of it.
	Balances money.Amount
	Frozen   money.Amount
	Accounts int
}

// Available is Σ (balance − frozen): what the accounts can still spend.
func (t AccountTotals) Available() money.Amount { return t.Balances.Sub(t.Frozen) }

// UserNumbers draws new bank user numbers: "BU" + 10 digits.
type UserNumbers func() string

// NewUserNumbers returns random user numbers; a taken one is drawn again by the caller.
func NewUserNumbers() UserNumbers {
	limit := big.NewInt(10_000_000_000)
	return func() string {
		n, err := rand.Int(rand.Reader, limit)
		if err != nil {
			// Documented never to happen: crypto/rand crashes the program first.
			panic(fmt.Sprintf("user number: crypto/rand failed: %v", err))
		}
		return fmt.Sprintf("BU%010d", n.Int64())
	}
}
