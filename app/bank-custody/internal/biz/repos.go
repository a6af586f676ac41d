package biz

import (
	"context"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// RequestRepo stores the bank's request log.
type RequestRepo interface {
	// Get returns a request; ErrRequestNotFound if there is none.
	Get(ctx context.Context, requestNo string) (*CustodyRequest, error)
	// Lock is Get with a row lock held until the transaction ends.
	Lock(ctx context.Context, requestNo string) (*CustodyRequest, error)
	// Create inserts a request; ErrDuplicateRequest if the number is taken.
	Create(ctx context.Context, r *CustodyRequest) error
	// Taken says which of requestNos a stored request has, in one read.
	Taken(ctx context.Context, requestNos []string) (map[string]bool, error)
	// CreateAll inserts requests in one statement; ErrDuplicateRequest (and none
	// inserted) if a number is taken.
	CreateAll(ctx context.Context, rs []*CustodyRequest) error
	// SaveResult stores a finished request: status, user, failure reason, and clears the
	// password hash.
	SaveResult(ctx context.Context, r *CustodyRequest) error
	// SaveRetry stores the outcome of another attempt of a request recorded FAILED (a
	// refused repayment attempted again): status, user, amount, failure reason, details.
	// ErrRequestFinished unless the stored request is FAILED and of r's service.
	SaveRetry(ctx context.Context, r *CustodyRequest) error
	// SumSucceeded is Σ amount of the SUCCESS requests of a service (0.00 for none).
	SumSucceeded(ctx context.Context, service ServiceName) (money.Amount, error)
	// Processing lists up to limit gateway requests of the given platforms still
	// PROCESSING, oldest first. A bank serves only the platforms it has a contract with
	// (anything else in its tables is not its back office's business).
	Processing(ctx context.Context, platforms []string, limit int) ([]string, error)
	// Unpublished lists up to limit finished gateway requests whose result has not been
	// published to the notifier's topic yet.
	Unpublished(ctx context.Context, platforms []string, limit int) ([]*CustodyRequest, error)
	// MarkPublished records that a request's result went to the notifier's topic.
	MarkPublished(ctx context.Context, requestNo string, at time.Time) error
}

// NonceRepo remembers the nonces of signed gateway forms, inside the transaction that
// records the request, so a form is used once.
type NonceRepo interface {
	// Claim reports fresh=false if the nonce was claimed before.
	Claim(ctx context.Context, nonce string, expiresAt time.Time) (fresh bool, err error)
}

// BankUser is a person the bank opened a custody account for.
type BankUser struct {
	UserNo         string
	PlatformNo     string
	PlatformUserID int64
	RealName       string
	IDNumber       string
	BankCardNo     string
	PasswordHash   string
	CreatedAt      time.Time
}

// UserRepo stores the bank's users.
type UserRepo interface {
	// ByUserNo returns a user; ErrAccountNotFound if there is none.
	ByUserNo(ctx context.Context, userNo string) (*BankUser, error)
	// ByPlatformUser returns the custody user of a platform's user; ErrAccountNotFound
	// if there is none.
	ByPlatformUser(ctx context.Context, platformNo string, platformUserID int64) (*BankUser, error)
	// ByUserNos returns the users of userNos that exist, by user number, in one read.
	ByUserNos(ctx context.Context, userNos []string) (map[string]*BankUser, error)
	// Create inserts a user; ErrUserNoTaken or ErrPlatformUserHasAccount on a taken key.
	Create(ctx context.Context, u BankUser) error
}

// AccountRepo stores the bank users' money.
type AccountRepo interface {
	// Get returns an account; ErrAccountNotFound if there is none.
	Get(ctx context.Context, userNo string) (*Account, error)
	// Lock is Get with a row lock held until the transaction ends.
	Lock(ctx context.Context, userNo string) (*Account, error)
	// LockAll locks the accounts of userNos (in user number order, so that concurrent
	// callers cannot deadlock) and returns those that exist.
	LockAll(ctx context.Context, userNos []string) (map[string]*Account, error)
	// Open creates an account with balance and frozen 0.00.
	Open(ctx context.Context, userNo string, at time.Time) error
	// Save stores an account's balance and frozen amount.
	Save(ctx context.Context, a *Account) error
	// SaveAll stores the balance and frozen amount of many accounts in a few statements
	// (a repayment's thousand credits); every account must exist.
	SaveAll(ctx context.Context, accounts []*Account) error
	// Totals sums every account.
	Totals(ctx context.Context) (AccountTotals, error)
}

// RepaymentRepo stores the installments the bank paid out.
type RepaymentRepo interface {
	// Get returns the successful repayment of a project's period; ErrRepaymentNotFound if
	// there is none.
	Get(ctx context.Context, projectNo string, period int) (*Repayment, error)
	// Create inserts a repayment; ErrPeriodAlreadyRepaid if the period has one already,
	// ErrDuplicateRequest if its request number is taken.
	Create(ctx context.Context, r *Repayment) error
}

// ProjectRepo stores the platforms' projects registered at the bank.
type ProjectRepo interface {
	// Get returns a project; ErrProjectNotFound if there is none.
	Get(ctx context.Context, projectNo string) (*Project, error)
	// Lock is Get with a row lock held until the transaction ends.
	Lock(ctx context.Context, projectNo string) (*Project, error)
	// Create inserts a project; ErrProjectAlreadyRegistered if its number or its
	// platform project id is taken.
	Create(ctx context.Context, p *Project) error
	// SetStatus changes a project's status.
	SetStatus(ctx context.Context, projectNo string, status ProjectStatus, at time.Time) error
	// SetHeld records what the project's freezes hold; call it under Lock.
	SetHeld(ctx context.Context, projectNo string, held money.Amount, at time.Time) error
}

// FreezeRepo stores the money frozen for tenders.
type FreezeRepo interface {
	// Get returns a freeze; ErrFreezeNotFound if there is none.
	Get(ctx context.Context, requestNo string) (*Freeze, error)
	// OfProject returns every freeze of a project, whatever its status. Call it in a
	// transaction holding the project's lock (ProjectRepo.Lock), which orders every change
	// of the project's freezes.
	OfProject(ctx context.Context, projectNo string) ([]*Freeze, error)
	// Create inserts a freeze; ErrDuplicateRequest if its request number is taken.
	Create(ctx context.Context, f *Freeze) error
	// GetMany returns the freezes of requestNos that exist, by request number, in one read.
	GetMany(ctx context.Context, requestNos []string) (map[string]*Freeze, error)
	// CreateAll inserts freezes in one statement; ErrDuplicateRequest (and none inserted)
	// if a request number is taken.
	CreateAll(ctx context.Context, fs []*Freeze) error
	// SetStatus changes the status of the freezes with the given request numbers.
	SetStatus(ctx context.Context, requestNos []string, status FreezeStatus, at time.Time) error
}

// AttemptRecorder writes the notifier's delivery log.
type AttemptRecorder interface {
	// Record stores an attempt; a second record of the same request and attempt number
	// (a redelivered message) is ignored.
	Record(ctx context.Context, a NotificationAttempt) error
}

// NotificationPublisher hands a result to the notifier through the bank's internal topic.
type NotificationPublisher interface {
	Publish(ctx context.Context, platformNo string, n Notification) error
}

// PlatformCallback delivers a notification to a platform.
type PlatformCallback interface {
	// Post sends n signed to url and returns the HTTP status; 0 and an error when no
	// answer came.
	Post(ctx context.Context, url string, n Notification) (status int, err error)
}
