package mq

import (
	"strings"
	"testing"
)

type fakeClient struct{ shutdowns *int }

func (f fakeClient) Shutdown() error { *f.shutdowns++; return nil }

func TestStartedLifecycle(t *testing.T) {
	t.Parallel()
	var s Started[fakeClient]
	if err := s.Ready("producer"); err == nil || !strings.Contains(err.Error(), "producer not started") {
		t.Fatalf("Ready before Set: %v", err)
	}
	if err := s.Shutdown(); err != nil {
		t.Fatalf("Shutdown before Set: %v", err)
	}
	var n int
	s.Set(fakeClient{shutdowns: &n})
	if err := s.Ready("producer"); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Get(); !ok {
		t.Fatal("Get after Set: not running")
	}
	for range 2 {
		if err := s.Shutdown(); err != nil {
			t.Fatal(err)
		}
	}
	if n != 1 {
		t.Fatalf("client shut down %d times, want 1", n)
	}
	if _, ok := s.Get(); ok {
		t.Fatal("still running after Shutdown")
	}
}

func TestInstanceNamesDiffer(t *testing.T) {
	t.Parallel()
	if a, b := InstanceName("svc"), InstanceName("svc"); a == b || !strings.HasPrefix(a, "svc-") {
		t.Fatalf("instance names %q, %q", a, b)
	}
}
