package data

import (
	"context"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/dtmx"
)

// NewBranchRunner runs trade-center's DTM branches (the installment action of repayment's
// two-phase messages) on the service's database, with the repositories bound to each
// branch's transaction (pkg/dtmx.Branches).
func NewBranchRunner(c *conf.Bootstrap, d *Data) (biz.BranchRunner, func(), error) {
	return dtmx.NewBranches(context.Background(), d.DB(), c.GetDatabase(), d.Bind)
}
