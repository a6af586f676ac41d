package biz_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

func processing() *biz.CustodyRequest {
	return &biz.CustodyRequest{RequestNo: "OA1", PlatformNo: "P2PDTX", ServiceName: biz.ServiceOpenAccount,
		PlatformUserID: 12, Status: biz.RequestProcessing, PasswordHash: "$2a$10$hash"}
}

func TestRequestSucceedsOnce(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 21, 11, 0, 0, 0, time.UTC)
	r := processing()
	if err := r.Succeed("BU0000000001", at); err != nil {
		t.Fatal(err)
	}
	if r.Status != biz.RequestSuccess || r.UserNo != "BU0000000001" || !r.UpdatedAt.Equal(at) || r.PasswordHash != "" {
		t.Fatalf("after Succeed: %+v", r)
	}
	// Neither a second success nor a late failure changes a finished request.
	if err := r.Succeed("BU0000000002", at.Add(time.Hour)); !errors.Is(err, biz.ErrRequestFinished) {
		t.Errorf("second Succeed: %v, want ErrRequestFinished", err)
	}
	if err := r.Fail("too late", at.Add(time.Hour)); !errors.Is(err, biz.ErrRequestFinished) {
		t.Errorf("Fail after Succeed: %v, want ErrRequestFinished", err)
	}
	if r.Status != biz.RequestSuccess || r.UserNo != "BU0000000001" || r.FailureReason != "" || !r.UpdatedAt.Equal(at) {
		t.Fatalf("finished request changed: %+v", r)
	}
}

func TestRequestFailsOnce(t *testing.T) {
	t.Parallel()
	r := processing()
	if err := r.Fail("unknown userNo BU1 "+strings.Repeat("x", 300), time.Now()); err != nil {
		t.Fatal(err)
	}
	if r.Status != biz.RequestFailed || len(r.FailureReason) != 255 || !strings.HasPrefix(r.FailureReason, "unknown userNo BU1") || r.PasswordHash != "" {
		t.Fatalf("after Fail: status %s, reason %d bytes, hash %q", r.Status, len(r.FailureReason), r.PasswordHash)
	}
	if err := r.Succeed("BU1", time.Now()); !errors.Is(err, biz.ErrRequestFinished) || r.Status != biz.RequestFailed {
		t.Fatalf("Succeed after Fail: %v, status %s", err, r.Status)
	}
}

func TestNotificationOnlyOfAFinishedRequest(t *testing.T) {
	t.Parallel()
	r := processing()
	if _, err := r.Notification(); err == nil {
		t.Fatal("a PROCESSING request has a notification")
	}
	amount := money.MustParseAmount("500.00")
	r.ServiceName, r.Amount, r.UserNo = biz.ServiceRecharge, &amount, "BU1"
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := r.Succeed("BU1", at); err != nil {
		t.Fatal(err)
	}
	n, err := r.Notification()
	if err != nil {
		t.Fatal(err)
	}
	if n.RequestNo != "OA1" || n.Status != biz.RequestSuccess || n.UserNo != "BU1" || n.PlatformUserID != 12 ||
		n.Amount.String() != "500.00" || !n.FinishedAt.Equal(at) || n.ServiceName != biz.ServiceRecharge {
		t.Fatalf("notification %+v", n)
	}
}
