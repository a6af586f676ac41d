package server

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/go-kratos/kratos/v2/log"
	"go.opentelemetry.io/otel/attribute"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	v1 "github.com/p2p-dtx/p2p-dtx/api/trade-center/v1"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/mq"
	"github.com/p2p-dtx/p2p-dtx/pkg/telemetry"
)

// topicQueues is how many queues TP_START_REPAYMENT gets when trade-center creates it.
const topicQueues = 4

// PropertyLoanMessageKey carries a start-repayment message's loan_message key, which the
// check-back looks up.
const PropertyLoanMessageKey = "LOAN_MESSAGE_KEY"

// Time limits of the producer's callbacks; they have no context of their own.
const (
	localTxTimeout   = 30 * time.Second
	checkBackTimeout = 5 * time.Second
)

// StartRepaymentProducer is the transactional producer of TP_START_REPAYMENT. It is a
// Kratos transport.Server: the app starts it (creating the topic if needed) and stops it
// with the HTTP and gRPC servers. Its listener runs the loan's local transaction and
// answers check-backs through biz.LoanLedger, which reads the database only.
type StartRepaymentProducer struct {
	*mq.Client[rocketmq.TransactionProducer]
	ledger *biz.LoanLedger
	// plain sends the outbox's re-sends (Publish): ordinary messages, same topic,
	// account and signature.
	plain mq.Started[rocketmq.Producer]
}

// NewStartRepaymentProducer returns the producer; Start connects it.
func NewStartRepaymentProducer(c *conf.Bootstrap, ledger *biz.LoanLedger, logger log.Logger) (*StartRepaymentProducer, error) {
	sr := c.GetStartRepayment()
	ep := mq.EndpointOf(sr, sr.GetProducerGroup(), c.GetRocketmq().GetNameServers())
	client, err := mq.NewClient[rocketmq.TransactionProducer]("start-repayment producer", ep, "start_repayment", "producer_group", logger)
	if err != nil {
		return nil, err
	}
	return &StartRepaymentProducer{Client: client, ledger: ledger}, nil
}

// Start creates the topic if it has no route and starts the producer. The instance name
// is unique per producer: the client library routes check-backs by client id (IP and
// instance name), and two producers sharing one would drop each other's check-backs.
func (p *StartRepaymentProducer) Start(ctx context.Context) error {
	if err := p.EnsureTopic(ctx, p.Log(), p.Topic, topicQueues); err != nil {
		return err
	}
	instance := mq.InstanceName("trade-center")
	tp, err := rocketmq.NewTransactionProducer(listener{ledger: p.ledger, log: p.Log()},
		producer.WithNameServer(p.NameServers),
		producer.WithGroupName(p.Group),
		producer.WithInstanceName(instance),
		producer.WithCredentials(p.Credentials),
		producer.WithRetry(2),
		producer.WithSendMsgTimeout(5*time.Second),
	)
	if err != nil {
		return fmt.Errorf("start-repayment producer: %w", err)
	}
	if err := tp.Start(); err != nil {
		return fmt.Errorf("start-repayment producer: %w", err)
	}
	// The broker learns a producer group from the client's heartbeats, and the client
	// sends those only to brokers it has learned from a send: the first heartbeat goes out
	// one second after Start, the next 30 s later. Until the broker knows the group its
	// check-backs fail ("channel is null") and after transactionCheckMax tries the half
	// message is dropped. A half message right after Start, always rolled back, teaches the
	// client the broker before that first heartbeat. Still needed with the check-back fix of
	// v2.1.3-0.20251226070945: without it (measured 2026-12-02, TestLending against a
	// freshly restarted trade-center) the first check-back came 9.9 s after an UNKNOWN
	// commit instead of 2.7 s, and after a crash the plan came 9.6 s after the restart
	// instead of 2.0 s — by the outbox's re-send, not by the check-back.
	warmup := primitive.NewMessage(p.Topic, []byte("warm-up"))
	warmup.WithProperty(propertyWarmup, "1")
	if _, err := tp.SendMessageInTransaction(ctx, warmup); err != nil {
		return errors.Join(fmt.Errorf("start-repayment producer: warm-up: %w", err), tp.Shutdown())
	}
	plain, err := p.startPlain()
	if err != nil {
		return errors.Join(err, tp.Shutdown())
	}
	p.plain.Set(plain)
	p.SetRunning(tp, instance)
	return nil
}

// startPlain starts the producer of the outbox's re-sends: its own client instance (and
// group, which the broker does not check), signed in as trade-center's account.
func (p *StartRepaymentProducer) startPlain() (rocketmq.Producer, error) {
	pp, err := rocketmq.NewProducer(
		producer.WithNameServer(p.NameServers),
		producer.WithGroupName(p.Group+"_OUTBOX"),
		producer.WithInstanceName(mq.InstanceName("trade-center-outbox")),
		producer.WithCredentials(p.Credentials),
		producer.WithRetry(2),
		producer.WithSendMsgTimeout(5*time.Second),
	)
	if err != nil {
		return nil, fmt.Errorf("start-repayment outbox producer: %w", err)
	}
	if err := pp.Start(); err != nil {
		return nil, fmt.Errorf("start-repayment outbox producer: %w", err)
	}
	return pp, nil
}

// Stop shuts both producers down.
func (p *StartRepaymentProducer) Stop(ctx context.Context) error {
	return errors.Join(p.plain.Shutdown(), p.Client.Stop(ctx))
}

// Publish implements biz.StartRepaymentPublisher: the event again as an ordinary signed
// message, keyed like the original.
func (p *StartRepaymentProducer) Publish(ctx context.Context, key string, msg biz.StartRepayment) error {
	pp, ok := p.plain.Get()
	if !ok {
		return errors.New("start-repayment outbox producer not started")
	}
	m, err := p.message(key, msg)
	if err != nil {
		return err
	}
	ctx, span := mq.StartSend(ctx, m, projectAttr(msg.ProjectID))
	defer span.End()
	res, err := pp.SendSync(ctx, m)
	mq.Sent(span, res, err)
	if err != nil {
		return err
	}
	if res.Status != primitive.SendOK {
		return fmt.Errorf("send status %d", res.Status)
	}
	return nil
}

func projectAttr(id int64) attribute.KeyValue {
	return telemetry.KeyProjectID.String(strconv.FormatInt(id, 10))
}

// message is the signed start-repayment message of msg under the loan message key.
func (p *StartRepaymentProducer) message(key string, msg biz.StartRepayment) (*primitive.Message, error) {
	body, err := protojson.Marshal(toEvent(msg))
	if err != nil {
		return nil, err
	}
	m := primitive.NewMessage(p.Topic, body)
	m.WithKeys([]string{"PROJECT_" + strconv.FormatInt(msg.ProjectID, 10)})
	m.WithProperty(PropertyLoanMessageKey, key)
	// repayment acts on the body only (the key is the check-back's).
	p.Signer.Sign(m)
	return m, nil
}

// SendInTransaction implements biz.LoanMessenger.
func (p *StartRepaymentProducer) SendInTransaction(ctx context.Context, key string, msg biz.StartRepayment) (biz.TxOutcome, error) {
	tp, ok := p.Running()
	if !ok {
		return biz.TxUnknown, errors.New("start-repayment producer not started")
	}
	m, err := p.message(key, msg)
	if err != nil {
		return biz.TxUnknown, err
	}
	// The span covers the half message, the local transaction (a child span) and the
	// commit or rollback the client sends after it.
	ctx, span := mq.StartSend(ctx, m, projectAttr(msg.ProjectID))
	defer span.End()
	res, err := tp.SendMessageInTransaction(ctx, m)
	if err != nil {
		telemetry.Fail(span, err)
		return biz.TxUnknown, err
	}
	span.SetAttributes(telemetry.KeyMessageID.String(res.MsgID), attribute.String("rocketmq.transaction.state", stateName(res.State)))
	if res.Status != primitive.SendOK {
		// The local transaction did not run; the client already told the broker.
		return biz.TxRollback, fmt.Errorf("half message not stored: send status %d", res.Status)
	}
	return fromState(res.State), nil
}

// toEvent is the message body (api/trade-center/v1/events.proto).
func toEvent(m biz.StartRepayment) *v1.StartRepayment {
	e := &v1.StartRepayment{
		ProjectId: m.ProjectID, BorrowerId: m.BorrowerID, Principal: m.Principal.String(),
		BorrowerRate: m.BorrowerRate.String(), InvestorRate: m.InvestorRate.String(), Periods: int32(m.Periods),
		LoanedAt: timestamppb.New(m.LoanedAt), LoanRequestNo: m.LoanRequestNo,
		BankProjectNo: m.BankProjectNo, BorrowerUserNo: m.BorrowerUserNo,
		Tenders: make([]*v1.StartRepayment_Tender, 0, len(m.Tenders)),
	}
	for _, t := range m.Tenders {
		e.Tenders = append(e.Tenders, &v1.StartRepayment_Tender{TenderId: t.TenderID, InvestorId: t.InvestorID,
			Amount: t.Amount.String(), InvestorUserNo: t.InvestorUserNo})
	}
	return e
}

// listener is the producer's primitive.TransactionListener.
type listener struct {
	ledger *biz.LoanLedger
	log    *log.Helper
}

// propertyWarmup marks the producer's start-up half message, which is never committed.
const propertyWarmup = "P2P_WARMUP"

func (l listener) ExecuteLocalTransaction(m *primitive.Message) primitive.LocalTransactionState {
	if m.GetProperty(propertyWarmup) != "" {
		return primitive.RollbackMessageState
	}
	ctx, cancel := context.WithTimeout(context.Background(), localTxTimeout)
	defer cancel()
	ctx, span := mq.StartLocalTransaction(ctx, m)
	defer span.End()
	state := toState(l.ledger.Execute(ctx, m.GetProperty(PropertyLoanMessageKey)))
	span.SetAttributes(attribute.String("rocketmq.transaction.state", stateName(state)))
	return state
}

func (l listener) CheckLocalTransaction(m *primitive.MessageExt) primitive.LocalTransactionState {
	if m.GetProperty(propertyWarmup) != "" {
		return primitive.RollbackMessageState
	}
	ctx, cancel := context.WithTimeout(context.Background(), checkBackTimeout)
	defer cancel()
	ctx, span := mq.StartProcess(ctx, "check", m)
	defer span.End()
	key := m.GetProperty(PropertyLoanMessageKey)
	outcome := l.ledger.Check(ctx, key)
	state := toState(outcome)
	span.SetAttributes(attribute.String("rocketmq.transaction.state", stateName(state)))
	checkBacks.Inc(ctx, "state", stateName(state))
	l.log.WithContext(ctx).Infow("msg", "check-back answered", "key", key, "msg_id", m.MsgId, "outcome", outcome.String())
	return state
}

// checkBacks counts the broker's check-backs by the state answered.
var checkBacks = telemetry.NewCounter("p2p_loan_checkbacks", "transactional-message check-backs answered, by state")

func stateName(s primitive.LocalTransactionState) string {
	switch s {
	case primitive.CommitMessageState:
		return "commit"
	case primitive.RollbackMessageState:
		return "rollback"
	}
	return "unknown"
}

func toState(o biz.TxOutcome) primitive.LocalTransactionState {
	switch o {
	case biz.TxCommit:
		return primitive.CommitMessageState
	case biz.TxRollback:
		return primitive.RollbackMessageState
	}
	// (The client spells it UnkonwnState.)
	return primitive.UnkonwnState
}

func fromState(s primitive.LocalTransactionState) biz.TxOutcome {
	switch s {
	case primitive.CommitMessageState:
		return biz.TxCommit
	case primitive.RollbackMessageState:
		return biz.TxRollback
	}
	return biz.TxUnknown
}
