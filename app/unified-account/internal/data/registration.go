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
	"github.com/p2p-dtx/p2p-dtx/pkg/entx"
)

// branchClientKey carries the ent client bound to a DTM branch's transaction.
type branchClientKey struct{}

// client is the ent client of the branch transaction in ctx, or the pooled one.
func (d *Data) client(ctx context.Context) *ent.Client {
	if c, ok := ctx.Value(branchClientKey{}).(*ent.Client); ok {
		return c
	}
	return d.ent
}

type branchRunner struct{ dtm *dtmx.Runner }

// NewBranchRunner runs registration branches on the service's database.
func NewBranchRunner(c *conf.Bootstrap, d *Data) (biz.BranchRunner, func(), error) {
	dtmx.QuietClientLogs()
	r, cleanup, err := dtmx.NewRunner(context.Background(), d.db, c.GetDatabase())
	if err != nil {
		return nil, nil, err
	}
	return branchRunner{dtm: r}, cleanup, nil
}

func (b branchRunner) InBarrier(ctx context.Context, fn func(context.Context, biz.Branch) error) error {
	return b.dtm.InBarrier(ctx, func(drv *entx.Driver, gid string) error {
		return fn(withBranchClient(ctx, drv), biz.Branch{GID: gid})
	})
}

func (b branchRunner) InXA(ctx context.Context, fn func(context.Context, biz.Branch) error) error {
	return b.dtm.InXA(ctx, func(drv *entx.Driver, gid string) error {
		return fn(withBranchClient(ctx, drv), biz.Branch{GID: gid})
	})
}

func withBranchClient(ctx context.Context, drv *entx.Driver) context.Context {
	return context.WithValue(ctx, branchClientKey{}, ent.NewClient(ent.Driver(drv)))
}

type registrationRepo struct{ data *Data }

// NewRegistrationRepo returns the ent-backed registration repository.
func NewRegistrationRepo(d *Data) biz.RegistrationRepo { return &registrationRepo{data: d} }

func (r *registrationRepo) Create(ctx context.Context, a biz.Account, gid string) (int64, error) {
	now := time.Now().UTC()
	created, err := r.data.client(ctx).Account.Create().
		SetUsername(a.Username).
		SetMobile(a.Mobile).
		SetPasswordHash(a.PasswordHash).
		SetRole(a.Role).
		SetStatus(a.Status).
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

func (r *registrationRepo) SetStatus(ctx context.Context, gid, from, to string) error {
	_, err := r.data.client(ctx).Account.Update().
		Where(account.RegistrationGid(gid), account.Status(from)).
		SetStatus(to).
		SetUpdatedAt(time.Now().UTC()).
		Save(ctx)
	return err
}

func (r *registrationRepo) DeleteByStatus(ctx context.Context, gid, status string) error {
	_, err := r.data.client(ctx).Account.Delete().
		Where(account.RegistrationGid(gid), account.Status(status)).
		Exec(ctx)
	return err
}
