package biztest

import (
	"context"
	"fmt"
	"sync"

	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/biz"
)

// Bank is the one in-memory biz.Bank of the biz, service and data tests. It signs
// nothing: it records the forms asked for, answers result queries from what SetResult
// and SetQueryError arranged (ErrNotReceivedByBank for anything else) and account queries
// from SetAccount and SetFeeAccount (ErrBankUnavailable for an account it does not hold,
// as the real adapter reports the bank's 404). The signed adapter is tested against a
// fake of the bank's HTTP API in internal/data.
type Bank struct {
	mu         sync.Mutex
	forms      []biz.GatewayRequest
	results    map[string]biz.BankResult
	queryErrs  map[string]error
	queried    []string
	accounts   map[string]biz.BankAccount
	fee        *biz.BankAccount
	accountErr error
}

// NewBank returns a bank that has received nothing and holds no account.
func NewBank() *Bank {
	return &Bank{results: map[string]biz.BankResult{}, queryErrs: map[string]error{}, accounts: map[string]biz.BankAccount{}}
}

func (b *Bank) GatewayForm(req biz.GatewayRequest) (*biz.GatewayForm, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.forms = append(b.forms, req)
	return &biz.GatewayForm{URL: "http://bank/gateway", Method: "POST", Fields: map[string]string{"serviceName": req.Kind}}, nil
}

func (b *Bank) QueryResult(_ context.Context, no string) (biz.BankResult, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.queried = append(b.queried, no)
	if err, ok := b.queryErrs[no]; ok {
		return biz.BankResult{}, err
	}
	if r, ok := b.results[no]; ok {
		return r, nil
	}
	return biz.BankResult{}, biz.ErrNotReceivedByBank
}

func (b *Bank) Account(_ context.Context, userNo string) (biz.BankAccount, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.accountErr != nil {
		return biz.BankAccount{}, b.accountErr
	}
	a, ok := b.accounts[userNo]
	if !ok {
		return biz.BankAccount{}, fmt.Errorf("%w: account %s: HTTP 404", biz.ErrBankUnavailable, userNo)
	}
	return a, nil
}

func (b *Bank) FeeAccount(context.Context) (biz.BankAccount, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.accountErr != nil {
		return biz.BankAccount{}, b.accountErr
	}
	if b.fee == nil {
		return biz.BankAccount{}, fmt.Errorf("%w: fee account: HTTP 404", biz.ErrBankUnavailable)
	}
	return *b.fee, nil
}

// SetResult makes the bank answer res when asked about res.RequestNo.
func (b *Bank) SetResult(res biz.BankResult) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.results[res.RequestNo] = res
}

// SetQueryError makes the result query for no fail with err.
func (b *Bank) SetQueryError(no string, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.queryErrs[no] = err
}

// SetAccount makes the bank hold a (by a.UserNo).
func (b *Bank) SetAccount(a biz.BankAccount) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.accounts[a.UserNo] = a
}

// SetFeeAccount makes the bank hold the platform's fee account a.
func (b *Bank) SetFeeAccount(a biz.BankAccount) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fee = &a
}

// SetAccountError makes every account query fail with err (nil: answer again).
func (b *Bank) SetAccountError(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.accountErr = err
}

// Forms are the gateway requests asked for so far, oldest first.
func (b *Bank) Forms() []biz.GatewayRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]biz.GatewayRequest(nil), b.forms...)
}

// Queried are the request numbers asked about so far, in order.
func (b *Bank) Queried() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.queried...)
}

// ForgetQueries clears Queried.
func (b *Bank) ForgetQueries() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.queried = nil
}
