package stack

import (
	"testing"
	"time"
)

// Eventually polls check every 100ms until it returns nil, and fails the test with the
// last error if that has not happened within timeout.
func Eventually(t testing.TB, timeout time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %v", timeout, err)
		}
		<-tick.C
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
