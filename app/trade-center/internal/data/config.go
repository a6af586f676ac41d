package data

import (
	"fmt"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// NewFaults returns trade-center's fault points, or nil (never firing) unless
// faults.enabled.
func NewFaults(c *conf.Bootstrap) *faults.Registry {
	if !c.GetFaults().GetEnabled() {
		return nil
	}
	return faults.New(biz.FaultLoanLocalTxFail, biz.FaultLoanLocalTxUnknown, biz.FaultLoanMessageLost, biz.FaultRefundHalt,
		biz.CrashTenderAfterRow, biz.CrashTenderAfterFreeze, biz.CrashLoanAfterTransfer, biz.CrashLoanAfterLocalTx,
		biz.CrashRefundAfterUnfreeze)
}

// NewLendingRules reads and checks the lending rules.
func NewLendingRules(c *conf.Bootstrap) (biz.LendingRules, error) {
	l := c.GetLending()
	commission, err := money.ParseRate(l.GetCommissionRate())
	if err != nil {
		return biz.LendingRules{}, fmt.Errorf("lending.commission_rate: %w", err)
	}
	minimum, err := money.ParseAmount(l.GetMinimumTender())
	if err != nil {
		return biz.LendingRules{}, fmt.Errorf("lending.minimum_tender: %w", err)
	}
	if !minimum.IsPositive() {
		return biz.LendingRules{}, fmt.Errorf("lending.minimum_tender must be positive")
	}
	if commission.Cmp(biz.MaxAnnualRate) >= 0 {
		return biz.LendingRules{}, fmt.Errorf("lending.commission_rate must be below %s", biz.MaxAnnualRate)
	}
	return biz.LendingRules{CommissionRate: commission, MinimumTender: minimum}, nil
}

// NewCheckBackGrace reads start_repayment.check_back_grace (0: the default).
func NewCheckBackGrace(c *conf.Bootstrap) biz.CheckBackGrace {
	return biz.CheckBackGrace(c.GetStartRepayment().GetCheckBackGrace().AsDuration())
}

// NewOutboxSettings reads start_repayment.republish_after (0: the default).
func NewOutboxSettings(c *conf.Bootstrap) biz.OutboxSettings {
	return biz.OutboxSettings{After: c.GetStartRepayment().GetRepublishAfter().AsDuration()}
}
