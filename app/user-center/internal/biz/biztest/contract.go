package biztest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/testkey"

	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// CustodyStore is one implementation of the custody use cases' store ports.
type CustodyStore struct {
	Tx        biz.Transaction
	Repo      biz.CustodyRepo
	Consumers biz.ConsumerRepo
	// NewConsumer stores an ACTIVE consumer without a custody account and returns its id;
	// it removes the consumer and its requests, recharges and withdrawals when the test
	// ends.
	NewConsumer func(t *testing.T) int64
}

// CustodyStoreContract is what the custody use cases rely on from their store, run
// against every implementation.
func CustodyStoreContract(t *testing.T, open func(t *testing.T) CustodyStore) {
	custodyLockContract(t, open)
	requestLifecycleContract(t, open)
	custodyStatusContract(t, open)
	rechargeContract(t, open)
	pendingRequestsContract(t, open)
	custodyRollbackContract(t, open)
	withdrawalsContract(t, open)
}

func custodyLockContract(t *testing.T, open func(t *testing.T) CustodyStore) {
	t.Run("a locking read needs a transaction", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		id := s.NewConsumer(t)
		req := newCustodyRequest(t, s, id, t0())
		ctx := context.Background()
		if _, err := s.Repo.LockConsumer(ctx, id); err == nil {
			t.Error("LockConsumer outside a transaction succeeded")
		}
		if _, err := s.Repo.LockRequest(ctx, req.RequestNo); err == nil {
			t.Error("LockRequest outside a transaction succeeded")
		}
		err := s.Tx.InTx(ctx, func(ctx context.Context) error {
			if _, err := s.Repo.LockConsumer(ctx, id); err != nil {
				return err
			}
			_, err := s.Repo.LockRequest(ctx, req.RequestNo)
			return err
		})
		if err != nil {
			t.Fatalf("locking reads inside a transaction: %v", err)
		}
	})
}

func requestLifecycleContract(t *testing.T, open func(t *testing.T) CustodyStore) {
	t.Run("a request reads back, is numbered once and completes once", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		id := s.NewConsumer(t)
		req := newCustodyRequest(t, s, id, t0())
		ctx := context.Background()
		got, err := s.Repo.Request(ctx, req.RequestNo)
		if err != nil || got.UserID != id || got.Kind != biz.KindRecharge || got.Status != biz.RequestPending ||
			got.Amount == nil || !got.Amount.Equal(*req.Amount) {
			t.Fatalf("read back %+v, %v; stored %+v", got, err, req)
		}
		if err := s.Repo.CreateRequest(ctx, req); err == nil {
			t.Fatalf("request number %s stored twice", req.RequestNo)
		}
		if _, err := s.Repo.Request(ctx, testkey.New("RC")); !errors.Is(err, biz.ErrNotFound) {
			t.Fatalf("unknown request: %v, want ErrNotFound", err)
		}
		done := *got
		completed := t0().Add(time.Minute)
		done.Status, done.UpdatedAt, done.CompletedAt = biz.RequestSuccess, completed, &completed
		if err := s.Repo.SaveCompletion(ctx, &done); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Repo.Request(ctx, req.RequestNo); err != nil || got.Status != biz.RequestSuccess {
			t.Fatalf("after completion: %+v, %v", got, err)
		}
		again := done
		again.Status = biz.RequestFailed
		if err := s.Repo.SaveCompletion(ctx, &again); err == nil {
			t.Fatal("a completed request completed again")
		}
	})
}

func custodyStatusContract(t *testing.T, open func(t *testing.T) CustodyStore) {
	t.Run("custody status and user number are set; unknown consumers are not found", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		id := s.NewConsumer(t)
		ctx := context.Background()
		if err := s.Repo.SetCustody(ctx, id, biz.CustodyOpen, "BU0000000077"); err != nil {
			t.Fatal(err)
		}
		if err := s.Repo.SetCustody(ctx, id, biz.CustodyOpen, ""); err != nil {
			t.Fatal(err)
		}
		c, err := s.Consumers.Get(ctx, id)
		if err != nil || c.CustodyStatus != biz.CustodyOpen || c.CustodyUserNo != "BU0000000077" || c.Status != biz.StatusActive {
			t.Fatalf("consumer %+v, %v; want OPEN with BU0000000077 kept", c, err)
		}
		if _, err := s.Consumers.Get(ctx, -1); !errors.Is(err, biz.ErrNotFound) {
			t.Fatalf("unknown consumer: %v, want ErrNotFound", err)
		}
		if err := s.Repo.SetCustody(ctx, -1, biz.CustodyOpen, ""); !errors.Is(err, biz.ErrNotFound) {
			t.Fatalf("custody of an unknown consumer: %v, want ErrNotFound", err)
		}
	})
}

func rechargeContract(t *testing.T, open func(t *testing.T) CustodyStore) {
	t.Run("a recharge is recorded once per request", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		id := s.NewConsumer(t)
		req := newCustodyRequest(t, s, id, t0())
		rc := biz.Recharge{RequestNo: req.RequestNo, UserID: id, Amount: *req.Amount, CreatedAt: t0()}
		ctx := context.Background()
		if err := s.Repo.CreateRecharge(ctx, rc); err != nil {
			t.Fatal(err)
		}
		if err := s.Repo.CreateRecharge(ctx, rc); err == nil {
			t.Fatal("the same recharge recorded twice")
		}
		list, err := s.Repo.Recharges(ctx, id)
		if err != nil || len(list) != 1 || !list[0].Amount.Equal(rc.Amount) {
			t.Fatalf("recharges %+v, %v", list, err)
		}
	})
}

func pendingRequestsContract(t *testing.T, open func(t *testing.T) CustodyStore) {
	t.Run("pending requests are paged oldest first, only before the cut-off", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		id := s.NewConsumer(t)
		// Far in the past, so no other test's request sorts between these.
		base := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(testkey.Seq()) * time.Hour)
		a := newCustodyRequest(t, s, id, base)
		b := newCustodyRequest(t, s, id, base.Add(time.Second))
		newCustodyRequest(t, s, id, base.Add(time.Minute)) // after the cut-off
		ctx := context.Background()
		cut := base.Add(30 * time.Second)
		page, err := s.Repo.PendingRequests(ctx, cut, &biz.PageKey{CreatedAt: base.Add(-time.Nanosecond)}, 1)
		if err != nil || len(page) != 1 || page[0].RequestNo != a.RequestNo {
			t.Fatalf("first page %v, %v; want %s", numbers(page), err, a.RequestNo)
		}
		page, err = s.Repo.PendingRequests(ctx, cut, &biz.PageKey{CreatedAt: page[0].CreatedAt, RequestNo: page[0].RequestNo}, 5)
		if err != nil || len(page) == 0 || page[0].RequestNo != b.RequestNo {
			t.Fatalf("second page %v, %v; want %s first", numbers(page), err, b.RequestNo)
		}
		for _, r := range page {
			if !r.CreatedAt.Before(cut) {
				t.Fatalf("%s created %v is past the cut-off %v", r.RequestNo, r.CreatedAt, cut)
			}
		}
	})
}

func custodyRollbackContract(t *testing.T, open func(t *testing.T) CustodyStore) {
	t.Run("a failed transaction changes nothing", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		id := s.NewConsumer(t)
		boom := errors.New("boom")
		err := s.Tx.InTx(context.Background(), func(ctx context.Context) error {
			if err := s.Repo.SetCustody(ctx, id, biz.CustodyPending, ""); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v, want the function's error", err)
		}
		if c, err := s.Consumers.Get(context.Background(), id); err != nil || c.CustodyStatus != biz.CustodyNone {
			t.Fatalf("after a rolled-back change: %+v, %v", c, err)
		}
	})
}

// withdrawalsContract is the part of the contract the withdrawals rely on.
func withdrawalsContract(t *testing.T, open func(t *testing.T) CustodyStore) {
	t.Run("a withdrawal is recorded once per request", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		id := s.NewConsumer(t)
		req := newRequestOf(t, s, id, biz.KindWithdraw, t0())
		w := biz.Withdrawal{RequestNo: req.RequestNo, UserID: id, Amount: *req.Amount, CreatedAt: t0()}
		ctx := context.Background()
		if err := s.Repo.CreateWithdrawal(ctx, w); err != nil {
			t.Fatal(err)
		}
		if err := s.Repo.CreateWithdrawal(ctx, w); err == nil {
			t.Fatal("the same withdrawal recorded twice")
		}
	})

	t.Run("a user's requests of one kind are listed oldest first, whatever their status", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		id, other := s.NewConsumer(t), s.NewConsumer(t)
		base := t0()
		later := newRequestOf(t, s, id, biz.KindWithdraw, base.Add(time.Second))
		first := newRequestOf(t, s, id, biz.KindWithdraw, base)
		newRequestOf(t, s, id, biz.KindRecharge, base)    // another kind
		newRequestOf(t, s, other, biz.KindWithdraw, base) // another user
		ctx := context.Background()
		done := *first
		completed := base.Add(time.Minute)
		done.Status, done.FailureReason, done.UpdatedAt, done.CompletedAt = biz.RequestFailed, "INSUFFICIENT_BALANCE", completed, &completed
		if err := s.Repo.SaveCompletion(ctx, &done); err != nil {
			t.Fatal(err)
		}
		got, err := s.Repo.UserRequests(ctx, id, biz.KindWithdraw)
		if err != nil || len(got) != 2 || got[0].RequestNo != first.RequestNo || got[1].RequestNo != later.RequestNo {
			t.Fatalf("withdrawals %v, %v; want %s then %s", numbers(got), err, first.RequestNo, later.RequestNo)
		}
		if g := got[0]; g.Status != biz.RequestFailed || g.FailureReason != "INSUFFICIENT_BALANCE" || g.Amount == nil ||
			!g.Amount.Equal(*first.Amount) || g.BankUserNo != first.BankUserNo || !g.UpdatedAt.Equal(completed) {
			t.Fatalf("completed withdrawal read back as %+v", g)
		}
		if got, err := s.Repo.UserRequests(ctx, -1, biz.KindWithdraw); err != nil || len(got) != 0 {
			t.Fatalf("an unknown user's withdrawals: %v, %v; want none", numbers(got), err)
		}
	})
}

func t0() time.Time { return time.Now().UTC().Truncate(time.Second) }

func newCustodyRequest(t *testing.T, s CustodyStore, userID int64, created time.Time) *biz.CustodyRequest {
	t.Helper()
	return newRequestOf(t, s, userID, biz.KindRecharge, created)
}

// newRequestOf stores a PENDING recharge or withdrawal of 123.45.
func newRequestOf(t *testing.T, s CustodyStore, userID int64, kind string, created time.Time) *biz.CustodyRequest {
	t.Helper()
	amount := money.MustParseAmount("123.45")
	prefix := map[string]string{biz.KindRecharge: "RC", biz.KindWithdraw: "WD"}[kind]
	req := &biz.CustodyRequest{RequestNo: testkey.New(prefix), UserID: userID, Kind: kind,
		Status: biz.RequestPending, Amount: &amount, BankUserNo: "BU0000000042", CreatedAt: created, UpdatedAt: created}
	if err := s.Repo.CreateRequest(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	return req
}

func numbers(rs []*biz.CustodyRequest) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.RequestNo)
	}
	return out
}
