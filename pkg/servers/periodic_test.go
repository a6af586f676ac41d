package servers

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"google.golang.org/protobuf/types/known/durationpb"
)

func quiet() *log.Helper { return log.NewHelper(log.NewStdLogger(io.Discard)) }

// waitFor polls cond for up to two seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// never checks, for the whole of d, that cond stays false: an absence can only be
// watched for a while, and this fails at the first sign of it.
func never(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cond() {
			t.Fatalf("%s", what)
		}
	}
}

func stop(t *testing.T, p *Periodic) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := p.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
}

func TestPeriodicRunsEveryIntervalAndNotAtStart(t *testing.T) {
	t.Parallel()
	var passes atomic.Int32
	p := NewPeriodic("test pass", 20*time.Millisecond, func(context.Context) error { passes.Add(1); return nil }, quiet())
	if err := p.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	if n := passes.Load(); n != 0 {
		t.Fatalf("%d passes right at start, want the first one an interval later", n)
	}
	waitFor(t, "three passes", func() bool { return passes.Load() >= 3 })
	stop(t, p)
	after := passes.Load()
	never(t, "a pass ran after Stop", 60*time.Millisecond, func() bool { return passes.Load() != after })
}

// Stop waits for the pass in flight, whose context stays alive unless the job asked for
// CancelPassOnStop.
func TestPeriodicStopWaitsForThePassInFlight(t *testing.T) {
	t.Parallel()
	for _, cancelOnStop := range []bool{false, true} {
		started, release := make(chan struct{}), make(chan struct{})
		var finished atomic.Bool
		var cutShort atomic.Bool
		pass := func(ctx context.Context) error {
			close(started)
			select {
			case <-release:
			case <-ctx.Done():
				cutShort.Store(true)
			}
			finished.Store(true)
			return ctx.Err()
		}
		var opts []PeriodicOption
		if cancelOnStop {
			opts = append(opts, CancelPassOnStop())
		}
		p := NewPeriodic("test pass", 10*time.Millisecond, pass, quiet(), opts...)
		if err := p.Start(context.Background()); err != nil {
			t.Fatalf("Start: %v", err)
		}
		<-started
		if !cancelOnStop {
			time.AfterFunc(50*time.Millisecond, func() { close(release) })
		}
		stop(t, p)
		if !finished.Load() {
			t.Fatalf("cancelOnStop=%v: Stop returned before the pass finished", cancelOnStop)
		}
		if cutShort.Load() != cancelOnStop {
			t.Fatalf("cancelOnStop=%v: pass context cancelled by Stop = %v", cancelOnStop, cutShort.Load())
		}
	}
}

// Stop's context bounds the wait for a pass that does not end.
func TestPeriodicStopGivesUpWhenItsContextEnds(t *testing.T) {
	t.Parallel()
	started, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	p := NewPeriodic("test pass", 10*time.Millisecond, func(context.Context) error {
		close(started)
		<-release
		return nil
	}, quiet())
	if err := p.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := p.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Stop = %v, want the deadline of its context", err)
	}
}

// Kratos starts and stops servers concurrently: a Stop before Start, a second Stop and a
// second Start do nothing.
func TestPeriodicStopBeforeStart(t *testing.T) {
	t.Parallel()
	var passes atomic.Int32
	p := NewPeriodic("test pass", 5*time.Millisecond, func(context.Context) error { passes.Add(1); return nil }, quiet())
	stop(t, p)
	if err := p.Start(context.Background()); err != nil {
		t.Fatalf("Start after Stop: %v", err)
	}
	never(t, "a pass ran after Stop then Start", 30*time.Millisecond, func() bool { return passes.Load() != 0 })
	stop(t, p)
}

func TestPeriodicKickRunsAPassNow(t *testing.T) {
	t.Parallel()
	kicks := make(chan struct{}, 1)
	ran := make(chan struct{}, 1)
	p := NewPeriodic("test pass", time.Hour, func(context.Context) error { ran <- struct{}{}; return nil }, quiet(),
		KickedBy(kicks))
	if err := p.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer stop(t, p)
	kicks <- struct{}{}
	select {
	case <-ran:
	case <-time.After(2 * time.Second):
		t.Fatal("a kick did not run a pass")
	}
}

// Ticks and kicks that come during a pass never start a second one beside it.
func TestPeriodicPassNeverOverlapsItself(t *testing.T) {
	t.Parallel()
	kicks := make(chan struct{}, 1)
	var mu sync.Mutex
	running, most, passes := 0, 0, 0
	pass := func(context.Context) error {
		mu.Lock()
		running++
		most = max(most, running)
		mu.Unlock()
		time.Sleep(15 * time.Millisecond) // longer than the interval
		mu.Lock()
		running--
		passes++
		mu.Unlock()
		return nil
	}
	p := NewPeriodic("test pass", time.Millisecond, pass, quiet(), KickedBy(kicks))
	if err := p.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	for range 20 {
		select {
		case kicks <- struct{}{}:
		default:
		}
		time.Sleep(2 * time.Millisecond)
	}
	waitFor(t, "three passes", func() bool { mu.Lock(); defer mu.Unlock(); return passes >= 3 })
	stop(t, p)
	if most != 1 {
		t.Fatalf("%d passes ran at once", most)
	}
}

// lockedBuffer is a log sink the loop's goroutine writes while the test reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) count(s string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), s)
}

// flaky fails its first failures passes, then succeeds.
func flaky(failures int32) func(context.Context) error {
	var n atomic.Int32
	return func(context.Context) error {
		if n.Add(1) <= failures {
			return errors.New("bank unreachable")
		}
		return nil
	}
}

func TestPeriodicLogsFailedPasses(t *testing.T) {
	t.Parallel()
	var out lockedBuffer
	p := NewPeriodic("collection run", time.Millisecond, flaky(3), log.NewHelper(log.NewStdLogger(&out)))
	if err := p.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	waitFor(t, "three failures logged", func() bool { return out.count("collection run failed") == 3 })
	time.Sleep(20 * time.Millisecond)
	stop(t, p)
	if n := out.count("bank unreachable"); n != 3 {
		t.Fatalf("error logged %d times, want once a failed pass:\n%s", n, out.buf.String())
	}
}

func TestPeriodicLogFailureOnceLogsTheFailureAndTheRecovery(t *testing.T) {
	t.Parallel()
	var out lockedBuffer
	p := NewPeriodic("poll", time.Millisecond, flaky(3), log.NewHelper(log.NewStdLogger(&out)), LogFailureOnce())
	if err := p.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	waitFor(t, "the recovery logged", func() bool { return out.count("poll recovered") == 1 })
	time.Sleep(20 * time.Millisecond)
	stop(t, p)
	if n := out.count("poll failed"); n != 1 {
		t.Fatalf("failure logged %d times, want once:\n%s", n, out.buf.String())
	}
	if n := out.count("poll recovered"); n != 1 {
		t.Fatalf("recovery logged %d times, want once", n)
	}
}

func TestEveryIsDueOnTheFirstPassThenOncePerPeriod(t *testing.T) {
	t.Parallel()
	e := Every{Period: time.Minute}
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range []struct {
		at   time.Duration
		want bool
	}{{0, true}, {time.Second, false}, {59 * time.Second, false}, {time.Minute, true}, {90 * time.Second, false}, {2 * time.Minute, true}} {
		if got := e.Due(t0.Add(c.at)); got != c.want {
			t.Fatalf("Due at +%v = %v, want %v", c.at, got, c.want)
		}
	}
}

// StartWith's error fails Start and no pass runs; after a Stop it is not run at all.
func TestPeriodicStartWithRunsBeforeTheLoop(t *testing.T) {
	t.Parallel()
	var passes, prepared atomic.Int32
	pass := func(context.Context) error { passes.Add(1); return nil }
	failing := NewPeriodic("test pass", time.Millisecond, pass, quiet(),
		StartWith(func(context.Context) error { prepared.Add(1); return errors.New("broker down") }))
	if err := failing.Start(context.Background()); err == nil || err.Error() != "broker down" {
		t.Fatalf("Start = %v, want the preparation's error", err)
	}
	time.Sleep(20 * time.Millisecond)
	stop(t, failing)
	if n := passes.Load(); n != 0 {
		t.Fatalf("%d passes after a failed preparation", n)
	}

	stopped := NewPeriodic("test pass", time.Millisecond, pass, quiet(),
		StartWith(func(context.Context) error { prepared.Add(1); return nil }))
	stop(t, stopped)
	if err := stopped.Start(context.Background()); err != nil {
		t.Fatalf("Start after Stop: %v", err)
	}
	if n := prepared.Load(); n != 1 {
		t.Fatalf("prepared %d times, want once (not after Stop)", n)
	}
}

func TestDurationOrFallsBackWhenUnset(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		d    *durationpb.Duration
		want time.Duration
	}{{nil, time.Minute}, {durationpb.New(0), time.Minute}, {durationpb.New(-time.Second), time.Minute},
		{durationpb.New(5 * time.Second), 5 * time.Second}} {
		if got := DurationOr(c.d, time.Minute); got != c.want {
			t.Errorf("DurationOr(%v) = %v, want %v", c.d, got, c.want)
		}
	}
}

// A job's failures and its pass's own lines carry the job's module.
func TestJobLogsAsItsModule(t *testing.T) {
	t.Parallel()
	var out lockedBuffer
	var passes atomic.Int32
	j := NewJob("test run", "server/tester", log.NewStdLogger(&out), time.Millisecond, func(_ context.Context, lg *log.Helper) error {
		if passes.Add(1) == 1 {
			lg.Infow("msg", "pass line")
			return errors.New("bank unreachable")
		}
		return nil
	})
	if err := j.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	waitFor(t, "two passes", func() bool { return passes.Load() >= 2 })
	stop(t, j)
	for _, want := range []string{"module=server/tester msg=pass line", "module=server/tester msg=test run failed err=bank unreachable"} {
		if n := out.count(want); n != 1 {
			t.Errorf("%q logged %d times, want once:\n%s", want, n, out.buf.String())
		}
	}
}
