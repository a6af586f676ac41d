package stack

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// Poll calls check every interval until it returns nil, ctx ends or within has passed;
// the error then says what was still not so. It is the one polling loop of the tests,
// the demo and the benchmarks (driver.WaitFor and Eventually are Poll).
func Poll(ctx context.Context, every, within time.Duration, check func() error) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		err := check()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not within %v: %w", within, err)
		case <-tick.C:
		}
	}
}

// Eventually polls check every 100ms until it returns nil, and fails the test with the
// last error if that has not happened within timeout.
func Eventually(t testing.TB, timeout time.Duration, check func() error) {
	t.Helper()
	if err := Poll(context.Background(), 100*time.Millisecond, timeout, check); err != nil {
		t.Fatal(err)
	}
}

// Consistently polls check every 100ms for the whole duration and fails the test the
// first time it returns an error: for asserting that something does NOT happen, e.g. a
// late branch call changing nothing.
func Consistently(t testing.TB, duration time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(duration)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for time.Now().Before(deadline) {
		if err := check(); err != nil {
			t.Fatalf("after %v: %v", duration-time.Until(deadline), err)
		}
		<-tick.C
	}
}
