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
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
	"github.com/p2p-dtx/p2p-dtx/pkg/password"
)

// NewBranchRunner runs the registration branches on the service's database, with the
// repositories bound to each branch's transaction (pkg/dtmx.Branches).
func NewBranchRunner(c *conf.Bootstrap, d *Data) (biz.BranchRunner, func(), error) {
	return dtmx.NewBranches(context.Background(), d.DB(), c.GetDatabase(), d.Bind)
}

type registrationRepo struct{ data *Data }

// NewRegistrationRepo returns the ent-backed repository of the consumer branches.
func NewRegistrationRepo(d *Data) biz.RegistrationRepo { return &registrationRepo{data: d} }

func (r *registrationRepo) Create(ctx context.Context, c biz.Consumer, gid string) error {
	now := time.Now().UTC()
	err := r.data.Client(ctx).Consumer.Create().
		SetID(c.ID).
		SetUsername(c.Username).
		SetMobile(c.Mobile).
		SetRole(c.Role).
		SetStatus(string(c.Status)).
		SetCustodyStatus(string(c.CustodyStatus)).
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

func (r *registrationRepo) SetStatus(ctx context.Context, gid string, from, to biz.ConsumerStatus) error {
	_, err := r.data.Client(ctx).Consumer.Update().
		Where(consumer.RegistrationGid(gid), consumer.Status(string(from))).
		SetStatus(string(to)).
		SetUpdatedAt(time.Now().UTC()).
		Save(ctx)
	return err
}

func (r *registrationRepo) DeleteByStatus(ctx context.Context, gid string, status biz.ConsumerStatus) error {
	_, err := r.data.Client(ctx).Consumer.Delete().
		Where(consumer.RegistrationGid(gid), consumer.Status(string(status))).
		Exec(ctx)
	return err
}

// NewFaults returns the fault registry when faults are enabled, nil (never fires)
// otherwise.
func NewFaults(c *conf.Bootstrap) *faults.Registry {
	if !c.GetFaults().GetEnabled() {
		return nil
	}
	return faults.New(biz.FaultInitiatorFail, biz.FaultCallbackReject, biz.CrashCallbackAfterCommit)
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
