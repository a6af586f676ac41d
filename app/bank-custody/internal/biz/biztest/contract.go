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
	requestReadContract(t, open)
	requestManyContract(t, open)
	requestLockContract(t, open)
	requestResultContract(t, open)
	nonceContract(t, open)
	requestRollbackContract(t, open)
	retryAndSumContract(t, open)
}

func requestReadContract(t *testing.T, open func(t *testing.T) RequestRepos) {
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
}

func requestManyContract(t *testing.T, open func(t *testing.T) RequestRepos) {
	t.Run("requests are stored and looked up many at once; a taken number stores none", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		ctx := context.Background()
		old := newRequest(t, r)
		a, b := sampleRequest(testkey.New("CT")), sampleRequest(testkey.New("CT"))
		if r.Forget != nil {
			t.Cleanup(func() { r.Forget(a.RequestNo); r.Forget(b.RequestNo) })
		}
		if err := r.Requests.CreateAll(ctx, []*biz.CustodyRequest{a, old}); !errors.Is(err, biz.ErrDuplicateRequest) {
			t.Fatalf("a batch with a taken number: %v, want ErrDuplicateRequest", err)
		}
		if _, err := r.Requests.Get(ctx, a.RequestNo); !errors.Is(err, biz.ErrRequestNotFound) {
			t.Fatalf("the refused batch stored %s: %v", a.RequestNo, err)
		}
		if err := r.Requests.CreateAll(ctx, []*biz.CustodyRequest{a, b}); err != nil {
			t.Fatal(err)
		}
		if got, err := r.Requests.Get(ctx, b.RequestNo); err != nil || got.PasswordHash != b.PasswordHash || got.Details.RealName != b.Details.RealName {
			t.Fatalf("read back %+v, %v; stored %+v", got, err, b)
		}
		unknown := testkey.New("CT")
		taken, err := r.Requests.Taken(ctx, []string{old.RequestNo, a.RequestNo, b.RequestNo, unknown})
		if err != nil || len(taken) != 3 || !taken[old.RequestNo] || !taken[a.RequestNo] || !taken[b.RequestNo] || taken[unknown] {
			t.Fatalf("taken %v, %v; want the three stored", taken, err)
		}
	})
}

func requestLockContract(t *testing.T, open func(t *testing.T) RequestRepos) {
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
}

func requestResultContract(t *testing.T, open func(t *testing.T) RequestRepos) {
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
}

func nonceContract(t *testing.T, open func(t *testing.T) RequestRepos) {
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
}

func requestRollbackContract(t *testing.T, open func(t *testing.T) RequestRepos) {
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

// retryAndSumContract is what repayments and the totals rely on from the request log.
func retryAndSumContract(t *testing.T, open func(t *testing.T) RequestRepos) {
	t.Run("a FAILED request is attempted again under its number, nothing else is", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		ctx := context.Background()
		failed := repayRequest(testkey.New("RP"), biz.RequestFailed)
		create(t, r, failed)
		retry := *failed
		commission := money.MustParseAmount("3.00")
		retry.Status, retry.FailureReason, retry.UpdatedAt = biz.RequestSuccess, "", failed.UpdatedAt.Add(time.Second)
		retry.Details.Commission = &commission
		if err := r.Requests.SaveRetry(ctx, &retry); err != nil {
			t.Fatal(err)
		}
		got, err := r.Requests.Get(ctx, failed.RequestNo)
		if err != nil || got.Status != biz.RequestSuccess || got.FailureReason != "" || got.Details.Period != 2 ||
			got.Details.Commission == nil || !got.Details.Commission.Equal(commission) || !got.CreatedAt.Equal(failed.CreatedAt) {
			t.Fatalf("after the retry: %+v, %v", got, err)
		}
		if err := r.Requests.SaveRetry(ctx, &retry); !errors.Is(err, biz.ErrRequestFinished) {
			t.Fatalf("retry of a SUCCESS: %v, want ErrRequestFinished", err)
		}
		// Not a gateway service: a running bank's poller would publish a FAILED recharge.
		other := repayRequest(testkey.New("RP"), biz.RequestFailed)
		other.ServiceName = biz.ServiceFreeze
		create(t, r, other)
		again := *other
		again.ServiceName, again.Status = biz.ServiceRepay, biz.RequestSuccess
		if err := r.Requests.SaveRetry(ctx, &again); !errors.Is(err, biz.ErrRequestFinished) {
			t.Fatalf("retry of another service's request: %v, want ErrRequestFinished", err)
		}
	})

	t.Run("successful amounts are summed per service", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		// Inside a transaction that is rolled back: the sums are over the whole bank, and
		// a running bank must never see these requests.
		err := r.Tx.InTx(context.Background(), func(ctx context.Context) error {
			before, err := r.Requests.SumSucceeded(ctx, biz.ServiceWithdraw)
			if err != nil {
				return err
			}
			for i, status := range []biz.RequestStatus{biz.RequestSuccess, biz.RequestSuccess, biz.RequestFailed} {
				req := repayRequest(testkey.New("WS"), status)
				req.ServiceName = biz.ServiceWithdraw
				a := money.MustParseAmount(fmt.Sprintf("%d.25", i+1))
				req.Amount = &a
				if err := r.Requests.Create(ctx, req); err != nil {
					return err
				}
			}
			after, err := r.Requests.SumSucceeded(ctx, biz.ServiceWithdraw)
			if err != nil {
				return err
			}
			if got := after.Sub(before); got.String() != "3.50" {
				return fmt.Errorf("the sum grew by %s, want 3.50 (1.25 + 2.25; the FAILED one not)", got)
			}
			return errContractRollback
		})
		if !errors.Is(err, errContractRollback) {
			t.Fatal(err)
		}
	})
}

var errContractRollback = errors.New("contract: roll back")

func repayRequest(no string, status biz.RequestStatus) *biz.CustodyRequest {
	now := time.Now().UTC().Truncate(time.Second)
	a := money.MustParseAmount("120.00")
	r := &biz.CustodyRequest{RequestNo: no, PlatformNo: "P2PDTX", ServiceName: biz.ServiceRepay, UserNo: "BU0000000001",
		Amount: &a, Status: status, Details: biz.RequestDetails{ProjectNo: "PN" + no, Period: 2}, CreatedAt: now, UpdatedAt: now}
	if status == biz.RequestFailed {
		r.FailureReason = biz.ReasonInsufficientBalance
	}
	return r
}

func create(t *testing.T, r RequestRepos, req *biz.CustodyRequest) {
	t.Helper()
	if r.Forget != nil {
		t.Cleanup(func() { r.Forget(req.RequestNo) })
	}
	if err := r.Requests.Create(context.Background(), req); err != nil {
		t.Fatal(err)
	}
}

func sampleRequest(no string) *biz.CustodyRequest {
	now := time.Now().UTC().Truncate(time.Second)
	// A platform the running bank has no contract with: its poller leaves the request alone
	// while the contract runs against the stack's database.
	return &biz.CustodyRequest{RequestNo: no, PlatformNo: "CONTRACT", ServiceName: biz.ServiceOpenAccount,
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

	userContract(t, open, newUser)
	accountContract(t, open, newUser)
	accountBatchContract(t, open, newUser)
}

func userContract(t *testing.T, open func(t *testing.T) UserAccountRepos,
	newUser func(t *testing.T, r UserAccountRepos) biz.BankUser) {
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
}

func accountContract(t *testing.T, open func(t *testing.T) UserAccountRepos,
	newUser func(t *testing.T, r UserAccountRepos) biz.BankUser) {
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

// accountBatchContract is what repayments and the totals rely on from the user and
// account repositories: many at once.
func accountBatchContract(t *testing.T, open func(t *testing.T) UserAccountRepos,
	newUser func(t *testing.T, r UserAccountRepos) biz.BankUser) {
	t.Run("users are read many at once; unknown ones are left out", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		a, b := newUser(t, r), newUser(t, r)
		got, err := r.Users.ByUserNos(context.Background(), []string{a.UserNo, b.UserNo, "BU" + testkey.New("")[10:]})
		if err != nil || len(got) != 2 || got[a.UserNo].PlatformUserID != a.PlatformUserID || got[b.UserNo].UserNo != b.UserNo {
			t.Fatalf("ByUserNos = %v, %v; want %s and %s", got, err, a.UserNo, b.UserNo)
		}
	})

	t.Run("many accounts are saved together, all or none", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		ctx := context.Background()
		var all []*biz.Account
		for i := range 3 {
			u := newUser(t, r)
			if err := r.Accounts.Open(ctx, u.UserNo, u.CreatedAt); err != nil {
				t.Fatal(err)
			}
			all = append(all, &biz.Account{UserNo: u.UserNo, Balance: money.MustParseAmount(fmt.Sprintf("%d.01", 10+i)),
				Frozen: money.MustParseAmount("1.00"), UpdatedAt: u.CreatedAt.Add(time.Second)})
		}
		if err := r.Accounts.SaveAll(ctx, all); err != nil {
			t.Fatal(err)
		}
		for _, want := range all {
			got, err := r.Accounts.Get(ctx, want.UserNo)
			if err != nil || !got.Balance.Equal(want.Balance) || !got.Frozen.Equal(want.Frozen) {
				t.Fatalf("account %s = %+v, %v; want %s / %s", want.UserNo, got, err, want.Balance, want.Frozen)
			}
		}
		// Unchanged values are no error (MariaDB counts changed rows).
		if err := r.Accounts.SaveAll(ctx, all); err != nil {
			t.Fatalf("saving the same values again: %v", err)
		}
		negative := *all[1]
		negative.Balance = money.MustParseAmount("0.50") // below its frozen 1.00 is allowed here, below 0 is not
		negative.Frozen = money.MustParseAmount("1.00").Neg()
		err := r.Tx.InTx(ctx, func(ctx context.Context) error {
			return r.Accounts.SaveAll(ctx, []*biz.Account{all[0], &negative})
		})
		if err == nil {
			t.Fatal("a negative frozen amount was saved")
		}
		missing := &biz.Account{UserNo: "BU" + testkey.New("")[10:], UpdatedAt: time.Now().UTC()}
		if err := r.Tx.InTx(ctx, func(ctx context.Context) error { return r.Accounts.SaveAll(ctx, []*biz.Account{missing}) }); err == nil {
			t.Fatal("saving an account that does not exist succeeded")
		}
		if got, _ := r.Accounts.Get(ctx, all[0].UserNo); !got.Balance.Equal(all[0].Balance) {
			t.Fatalf("account %s = %s after refused saves, want %s", all[0].UserNo, got.Balance, all[0].Balance)
		}
	})

	accountTotalsContract(t, open, newUser)
}

func accountTotalsContract(t *testing.T, open func(t *testing.T) UserAccountRepos,
	newUser func(t *testing.T, r UserAccountRepos) biz.BankUser) {
	t.Run("totals sum every account", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		u := newUser(t, r)
		// In a transaction that is rolled back: the totals are over the whole bank.
		err := r.Tx.InTx(context.Background(), func(ctx context.Context) error {
			before, err := r.Accounts.Totals(ctx)
			if err != nil {
				return err
			}
			if err := r.Accounts.Open(ctx, u.UserNo, u.CreatedAt); err != nil {
				return err
			}
			a := &biz.Account{UserNo: u.UserNo, Balance: money.MustParseAmount("70.07"), Frozen: money.MustParseAmount("20.02"), UpdatedAt: u.CreatedAt}
			if err := r.Accounts.Save(ctx, a); err != nil {
				return err
			}
			after, err := r.Accounts.Totals(ctx)
			if err != nil {
				return err
			}
			if after.Balances.Sub(before.Balances).String() != "70.07" || after.Frozen.Sub(before.Frozen).String() != "20.02" ||
				after.Accounts != before.Accounts+1 {
				return fmt.Errorf("totals %+v → %+v, want +70.07, +20.02, +1 account", before, after)
			}
			return errContractRollback
		})
		if !errors.Is(err, errContractRollback) {
			t.Fatal(err)
		}
	})
}

// RepaymentRepos is one implementation of the bank's repayment port.
type RepaymentRepos struct {
	Repayments biz.RepaymentRepo
	// Forget removes a repayment by request number (nil for the fake).
	Forget func(requestNo string)
}

// RepaymentContract is what the repayment use case relies on from the repayment
// repository: one successful repayment per project and period.
func RepaymentContract(t *testing.T, open func(t *testing.T) RepaymentRepos) {
	t.Run("a period is repaid once, under one request number", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		ctx := context.Background()
		rp := &biz.Repayment{InstallmentPayment: biz.InstallmentPayment{RequestNo: testkey.New("RP"), ProjectNo: testkey.New("PN"),
			Period: 3, BorrowerUserNo: "BU0000000001", Amount: money.MustParseAmount("120.00"), Commission: money.MustParseAmount("10.00")},
			Credits: 1000, CreatedAt: time.Now().UTC().Truncate(time.Second)}
		if r.Forget != nil {
			t.Cleanup(func() { r.Forget(rp.RequestNo) })
		}
		if _, err := r.Repayments.Get(ctx, rp.ProjectNo, rp.Period); !errors.Is(err, biz.ErrRepaymentNotFound) {
			t.Fatalf("before: %v, want ErrRepaymentNotFound", err)
		}
		if err := r.Repayments.Create(ctx, rp); err != nil {
			t.Fatal(err)
		}
		got, err := r.Repayments.Get(ctx, rp.ProjectNo, rp.Period)
		if err != nil || got.RequestNo != rp.RequestNo || got.Credits != 1000 || !got.Amount.Equal(rp.Amount) || !got.Commission.Equal(rp.Commission) {
			t.Fatalf("read back %+v, %v; stored %+v", got, err, rp)
		}
		samePeriod := *rp
		samePeriod.RequestNo = testkey.New("RP")
		if r.Forget != nil {
			t.Cleanup(func() { r.Forget(samePeriod.RequestNo) })
		}
		if err := r.Repayments.Create(ctx, &samePeriod); !errors.Is(err, biz.ErrPeriodAlreadyRepaid) {
			t.Fatalf("the period again: %v, want ErrPeriodAlreadyRepaid", err)
		}
		sameNumber := *rp
		sameNumber.Period = 4
		if err := r.Repayments.Create(ctx, &sameNumber); !errors.Is(err, biz.ErrDuplicateRequest) {
			t.Fatalf("the request number again: %v, want ErrDuplicateRequest", err)
		}
		if _, err := r.Repayments.Get(ctx, rp.ProjectNo, 4); !errors.Is(err, biz.ErrRepaymentNotFound) {
			t.Fatalf("another period: %v, want ErrRepaymentNotFound", err)
		}
	})
}
