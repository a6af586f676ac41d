package biztest

import (
	"context"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/testkey"
)

// AttemptRepos is one implementation of the notifier's delivery log: its writer and its
// reader.
type AttemptRepos struct {
	Recorder biz.AttemptRecorder
	Log      biz.NotificationRepo
	// Forget removes a request's attempts (nil for the fake).
	Forget func(requestNo string)
}

// AttemptContract is what the notifier and the attempts query rely on from the delivery
// log, run against every implementation.
func AttemptContract(t *testing.T, open func(t *testing.T) AttemptRepos) {
	t.Run("attempts read back in attempt order, as recorded; none is no error", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		requestNo, otherNo := newAttemptRequest(t, r), newAttemptRequest(t, r)
		first := time.Date(2025, 6, 1, 8, 0, 0, 123456000, time.UTC)
		at := func(attempt int) time.Time { return first.Add(time.Duration(attempt) * time.Minute) }
		want := []biz.NotificationAttempt{
			{RequestNo: requestNo, Attempt: 1, AttemptedAt: at(1), HTTPStatus: 0, Error: "dial tcp 127.0.0.1:8020: connect: connection refused"},
			{RequestNo: requestNo, Attempt: 2, AttemptedAt: at(2), HTTPStatus: 500, Error: "platform answered 500"},
			{RequestNo: requestNo, Attempt: 3, AttemptedAt: at(3), HTTPStatus: 200},
		}
		// Recorded out of order, and another request's attempt in between.
		record(t, r, want[2], biz.NotificationAttempt{RequestNo: otherNo, Attempt: 1, AttemptedAt: at(1), HTTPStatus: 200},
			want[0], want[1])
		wantAttempts(t, r, requestNo, want)
		wantAttempts(t, r, testkey.New("NT"), nil)
	})

	t.Run("a redelivered attempt is ignored, keeping the first", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		requestNo := newAttemptRequest(t, r)
		first := time.Date(2026, 1, 1, 0, 0, 1, 0, time.UTC)
		kept := biz.NotificationAttempt{RequestNo: requestNo, Attempt: 1, AttemptedAt: first, HTTPStatus: 500, Error: "platform answered 500"}
		next := biz.NotificationAttempt{RequestNo: requestNo, Attempt: 2, AttemptedAt: first.Add(2 * time.Second), HTTPStatus: 0,
			Error: "suppressed by fault point notify.suppress"}
		record(t, r, kept, biz.NotificationAttempt{RequestNo: requestNo, Attempt: 1, AttemptedAt: first.Add(time.Second), HTTPStatus: 200}, next)
		wantAttempts(t, r, requestNo, []biz.NotificationAttempt{kept, next})
	})
}

// newAttemptRequest is a request number whose attempts are forgotten when the test ends.
func newAttemptRequest(t *testing.T, r AttemptRepos) string {
	no := testkey.New("NT")
	if r.Forget != nil {
		t.Cleanup(func() { r.Forget(no) })
	}
	return no
}

func record(t *testing.T, r AttemptRepos, attempts ...biz.NotificationAttempt) {
	t.Helper()
	for _, a := range attempts {
		if err := r.Recorder.Record(context.Background(), a); err != nil {
			t.Fatalf("record %+v: %v", a, err)
		}
	}
}

func wantAttempts(t *testing.T, r AttemptRepos, requestNo string, want []biz.NotificationAttempt) {
	t.Helper()
	got, err := r.Log.Attempts(context.Background(), requestNo)
	if err != nil || len(got) != len(want) {
		t.Fatalf("attempts of %s = %+v, %v; want %+v", requestNo, got, err, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		// Equal, not ==: the microseconds must survive DATETIME(6), the zone may differ.
		if g.RequestNo != w.RequestNo || g.Attempt != w.Attempt || !g.AttemptedAt.Equal(w.AttemptedAt) ||
			g.HTTPStatus != w.HTTPStatus || g.Error != w.Error {
			t.Errorf("attempt %d = %+v, want %+v", i+1, g, w)
		}
	}
}
