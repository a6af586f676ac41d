package biztest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/testkey"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// RequestRepos is one implementation of the bank's request and nonce ports.
type RequestRepos struct {
	Tx       biz.Transaction
	Requests biz.RequestRepo
	Nonces   biz.NonceRepo
	// Forget removes a request a test stored (the database keeps rows between tests).
	Forget func(requestNo string)
}

// RequestRepoContract is what the gateway, the processing and the notifier rely on from
// the request and nonce repositories, run against every implementation — Bank (the fake
// the biz tests use) and the ent adapters — so neither allows what the other refuses.
func RequestRepoContract(t *testing.T, open func(t *testing.T) RequestRepos) {
	t.Run("a request reads back as stored; its number is taken once", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		req := newRequest(t, r)
		got, err := r.Requests.Get(context.Background(), req.RequestNo)
		if err != nil {
			t.Fatal(err)
		}
		if got.PlatformNo != req.PlatformNo || got.ServiceName != req.ServiceName || got.PlatformUserID != req.PlatformUserID ||
			got.Status != biz.RequestProcessing || got.CallbackURL != req.CallbackURL || got.PasswordHash != req.PasswordHash ||
			got.Details.RealName != req.Details.RealName {
			t.Fatalf("read back %+v, stored %+v", got, req)
		}
		twin := *req
		if err := r.Requests.Create(context.Background(), &twin); !errors.Is(err, biz.ErrDuplicateRequest) {
			t.Fatalf("second request %s: %v, want ErrDuplicateRequest", req.RequestNo, err)
		}
		if _, err := r.Requests.Get(context.Background(), testkey.New("NO")); !errors.Is(err, biz.ErrRequestNotFound) {
			t.Fatalf("unknown request: %v, want ErrRequestNotFound", err)
		}
	})

	t.Run("a locking read needs a transaction", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		req := newRequest(t, r)
		if _, err := r.Requests.Lock(context.Background(), req.RequestNo); err == nil {
			t.Error("Lock outside a transaction succeeded")
		}
		err := r.Tx.InTx(context.Background(), func(ctx context.Context) error {
			_, err := r.Requests.Lock(ctx, req.RequestNo)
			return err
		})
		if err != nil {
			t.Fatalf("Lock inside a transaction: %v", err)
		}
	})

	t.Run("a result is saved once and clears the password hash", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		req := newRequest(t, r)
		done := *req
		done.Status, done.UserNo, done.UpdatedAt = biz.RequestSuccess, "BU"+testkey.New("")[:10], time.Now().UTC().Truncate(time.Second)
		if err := r.Requests.SaveResult(context.Background(), &done); err != nil {
			t.Fatal(err)
		}
		got, err := r.Requests.Get(context.Background(), req.RequestNo)
		if err != nil || got.Status != biz.RequestSuccess || got.UserNo != done.UserNo || got.PasswordHash != "" {
			t.Fatalf("after the result: %+v, %v; want SUCCESS, user %s, no password hash", got, err, done.UserNo)
		}
		again := done
		again.Status = biz.RequestFailed
		if err := r.Requests.SaveResult(context.Background(), &again); !errors.Is(err, biz.ErrRequestFinished) {
			t.Fatalf("a second result: %v, want ErrRequestFinished", err)
		}
	})

	t.Run("a nonce is fresh once", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		nonce := testkey.New("N")
		for i, want := range []bool{true, false} {
			var fresh bool
			err := r.Tx.InTx(context.Background(), func(ctx context.Context) error {
				var err error
				fresh, err = r.Nonces.Claim(ctx, nonce, time.Now().Add(time.Hour))
				return err
			})
			if err != nil || fresh != want {
				t.Fatalf("claim %d of %s: fresh=%v, %v; want %v", i+1, nonce, fresh, err, want)
			}
		}
	})

	t.Run("a failed transaction stores no request", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		no, boom := testkey.New("RB"), errors.New("boom")
		if r.Forget != nil {
			t.Cleanup(func() { r.Forget(no) })
		}
		err := r.Tx.InTx(context.Background(), func(ctx context.Context) error {
			if err := r.Requests.Create(ctx, sampleRequest(no)); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v, want the function's error", err)
		}
		if _, err := r.Requests.Get(context.Background(), no); !errors.Is(err, biz.ErrRequestNotFound) {
			t.Fatalf("after a rolled-back create: %v, want ErrRequestNotFound", err)
		}
	})
}

func sampleRequest(no string) *biz.CustodyRequest {
	now := time.Now().UTC().Truncate(time.Second)
	return &biz.CustodyRequest{RequestNo: no, PlatformNo: "P2PDTX", ServiceName: biz.ServiceOpenAccount,
		PlatformUserID: 42, Status: biz.RequestProcessing, CallbackURL: "http://127.0.0.1:8020/v1/custody/notifications",
		PasswordHash: "$2a$04$contractcontractcontractcontractcontractcontractcon",
		Details:      biz.RequestDetails{RealName: "Contract Test", Mobile: "13900000000"},
		CreatedAt:    now, UpdatedAt: now}
}

func newRequest(t *testing.T, r RequestRepos) *biz.CustodyRequest {
	t.Helper()
	req := sampleRequest(testkey.New("CT"))
	if err := r.Requests.Create(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if r.Forget != nil {
		t.Cleanup(func() { r.Forget(req.RequestNo) })
	}
	return req
}

// UserAccountRepos is one implementation of the bank's user and account ports.
type UserAccountRepos struct {
	Tx       biz.Transaction
	Users    biz.UserRepo
	Accounts biz.AccountRepo
	// Forget removes a user and its account (nil for the fake).
	Forget func(userNo string)
}

// UserAccountContract is what account opening, recharges and lending rely on from the
// user and account repositories, run against every implementation.
func UserAccountContract(t *testing.T, open func(t *testing.T) UserAccountRepos) {
	newUser := func(t *testing.T, r UserAccountRepos) biz.BankUser {
		t.Helper()
		u := biz.BankUser{UserNo: "BU" + testkey.New("")[10:], PlatformNo: "P2PDTX", PlatformUserID: testkey.Seq() + time.Now().UnixNano()%1_000_000_000_000,
			RealName: "Contract Test", IDNumber: "110101199001011234", BankCardNo: "6222020000000000", PasswordHash: "$2a$04$x",
			CreatedAt: time.Now().UTC().Truncate(time.Second)}
		if r.Forget != nil {
			t.Cleanup(func() { r.Forget(u.UserNo) })
		}
		if err := r.Users.Create(context.Background(), u); err != nil {
			t.Fatal(err)
		}
		return u
	}

	t.Run("a user is found by number and by platform user; both are taken once", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		u := newUser(t, r)
		ctx := context.Background()
		if got, err := r.Users.ByUserNo(ctx, u.UserNo); err != nil || got.PlatformUserID != u.PlatformUserID || got.RealName != u.RealName {
			t.Fatalf("by number: %+v, %v", got, err)
		}
		if got, err := r.Users.ByPlatformUser(ctx, u.PlatformNo, u.PlatformUserID); err != nil || got.UserNo != u.UserNo {
			t.Fatalf("by platform user: %+v, %v", got, err)
		}
		sameNo := u
		sameNo.PlatformUserID++
		if err := r.Users.Create(ctx, sameNo); !errors.Is(err, biz.ErrUserNoTaken) {
			t.Fatalf("user number twice: %v, want ErrUserNoTaken", err)
		}
		samePlatformUser := u
		samePlatformUser.UserNo = "BU" + testkey.New("")[10:]
		if r.Forget != nil {
			t.Cleanup(func() { r.Forget(samePlatformUser.UserNo) })
		}
		if err := r.Users.Create(ctx, samePlatformUser); !errors.Is(err, biz.ErrPlatformUserHasAccount) {
			t.Fatalf("platform user twice: %v, want ErrPlatformUserHasAccount", err)
		}
		if _, err := r.Users.ByUserNo(ctx, "BU"+testkey.New("")[10:]); !errors.Is(err, biz.ErrAccountNotFound) {
			t.Fatalf("unknown user: %v, want ErrAccountNotFound", err)
		}
	})

	t.Run("an account opens at zero, is saved, never negative, and locked only in a transaction", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		u := newUser(t, r)
		ctx := context.Background()
		if err := r.Accounts.Open(ctx, u.UserNo, u.CreatedAt); err != nil {
			t.Fatal(err)
		}
		a, err := r.Accounts.Get(ctx, u.UserNo)
		if err != nil || !a.Balance.IsZero() || !a.Frozen.IsZero() {
			t.Fatalf("opened: %+v, %v; want 0.00 and 0.00", a, err)
		}
		if _, err := r.Accounts.Lock(ctx, u.UserNo); err == nil {
			t.Error("Lock outside a transaction succeeded")
		}
		a.Balance, a.Frozen = money.MustParseAmount("100.00"), money.MustParseAmount("40.00")
		if err := r.Accounts.Save(ctx, a); err != nil {
			t.Fatal(err)
		}
		over := *a
		over.Frozen = money.MustParseAmount("0.01").Neg()
		if err := r.Accounts.Save(ctx, &over); err == nil {
			t.Error("a negative frozen amount was saved")
		}
		err = r.Tx.InTx(ctx, func(ctx context.Context) error {
			all, err := r.Accounts.LockAll(ctx, []string{u.UserNo, "BU" + testkey.New("")[10:]})
			if err != nil {
				return err
			}
			if len(all) != 1 || !all[u.UserNo].Available().Equal(money.MustParseAmount("60.00")) {
				return fmt.Errorf("LockAll = %v, want only %s with 60.00 available", all, u.UserNo)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
