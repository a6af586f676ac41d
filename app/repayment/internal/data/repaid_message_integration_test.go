//go:build integration

package data

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/dtm-labs/dtm/client/dtmgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	v1 "github.com/p2p-dtx/p2p-dtx/api/repayment/v1"
	tcv1 "github.com/p2p-dtx/p2p-dtx/api/trade-center/v1"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/data/ent/repaymentattempt"
	pconf "github.com/p2p-dtx/p2p-dtx/pkg/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/dtmx"
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
	"github.com/p2p-dtx/p2p-dtx/pkg/testkey"
)

// The two-phase message against the stack's real DTM server: this test process serves
// both ends DTM calls — a stand-in for trade-center's RecordInstallmentRepaid that records
// what it gets, and repayment's QueryPrepared answered by the messenger from the real
// barrier table. DTM's gRPC address: P2P_TEST_DTM_GRPC, else the stack's default.

// tradeCenterBranch records the installments DTM delivers, by gid.
type tradeCenterBranch struct {
	tcv1.UnimplementedTradeCenterBranchesServer
	mu  sync.Mutex
	got map[string][]*tcv1.InstallmentRepaid
}

// testBranchKey signs the messages of these tests.
var testBranchKey = func() *dtmx.BranchKey {
	k, err := dtmx.NewBranchKey("repaid-message-integration-test-branch-key")
	if err != nil {
		panic(err)
	}
	return k
}()

func (b *tradeCenterBranch) RecordInstallmentRepaid(ctx context.Context, req *tcv1.InstallmentRepaid) (*emptypb.Empty, error) {
	bb, err := dtmgrpc.BarrierFromGrpc(ctx)
	if err != nil {
		return nil, err
	}
	// DTM carries the sender's branch credential to every step call.
	md, _ := metadata.FromIncomingContext(ctx)
	if got := md.Get(dtmx.CredentialHeader); len(got) != 1 || got[0] != testBranchKey.Credential("msg", bb.Gid) {
		return nil, status.Errorf(codes.Unauthenticated, "step call without the message's credential: %v", got)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.got[bb.Gid] = append(b.got[bb.Gid], req)
	return &emptypb.Empty{}, nil
}

func (b *tradeCenterBranch) deliveries(gid string) []*tcv1.InstallmentRepaid {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.got[gid]
}

type checkBacks struct {
	v1.UnimplementedRepaymentBranchesServer
	m biz.RepaidMessenger
}

func (c checkBacks) QueryPrepared(ctx context.Context, _ *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, c.m.Prepared(ctx)
}

// messageFixture is the messenger over the test database and the real DTM, with this
// process serving trade-center's branch and the check-back.
type messageFixture struct {
	d      *Data
	m      biz.RepaidMessenger
	faults *faults.Registry
	branch *tradeCenterBranch
}

func newMessageFixture(t *testing.T) *messageFixture {
	t.Helper()
	d := openTestData(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dtm := os.Getenv("P2P_TEST_DTM_GRPC")
	if dtm == "" {
		dtm = "127.0.0.1:36790"
	}
	f := faults.New(biz.FaultRepaySubmitLost)
	c := &conf.Bootstrap{Dtm: &pconf.DTM{Server: dtm, BranchHost: lis.Addr().String(), TimeoutToFailSeconds: 1,
		RetryIntervalSeconds: 2}, Peers: &conf.Peers{TradeCenterGrpc: lis.Addr().String()}}
	m, err := NewRepaidMessenger(c, d, testBranchKey, f)
	if err != nil {
		t.Fatal(err)
	}
	branch := &tradeCenterBranch{got: map[string][]*tcv1.InstallmentRepaid{}}
	srv := grpc.NewServer()
	tcv1.RegisterTradeCenterBranchesServer(srv, branch)
	v1.RegisterRepaymentBranchesServer(srv, checkBacks{m: m})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return &messageFixture{d: d, m: m, faults: f, branch: branch}
}

// send sends one message whose local transaction stores an attempt (then fails with
// fail, if set), and says whether that attempt was committed.
func (x *messageFixture) send(t *testing.T, fail error) (gid string, sendErr error, committed bool) {
	t.Helper()
	repo := NewInstallmentRepo(x.d)
	gid = testkey.New("RPIT")
	now := time.Now().UTC().Truncate(time.Microsecond)
	msg := biz.InstallmentRepaid{ProjectID: -1, Period: 1, RequestNo: gid, Amount: money.MustParseAmount("12.34"), RepaidAt: now}
	sendErr = x.m.Send(context.Background(), gid, msg, func(ctx context.Context) error {
		if err := repo.CreateAttempt(ctx, biz.Attempt{RequestNo: gid, ProjectID: -1, Period: 1, Status: biz.AttemptSucceeded,
			Claims: 1, RunID: "RRIT", CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		return fail
	})
	t.Cleanup(func() {
		if _, err := x.d.Pool().RepaymentAttempt.Delete().Where(repaymentattempt.RequestNo(gid)).Exec(context.Background()); err != nil {
			t.Errorf("forget attempt %s: %v", gid, err)
		}
	})
	_, err := repo.Attempt(context.Background(), gid)
	return gid, sendErr, err == nil
}

// delivered waits up to within for the message gid to reach trade-center's branch and
// says how often it did.
func (x *messageFixture) delivered(gid string, within time.Duration) int {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) && len(x.branch.deliveries(gid)) == 0 {
		time.Sleep(100 * time.Millisecond)
	}
	return len(x.branch.deliveries(gid))
}

func TestRepaidMessageThroughDTM(t *testing.T) {
	x := newMessageFixture(t)
	t.Run("committed: trade-center gets the installment once", func(t *testing.T) {
		gid, err, committed := x.send(t, nil)
		if err != nil || !committed {
			t.Fatalf("Send = %v, committed %v", err, committed)
		}
		if n := x.delivered(gid, 10*time.Second); n != 1 {
			t.Fatalf("delivered %d times, want 1", n)
		}
		got := x.branch.deliveries(gid)[0]
		if got.GetProjectId() != -1 || got.GetPeriod() != 1 || got.GetRequestNo() != gid || got.GetAmount() != "12.34" {
			t.Fatalf("delivered %v", got)
		}
	})
	t.Run("the local transaction fails: no message, the error comes back", func(t *testing.T) {
		boom := errors.New("boom")
		gid, err, committed := x.send(t, boom)
		if !errors.Is(err, boom) || committed {
			t.Fatalf("Send = %v, committed %v; want boom and nothing committed", err, committed)
		}
		if n := x.delivered(gid, 4*time.Second); n != 0 {
			t.Fatalf("a message whose local transaction failed was delivered %d times", n)
		}
		// The gid is spent: DTM refuses to prepare it again.
		if err := x.m.Send(context.Background(), gid, biz.InstallmentRepaid{ProjectID: -1, Period: 1, RequestNo: gid},
			func(context.Context) error { return nil }); err == nil {
			t.Fatal("a failed message's gid was prepared again")
		}
	})
	t.Run("the submit is lost: DTM's check-back finds the barrier row and delivers", func(t *testing.T) {
		if err := x.faults.Arm(biz.FaultRepaySubmitLost, 1, 0); err != nil {
			t.Fatal(err)
		}
		gid, err, committed := x.send(t, nil)
		if err == nil || !committed {
			t.Fatalf("Send = %v, committed %v; want the lost submit's error and the transaction committed", err, committed)
		}
		if n := x.delivered(gid, 15*time.Second); n != 1 {
			t.Fatalf("delivered %d times after the check-back, want 1", n)
		}
	})
}
