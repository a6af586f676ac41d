package biz

import (
	"context"
	"errors"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/auth"
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
)

// Fault points of unified-account (API.md).
const (
	FaultTryFail     = "account.try.fail"
	FaultTryDelay    = "account.try.delay"
	FaultConfirmFail = "account.confirm.fail"
)

// Registration failures the initiator must see as final (DTM rolls back, no retry).
var (
	ErrUsernameTaken = errors.New("username taken")
	ErrMobileTaken   = errors.New("mobile taken")
	// ErrFaultInjected is an armed failure DTM must treat as final.
	ErrFaultInjected = errors.New("fault injected")
	// ErrFaultRetryable is an armed failure DTM must retry.
	ErrFaultRetryable = errors.New("fault injected (retryable)")
)

// ValidationError is a branch request that can never succeed; it names the field.
type ValidationError struct {
	Field   string
	Problem string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Problem }

// validateNew guards the participant's own invariants; the initiator validated the
// person's input. Above all, no plaintext password is ever stored.
func (a Account) validateNew(isHash func(string) bool) error {
	switch {
	case a.Username == "":
		return &ValidationError{"username", "required"}
	case a.Mobile == "":
		return &ValidationError{"mobile", "required"}
	case !isHash(a.PasswordHash):
		return &ValidationError{"passwordHash", "must be a bcrypt hash"}
	case a.Role != auth.RoleBorrower && a.Role != auth.RoleInvestor:
		return &ValidationError{"role", "must be BORROWER or INVESTOR"}
	}
	return nil
}

// BranchRunner runs a branch's business change exactly once per DTM operation, in one
// local transaction with DTM's record of it; the repositories pick that transaction up
// from the context fn receives, with the global transaction's id.
type BranchRunner interface {
	// InBarrier runs fn inside DTM's sub-transaction barrier (TCC): a repeated call, a
	// Cancel with no Try before it (empty rollback) and a Try after its Cancel (hanging)
	// all skip fn.
	InBarrier(ctx context.Context, fn func(ctx context.Context, gid string) error) error
	// InXA runs fn as this service's XA branch, or performs phase 2 when DTM calls back to
	// commit or roll back (fn is not called then).
	InXA(ctx context.Context, fn func(ctx context.Context, gid string) error) error
}

// RegistrationRepo is what a registration's branches change.
type RegistrationRepo interface {
	// Create inserts the account and returns its id; a taken username or mobile is
	// ErrUsernameTaken or ErrMobileTaken.
	Create(ctx context.Context, a Account, gid string) (int64, error)
	// SetStatus moves the registration's account from one status to another.
	SetStatus(ctx context.Context, gid string, from, to AccountStatus) error
	// DeleteByStatus removes the registration's account if it is in status.
	DeleteByStatus(ctx context.Context, gid string, status AccountStatus) error
}

// RegistrationUsecase is unified-account's part of a registration.
type RegistrationUsecase struct {
	runner   BranchRunner
	accounts RegistrationRepo
	hasher   PasswordHasher
	faults   *faults.Registry
}

// NewRegistrationUsecase returns the registration branches. f is nil in production.
func NewRegistrationUsecase(runner BranchRunner, accounts RegistrationRepo, hasher PasswordHasher, f *faults.Registry) *RegistrationUsecase {
	return &RegistrationUsecase{runner: runner, accounts: accounts, hasher: hasher, faults: f}
}

// Try reserves username and mobile with a PENDING account.
func (uc *RegistrationUsecase) Try(ctx context.Context, a Account) (int64, error) {
	// The delay strikes before the barrier, like a slow network: DTM's Cancel may then
	// arrive first, and the barrier makes this late Try a no-op.
	if s := uc.faults.Hit(FaultTryDelay); s.Fire {
		if err := sleep(ctx, s.Delay); err != nil {
			return 0, err
		}
	}
	if uc.faults.Hit(FaultTryFail).Fire {
		return 0, ErrFaultInjected
	}
	if err := a.validateNew(uc.hasher.IsHash); err != nil {
		return 0, err
	}
	a.Status = StatusPending
	var id int64
	err := uc.runner.InBarrier(ctx, func(ctx context.Context, gid string) error {
		var err error
		id, err = uc.accounts.Create(ctx, a, gid)
		return err
	})
	return id, err
}

// Confirm activates the account the Try reserved.
func (uc *RegistrationUsecase) Confirm(ctx context.Context) error {
	if uc.faults.Hit(FaultConfirmFail).Fire {
		return ErrFaultRetryable
	}
	return uc.runner.InBarrier(ctx, func(ctx context.Context, gid string) error {
		return uc.accounts.SetStatus(ctx, gid, StatusPending, StatusActive)
	})
}

// Cancel frees the names the Try reserved.
func (uc *RegistrationUsecase) Cancel(ctx context.Context) error {
	return uc.runner.InBarrier(ctx, func(ctx context.Context, gid string) error {
		return uc.accounts.DeleteByStatus(ctx, gid, StatusPending)
	})
}

// CreateXA inserts the account ACTIVE inside the XA branch: it becomes visible only when
// DTM commits the global transaction. DTM calls the same method again for phase 2 with an
// empty body, so a is validated only where it is used.
func (uc *RegistrationUsecase) CreateXA(ctx context.Context, a Account) (int64, error) {
	if s := uc.faults.Hit(FaultTryDelay); s.Fire {
		if err := sleep(ctx, s.Delay); err != nil {
			return 0, err
		}
	}
	if uc.faults.Hit(FaultTryFail).Fire {
		return 0, ErrFaultInjected
	}
	a.Status = StatusActive
	var id int64
	err := uc.runner.InXA(ctx, func(ctx context.Context, gid string) error {
		if err := a.validateNew(uc.hasher.IsHash); err != nil {
			return err
		}
		var err error
		id, err = uc.accounts.Create(ctx, a, gid)
		return err
	})
	return id, err
}

// sleep waits d unless the caller gives up first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
