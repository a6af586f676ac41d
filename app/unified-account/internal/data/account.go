package data

import (
	"context"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/unified-account/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/unified-account/internal/data/ent"
	"github.com/p2p-dtx/p2p-dtx/app/unified-account/internal/data/ent/account"
)

type accountRepo struct{ data *Data }

// NewAccountRepo returns the ent-backed account repository.
func NewAccountRepo(d *Data) biz.AccountRepo { return &accountRepo{data: d} }

func (r *accountRepo) ByLogin(ctx context.Context, login string) (*biz.Account, error) {
	a, err := r.data.Client(ctx).Account.Query().
		Where(account.Or(account.Username(login), account.Mobile(login))).
		First(ctx)
	if ent.IsNotFound(err) {
		return nil, biz.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return toBiz(a), nil
}

func (r *accountRepo) SaveAdmin(ctx context.Context, in biz.Account) (*biz.Account, error) {
	now := time.Now().UTC()
	id, err := r.data.Client(ctx).Account.Create().
		SetUsername(in.Username).
		SetMobile(in.Mobile).
		SetPasswordHash(in.PasswordHash).
		SetRole(in.Role).
		SetStatus(string(in.Status)).
		SetCreatedAt(now).
		SetUpdatedAt(now).
		OnConflictColumns(account.FieldUsername).
		Update(func(u *ent.AccountUpsert) {
			u.UpdateMobile().UpdatePasswordHash().UpdateRole().UpdateStatus().UpdateUpdatedAt()
		}).
		ID(ctx)
	if err != nil {
		return nil, err
	}
	out := in
	out.ID = id
	return &out, nil
}

func toBiz(a *ent.Account) *biz.Account {
	return &biz.Account{
		ID: a.ID, Username: a.Username, Mobile: a.Mobile, PasswordHash: a.PasswordHash,
		Role: a.Role, Status: biz.AccountStatus(a.Status),
	}
}
