package biz_test

import (
	"errors"
	"testing"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
)

func TestTheTenderPrecheckAsksUserCenterOnceAboutAnOpenAccount(t *testing.T) {
	t.Parallel()
	f := newLendingFixture(t, "1000.00")
	before := f.dir.calls.Load() // the borrower's, publishing the project
	for range 3 {
		if _, err := f.tender(alice, "100.00"); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.dir.calls.Load() - before; n != 1 {
		t.Fatalf("user-center asked %d times about alice's OPEN account, want 1", n)
	}
	pending := biz.Caller{UserID: 23, Role: biz.RoleInvestor, Token: "pending-token"}
	for range 2 {
		if _, err := f.tender(pending, "100.00"); !errors.Is(err, biz.ErrCustodyNotOpen) {
			t.Fatalf("a tender without an OPEN account: %v, want ErrCustodyNotOpen", err)
		}
	}
	// An account that is not OPEN yet may open any moment: user-center is asked each time.
	if n := f.dir.calls.Load() - before; n != 3 {
		t.Fatalf("user-center asked %d times in all, want 1 + 2", n)
	}
}
