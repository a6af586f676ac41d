package data

import (
	"context"
	"strings"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/unified-account/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/unified-account/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/app/unified-account/internal/data/ent"
	"github.com/p2p-dtx/p2p-dtx/app/unified-account/internal/data/ent/account"
	"github.com/p2p-dtx/p2p-dtx/pkg/dtmx"
)

// NewBranchRunner runs the registration branches on the service's database, with the
// repositories bound to each branch's transaction (pkg/dtmx.Branches).
func NewBranchRunner(c *conf.Bootstrap, d *Data) (biz.BranchRunner, func(), error) {
	return dtmx.NewBranches(context.Background(), d.DB(), c.GetDatabase(), d.Bind)
}

type registrationRepo struct{ data *Data }

// NewRegistrationRepo returns the ent-backed registration repository.
func NewRegistrationRepo(d *Data) biz.RegistrationRepo { return &registrationRepo{data: d} }

func (r *registrationRepo) Create(ctx context.Context, a biz.Account, gid string) (int64, error) {
	now := time.Now().UTC()
	created, err := r.data.Client(ctx).Account.Create().
		SetUsername(a.Username).
		SetMobile(a.Mobile).
		SetPasswordHash(a.PasswordHash).
		SetRole(a.Role).
		SetStatus(string(a.Status)).
		SetRegistrationGid(gid).
		SetCreatedAt(now).
		SetUpdatedAt(now).
		Save(ctx)
	if err != nil {
		return 0, takenOr(err)
	}
	return created.ID, nil
}

// takenOr names which unique key a duplicate hit (the keys are named in sql/).
func takenOr(err error) error {
	if !ent.IsConstraintError(err) {
		return err
	}
	switch msg := err.Error(); {
	case strings.Contains(msg, "uk_account_username"):
		return biz.ErrUsernameTaken
	case strings.Contains(msg, "uk_account_mobile"):
		return biz.ErrMobileTaken
	}
	return err
}

func (r *registrationRepo) SetStatus(ctx context.Context, gid string, from, to biz.AccountStatus) error {
	_, err := r.data.Client(ctx).Account.Update().
		Where(account.RegistrationGid(gid), account.Status(string(from))).
		SetStatus(string(to)).
		SetUpdatedAt(time.Now().UTC()).
		Save(ctx)
	return err
}

func (r *registrationRepo) DeleteByStatus(ctx context.Context, gid string, status biz.AccountStatus) error {
	_, err := r.data.Client(ctx).Account.Delete().
		Where(account.RegistrationGid(gid), account.Status(string(status))).
		Exec(ctx)
	return err
}
