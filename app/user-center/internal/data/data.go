// Package data implements user-center's repositories on its MariaDB database via ent.
package data

import (
	"context"

	"entgo.io/ent/dialect"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/google/wire"

	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/data/ent"
	"github.com/p2p-dtx/p2p-dtx/pkg/dtmx"
	"github.com/p2p-dtx/p2p-dtx/pkg/entx"
)

// ProviderSet is data providers.
var ProviderSet = wire.NewSet(NewData, dtmx.BranchKeyFromEnv, NewConsumerRepo, NewBranchRunner, NewRegistrationRepo,
	NewFaults, NewPasswordHasher, NewRegistrar,
	NewTransaction, NewCustodyRepo, NewPlatformSigner, NewCallbackNonces, NewBankVerifier,
	NewCustodySettings, NewBank, NewClaims)

// Data is the service's database: pool, ent client, and the transaction a use case or
// a DTM branch runs in (pkg/entx.Store — how a transaction reaches a repository).
type Data = entx.Store[*ent.Client, *ent.Tx]

// NewData opens the database; the cleanup closes it.
func NewData(c *conf.Bootstrap, logger log.Logger) (*Data, func(), error) {
	return entx.Open(context.Background(), c.GetDatabase(), logger,
		func(d dialect.Driver) *ent.Client { return ent.NewClient(ent.Driver(d)) })
}
