// Package data implements biz's repositories on repayment's MariaDB database via ent.
package data

import (
	"context"

	"entgo.io/ent/dialect"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/google/wire"

	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/data/ent"
	"github.com/p2p-dtx/p2p-dtx/pkg/claims"
	"github.com/p2p-dtx/p2p-dtx/pkg/dtmx"
	"github.com/p2p-dtx/p2p-dtx/pkg/entx"
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
)

// ProviderSet is data providers.
var ProviderSet = wire.NewSet(NewData, dtmx.BranchKeyFromEnv, NewPlanRepo, NewFaults, NewTransaction, NewInstallmentRepo,
	NewBankNonces, NewBankClient, NewBank, NewRepaidMessenger, NewRunSettings, NewClaims)

// NewClaims is the repayment runner's row claims (pkg/claims) in repayment's database:
// with two instances, each runs the projects it holds.
func NewClaims(d *Data) claims.Claimer { return claims.New(d.DB(), "repayment") }

// NewBankNonces is the nonce store of the bank's signed answers (signing.BankNonceTable).
func NewBankNonces(d *Data) *signing.SQLNonceStore { return signing.NewBankNonces(d.DB()) }

// NewBankClient is the custody bank's signed client (signing.NewBankClient: the keys
// directory and address of the config's bank section).
func NewBankClient(c *conf.Bootstrap, nonces *signing.SQLNonceStore) (*signing.Client, error) {
	return signing.NewBankClient(c.GetBank(), nonces)
}

// Data is the service's database: pool, ent client, and the transaction a use case or
// a DTM branch runs in (pkg/entx.Store — how a transaction reaches a repository).
type Data = entx.Store[*ent.Client, *ent.Tx]

// NewData opens the database; the cleanup closes it.
func NewData(c *conf.Bootstrap, logger log.Logger) (*Data, func(), error) {
	return entx.Open(context.Background(), c.GetDatabase(), logger,
		func(d dialect.Driver) *ent.Client { return ent.NewClient(ent.Driver(d)) })
}

// NewTransaction is the biz.Transaction port: a local transaction on the database.
func NewTransaction(d *Data) biz.Transaction { return d }

// NewFaults returns repayment's fault points, or nil (never firing) unless faults.enabled.
func NewFaults(c *conf.Bootstrap) *faults.Registry {
	if !c.GetFaults().GetEnabled() {
		return nil
	}
	return faults.New(biz.FaultPlanConsumeFail, biz.FaultRepayLocalTxFail, biz.FaultRepaySubmitLost,
		biz.CrashPlanInTx, biz.FaultPlanCommitDelay, biz.CrashRepayAfterBank)
}
