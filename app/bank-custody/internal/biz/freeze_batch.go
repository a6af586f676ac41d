package biz

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
)

// Freezing many tenders of one project in one call
//
// A project that fills within seconds sends the bank hundreds of freezes at once, all
// behind the project's row lock. FreezeBatch takes up to MaxFreezeBatch of them in one
// signed call and one local transaction: one lock of the project, one lock statement for
// the investors' accounts, one commit — and the platform and the bank sign one request and
// one answer instead of one each per tender.
//
// Every order keeps its own request number and gets its own outcome, exactly what Freeze
// would answer for it alone, in the batch's order (the first orders are frozen first when
// the project or a balance has room for only some):
//   - its freeze: new, or the one a repeat of the number already made (nothing more held);
//   - a refusal that changed nothing for it: ErrInsufficientBalance, ErrExceedsProjectAmount,
//     ErrProjectNotCollecting, ErrFreezeVoided, ErrRequestNoConflict, ErrAccountNotFound.
//
// An error of the batch itself (invalid batch, unknown project, a database failure) means
// no order of it was applied; the caller may send each order again, alone or batched,
// under the same request number.

// MaxFreezeBatch is the most orders one FreezeBatch takes.
const MaxFreezeBatch = 100

// FreezeOutcome is what became of one order of a batch: Freeze when it is held, Err when
// the bank refused it (and changed nothing for it).
type FreezeOutcome struct {
	Order  FreezeOrder
	Freeze *Freeze
	Err    error
}

// FreezeBatch freezes the orders of one project (each order's ProjectNo is projectNo) in
// one transaction and answers one outcome per order, in order.
func (uc *LendingUsecase) FreezeBatch(ctx context.Context, platformNo, projectNo string, orders []FreezeOrder) ([]FreezeOutcome, error) {
	if err := validateFreezeBatch(projectNo, orders); err != nil {
		return nil, err
	}
	var out []FreezeOutcome
	err := uc.tx.InTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = uc.freezeBatch(ctx, platformNo, projectNo, orders)
		return err
	})
	if errors.Is(err, ErrDuplicateRequest) {
		// A call for one of the numbers committed between our reads and our inserts (the
		// project's lock orders freezes, so this should not happen). Nothing of ours was
		// applied, and it is no refusal: the caller must send the batch again, and the
		// repeat answers what that call did. Not wrapped, so it is answered as a 500.
		return nil, fmt.Errorf("freeze batch of %s met a request number stored meanwhile; nothing applied, send it again: %v", projectNo, err)
	}
	return out, err
}

func validateFreezeBatch(projectNo string, orders []FreezeOrder) error {
	if err := validProjectNo(projectNo); err != nil {
		return err
	}
	if len(orders) == 0 || len(orders) > MaxFreezeBatch {
		return &ValidationError{"orders", fmt.Sprintf("1 to %d orders", MaxFreezeBatch)}
	}
	seen := make(map[string]bool, len(orders))
	for i, o := range orders {
		if o.ProjectNo != projectNo {
			return &ValidationError{fmt.Sprintf("orders[%d].projectNo", i), "must be the batch's projectNo"}
		}
		if err := o.Validate(); err != nil {
			var ve *ValidationError
			if errors.As(err, &ve) {
				return &ValidationError{fmt.Sprintf("orders[%d].%s", i, ve.Field), ve.Problem}
			}
			return err
		}
		if seen[o.RequestNo] {
			return &ValidationError{fmt.Sprintf("orders[%d].requestNo", i), "appears twice in the batch"}
		}
		seen[o.RequestNo] = true
	}
	return nil
}

// freezeBatch is FreezeBatch's transaction: the project's lock first (as Freeze and
// ConfirmLoan take it), then the accounts in user number order. A handful of statements
// whatever the batch's size: two reads for the repeats, two for the accounts, one insert
// each for the freezes and their request log, the accounts' and the project's updates.
func (uc *LendingUsecase) freezeBatch(ctx context.Context, platformNo, projectNo string, orders []FreezeOrder) ([]FreezeOutcome, error) {
	p, err := uc.projects.Lock(ctx, projectNo)
	if err != nil {
		return nil, err
	}
	out := make([]FreezeOutcome, len(orders))
	fresh, err := uc.repeatedFreezes(ctx, orders, out)
	if err != nil || len(fresh) == 0 {
		return out, err
	}
	if p.Status != ProjectCollecting {
		for _, i := range fresh {
			out[i].Err = fmt.Errorf("%w: project %s is %s", ErrProjectNotCollecting, p.ProjectNo, p.Status)
		}
		return out, nil
	}
	accounts, err := uc.ownAccounts(ctx, platformNo, orders, fresh)
	if err != nil {
		return nil, err
	}
	now := uc.now()
	held, changed := p.Held, map[string]bool{}
	var freezes []*Freeze
	var requests []*CustodyRequest
	for _, i := range fresh {
		o := orders[i]
		total := held.Add(o.Amount)
		if total.Cmp(p.Amount) > 0 {
			out[i].Err = fmt.Errorf("%w: project %s amount %s, frozen with this order %s", ErrExceedsProjectAmount, p.ProjectNo, p.Amount, total)
			continue
		}
		a, ok := accounts[o.UserNo]
		if !ok {
			out[i].Err = fmt.Errorf("%w: %s", ErrAccountNotFound, o.UserNo)
			continue
		}
		if out[i].Err = a.Freeze(o.Amount); out[i].Err != nil {
			continue
		}
		held, changed[o.UserNo] = total, true
		a.UpdatedAt = now
		out[i].Freeze = &Freeze{RequestNo: o.RequestNo, ProjectNo: projectNo, UserNo: o.UserNo, Amount: o.Amount,
			Status: FreezeFrozen, CreatedAt: now, UpdatedAt: now}
		freezes = append(freezes, out[i].Freeze)
		amount := o.Amount
		requests = append(requests, &CustodyRequest{
			RequestNo: o.RequestNo, PlatformNo: platformNo, ServiceName: ServiceFreeze, UserNo: o.UserNo,
			Amount: &amount, Status: RequestSuccess, Details: RequestDetails{ProjectNo: projectNo},
			CreatedAt: now, UpdatedAt: now,
		})
	}
	if len(freezes) == 0 {
		return out, nil
	}
	if err := uc.freezes.CreateAll(ctx, freezes); err != nil {
		return nil, err
	}
	if err := uc.requests.CreateAll(ctx, requests); err != nil {
		return nil, err
	}
	save := make([]*Account, 0, len(changed))
	for userNo := range changed {
		save = append(save, accounts[userNo])
	}
	slices.SortFunc(save, func(a, b *Account) int { return cmp.Compare(a.UserNo, b.UserNo) })
	if err := uc.accounts.SaveAll(ctx, save); err != nil {
		return nil, err
	}
	return out, uc.projects.SetHeld(ctx, projectNo, held, now)
}

// repeatedFreezes answers in out the orders whose request number was used before — the
// freeze it made, or the refusal Freeze gives for it — and returns the indexes of the
// others.
func (uc *LendingUsecase) repeatedFreezes(ctx context.Context, orders []FreezeOrder, out []FreezeOutcome) ([]int, error) {
	nos := make([]string, len(orders))
	for i, o := range orders {
		nos[i] = o.RequestNo
	}
	done, err := uc.freezes.GetMany(ctx, nos)
	if err != nil {
		return nil, err
	}
	// Freeze learns of a number another kind of request took from its insert failing;
	// in a batch the insert must not fail.
	taken, err := uc.requests.Taken(ctx, nos)
	if err != nil {
		return nil, err
	}
	var fresh []int
	for i, o := range orders {
		out[i].Order = o
		f, repeat := done[o.RequestNo]
		switch {
		case repeat && f.Status == FreezeVoided:
			out[i].Err = fmt.Errorf("%w: %s", ErrFreezeVoided, f.RequestNo)
		case repeat && (f.ProjectNo != o.ProjectNo || f.UserNo != o.UserNo || !f.Amount.Equal(o.Amount)):
			out[i].Err = ErrRequestNoConflict
		case repeat:
			out[i].Freeze = f
		case taken[o.RequestNo]:
			out[i].Err = fmt.Errorf("%w: %s is another kind of request", ErrRequestNoConflict, o.RequestNo)
		default:
			fresh = append(fresh, i)
		}
	}
	return fresh, nil
}

// ownAccounts locks the accounts of the fresh orders that the platform opened (one read of
// the users, one locking read of the accounts, in user number order).
func (uc *LendingUsecase) ownAccounts(ctx context.Context, platformNo string, orders []FreezeOrder, fresh []int) (map[string]*Account, error) {
	userNos := make([]string, 0, len(fresh))
	for _, i := range fresh {
		userNos = append(userNos, orders[i].UserNo)
	}
	slices.Sort(userNos)
	userNos = slices.Compact(userNos)
	users, err := uc.users.ByUserNos(ctx, userNos)
	if err != nil {
		return nil, err
	}
	own := userNos[:0]
	for _, no := range userNos {
		if u, ok := users[no]; ok && u.PlatformNo == platformNo {
			own = append(own, no)
		}
	}
	if len(own) == 0 {
		return map[string]*Account{}, nil
	}
	return uc.accounts.LockAll(ctx, own)
}
