package server

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
)

func hourly() *conf.Bootstrap {
	return &conf.Bootstrap{Custody: &conf.Custody{Reconciliation: &conf.Reconciliation{Interval: durationpb.New(time.Hour)}}}
}

// The app stops the job like its other servers: Stop ends Start promptly, whether it
// comes while Start runs or before Start ran.
func TestReconcilerStartsAndStops(t *testing.T) {
	t.Parallel()
	r := NewReconciler(hourly(), nil, &signing.SQLNonceStore{}, log.NewStdLogger(io.Discard))
	started := make(chan error, 1)
	go func() { started <- r.Start(context.Background()) }()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := r.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Start still running after Stop")
	}

	early := NewReconciler(hourly(), nil, &signing.SQLNonceStore{}, log.NewStdLogger(io.Discard))
	if err := early.Stop(ctx); err != nil {
		t.Fatalf("Stop before Start: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- early.Start(context.Background()) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Start after Stop: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Start after Stop did not return")
	}
}
