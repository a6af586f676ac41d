package data

import (
	"context"
	"fmt"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent/bankaccount"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent/bankuser"
)

type userRepo struct{ data *Data }

// NewUserRepo returns the ent-backed bank users.
func NewUserRepo(d *Data) biz.UserRepo { return &userRepo{data: d} }

func (r *userRepo) ByUserNo(ctx context.Context, userNo string) (*biz.BankUser, error) {
	return r.one(ctx, userNo, r.data.Client(ctx).BankUser.Query().Where(bankuser.UserNo(userNo)))
}

func (r *userRepo) ByPlatformUser(ctx context.Context, platformNo string, platformUserID int64) (*biz.BankUser, error) {
	return r.one(ctx, fmt.Sprintf("%s/%d", platformNo, platformUserID), r.data.Client(ctx).BankUser.Query().
		Where(bankuser.PlatformNo(platformNo), bankuser.PlatformUserID(platformUserID)))
}

func (r *userRepo) one(ctx context.Context, what string, q *ent.BankUserQuery) (*biz.BankUser, error) {
	u, err := q.Only(ctx)
	if ent.IsNotFound(err) {
		return nil, fmt.Errorf("%w: %s", biz.ErrAccountNotFound, what)
	}
	if err != nil {
		return nil, err
	}
	return &biz.BankUser{
		UserNo: u.UserNo, PlatformNo: u.PlatformNo, PlatformUserID: u.PlatformUserID, RealName: u.RealName,
		IDNumber: u.IDNumber, BankCardNo: u.BankCardNo, PasswordHash: u.PasswordHash, CreatedAt: u.CreatedAt,
	}, nil
}

func (r *userRepo) Create(ctx context.Context, u biz.BankUser) error {
	err := r.data.Client(ctx).BankUser.Create().
		SetUserNo(u.UserNo).SetPlatformNo(u.PlatformNo).SetPlatformUserID(u.PlatformUserID).
		SetRealName(u.RealName).SetIDNumber(u.IDNumber).SetBankCardNo(u.BankCardNo).
		SetPasswordHash(u.PasswordHash).SetCreatedAt(u.CreatedAt).
		Exec(ctx)
	switch key, dup := duplicateKey(err); {
	case !dup:
		return err
	case key == "uk_bank_user_user_no":
		return fmt.Errorf("%w: %s", biz.ErrUserNoTaken, u.UserNo)
	case key == "uk_bank_user_platform_user":
		return fmt.Errorf("%w: %s/%d", biz.ErrPlatformUserHasAccount, u.PlatformNo, u.PlatformUserID)
	}
	return err
}

type accountRepo struct{ data *Data }

// NewAccountRepo returns the ent-backed accounts.
func NewAccountRepo(d *Data) biz.AccountRepo { return &accountRepo{data: d} }

func (r *accountRepo) Get(ctx context.Context, userNo string) (*biz.Account, error) {
	return r.get(ctx, userNo, false)
}

func (r *accountRepo) Lock(ctx context.Context, userNo string) (*biz.Account, error) {
	if err := r.data.RequireTx(ctx); err != nil {
		return nil, err
	}
	return r.get(ctx, userNo, true)
}

func (r *accountRepo) get(ctx context.Context, userNo string, lock bool) (*biz.Account, error) {
	q := r.data.Client(ctx).BankAccount.Query().Where(bankaccount.ID(userNo))
	if lock {
		q.ForUpdate()
	}
	a, err := q.Only(ctx)
	if ent.IsNotFound(err) {
		return nil, fmt.Errorf("%w: %s", biz.ErrAccountNotFound, userNo)
	}
	if err != nil {
		return nil, err
	}
	return accountToBiz(a), nil
}

func (r *accountRepo) LockAll(ctx context.Context, userNos []string) (map[string]*biz.Account, error) {
	if err := r.data.RequireTx(ctx); err != nil {
		return nil, err
	}
	// One statement scanning the primary key in order locks the rows in that order.
	rows, err := r.data.Client(ctx).BankAccount.Query().
		Where(bankaccount.IDIn(userNos...)).
		Order(ent.Asc(bankaccount.FieldID)).
		ForUpdate().
		All(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*biz.Account, len(rows))
	for _, a := range rows {
		out[a.ID] = accountToBiz(a)
	}
	return out, nil
}

func (r *accountRepo) Open(ctx context.Context, userNo string, at time.Time) error {
	return r.data.Client(ctx).BankAccount.Create().SetID(userNo).SetUpdatedAt(at).Exec(ctx)
}

func (r *accountRepo) Save(ctx context.Context, a *biz.Account) error {
	return r.data.Client(ctx).BankAccount.UpdateOneID(a.UserNo).
		SetBalance(a.Balance).SetFrozen(a.Frozen).SetUpdatedAt(a.UpdatedAt).
		Exec(ctx)
}

func accountToBiz(a *ent.BankAccount) *biz.Account {
	return &biz.Account{UserNo: a.ID, Balance: a.Balance, Frozen: a.Frozen, UpdatedAt: a.UpdatedAt}
}
