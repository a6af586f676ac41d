package data

import (
	"context"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/unified-account/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/unified-account/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/app/unified-account/internal/data/ent"
	"github.com/p2p-dtx/p2p-dtx/app/unified-account/internal/data/ent/loginattempt"
	"github.com/p2p-dtx/p2p-dtx/pkg/entx"
)

type loginAttemptRepo struct{ data *Data }

// NewLoginAttemptRepo returns the login_attempt table as the attempt store.
func NewLoginAttemptRepo(d *Data) biz.LoginAttemptRepo { return &loginAttemptRepo{data: d} }

// NewThrottlePolicy is the configured login throttle (login_throttle), API.md's default
// for every value left out.
func NewThrottlePolicy(c *conf.Bootstrap) biz.ThrottlePolicy {
	p, t := biz.DefaultThrottlePolicy(), c.GetLoginThrottle()
	if n := t.GetMaxFailures(); n > 0 {
		p.MaxFailures = int(n)
	}
	if d := t.GetWindow(); d != nil && d.AsDuration() > 0 {
		p.Window = d.AsDuration()
	}
	if d := t.GetLock(); d != nil && d.AsDuration() > 0 {
		p.Lock = d.AsDuration()
	}
	return p
}

func (r *loginAttemptRepo) Get(ctx context.Context, login string) (biz.LoginAttempts, error) {
	return r.read(ctx, login, false)
}

// Update makes sure the row exists, then changes it under its row lock, so concurrent
// failures from any instance are counted one after the other.
func (r *loginAttemptRepo) Update(ctx context.Context, login string, fn func(*biz.LoginAttempts)) (biz.LoginAttempts, error) {
	var out biz.LoginAttempts
	err := r.data.InTx(ctx, func(ctx context.Context) error {
		now := time.Now().UTC()
		c := r.data.Client(ctx)
		if err := c.LoginAttempt.Create().SetID(login).SetFailures(0).SetWindowStart(now).SetUpdatedAt(now).
			OnConflict().Ignore().Exec(ctx); err != nil {
			return err
		}
		a, err := r.read(ctx, login, true)
		if err != nil {
			return err
		}
		fn(&a)
		u := c.LoginAttempt.UpdateOneID(login).SetFailures(a.Failures).SetWindowStart(a.WindowStart.UTC()).SetUpdatedAt(now)
		if a.LockedUntil.IsZero() {
			u.ClearLockedUntil()
		} else {
			u.SetLockedUntil(a.LockedUntil.UTC())
		}
		out = a
		return u.Exec(ctx)
	})
	return out, err
}

func (r *loginAttemptRepo) Clear(ctx context.Context, login string, now time.Time) error {
	_, err := r.data.Client(ctx).LoginAttempt.Delete().
		Where(loginattempt.ID(login),
			loginattempt.Or(loginattempt.LockedUntilIsNil(), loginattempt.LockedUntilLTE(now.UTC()))).
		Exec(ctx)
	return err
}

func (r *loginAttemptRepo) read(ctx context.Context, login string, lock bool) (biz.LoginAttempts, error) {
	row, err := entx.Only(ctx, r.data, r.data.Client(ctx).LoginAttempt.Query().Where(loginattempt.ID(login)), lock)
	if ent.IsNotFound(err) {
		return biz.LoginAttempts{}, nil
	}
	if err != nil {
		return biz.LoginAttempts{}, err
	}
	a := biz.LoginAttempts{Failures: row.Failures, WindowStart: row.WindowStart}
	if row.LockedUntil != nil {
		a.LockedUntil = *row.LockedUntil
	}
	return a, nil
}
