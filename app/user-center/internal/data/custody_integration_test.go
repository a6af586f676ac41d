//go:build integration

package data

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/dbtest"
	"github.com/p2p-dtx/p2p-dtx/pkg/entx"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/biz/biztest"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/data/ent/consumer"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/data/ent/custodyrequest"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/data/ent/recharge"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/data/ent/withdrawal"
	pconf "github.com/p2p-dtx/p2p-dtx/pkg/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// These tests run against the real user_center database, with sql/user_center applied:
//
//	P2P_TEST_MYSQL_ADDR=127.0.0.1:3306 (or a socket path) P2P_TEST_DB_USER=... \
//	P2P_TEST_DB_PASSWORD=... go test -tags integration ./internal/data/
//
// They fail, rather than skip, without that database: a skipped run proves nothing. The
// service's own DML-only user will do. Each test uses consumers of its own (ids far above
// real ones) and removes every row it made. Nothing here runs a reconciliation round: on a
// shared database that would give up other people's requests.

func openTestData(t *testing.T) *Data {
	t.Helper()
	d, cleanup, err := NewData(&conf.Bootstrap{Database: &pconf.Database{Dsn: dbtest.DSN(t, "user_center"), MaxOpenConns: 30}},
		log.NewStdLogger(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	return d
}

// newTestConsumer inserts an ACTIVE consumer and removes it, its requests, its recharges
// and its withdrawals when the test ends.
func newTestConsumer(t *testing.T, d *Data, custody biz.CustodyStatus, userNo string) int64 {
	t.Helper()
	ctx := context.Background()
	id := 9_000_000_000 + rand.Int64N(1_000_000_000)
	now := time.Now().UTC()
	c := d.Pool().Consumer.Create().SetID(id).SetUsername(fmt.Sprintf("it_custody_%d", id)).
		SetMobile(fmt.Sprintf("it%d", id)).SetRole("INVESTOR").SetStatus(string(biz.StatusActive)).
		SetCustodyStatus(string(custody)).SetRegistrationGid("it-custody").SetCreatedAt(now).SetUpdatedAt(now)
	if userNo != "" {
		c.SetCustodyUserNo(userNo)
	}
	if err := c.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		if _, err := d.Pool().Recharge.Delete().Where(recharge.UserID(id)).Exec(ctx); err != nil {
			t.Errorf("clean up recharges of %d: %v", id, err)
		}
		if _, err := d.Pool().Withdrawal.Delete().Where(withdrawal.UserID(id)).Exec(ctx); err != nil {
			t.Errorf("clean up withdrawals of %d: %v", id, err)
		}
		if _, err := d.Pool().CustodyRequest.Delete().Where(custodyrequest.UserID(id)).Exec(ctx); err != nil {
			t.Errorf("clean up requests of %d: %v", id, err)
		}
		if _, err := d.Pool().Consumer.Delete().Where(consumer.ID(id)).Exec(ctx); err != nil {
			t.Errorf("clean up consumer %d: %v", id, err)
		}
	})
	return id
}

// newTestUsecase runs the use cases on the database with the fake bank (these tests are
// about the database).
func newTestUsecase(d *Data, bank *biztest.Bank) *biz.CustodyUsecase {
	return biz.NewCustodyUsecase(NewTransaction(d), NewCustodyRepo(d), NewConsumerRepo(d), bank,
		biz.CustodySettings{MinAge: 3 * time.Second, AbandonAfter: 10 * time.Minute}, nil, log.NewStdLogger(io.Discard))
}

// applyConcurrently sends the same result n times at once and returns how many changed it.
func applyConcurrently(t *testing.T, uc *biz.CustodyUsecase, res biz.BankResult, n int) int {
	t.Helper()
	var wg sync.WaitGroup
	changed := make(chan bool, n)
	start := make(chan struct{})
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			a, err := uc.ApplyResult(context.Background(), res, biz.SourceNotification)
			if err != nil {
				t.Errorf("apply: %v", err)
				return
			}
			changed <- a.Changed
		}()
	}
	close(start)
	wg.Wait()
	close(changed)
	count := 0
	for c := range changed {
		if c {
			count++
		}
	}
	return count
}

func TestCustodyOpeningAppliedOnceUnderConcurrentDuplicates(t *testing.T) {
	t.Parallel()
	d := openTestData(t)
	ctx := context.Background()
	id := newTestConsumer(t, d, biz.CustodyNone, "")
	uc := newTestUsecase(d, biztest.NewBank())

	// Concurrent openings: one is recorded, the others wait on the consumer's lock and
	// then find it PENDING.
	var wg sync.WaitGroup
	results := make(chan error, 6)
	var requestNo string
	var mu sync.Mutex
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := uc.OpenAccount(ctx, id, biz.AccountOpening{RealName: "Alice Zhang",
				IDNumber: "110101199001011234", BankCardNo: "6222020000000000"})
			if err == nil {
				mu.Lock()
				requestNo = r.RequestNo
				mu.Unlock()
			}
			results <- err
		}()
	}
	wg.Wait()
	close(results)
	accepted := 0
	for err := range results {
		switch {
		case err == nil:
			accepted++
		case !errors.Is(err, biz.ErrCustodyAlreadyRequested):
			t.Errorf("opening: %v", err)
		}
	}
	n, err := d.Pool().CustodyRequest.Query().Where(custodyrequest.UserID(id)).Count(ctx)
	if err != nil || accepted != 1 || n != 1 {
		t.Fatalf("%d openings accepted, %d requests stored (%v); want 1 and 1", accepted, n, err)
	}
	c, err := d.Pool().Consumer.Get(ctx, id)
	if err != nil || c.CustodyStatus != string(biz.CustodyPending) {
		t.Fatalf("consumer %+v %v, want custody PENDING", c, err)
	}
	row, err := d.Pool().CustodyRequest.Get(ctx, requestNo)
	if err != nil || row.Status != string(biz.RequestPending) || row.Kind != biz.KindOpenAccount || row.Amount != nil || row.CompletedAt != nil {
		t.Fatalf("request %+v %v", row, err)
	}

	// A mismatching result changes nothing.
	uid := fmt.Sprint(id)
	if _, err := uc.ApplyResult(ctx, biz.BankResult{RequestNo: requestNo, Kind: biz.KindOpenAccount, Status: biz.RequestSuccess,
		UserNo: "BU0000000009", PlatformUserID: uid + "0"}, biz.SourceNotification); !errors.Is(err, biz.ErrResultMismatch) {
		t.Fatalf("mismatch: %v", err)
	}
	if row, err := d.Pool().CustodyRequest.Get(ctx, requestNo); err != nil || row.Status != string(biz.RequestPending) {
		t.Fatalf("after a mismatch: %+v %v", row, err)
	}

	// Ten identical notifications at once: one effect.
	res := biz.BankResult{RequestNo: requestNo, Kind: biz.KindOpenAccount, Status: biz.RequestSuccess,
		UserNo: "BU0000000009", PlatformUserID: uid}
	if changed := applyConcurrently(t, uc, res, 10); changed != 1 {
		t.Fatalf("%d applications changed the request, want 1", changed)
	}
	row, err = d.Pool().CustodyRequest.Get(ctx, requestNo)
	if err != nil || row.Status != string(biz.RequestSuccess) || row.BankUserNo == nil || *row.BankUserNo != "BU0000000009" ||
		row.CompletedAt == nil || row.UpdatedAt.Before(row.CreatedAt) {
		t.Fatalf("request after success %+v %v", row, err)
	}
	c, err = d.Pool().Consumer.Get(ctx, id)
	if err != nil || c.CustodyStatus != string(biz.CustodyOpen) || c.CustodyUserNo == nil || *c.CustodyUserNo != "BU0000000009" {
		t.Fatalf("consumer %+v %v, want custody OPEN BU0000000009", c, err)
	}
	if _, err := uc.OpenAccount(ctx, id, biz.AccountOpening{RealName: "Alice Zhang", IDNumber: "110101199001011234",
		BankCardNo: "6222020000000000"}); !errors.Is(err, biz.ErrCustodyAlreadyOpen) {
		t.Fatalf("opening again: %v", err)
	}
}

func TestCustodyRechargeRecordedOnceUnderConcurrentDuplicates(t *testing.T) {
	t.Parallel()
	d := openTestData(t)
	ctx := context.Background()
	id := newTestConsumer(t, d, biz.CustodyOpen, "BU0000000010")
	uc := newTestUsecase(d, biztest.NewBank())

	r, err := uc.Recharge(ctx, id, "500.5")
	if err != nil {
		t.Fatal(err)
	}
	row, err := d.Pool().CustodyRequest.Get(ctx, r.RequestNo)
	if err != nil || row.Amount == nil || row.Amount.String() != "500.50" || row.BankUserNo == nil || *row.BankUserNo != "BU0000000010" {
		t.Fatalf("request %+v %v", row, err)
	}
	res := biz.BankResult{RequestNo: r.RequestNo, Kind: biz.KindRecharge, Status: biz.RequestSuccess,
		UserNo: "BU0000000010", PlatformUserID: fmt.Sprint(id), Amount: "500.50"}
	if changed := applyConcurrently(t, uc, res, 10); changed != 1 {
		t.Fatalf("%d applications changed the request, want 1", changed)
	}
	rs, err := NewCustodyRepo(d).Recharges(ctx, id)
	if err != nil || len(rs) != 1 || rs[0].RequestNo != r.RequestNo || !rs[0].Amount.Equal(money.MustParseAmount("500.50")) {
		t.Fatalf("recharges %+v %v, want one of 500.50", rs, err)
	}

	// A failed recharge records nothing; its reason is kept.
	r2, err := uc.Recharge(ctx, id, "1.00")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := uc.ApplyResult(ctx, biz.BankResult{RequestNo: r2.RequestNo, Kind: biz.KindRecharge, Status: biz.RequestFailed,
		PlatformUserID: fmt.Sprint(id), Amount: "1.00", FailureReason: "limit exceeded"}, biz.SourceReconciliation); err != nil {
		t.Fatal(err)
	}
	got, err := uc.Request(ctx, id, r2.RequestNo)
	if err != nil || got.Status != biz.RequestFailed || got.FailureReason != "limit exceeded" {
		t.Fatalf("failed recharge %+v %v", got, err)
	}
	if rs, err := NewCustodyRepo(d).Recharges(ctx, id); err != nil || len(rs) != 1 {
		t.Fatalf("recharges after a failure %+v %v", rs, err)
	}
	// Another user cannot see it.
	if _, err := uc.Request(ctx, id+1, r2.RequestNo); !errors.Is(err, biz.ErrRequestNotFound) {
		t.Fatalf("someone else's request: %v", err)
	}
}

func TestCustodyWithdrawalRecordedOnceUnderConcurrentDuplicates(t *testing.T) {
	t.Parallel()
	d := openTestData(t)
	ctx := context.Background()
	id := newTestConsumer(t, d, biz.CustodyOpen, "BU0000000012")
	bank := biztest.NewBank()
	bank.SetAccount(biz.BankAccount{UserNo: "BU0000000012", Balance: money.MustParseAmount("500.00")})
	uc := newTestUsecase(d, bank)

	if _, err := uc.Withdraw(ctx, id, "500.01"); !errors.Is(err, biz.ErrInsufficientBalance) {
		t.Fatalf("above the balance: %v", err)
	}
	r, err := uc.Withdraw(ctx, id, "120.5")
	if err != nil {
		t.Fatal(err)
	}
	row, err := d.Pool().CustodyRequest.Get(ctx, r.RequestNo)
	if err != nil || row.Kind != biz.KindWithdraw || row.Status != string(biz.RequestPending) || row.Amount == nil ||
		row.Amount.String() != "120.50" || row.BankUserNo == nil || *row.BankUserNo != "BU0000000012" {
		t.Fatalf("request %+v %v", row, err)
	}
	if n, err := d.Pool().CustodyRequest.Query().Where(custodyrequest.UserID(id)).Count(ctx); err != nil || n != 1 {
		t.Fatalf("%d requests stored (%v), want only the accepted one", n, err)
	}
	res := biz.BankResult{RequestNo: r.RequestNo, Kind: biz.KindWithdraw, Status: biz.RequestSuccess,
		UserNo: "BU0000000012", PlatformUserID: fmt.Sprint(id), Amount: "120.50"}
	if changed := applyConcurrently(t, uc, res, 10); changed != 1 {
		t.Fatalf("%d applications changed the request, want 1", changed)
	}
	ws, err := d.Pool().Withdrawal.Query().Where(withdrawal.UserID(id)).All(ctx)
	if err != nil || len(ws) != 1 || ws[0].RequestNo != r.RequestNo || ws[0].Amount.String() != "120.50" {
		t.Fatalf("withdrawal records %+v %v, want one of 120.50", ws, err)
	}

	// Refused at the bank: FAILED with its reason, no record; both listed, oldest first.
	r2, err := uc.Withdraw(ctx, id, "400.00")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := uc.ApplyResult(ctx, biz.BankResult{RequestNo: r2.RequestNo, Kind: biz.KindWithdraw, Status: biz.RequestFailed,
		UserNo: "BU0000000012", PlatformUserID: fmt.Sprint(id), Amount: "400.00", FailureReason: "INSUFFICIENT_BALANCE"},
		biz.SourceNotification); err != nil {
		t.Fatal(err)
	}
	if n, err := d.Pool().Withdrawal.Query().Where(withdrawal.UserID(id)).Count(ctx); err != nil || n != 1 {
		t.Fatalf("%d withdrawal records after a refused one (%v), want 1", n, err)
	}
	list, err := uc.Withdrawals(ctx, id)
	if err != nil || len(list) != 2 || list[0].RequestNo != r.RequestNo || list[0].Status != biz.RequestSuccess ||
		list[1].RequestNo != r2.RequestNo || list[1].Status != biz.RequestFailed || list[1].FailureReason != "INSUFFICIENT_BALANCE" {
		t.Fatalf("withdrawals %v %v", list, err)
	}
}

func TestCustodyRepoLocksOnlyInsideATransaction(t *testing.T) {
	t.Parallel()
	d := openTestData(t)
	repo := NewCustodyRepo(d)
	if _, err := repo.LockRequest(context.Background(), "OA-none"); !errors.Is(err, entx.ErrNoTx) {
		t.Errorf("LockRequest outside a transaction: %v", err)
	}
	if _, err := repo.LockConsumer(context.Background(), 1); !errors.Is(err, entx.ErrNoTx) {
		t.Errorf("LockConsumer outside a transaction: %v", err)
	}
	// Inside one, an absent row is biz.ErrNotFound; and fn's error rolls back.
	id := newTestConsumer(t, d, biz.CustodyNone, "")
	boom := errors.New("boom")
	err := NewTransaction(d).InTx(context.Background(), func(ctx context.Context) error {
		if _, err := repo.LockRequest(ctx, "OA-none"); !errors.Is(err, biz.ErrNotFound) {
			t.Errorf("absent request: %v", err)
		}
		if err := repo.SetCustody(ctx, id, biz.CustodyPending, ""); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx: %v", err)
	}
	if c, err := d.Pool().Consumer.Get(context.Background(), id); err != nil || c.CustodyStatus != string(biz.CustodyNone) {
		t.Fatalf("rolled back change is visible: %+v %v", c, err)
	}
}

func TestPendingRequestsPagesByAge(t *testing.T) {
	t.Parallel()
	d := openTestData(t)
	ctx := context.Background()
	id := newTestConsumer(t, d, biz.CustodyOpen, "BU0000000011")
	repo := NewCustodyRepo(d)
	// In the future, so the running service's reconciliation never sees them.
	base := time.Now().UTC().Add(24 * time.Hour).Add(time.Duration(rand.Int64N(1e6)) * time.Microsecond).Truncate(time.Microsecond)
	amount := money.MustParseAmount("1.00")
	var want []string
	for i, at := range []time.Time{base, base, base.Add(time.Second), base.Add(2 * time.Second)} {
		no := fmt.Sprintf("RCIT%d-%d", id, i)
		status := biz.RequestPending
		if i == 2 {
			status = biz.RequestSuccess // not pending: never listed
		} else {
			want = append(want, no)
		}
		if err := repo.CreateRequest(ctx, &biz.CustodyRequest{RequestNo: no, UserID: id, Kind: biz.KindRecharge,
			Status: status, Amount: &amount, BankUserNo: "BU0000000011", CreatedAt: at, UpdatedAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	after := &biz.PageKey{CreatedAt: base.Add(-time.Microsecond)}
	for pages := 0; ; pages++ {
		page, err := repo.PendingRequests(ctx, base.Add(3*time.Second), after, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page {
			got = append(got, r.RequestNo)
		}
		if len(page) < 2 || pages > 5 {
			break
		}
		after = &biz.PageKey{CreatedAt: page[len(page)-1].CreatedAt, RequestNo: page[len(page)-1].RequestNo}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("pages %v, want %v", got, want)
	}
	// The age bound: only those created before it.
	page, err := repo.PendingRequests(ctx, base.Add(time.Second), &biz.PageKey{CreatedAt: base.Add(-time.Microsecond)}, 10)
	if err != nil || len(page) != 2 {
		t.Fatalf("created before base+1s: %d (%v), want 2", len(page), err)
	}
}

func TestCallbackNoncesClaimOnce(t *testing.T) {
	t.Parallel()
	d := openTestData(t)
	ctx := context.Background()
	store := NewCallbackNonces(d)
	nonce := fmt.Sprintf("it-%d", rand.Int64())
	t.Cleanup(func() {
		if _, err := d.DB().ExecContext(context.Background(), "DELETE FROM callback_nonce WHERE nonce = ?", nonce); err != nil {
			t.Errorf("clean up nonce: %v", err)
		}
	})
	for i, want := range []bool{true, false} {
		fresh, err := store.Claim(ctx, nonce, time.Now().Add(5*time.Minute))
		if err != nil || fresh != want {
			t.Fatalf("claim %d: fresh=%v err=%v, want %v", i+1, fresh, err, want)
		}
	}
}
