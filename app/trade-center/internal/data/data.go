// Package data implements biz's repositories on trade-center's MariaDB database via ent,
// and its adapters to the outside: the custody bank (signed HTTP), user-center (HTTP) and
// DTM's barrier (pkg/dtmx).
package data

import (
	"context"

	"entgo.io/ent/dialect"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/google/wire"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/data/ent"
	"github.com/p2p-dtx/p2p-dtx/pkg/claims"
	"github.com/p2p-dtx/p2p-dtx/pkg/dtmx"
	"github.com/p2p-dtx/p2p-dtx/pkg/entx"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
)

// ProviderSet is data providers.
var ProviderSet = wire.NewSet(NewData, dtmx.BranchKeyFromEnv, NewTransaction, NewProjectRepo, NewTenderRepo, NewLoanMessageRepo,
	NewInstallmentRepo, NewBranchRunner, NewFaults, NewLendingRules, NewCheckBackGrace, NewBankNonces, NewBankClient, NewBank,
	NewCustodyDirectory, NewPlanChecker, NewOutboxSettings, NewClaims)

// Data is the service's database: pool, ent client, and the transaction a use case or
// a DTM branch runs in (pkg/entx.Store — how a transaction reaches a repository).
type Data = entx.Store[*ent.Client, *ent.Tx]

// NewData opens the database; the cleanup closes it.
func NewData(c *conf.Bootstrap, logger log.Logger) (*Data, func(), error) {
	return entx.Open(context.Background(), c.GetDatabase(), logger,
		func(d dialect.Driver) *ent.Client { return ent.NewClient(ent.Driver(d)) })
}

// NewClaims is the background jobs' row claims (pkg/claims) in trade-center's database:
// with two instances, each settles, refunds, resumes and re-sends only the rows it holds.
func NewClaims(d *Data) claims.Claimer { return claims.New(d.DB(), "trade-center") }

// NewBankNonces is the nonce store of the bank's signed answers (signing.BankNonceTable).
func NewBankNonces(d *Data) *signing.SQLNonceStore { return signing.NewBankNonces(d.DB()) }

// NewBankClient is the custody bank's signed client (signing.NewBankClient: the keys
// directory and address of the config's bank section).
func NewBankClient(c *conf.Bootstrap, nonces *signing.SQLNonceStore) (*signing.Client, error) {
	return signing.NewBankClient(c.GetBank(), nonces)
}

// NewTransaction runs use cases in local transactions on the service's database.
func NewTransaction(d *Data) biz.Transaction { return d }

// found maps a single-row read onto the domain: ent's not-found becomes notFound, the
// biz error callers check for, and a row becomes its domain value through to.
func found[R, T any](row R, err error, notFound error, to func(R) T) (*T, error) {
	if ent.IsNotFound(err) {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	out := to(row)
	return &out, nil
}
