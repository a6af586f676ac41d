package servers

import (
	"context"
	"sync"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Periodic is a Kratos transport.Server that runs a background job's pass every interval
// (the first one interval after Start) and whenever a kick arrives, until Stop. Passes
// run one at a time on one goroutine, so a pass never overlaps itself; a kick during a
// pass runs the next pass right after it. A pass that returns an error is logged; the
// next interval tries again.
type Periodic struct {
	name     string
	interval time.Duration
	pass     func(context.Context) error
	log      *log.Helper

	timeout      time.Duration
	kicks        <-chan struct{}
	cancelOnStop bool
	logOnce      bool
	prepare      func(context.Context) error

	ctx    context.Context // cancelled by Stop
	cancel context.CancelFunc
	mu     sync.Mutex
	done   chan struct{} // closed when the loop ends; nil until Start runs it
}

// PeriodicOption tunes a Periodic.
type PeriodicOption func(*Periodic)

// PassTimeout bounds each pass, so a stuck peer cannot hold the job forever.
func PassTimeout(d time.Duration) PeriodicOption { return func(p *Periodic) { p.timeout = d } }

// KickedBy runs a pass whenever kicks delivers, besides every interval.
func KickedBy(kicks <-chan struct{}) PeriodicOption { return func(p *Periodic) { p.kicks = kicks } }

// CancelPassOnStop makes Stop cancel the pass in flight instead of waiting for it to
// finish; for jobs whose every change is one local transaction, so a cut pass loses
// nothing.
func CancelPassOnStop() PeriodicOption { return func(p *Periodic) { p.cancelOnStop = true } }

// LogFailureOnce logs a failing pass when it starts failing and when it recovers, not at
// every interval: for jobs that run every second against a dependency that may be down.
func LogFailureOnce() PeriodicOption { return func(p *Periodic) { p.logOnce = true } }

// StartWith runs prepare in Start, before the loop (a job starting the producer its
// passes publish with). Its error fails Start and no pass runs; a Stop that comes first
// skips it, and one that comes during it waits for it.
func StartWith(prepare func(context.Context) error) PeriodicOption {
	return func(p *Periodic) { p.prepare = prepare }
}

// NewPeriodic returns the job; Start runs it. name is what a pass is called in the log
// ("collection run" logs "collection run failed"); logger is the job's own, so the job's
// lines and its failures share a module. interval must be positive: the caller's config
// check names the key.
func NewPeriodic(name string, interval time.Duration, pass func(context.Context) error, logger *log.Helper, opts ...PeriodicOption) *Periodic {
	ctx, cancel := context.WithCancel(context.Background())
	p := &Periodic{name: name, interval: interval, pass: pass, log: logger, ctx: ctx, cancel: cancel}
	for _, o := range opts {
		o(p)
	}
	return p
}

// NewJob is NewPeriodic for a service's background job that logs as module
// ("server/collector"): its failures and the lines its pass writes with the logger it is
// given share that module.
func NewJob(name, module string, logger log.Logger, interval time.Duration, pass func(context.Context, *log.Helper) error,
	opts ...PeriodicOption) *Periodic {
	lg := log.NewHelper(log.With(logger, "module", module))
	return NewPeriodic(name, interval, func(ctx context.Context) error { return pass(ctx, lg) }, lg, opts...)
}

// Start runs the passes in the background until Stop. It does nothing when the job runs
// already, or was stopped before it could start (Kratos starts and stops servers
// concurrently).
func (p *Periodic) Start(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done != nil || p.ctx.Err() != nil {
		return nil
	}
	if p.prepare != nil {
		if err := p.prepare(ctx); err != nil {
			return err
		}
	}
	p.done = make(chan struct{})
	go p.loop(p.done)
	return nil
}

func (p *Periodic) loop(done chan struct{}) {
	defer close(done)
	tick := time.NewTicker(p.interval)
	defer tick.Stop()
	failing := false
	for {
		select {
		case <-p.ctx.Done():
			return
		case <-tick.C:
		case <-p.kicks: // a nil channel never delivers
		}
		if p.ctx.Err() != nil {
			return // Stop came with a tick: select picks either
		}
		failing = p.runPass(failing)
	}
}

// runPass runs one pass and logs its failure; it reports whether the pass failed.
func (p *Periodic) runPass(failing bool) bool {
	// Unless the job allows it, a pass gets a context of its own: stopping waits for it
	// rather than cutting its work short.
	ctx, cancel := context.Background(), context.CancelFunc(func() {})
	if p.cancelOnStop {
		ctx = p.ctx
	}
	if p.timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, p.timeout)
	}
	defer cancel()
	err := p.pass(ctx)
	switch {
	case err != nil && p.cancelOnStop && p.ctx.Err() != nil:
		return failing // cut short by Stop: not a failure
	case err != nil && !(p.logOnce && failing):
		p.log.Errorw("msg", p.name+" failed", "err", err)
	case err == nil && p.logOnce && failing:
		p.log.Infow("msg", p.name+" recovered")
	}
	return err != nil
}

// Stop ends the passes and waits for a running one, or for ctx to end.
func (p *Periodic) Stop(ctx context.Context) error {
	p.mu.Lock()
	p.cancel()
	done := p.done
	p.mu.Unlock()
	if done == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

var _ transport.Server = (*Periodic)(nil)

// Every lets a side task of a pass (purging expired nonces) run at most once a Period:
// Due is true on the first pass and then once the period has passed. Passes run one at a
// time, so it needs no lock.
type Every struct {
	Period time.Duration
	next   time.Time
}

// Due reports whether the task is due at now, and if so counts it as done.
func (e *Every) Due(now time.Time) bool {
	if now.Before(e.next) {
		return false
	}
	e.next = now.Add(e.Period)
	return true
}

// DurationOr is the configured d, or fallback when the config leaves it out or sets it to
// zero or less: a job's interval or a minimum age.
func DurationOr(d *durationpb.Duration, fallback time.Duration) time.Duration {
	if v := d.AsDuration(); v > 0 {
		return v
	}
	return fallback
}
