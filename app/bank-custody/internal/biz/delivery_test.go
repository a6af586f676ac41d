package biz_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz/biztest"
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
)

func TestRetryScheduleDelayLevels(t *testing.T) {
	t.Parallel()
	// The local stack: levels 1..8 of "1s 2s 3s …", i.e. 1s, 2s, … 8s between attempts.
	s, err := biz.NewRetrySchedule([]int32{1, 2, 3, 4, 5, 6, 7, 8})
	if err != nil {
		t.Fatal(err)
	}
	if s.Retries() != 8 {
		t.Fatalf("Retries = %d, want 8 (9 attempts, then the DLQ)", s.Retries())
	}
	for attempt, want := range map[int]int{1: 1, 2: 2, 3: 3, 7: 7, 8: 8, 9: 8, 0: 1} {
		if got := s.DelayLevelAfter(attempt); got != want {
			t.Errorf("DelayLevelAfter(%d) = %d, want %d", attempt, got, want)
		}
	}
	// The default broker levels picked to approximate 1m 5m 10m 30m 1h 2h.
	s, err = biz.NewRetrySchedule([]int32{5, 9, 14, 16, 17, 18})
	if err != nil {
		t.Fatal(err)
	}
	if s.Retries() != 6 || s.DelayLevelAfter(1) != 5 || s.DelayLevelAfter(4) != 16 || s.DelayLevelAfter(6) != 18 {
		t.Errorf("schedule 5,9,14,16,17,18: retries %d, levels %d %d %d", s.Retries(), s.DelayLevelAfter(1), s.DelayLevelAfter(4), s.DelayLevelAfter(6))
	}
}

func TestRetryScheduleRefusesBadLevels(t *testing.T) {
	t.Parallel()
	for name, levels := range map[string][]int32{
		"none":         nil,
		"level 0":      {0, 1},
		"level 19":     {1, 19},
		"shrinking":    {1, 3, 2},
		"negative":     {-1},
		"one too high": {18, 19},
	} {
		if _, err := biz.NewRetrySchedule(levels); err == nil {
			t.Errorf("%s %v: accepted", name, levels)
		}
	}
}

// scriptedCallback answers each POST with the next status (0 with err for no answer).
type scriptedCallback struct {
	statuses []int
	err      error
	urls     []string
	sent     []biz.Notification
}

func (c *scriptedCallback) Post(_ context.Context, url string, n biz.Notification) (int, error) {
	c.urls = append(c.urls, url)
	c.sent = append(c.sent, n)
	if c.err != nil {
		return 0, c.err
	}
	s := c.statuses[0]
	c.statuses = c.statuses[1:]
	return s, nil
}

var testPlatforms = biztest.Platforms{"P2PDTX": {No: "P2PDTX", CallbackURL: "http://127.0.0.1:8020/v1/custody/notifications"}}

func newDelivery(t *testing.T, bank *biztest.Bank, cb biz.PlatformCallback, f *faults.Registry) *biz.DeliveryUsecase {
	t.Helper()
	s, err := biz.NewRetrySchedule([]int32{1, 2, 3, 4, 5, 6, 7, 8})
	if err != nil {
		t.Fatal(err)
	}
	return biz.NewDeliveryUsecase(bank.AttemptRecorder(), cb, testPlatforms, s, f, log.NewStdLogger(io.Discard))
}

func TestDeliverRetriesUntilThePlatformAcknowledges(t *testing.T) {
	t.Parallel()
	bank := biztest.New()
	cb := &scriptedCallback{statuses: []int{500, 404, 200}}
	uc := newDelivery(t, bank, cb, nil)
	n := biz.Notification{RequestNo: "OA1", ServiceName: biz.ServiceOpenAccount, Status: biz.RequestSuccess, UserNo: "BU1"}

	for attempt, want := range []biz.DeliveryOutcome{{DelayLevel: 1}, {DelayLevel: 2}, {Done: true}} {
		if got := uc.Deliver(context.Background(), "P2PDTX", n, attempt+1); got != want {
			t.Errorf("attempt %d: %+v, want %+v", attempt+1, got, want)
		}
	}
	// A redelivery of attempt 3 (the broker's at-least-once) is recorded once.
	cb.statuses = []int{200}
	uc.Deliver(context.Background(), "P2PDTX", n, 3)

	got := bank.Attempts()
	if len(got) != 3 {
		t.Fatalf("attempts %+v, want 3", got)
	}
	for i, want := range []struct {
		status int
		err    string
	}{{500, "platform answered 500"}, {404, "platform answered 404"}, {200, ""}} {
		if a := got[i]; a.Attempt != i+1 || a.HTTPStatus != want.status || a.Error != want.err || a.RequestNo != "OA1" || a.AttemptedAt.IsZero() {
			t.Errorf("attempt %d recorded as %+v, want status %d error %q", i+1, a, want.status, want.err)
		}
	}
	if cb.urls[0] != "http://127.0.0.1:8020/v1/custody/notifications" {
		t.Errorf("posted to %s", cb.urls[0])
	}
}

func TestDeliverUnreachablePlatformAndLastAttempt(t *testing.T) {
	t.Parallel()
	bank := biztest.New()
	cb := &scriptedCallback{err: errors.New(`Post "http://127.0.0.1:8020/v1/custody/notifications": dial tcp 127.0.0.1:8020: connect: connection refused`)}
	uc := newDelivery(t, bank, cb, nil)
	n := biz.Notification{RequestNo: "OA2"}
	if got := uc.Deliver(context.Background(), "P2PDTX", n, 4); got.Done || got.DelayLevel != 4 {
		t.Errorf("unreachable, attempt 4: %+v, want retry at level 4", got)
	}
	// The ninth attempt is the last: the broker dead-letters it after this answer.
	if got := uc.Deliver(context.Background(), "P2PDTX", n, 9); got.Done {
		t.Errorf("unreachable, attempt 9: %+v, want not done (the broker moves it to the DLQ)", got)
	}
	a := bank.Attempts()
	if len(a) != 2 || a[0].HTTPStatus != 0 || a[0].Error != cb.err.Error() {
		t.Fatalf("attempts %+v", a)
	}
	// A platform the bank no longer knows is a failed attempt too, not a crash.
	if got := uc.Deliver(context.Background(), "GONE", biz.Notification{RequestNo: "OA3"}, 1); got.Done {
		t.Errorf("unknown platform: %+v", got)
	}
}

func TestDeliverSuppressedByFaultPoint(t *testing.T) {
	t.Parallel()
	bank := biztest.New()
	cb := &scriptedCallback{statuses: []int{200}}
	f := faults.New(biz.FaultNotifySuppress)
	if err := f.Arm(biz.FaultNotifySuppress, 1, 0); err != nil {
		t.Fatal(err)
	}
	uc := newDelivery(t, bank, cb, f)
	// Suppressed: nothing sent, acknowledged, so no redelivery ever reaches the platform.
	if got := uc.Deliver(context.Background(), "P2PDTX", biz.Notification{RequestNo: "OA4"}, 1); !got.Done {
		t.Fatalf("suppressed delivery: %+v, want acknowledged", got)
	}
	if len(cb.sent) != 0 {
		t.Fatalf("the platform was called while notify.suppress was armed")
	}
	a := bank.Attempts()
	if len(a) != 1 || a[0].HTTPStatus != 0 || a[0].Error != "suppressed by fault point notify.suppress" {
		t.Fatalf("attempts %+v", a)
	}
	// Armed for one hit: the next notification goes out.
	if got := uc.Deliver(context.Background(), "P2PDTX", biz.Notification{RequestNo: "OA5"}, 1); !got.Done || len(cb.sent) != 1 {
		t.Fatalf("after the fault: %+v, sent %d", got, len(cb.sent))
	}
}
