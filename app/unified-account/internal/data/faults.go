package data

import (
	"github.com/p2p-dtx/p2p-dtx/app/unified-account/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/unified-account/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
)

// NewFaults returns the fault registry when faults are enabled, nil (never fires)
// otherwise.
func NewFaults(c *conf.Bootstrap) *faults.Registry {
	if !c.GetFaults().GetEnabled() {
		return nil
	}
	return faults.New(biz.FaultTryFail, biz.FaultTryDelay, biz.FaultConfirmFail)
}
