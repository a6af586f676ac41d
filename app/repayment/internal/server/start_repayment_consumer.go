package server

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/go-kratos/kratos/v2/log"
	"google.golang.org/protobuf/encoding/protojson"

	tcv1 "github.com/p2p-dtx/p2p-dtx/api/trade-center/v1"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
	"github.com/p2p-dtx/p2p-dtx/pkg/mq"
	"github.com/p2p-dtx/p2p-dtx/pkg/telemetry"
)

const (
	defaultMaxReconsumeTimes = 16
	// consumeTimeout bounds one message's work; a 1,000-tender, 36-period project writes
	// 36,036 rows.
	consumeTimeout = 2 * time.Minute
)

// StartRepaymentConsumer consumes trade-center's start-repayment messages (group
// CID_START_REPAYMENT) and writes each project's plans. It is a Kratos transport.Server,
// started and stopped with the app. A message that fails for any reason is answered
// ConsumeRetryLater, so the broker delivers it again (with growing delays) up to
// max_reconsume_times, then parks it in %DLQ%<group>; writing the plans is idempotent,
// so redeliveries and duplicates are harmless. On Stop the client finishes a message
// being written first.
type StartRepaymentConsumer struct {
	*mq.Client[rocketmq.PushConsumer]
	maxReconsume int32
	plans        *biz.StartRepaymentUsecase
}

// NewStartRepaymentConsumer returns the consumer; Start connects it.
func NewStartRepaymentConsumer(c *conf.Bootstrap, plans *biz.StartRepaymentUsecase, logger log.Logger) (*StartRepaymentConsumer, error) {
	sr := c.GetStartRepayment()
	maxReconsume := sr.GetMaxReconsumeTimes()
	if maxReconsume <= 0 {
		maxReconsume = defaultMaxReconsumeTimes
	}
	ep := mq.EndpointOf(sr, sr.GetConsumerGroup(), c.GetRocketmq().GetNameServers())
	client, err := mq.NewClient[rocketmq.PushConsumer]("start-repayment consumer", ep, "start_repayment", "consumer_group", logger)
	if err != nil {
		return nil, err
	}
	return &StartRepaymentConsumer{Client: client, maxReconsume: maxReconsume, plans: plans}, nil
}

// Start creates the topic if it has no route (a push consumer refuses to start without
// one) and the group's retry topic (the broker would create it on the first redelivery,
// but the client looks for new routes only every 30 s, which would hold the first retry
// back that long), then starts consuming. A new group starts from the first offset, so
// messages sent before its first start are not skipped.
func (c *StartRepaymentConsumer) Start(ctx context.Context) error {
	if err := c.EnsureTopic(ctx, c.Log(), c.Topic, 4); err != nil {
		return err
	}
	if err := c.EnsureTopic(ctx, c.Log(), "%RETRY%"+c.Group, 1); err != nil {
		return err
	}
	instance := mq.InstanceName("repayment")
	pc, err := rocketmq.NewPushConsumer(
		consumer.WithNameServer(c.NameServers),
		consumer.WithGroupName(c.Group),
		consumer.WithInstance(instance),
		consumer.WithCredentials(c.Credentials),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
		consumer.WithConsumeMessageBatchMaxSize(1),
		consumer.WithMaxReconsumeTimes(c.maxReconsume),
	)
	if err != nil {
		return fmt.Errorf("start-repayment consumer: %w", err)
	}
	if err := pc.Subscribe(c.Topic, consumer.MessageSelector{}, c.consume); err != nil {
		return fmt.Errorf("start-repayment consumer: subscribe %s: %w", c.Topic, err)
	}
	if err := pc.Start(); err != nil {
		return fmt.Errorf("start-repayment consumer: %w", err)
	}
	c.SetRunning(pc, instance)
	return nil
}

func (c *StartRepaymentConsumer) consume(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
	for _, m := range msgs {
		// Only trade-center holds the topic's signing key: anything else is dropped,
		// never retried.
		if err := c.Signer.Verify(m); err != nil {
			c.Signer.Drop(c.Log(), m, err)
			continue
		}
		if err := c.handle(ctx, m); err != nil {
			c.Log().Errorw("msg", "start-repayment message failed; the broker will redeliver it",
				"msg_id", m.MsgId, "keys", m.GetKeys(), "reconsume_times", m.ReconsumeTimes, "err", err)
			return consumer.ConsumeRetryLater, nil
		}
	}
	return consumer.ConsumeSuccess, nil
}

// planRows counts the repayment and receivable plan rows written.
var planRows = telemetry.NewCounter("p2p_plan_rows_written", "repayment and receivable plan rows written")

func (c *StartRepaymentConsumer) handle(ctx context.Context, m *primitive.MessageExt) (err error) {
	ctx, cancel := context.WithTimeout(ctx, consumeTimeout)
	defer cancel()
	ctx, span := mq.StartProcess(ctx, "process", m)
	defer func() {
		telemetry.Fail(span, err)
		span.End()
	}()
	terms, err := decodeStartRepayment(m.Body)
	if err != nil {
		return err
	}
	telemetry.Annotate(ctx, telemetry.KeyProjectID.String(strconv.FormatInt(terms.ProjectID, 10)))
	w, err := c.plans.Start(ctx, terms)
	if err != nil {
		return err
	}
	planRows.Add(ctx, int64(w.Rows))
	if w.Rows == 0 {
		c.Log().WithContext(ctx).Infow("msg", "duplicate start-repayment message: plans exist already", "project_id", terms.ProjectID,
			"msg_id", m.MsgId, "reconsume_times", m.ReconsumeTimes)
		return nil
	}
	took := w.Amortize + w.Write
	c.Log().WithContext(ctx).Infow("msg", "repayment plans written", "project_id", terms.ProjectID, "tenders", len(terms.Tenders),
		"periods", terms.Periods, "rows", w.Rows, "amortize", w.Amortize.String(), "write", w.Write.String(),
		"rows_per_sec", strconv.FormatFloat(float64(w.Rows)/took.Seconds(), 'f', 0, 64),
		"msg_id", m.MsgId, "reconsume_times", m.ReconsumeTimes)
	return nil
}

// decodeStartRepayment reads the message body (api/trade-center/v1/events.proto).
func decodeStartRepayment(body []byte) (biz.LoanTerms, error) {
	var e tcv1.StartRepayment
	if err := protojson.Unmarshal(body, &e); err != nil {
		return biz.LoanTerms{}, fmt.Errorf("decode start-repayment message: %w", err)
	}
	bad := func(field string, err error) (biz.LoanTerms, error) {
		return biz.LoanTerms{}, fmt.Errorf("start-repayment message of project %d: %s: %w", e.GetProjectId(), field, err)
	}
	principal, err := money.ParseAmount(e.GetPrincipal())
	if err != nil {
		return bad("principal", err)
	}
	borrowerRate, err := money.ParseRate(e.GetBorrowerRate())
	if err != nil {
		return bad("borrowerRate", err)
	}
	investorRate, err := money.ParseRate(e.GetInvestorRate())
	if err != nil {
		return bad("investorRate", err)
	}
	if e.GetProjectId() <= 0 || e.GetLoanedAt() == nil {
		return bad("projectId, loanedAt", errors.New("missing"))
	}
	t := biz.LoanTerms{
		ProjectID: e.GetProjectId(), BorrowerID: e.GetBorrowerId(), Principal: principal,
		BorrowerRate: borrowerRate, InvestorRate: investorRate, Periods: int(e.GetPeriods()),
		LoanDate: e.GetLoanedAt().AsTime(), Tenders: make([]biz.TenderShare, 0, len(e.GetTenders())),
		BankProjectNo: e.GetBankProjectNo(), BorrowerUserNo: e.GetBorrowerUserNo(),
	}
	for _, tender := range e.GetTenders() {
		amount, err := money.ParseAmount(tender.GetAmount())
		if err != nil {
			return bad(fmt.Sprintf("tender %d amount", tender.GetTenderId()), err)
		}
		t.Tenders = append(t.Tenders, biz.TenderShare{TenderID: tender.GetTenderId(), InvestorID: tender.GetInvestorId(),
			Amount: amount, InvestorUserNo: tender.GetInvestorUserNo()})
	}
	return t, nil
}
