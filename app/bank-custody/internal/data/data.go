// Package data implements biz's repositories on bank-custody's MariaDB database via ent,
// and its adapters: the RocketMQ publisher of results, the signed callback to platforms,
// the keys and the password hasher.
package data

import (
	"context"
	"fmt"
	"strings"

	"entgo.io/ent/dialect"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/google/wire"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent"
	"github.com/p2p-dtx/p2p-dtx/pkg/entx"
)

// ProviderSet is data providers.
var ProviderSet = wire.NewSet(NewData, NewTransaction, NewNotificationRepo, NewAttemptRecorder, NewRequestRepo,
	NewUserRepo, NewAccountRepo, NewProjectRepo, NewFreezeRepo, NewRepaymentRepo, NewSnapshot, NewNonceRepo, NewAPINonceStore, NewKeyring,
	NewPlatforms, NewPasswordHasher, NewFaults, NewPlatformCallback, NewPublisher, NewClaims,
	wire.Bind(new(biz.NotificationPublisher), new(*Publisher)))

// Data is the service's database: pool, ent client, and the transaction a use case or
// a DTM branch runs in (pkg/entx.Store — how a transaction reaches a repository).
type Data = entx.Store[*ent.Client, *ent.Tx]

// NewData opens the database; the cleanup closes it.
func NewData(c *conf.Bootstrap, logger log.Logger) (*Data, func(), error) {
	return entx.Open(context.Background(), c.GetDatabase(), logger,
		func(d dialect.Driver) *ent.Client { return ent.NewClient(ent.Driver(d)) })
}

// duplicateKey reports whether err is a unique-key violation, and on which key (MariaDB
// names it in the message: "Duplicate entry '…' for key 'uk_…'"; 'PRIMARY' for the
// primary key).
func duplicateKey(err error) (key string, ok bool) {
	if !ent.IsConstraintError(err) {
		return "", false
	}
	msg := err.Error()
	i := strings.LastIndex(msg, "for key '")
	if i < 0 {
		return "", true
	}
	key = strings.TrimSuffix(msg[i+len("for key '"):], "'")
	// MySQL 8 qualifies the key with the table ("bank_user.uk_…").
	if j := strings.LastIndex(key, "."); j >= 0 {
		key = key[j+1:]
	}
	return key, true
}

// allFound checks that the rows an UPDATE meant to set all exist: what names the update
// ("save 3 accounts"). MariaDB counts changed rows, not matched ones, so when fewer
// changed than were named, count (a query for the named rows) decides: an unchanged row
// is not a missing one.
func allFound(ctx context.Context, what string, changed, named int, count func(ctx context.Context) (int, error)) error {
	if changed == named {
		return nil
	}
	found, err := count(ctx)
	if err != nil {
		return err
	}
	if found != named {
		return fmt.Errorf("%s: only %d exist", what, found)
	}
	return nil
}

// NewTransaction runs use cases in local transactions on the service's database.
func NewTransaction(d *Data) biz.Transaction { return d }
