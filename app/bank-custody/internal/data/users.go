package data

import (
	"context"
	"fmt"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent/bankaccount"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent/bankuser"
	"github.com/p2p-dtx/p2p-dtx/pkg/entx"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
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
	return userToBiz(u), nil
}

func userToBiz(u *ent.BankUser) *biz.BankUser {
	return &biz.BankUser{
		UserNo: u.UserNo, PlatformNo: u.PlatformNo, PlatformUserID: u.PlatformUserID, RealName: u.RealName,
		IDNumber: u.IDNumber, BankCardNo: u.BankCardNo, PasswordHash: u.PasswordHash, CreatedAt: u.CreatedAt,
	}
}

func (r *userRepo) ByUserNos(ctx context.Context, userNos []string) (map[string]*biz.BankUser, error) {
	rows, err := r.data.Client(ctx).BankUser.Query().Where(bankuser.UserNoIn(userNos...)).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*biz.BankUser, len(rows))
	for _, u := range rows {
		out[u.UserNo] = userToBiz(u)
	}
	return out, nil
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

// saveChunk bounds the accounts one UPDATE of SaveAll sets, so that a statement stays a
// few tens of kilobytes whatever the number of credits.
const saveChunk = 500

func (r *accountRepo) SaveAll(ctx context.Context, accounts []*biz.Account) error {
	for start := 0; start < len(accounts); start += saveChunk {
		if err := r.saveChunk(ctx, accounts[start:min(start+saveChunk, len(accounts))]); err != nil {
			return err
		}
	}
	return nil
}

// saveChunk sets every account's balance and frozen amount in one statement:
// UPDATE … SET balance = CASE user_no WHEN … THEN … END, frozen = CASE … WHERE user_no IN (…).
func (r *accountRepo) saveChunk(ctx context.Context, accounts []*biz.Account) error {
	ids := make([]string, len(accounts))
	var at time.Time
	for i, a := range accounts {
		ids[i] = a.UserNo
		if a.UpdatedAt.After(at) {
			at = a.UpdatedAt
		}
	}
	byUser := func(value func(*biz.Account) money.Amount) entsql.Querier {
		return entsql.ExprFunc(func(b *entsql.Builder) {
			b.WriteString("CASE ").Ident(bankaccount.FieldID)
			for _, a := range accounts {
				b.WriteString(" WHEN ").Arg(a.UserNo).WriteString(" THEN ").Arg(value(a))
			}
			b.WriteString(" END")
		})
	}
	// By primary key only (entx.UpdateByKey): batches of other projects lock their own
	// accounts meanwhile.
	n, err := entx.UpdateByKey(ctx, r.data.Client(ctx), bankaccount.Table, func(u *entsql.UpdateBuilder) {
		u.Set(bankaccount.FieldBalance, byUser(func(a *biz.Account) money.Amount { return a.Balance })).
			Set(bankaccount.FieldFrozen, byUser(func(a *biz.Account) money.Amount { return a.Frozen })).
			Set(bankaccount.FieldUpdatedAt, at).
			Where(entsql.In(bankaccount.FieldID, entx.Args(ids)...))
	})
	if err != nil {
		return err
	}
	return allFound(ctx, fmt.Sprintf("save %d accounts", len(accounts)), n, len(accounts),
		r.data.Client(ctx).BankAccount.Query().Where(bankaccount.IDIn(ids...)).Count)
}

func (r *accountRepo) Totals(ctx context.Context) (biz.AccountTotals, error) {
	var rows []struct {
		Balances money.Amount `sql:"balances"`
		Frozen   money.Amount `sql:"frozen"`
		Accounts int          `sql:"accounts"`
	}
	err := r.data.Client(ctx).BankAccount.Query().
		Aggregate(coalescedSum(bankaccount.FieldBalance, "balances"), coalescedSum(bankaccount.FieldFrozen, "frozen"),
			func(s *entsql.Selector) string { return entsql.As(entsql.Count("*"), "accounts") }).
		Scan(ctx, &rows)
	if err != nil {
		return biz.AccountTotals{}, err
	}
	if len(rows) != 1 {
		return biz.AccountTotals{}, fmt.Errorf("account totals: %d rows", len(rows))
	}
	return biz.AccountTotals{Balances: rows[0].Balances, Frozen: rows[0].Frozen, Accounts: rows[0].Accounts}, nil
}

// coalescedSum is SUM(column) AS as, 0.00 rather than NULL over no rows.
func coalescedSum(column, as string) ent.AggregateFunc {
	return func(s *entsql.Selector) string {
		return entsql.As("COALESCE("+entsql.Sum(s.C(column))+", 0)", as)
	}
}

func accountToBiz(a *ent.BankAccount) *biz.Account {
	return &biz.Account{UserNo: a.ID, Balance: a.Balance, Frozen: a.Frozen, UpdatedAt: a.UpdatedAt}
}
