package data

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/data/ent"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/data/ent/consumer"
	"github.com/p2p-dtx/p2p-dtx/pkg/dtmx"
	"github.com/p2p-dtx/p2p-dtx/pkg/entx"
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
	"github.com/p2p-dtx/p2p-dtx/pkg/password"
)

// txClientKey carries the ent client bound to the transaction a use case runs in: a DTM
// branch's (barrier or XA) or a local one (Transaction.InTx).
type txClientKey struct{}

// client is the ent client of the transaction in ctx, or the pooled one.
func (d *Data) client(ctx context.Context) *ent.Client {
	if c, ok := ctx.Value(txClientKey{}).(*ent.Client); ok {
		return c
	}
	return d.ent
}

// inTx reports whether ctx carries a transaction.
func inTx(ctx context.Context) bool {
	_, ok := ctx.Value(txClientKey{}).(*ent.Client)
	return ok
}

type branchRunner struct{ dtm *dtmx.Runner }

// NewBranchRunner runs the consumer branches on the service's database.
func NewBranchRunner(c *conf.Bootstrap, d *Data) (biz.BranchRunner, func(), error) {
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
	return context.WithValue(ctx, txClientKey{}, ent.NewClient(ent.Driver(drv)))
}

type registrationRepo struct{ data *Data }

// NewRegistrationRepo returns the ent-backed repository of the consumer branches.
func NewRegistrationRepo(d *Data) biz.RegistrationRepo { return &registrationRepo{data: d} }

func (r *registrationRepo) Create(ctx context.Context, c biz.Consumer, gid string) error {
	now := time.Now().UTC()
	err := r.data.client(ctx).Consumer.Create().
		SetID(c.ID).
		SetUsername(c.Username).
		SetMobile(c.Mobile).
		SetRole(c.Role).
		SetStatus(c.Status).
		SetCustodyStatus(c.CustodyStatus).
		SetRegistrationGid(gid).
		SetCreatedAt(now).
		SetUpdatedAt(now).
		Exec(ctx)
	if ent.IsConstraintError(err) {
		switch msg := err.Error(); {
		case strings.Contains(msg, "uk_consumer_username"):
			return biz.ErrUsernameTaken
		case strings.Contains(msg, "uk_consumer_mobile"):
			return biz.ErrMobileTaken
		}
	}
	return err
}

func (r *registrationRepo) SetStatus(ctx context.Context, gid, from, to string) error {
	_, err := r.data.client(ctx).Consumer.Update().
		Where(consumer.RegistrationGid(gid), consumer.Status(from)).
		SetStatus(to).
		SetUpdatedAt(time.Now().UTC()).
		Save(ctx)
	return err
}

func (r *registrationRepo) DeleteByStatus(ctx context.Context, gid, status string) error {
	_, err := r.data.client(ctx).Consumer.Delete().
		Where(consumer.RegistrationGid(gid), consumer.Status(status)).
		Exec(ctx)
	return err
}

// NewFaults returns the fault registry when faults are enabled, nil (never fires)
// otherwise.
func NewFaults(c *conf.Bootstrap) *faults.Registry {
	if !c.GetFaults().GetEnabled() {
		return nil
	}
	return faults.New(biz.FaultInitiatorFail, biz.FaultCallbackReject)
}

// NewPasswordHasher returns bcrypt at the configured cost (password.bcrypt_cost, from
// P2P_BCRYPT_COST on the stack); a cost outside 4..14 stops the service at start.
func NewPasswordHasher(c *conf.Bootstrap) (biz.PasswordHasher, error) {
	h, err := password.NewHasher(int(c.GetPassword().GetBcryptCost()))
	if err != nil {
		return nil, fmt.Errorf("password.bcrypt_cost (P2P_BCRYPT_COST): %w", err)
	}
	return h, nil
}
