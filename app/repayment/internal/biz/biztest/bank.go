package biztest

import (
	"context"
	"fmt"
	"sync"

	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// FeeAccount is the platform's fee account at the fake bank.
const FeeAccount = "FEE_P2PDTX"

// Bank is an in-memory biz.Bank that keeps the custody protocol's repayment rules
// (docs/custody-protocol.md "Execute one repayment installment"): idempotent by request
// number, all or nothing, at most one success per (project, period), a refused request
// recorded FAILED and attempted again when repeated. The knobs break it the ways a
// network does.
type Bank struct {
	mu       sync.Mutex
	balances map[string]money.Amount
	requests map[string]biz.BankRequestStatus
	paidBy   map[string]string // project|period → the request number that paid it

	// LoseAnswers: the next n repayments are executed (paid or refused), then answered
	// ErrBankUnavailable (what the bank's bank.repay.lost looks like to the caller).
	LoseAnswers int
	// Unreachable: the next n calls of either kind never reach the bank.
	Unreachable int
	// Processing: result queries answer PROCESSING (the bank is still busy).
	Processing bool
	// Received counts the repayment requests that reached the bank, per period key.
	Received map[string]int
	// BeforeRepay, when set, runs before a repayment reaches the bank (to hold it there).
	BeforeRepay func()
}

// NewBank returns a bank whose accounts hold the given balances.
func NewBank(balances map[string]string) *Bank {
	b := &Bank{balances: map[string]money.Amount{FeeAccount: {}}, requests: map[string]biz.BankRequestStatus{},
		paidBy: map[string]string{}, Received: map[string]int{}}
	for userNo, s := range balances {
		b.balances[userNo] = money.MustParseAmount(s)
	}
	return b
}

// PeriodKey names an installment at the bank.
func PeriodKey(projectNo string, period int) string { return fmt.Sprintf("%s|%d", projectNo, period) }

// Balance is an account's balance.
func (b *Bank) Balance(userNo string) money.Amount {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.balances[userNo]
}

// Recharge adds to an account's balance.
func (b *Bank) Recharge(userNo, amount string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.balances[userNo] = b.balances[userNo].Add(money.MustParseAmount(amount))
}

// Successes is how many requests paid the installment (never more than one).
func (b *Bank) Successes(projectNo string, period int) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.paidBy[PeriodKey(projectNo, period)]; ok {
		return 1
	}
	return 0
}

func (b *Bank) unreachable() bool {
	if b.Unreachable > 0 {
		b.Unreachable--
		return true
	}
	return false
}

// Repay implements biz.Bank.
func (b *Bank) Repay(_ context.Context, r biz.BankRepayment) error {
	if b.BeforeRepay != nil {
		b.BeforeRepay()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.unreachable() {
		return fmt.Errorf("%w: connection refused", biz.ErrBankUnavailable)
	}
	key := PeriodKey(r.ProjectNo, r.Period)
	b.Received[key]++
	err := b.execute(key, r)
	if b.LoseAnswers > 0 {
		b.LoseAnswers--
		return fmt.Errorf("%w: connection reset after the request was sent", biz.ErrBankUnavailable)
	}
	return err
}

func (b *Bank) execute(key string, r biz.BankRepayment) error {
	credits := make([]money.Amount, 0, len(r.Credits))
	for _, c := range r.Credits {
		if _, ok := b.balances[c.UserNo]; !ok {
			return fmt.Errorf("%w: HTTP 404 ACCOUNT_NOT_FOUND: %s", biz.ErrBankRefused, c.UserNo)
		}
		credits = append(credits, c.Amount)
	}
	if !money.Sum(credits...).Add(r.Commission).Equal(r.Amount) {
		return fmt.Errorf("%w: HTTP 400 INVALID_ARGUMENT: amount is not the credits plus the commission", biz.ErrBankRefused)
	}
	if b.requests[r.RequestNo] == biz.BankSucceeded {
		return nil // a repeat answers the same and moves nothing
	}
	if by, ok := b.paidBy[key]; ok && by != r.RequestNo {
		return fmt.Errorf("%w: by %s", biz.ErrPeriodAlreadyRepaid, by)
	}
	if b.balances[r.BorrowerUserNo].Cmp(r.Amount) < 0 {
		b.requests[r.RequestNo] = biz.BankFailed
		return fmt.Errorf("%w: %s has %s", biz.ErrInsufficientBalance, r.BorrowerUserNo, b.balances[r.BorrowerUserNo])
	}
	b.balances[r.BorrowerUserNo] = b.balances[r.BorrowerUserNo].Sub(r.Amount)
	for _, c := range r.Credits {
		b.balances[c.UserNo] = b.balances[c.UserNo].Add(c.Amount)
	}
	b.balances[FeeAccount] = b.balances[FeeAccount].Add(r.Commission)
	b.requests[r.RequestNo], b.paidBy[key] = biz.BankSucceeded, r.RequestNo
	return nil
}

// RequestStatus implements biz.Bank.
func (b *Bank) RequestStatus(_ context.Context, requestNo string) (biz.BankRequestStatus, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.unreachable() {
		return "", fmt.Errorf("%w: connection refused", biz.ErrBankUnavailable)
	}
	if b.Processing {
		return biz.BankProcessing, nil
	}
	st, ok := b.requests[requestNo]
	if !ok {
		return "", fmt.Errorf("%w: %s", biz.ErrRequestNotFound, requestNo)
	}
	return st, nil
}
