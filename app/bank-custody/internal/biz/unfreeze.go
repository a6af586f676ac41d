package biz

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// UnfreezeOrder asks the bank to give a tender's frozen money back to the investor
// (UNFREEZE): the project failed or its loan was rejected.
type UnfreezeOrder struct {
	RequestNo       string
	FreezeRequestNo string
	ProjectNo       string
	UserNo          string
	Amount          money.Amount
}

// Validate checks the order's fields.
func (o UnfreezeOrder) Validate() error {
	return cmp.Or(validRequestNo(o.RequestNo), validNumber("freezeRequestNo", o.FreezeRequestNo), validProjectNo(o.ProjectNo),
		validUserNo("userNo", o.UserNo), positiveAmount(o.Amount))
}

// matches reports whether f is the freeze the order names.
func (o UnfreezeOrder) matches(f *Freeze) bool {
	return f.ProjectNo == o.ProjectNo && f.UserNo == o.UserNo && f.Amount.Equal(o.Amount)
}

// Unfreeze is the bank's answer to an unfreeze: the freeze's status after it, UNFROZEN
// (the money is back on the balance) or VOIDED (nothing was ever held).
type Unfreeze struct {
	RequestNo       string
	FreezeRequestNo string
	ProjectNo       string
	UserNo          string
	Amount          money.Amount
	Status          FreezeStatus
}

// Unfreeze releases a tender's freeze under the project's lock, so it is ordered with
// the project's freezes and loan: FROZEN → UNFROZEN (frozen back to balance); already
// UNFROZEN or VOIDED → the same answer, nothing moves; no such freeze → a VOIDED freeze
// that refuses the freeze if it arrives later (like DTM's barrier against a Try after
// its Cancel); TRANSFERRED → ErrFreezeTransferred. A repeat of the request answers the
// freeze's status and moves nothing.
func (uc *LendingUsecase) Unfreeze(ctx context.Context, platformNo string, order UnfreezeOrder) (*Unfreeze, error) {
	if err := order.Validate(); err != nil {
		return nil, err
	}
	var out *Unfreeze
	answer := func(f *Freeze) {
		out = &Unfreeze{RequestNo: order.RequestNo, FreezeRequestNo: f.RequestNo, ProjectNo: f.ProjectNo, UserNo: f.UserNo,
			Amount: f.Amount, Status: f.Status}
	}
	err := uc.idempotent(ctx, platformNo, order.RequestNo, ServiceUnfreeze, order.ProjectNo, func(ctx context.Context) error {
		f, err := uc.unfreeze(ctx, platformNo, order)
		if err != nil {
			return err
		}
		answer(f)
		amount := order.Amount
		return uc.requests.Create(ctx, &CustodyRequest{
			RequestNo: order.RequestNo, PlatformNo: platformNo, ServiceName: ServiceUnfreeze, UserNo: order.UserNo,
			Amount: &amount, Status: RequestSuccess,
			Details:   RequestDetails{ProjectNo: order.ProjectNo, FreezeRequestNo: order.FreezeRequestNo},
			CreatedAt: f.UpdatedAt, UpdatedAt: f.UpdatedAt,
		})
	}, func(ctx context.Context, r *CustodyRequest) error {
		if r.Details.FreezeRequestNo != order.FreezeRequestNo || r.UserNo != order.UserNo || r.Amount == nil || !r.Amount.Equal(order.Amount) {
			return ErrRequestNoConflict
		}
		f, err := uc.freezes.Get(ctx, order.FreezeRequestNo)
		if err != nil {
			return err
		}
		answer(f)
		return nil
	})
	return out, err
}

// unfreeze changes the freeze (or records it VOIDED) and returns it as it is now.
func (uc *LendingUsecase) unfreeze(ctx context.Context, platformNo string, order UnfreezeOrder) (*Freeze, error) {
	p, err := uc.projects.Lock(ctx, order.ProjectNo)
	if err != nil {
		return nil, err
	}
	now := uc.now()
	f, err := uc.freezes.Get(ctx, order.FreezeRequestNo)
	switch {
	case errors.Is(err, ErrFreezeNotFound):
		if err := uc.ownAccount(ctx, platformNo, order.UserNo); err != nil {
			return nil, err
		}
		f = &Freeze{RequestNo: order.FreezeRequestNo, ProjectNo: order.ProjectNo, UserNo: order.UserNo, Amount: order.Amount,
			Status: FreezeVoided, CreatedAt: now, UpdatedAt: now}
		return f, uc.freezes.Create(ctx, f)
	case err != nil:
		return nil, err
	case !order.matches(f):
		return nil, fmt.Errorf("%w: freeze %s is %s of %s in project %s", ErrRequestNoConflict, f.RequestNo, f.Amount, f.UserNo, f.ProjectNo)
	case f.Status == FreezeTransferred:
		return nil, fmt.Errorf("%w: %s", ErrFreezeTransferred, f.RequestNo)
	case f.Status != FreezeFrozen:
		f.UpdatedAt = now
		return f, nil // UNFROZEN or VOIDED already: nothing moves
	}
	a, err := uc.accounts.Lock(ctx, f.UserNo)
	if err != nil {
		return nil, err
	}
	if err := a.Release(f.Amount); err != nil {
		return nil, err
	}
	a.UpdatedAt = now
	if err := uc.accounts.Save(ctx, a); err != nil {
		return nil, err
	}
	if err := uc.projects.SetHeld(ctx, p.ProjectNo, p.Held.Sub(f.Amount), now); err != nil {
		return nil, err
	}
	f.Status, f.UpdatedAt = FreezeUnfrozen, now
	return f, uc.freezes.SetStatus(ctx, []string{f.RequestNo}, FreezeUnfrozen, now)
}
