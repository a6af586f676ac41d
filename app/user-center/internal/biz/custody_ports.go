package biz

import (
	"context"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// GatewayRequest is what the bank's page needs to know about a request.
type GatewayRequest struct {
	RequestNo string
	Kind      string
	UserID    int64
	Mobile    string
	// Account opening.
	Opening AccountOpening
	// Recharge and withdrawal: the account and the amount.
	UserNo string
	Amount money.Amount
}

// BankAccount is an account at the bank as the bank reports it.
type BankAccount struct {
	UserNo  string
	Balance money.Amount
	// Frozen is the part of Balance held for tenders.
	Frozen money.Amount
}

// Available is what may be withdrawn: balance minus frozen.
func (a BankAccount) Available() money.Amount { return a.Balance.Sub(a.Frozen) }

// GatewayForm is the signed form the browser submits to the bank.
type GatewayForm struct {
	URL    string
	Method string
	Fields map[string]string
}

// Bank is the custody bank as user-center needs it.
type Bank interface {
	// GatewayForm signs the form that sends the browser to the bank's page for req.
	GatewayForm(req GatewayRequest) (*GatewayForm, error)
	// QueryResult asks the bank where a request stands; ErrNotReceivedByBank when the
	// bank has no record of it.
	QueryResult(ctx context.Context, requestNo string) (BankResult, error)
	// Account is a user's account at the bank; ErrBankUnavailable without a trustworthy
	// answer.
	Account(ctx context.Context, userNo string) (BankAccount, error)
	// FeeAccount is the platform's fee account at the bank; ErrBankUnavailable without a
	// trustworthy answer.
	FeeAccount(ctx context.Context) (BankAccount, error)
}

// Transaction runs fn in one local database transaction: repositories called with the
// context fn receives take part in it. fn's error rolls it back.
type Transaction interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// PageKey is where a page of pending requests starts after: (created_at, request_no).
type PageKey struct {
	CreatedAt time.Time
	RequestNo string
}

// CustodyRepo stores custody requests and their effects.
type CustodyRepo interface {
	// LockConsumer reads a consumer and locks it until the transaction ends.
	LockConsumer(ctx context.Context, userID int64) (*Consumer, error)
	// SetCustody sets a consumer's custody status, and its bank user number when
	// userNo is not empty.
	SetCustody(ctx context.Context, userID int64, status CustodyStatus, userNo string) error
	CreateRequest(ctx context.Context, r *CustodyRequest) error
	Request(ctx context.Context, requestNo string) (*CustodyRequest, error)
	// LockRequest reads a request and locks it until the transaction ends, so that
	// concurrent results for it are applied one after the other.
	LockRequest(ctx context.Context, requestNo string) (*CustodyRequest, error)
	// SaveCompletion stores a request Complete has just moved out of PENDING.
	SaveCompletion(ctx context.Context, r *CustodyRequest) error
	CreateRecharge(ctx context.Context, r Recharge) error
	// Recharges lists a user's recharges, oldest first.
	Recharges(ctx context.Context, userID int64) ([]Recharge, error)
	CreateWithdrawal(ctx context.Context, w Withdrawal) error
	// UserRequests lists a user's requests of one kind, whatever their status, ordered by
	// (created_at, request_no).
	UserRequests(ctx context.Context, userID int64, kind string) ([]*CustodyRequest, error)
	// PendingRequests lists up to limit PENDING requests created before createdBefore,
	// ordered by (created_at, request_no), after the key when it is not nil.
	PendingRequests(ctx context.Context, createdBefore time.Time, after *PageKey, limit int) ([]*CustodyRequest, error)
}
