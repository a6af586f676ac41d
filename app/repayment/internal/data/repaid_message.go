package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/dtm-labs/dtm/client/dtmcli"
	"google.golang.org/protobuf/types/known/timestamppb"

	v1 "github.com/p2p-dtx/p2p-dtx/api/repayment/v1"
	tcv1 "github.com/p2p-dtx/p2p-dtx/api/trade-center/v1"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/dtmx"
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
)

// messageTimeout bounds one two-phase message: the calls to DTM and the local
// transaction (which updates one plan row and one period's receivables).
const messageTimeout = 15 * time.Second

// repaidMessenger sends the installment-repaid two-phase message through DTM: its one
// step is trade-center's TradeCenterBranches.RecordInstallmentRepaid, its check-back
// repayment's RepaymentBranches.QueryPrepared.
type repaidMessenger struct {
	msgs   *dtmx.Messages
	record string // trade-center's branch: host:port + full method
	db     *sql.DB
}

// NewRepaidMessenger returns the messenger. With faults enabled it also installs the
// repay.submit.lost interceptor on the DTM client (before its first connection).
func NewRepaidMessenger(c *conf.Bootstrap, d *Data, key *dtmx.BranchKey, f *faults.Registry) (biz.RepaidMessenger, error) {
	dc, tc := c.GetDtm(), c.GetPeers().GetTradeCenterGrpc()
	if dc.GetServer() == "" || dc.GetBranchHost() == "" || tc == "" {
		return nil, errors.New("dtm.server, dtm.branch_host and peers.trade_center_grpc are required")
	}
	msgs, err := dtmx.NewMessages(dc, key, dc.GetBranchHost()+v1.RepaymentBranches_QueryPrepared_FullMethodName, d.DB(), d.Bind)
	if err != nil {
		return nil, err
	}
	if f != nil {
		dtmx.DropSubmits(func() bool { return f.Hit(biz.FaultRepaySubmitLost).Fire })
	}
	return &repaidMessenger{msgs: msgs, record: tc + tcv1.TradeCenterBranches_RecordInstallmentRepaid_FullMethodName, db: d.DB()}, nil
}

func (m *repaidMessenger) Send(ctx context.Context, gid string, msg biz.InstallmentRepaid, localTx func(ctx context.Context) error) error {
	// The message outlives a caller that hangs up: once the bank has paid, DTM must hear
	// of it either way.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), messageTimeout)
	defer cancel()
	step := dtmx.MsgStep{Action: m.record, Payload: &tcv1.InstallmentRepaid{
		ProjectId: msg.ProjectID, Period: int32(msg.Period), RequestNo: msg.RequestNo,
		Amount: msg.Amount.String(), RepaidAt: timestamppb.New(msg.RepaidAt),
	}}
	return m.msgs.DoAndSubmit(ctx, gid, []dtmx.MsgStep{step}, func(ctx context.Context) error {
		err := localTx(ctx)
		if errors.Is(err, biz.ErrInstallmentRepaid) {
			// Final: abort the message at once instead of asking QueryPrepared first.
			return errors.Join(dtmcli.ErrFailure, err)
		}
		return err
	})
}

func (m *repaidMessenger) Prepared(ctx context.Context) error { return dtmx.QueryPrepared(ctx, m.db) }

// Defaults of the repayment run when the config leaves them out.
const (
	defaultLostAfter = 6 * time.Minute
	defaultRunBatch  = 500
)

// NewRunSettings reads and checks the repayment run's settings.
func NewRunSettings(c *conf.Bootstrap) (biz.RunSettings, error) {
	r := c.GetRepaymentRun()
	s := biz.RunSettings{LostAfter: r.GetLostAfter().AsDuration(), BatchSize: int(r.GetBatchSize())}
	if s.LostAfter <= 0 {
		s.LostAfter = defaultLostAfter
	}
	if s.BatchSize <= 0 {
		s.BatchSize = defaultRunBatch
	}
	bankTimeout := c.GetBank().GetTimeout().AsDuration()
	if bankTimeout <= 0 {
		bankTimeout = defaultBankTimeout
	}
	switch {
	case r.GetInterval().AsDuration() <= 0:
		return s, errors.New("repayment_run.interval must be positive")
	case s.LostAfter <= signing.DefaultWindow+bankTimeout:
		// Until then a request still on its way could be accepted by the bank: giving it
		// up and sending a new one could pay the installment twice (the bank's unique
		// (project, period) would refuse that, but the run must not rely on it).
		return s, fmt.Errorf("repayment_run.lost_after must exceed the signature window %s plus the bank timeout %s",
			signing.DefaultWindow, bankTimeout)
	}
	return s, nil
}
