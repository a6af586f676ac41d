package data

import (
	"context"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/keyring"
	"github.com/p2p-dtx/p2p-dtx/pkg/claims"
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
	"github.com/p2p-dtx/p2p-dtx/pkg/password"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
)

// APINonceTable holds the nonces of every signed message the bank accepted.
const APINonceTable = "api_nonce"

// NewClaims is the back office's row claims (pkg/claims) in the bank's database: with
// two instances, each publishes the results it holds.
func NewClaims(d *Data) claims.Claimer { return claims.New(d.DB(), "bank-custody") }

// NewAPINonceStore claims the nonces of signed server-to-server calls.
func NewAPINonceStore(d *Data) *signing.SQLNonceStore {
	return &signing.SQLNonceStore{DB: d.DB(), Table: APINonceTable}
}

// NewKeyring loads the bank's key and the platforms' keys.
func NewKeyring(c *conf.Bootstrap, nonces *signing.SQLNonceStore) (*keyring.Keyring, error) {
	return keyring.New(c, nonces)
}

type nonceRepo struct{ data *Data }

// NewNonceRepo claims gateway form nonces inside the use case's transaction.
func NewNonceRepo(d *Data) biz.NonceRepo { return &nonceRepo{data: d} }

func (r *nonceRepo) Claim(ctx context.Context, nonce string, expiresAt time.Time) (bool, error) {
	err := r.data.Client(ctx).APINonce.Create().SetID(nonce).SetExpiresAt(expiresAt.UTC()).Exec(ctx)
	if _, dup := duplicateKey(err); dup {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, nil
}

type platforms struct{ keys *keyring.Keyring }

// NewPlatforms exposes the configured platforms to the use cases.
func NewPlatforms(k *keyring.Keyring) biz.Platforms { return platforms{keys: k} }

func (p platforms) Platform(no string) (biz.Platform, bool) {
	pl, ok := p.keys.Platform(no)
	if !ok {
		return biz.Platform{}, false
	}
	return biz.Platform{No: pl.No, CallbackURL: pl.CallbackURL}, true
}

func (p platforms) Nos() []string { return p.keys.Nos() }

type passwordHasher struct{}

// NewPasswordHasher hashes custody passwords with bcrypt (pkg/password).
func NewPasswordHasher() biz.PasswordHasher { return passwordHasher{} }

func (passwordHasher) Hash(plain string) (string, error) { return password.Hash(plain) }

func (passwordHasher) Matches(hash, plain string) bool { return password.Matches(hash, plain) }

// NewFaults returns the fault registry when faults are enabled, nil (never fires)
// otherwise.
func NewFaults(c *conf.Bootstrap) *faults.Registry {
	if !c.GetFaults().GetEnabled() {
		return nil
	}
	return faults.New(biz.FaultNotifySuppress, biz.FaultRepayLost, biz.FaultFreezeUnsigned, biz.CrashAfterComplete)
}
