// Package data implements user-center's repositories on its MariaDB database via ent.
package data

import (
	"context"
	"database/sql"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/google/wire"

	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/data/ent"
	"github.com/p2p-dtx/p2p-dtx/pkg/database"
)

// ProviderSet is data providers.
var ProviderSet = wire.NewSet(NewData, NewConsumerRepo, NewBranchRunner, NewRegistrationRepo,
	NewFaults, NewPasswordHasher, NewRegistrar,
	NewTransaction, NewCustodyRepo, NewPlatformSigner, NewCallbackNonces, NewBankVerifier,
	NewCustodySettings, NewBank)

// Data holds the connection pool and the ent client over it.
type Data struct {
	db  *sql.DB
	ent *ent.Client
}

// NewData opens the database; the cleanup closes it.
func NewData(c *conf.Bootstrap, logger log.Logger) (*Data, func(), error) {
	db, err := database.Open(context.Background(), c.GetDatabase())
	if err != nil {
		return nil, nil, err
	}
	client := ent.NewClient(ent.Driver(entsql.OpenDB("mysql", db)))
	helper := log.NewHelper(logger)
	cleanup := func() {
		if err := client.Close(); err != nil {
			helper.Errorw("msg", "close database", "err", err)
		}
	}
	return &Data{db: db, ent: client}, cleanup, nil
}

// Ping reports whether the database answers; /healthz uses it.
func (d *Data) Ping(ctx context.Context) error { return d.db.PingContext(ctx) }
