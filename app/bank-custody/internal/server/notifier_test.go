package server

import (
	"context"
	"io"
	"testing"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz/biztest"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data"
	"github.com/p2p-dtx/p2p-dtx/pkg/mq"
)

type fixedCallback struct{ status int }

func (c fixedCallback) Post(context.Context, string, biz.Notification) (int, error) {
	return c.status, nil
}

// consumeOne runs the consumer callback the way rocketmq-client-go does: with a
// ConsumeConcurrentlyContext in ctx that it reads DelayLevelWhenNextConsume from.
func consumeOne(t *testing.T, n *Notifier, msg *primitive.MessageExt) (consumer.ConsumeResult, int) {
	t.Helper()
	cc := primitive.NewConsumeConcurrentlyContext()
	res, err := n.consume(primitive.WithConcurrentlyCtx(context.Background(), cc), msg)
	if err != nil {
		t.Fatal(err)
	}
	return res, cc.DelayLevelWhenNextConsume
}

func newTestNotifier(t *testing.T, bank *biztest.Bank, status int) *Notifier {
	t.Helper()
	s, err := biz.NewRetrySchedule([]int32{1, 2, 3, 4, 5, 6, 7, 8})
	if err != nil {
		t.Fatal(err)
	}
	platforms := biztest.Platforms{"P2PDTX": {No: "P2PDTX", CallbackURL: "http://127.0.0.1:8020/v1/custody/notifications"}}
	uc := biz.NewDeliveryUsecase(bank.AttemptRecorder(), fixedCallback{status}, platforms, s, nil, log.NewStdLogger(io.Discard))
	return &Notifier{uc: uc, signer: testSigner, log: log.NewHelper(log.NewStdLogger(io.Discard))}
}

// testSigner signs the test messages as the bank's publisher does.
var testSigner = func() *mq.Signer {
	s, err := mq.NewSigner(data.NotifyTopic, "notifier-test-signing-key-32-bytes!")
	if err != nil {
		panic(err)
	}
	return s
}()

func resultMessage(t *testing.T, requestNo string, reconsumeTimes int32) *primitive.MessageExt {
	t.Helper()
	body, err := data.EncodeNotification(biz.Notification{RequestNo: requestNo, ServiceName: biz.ServiceOpenAccount, Status: biz.RequestSuccess, UserNo: "BU1"})
	if err != nil {
		t.Fatal(err)
	}
	m := &primitive.MessageExt{Message: primitive.Message{Topic: data.NotifyTopic, Body: body}, ReconsumeTimes: reconsumeTimes}
	m.WithProperty(data.PropertyPlatformNo, "P2PDTX")
	testSigner.Sign(&m.Message, data.PropertyPlatformNo)
	return m
}

func TestConsumeAsksForTheScheduledDelayLevel(t *testing.T) {
	t.Parallel()
	bank := biztest.New()
	n := newTestNotifier(t, bank, 500)
	// Attempt k = ReconsumeTimes+1; after failed attempt k the broker waits level k.
	for reconsume := int32(0); reconsume < 3; reconsume++ {
		res, level := consumeOne(t, n, resultMessage(t, "OA1", reconsume))
		if res != consumer.ConsumeRetryLater || level != int(reconsume)+1 {
			t.Errorf("ReconsumeTimes %d: %v level %d, want RetryLater level %d", reconsume, res, level, reconsume+1)
		}
	}
	a := bank.Attempts()
	if len(a) != 3 || a[2].Attempt != 3 || a[2].HTTPStatus != 500 {
		t.Fatalf("attempts %+v", a)
	}
}

// A result the bank's publisher did not sign (someone else wrote it on the topic) is
// acknowledged and never delivered: the bank does not sign it for the platform.
func TestConsumeDropsUnsignedResults(t *testing.T) {
	t.Parallel()
	bank := biztest.New()
	n := newTestNotifier(t, bank, 200)
	forged := resultMessage(t, "OA3", 0)
	forged.WithProperty(data.PropertyPlatformNo, "OTHER")
	unsigned := resultMessage(t, "OA4", 0)
	unsigned.RemoveProperty(mq.PropertySignature)
	for name, m := range map[string]*primitive.MessageExt{"another platform": forged, "unsigned": unsigned} {
		if res, _ := consumeOne(t, n, m); res != consumer.ConsumeSuccess {
			t.Errorf("%s: %v, want it acknowledged", name, res)
		}
	}
	if a := bank.Attempts(); len(a) != 0 {
		t.Fatalf("forged results delivered: %+v", a)
	}
	if testSigner.Dropped() < 2 {
		t.Fatalf("dropped %d", testSigner.Dropped())
	}
}

func TestConsumeAcknowledgesDeliveredAndUnreadable(t *testing.T) {
	t.Parallel()
	bank := biztest.New()
	n := newTestNotifier(t, bank, 200)
	if res, _ := consumeOne(t, n, resultMessage(t, "OA2", 4)); res != consumer.ConsumeSuccess {
		t.Errorf("delivered: %v", res)
	}
	junk := &primitive.MessageExt{Message: primitive.Message{Topic: data.NotifyTopic, Body: []byte("not json")}}
	testSigner.Sign(&junk.Message, data.PropertyPlatformNo)
	if res, _ := consumeOne(t, n, junk); res != consumer.ConsumeSuccess {
		t.Errorf("unreadable: %v, want it dropped", res)
	}
	if a := bank.Attempts(); len(a) != 1 || a[0].Attempt != 5 || a[0].HTTPStatus != 200 {
		t.Fatalf("attempts %+v", a)
	}
}
