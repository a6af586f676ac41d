package biz_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/biz/biztest"
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

var t0 = time.Date(2026, 11, 21, 11, 0, 0, 0, time.UTC)

const (
	alice = int64(12)
	bob   = int64(13)
)

func newCustodyFixture(cs ...biz.Consumer) (*biz.CustodyUsecase, *biztest.Custody, *biztest.Bank, *faults.Registry) {
	store := biztest.NewCustody(cs...)
	bank := biztest.NewBank()
	f := faults.New(biz.FaultCallbackReject)
	n := 0
	uc := biz.NewCustodyUsecase(store, store, store, bank,
		biz.CustodySettings{MinAge: 3 * time.Second, AbandonAfter: 10 * time.Minute, BatchSize: 2,
			Now:          func() time.Time { return t0 },
			NewRequestNo: func(prefix string, _ time.Time) string { n++; return fmt.Sprintf("%s%04d", prefix, n) }},
		f, log.NewStdLogger(io.Discard))
	return uc, store, bank, f
}

func activeConsumerWith(id int64, custody biz.CustodyStatus, userNo string) biz.Consumer {
	return biz.Consumer{ID: id, Username: fmt.Sprintf("user%d", id), Mobile: "13912345678", Role: "INVESTOR",
		Status: biz.StatusActive, CustodyStatus: custody, CustodyUserNo: userNo}
}

func validOpening() biz.AccountOpening {
	return biz.AccountOpening{RealName: "Alice Zhang", IDNumber: "110101199001011234", BankCardNo: "6222020000000000"}
}

func TestAccountOpeningValidateNamesTheField(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		field string
		edit  func(*biz.AccountOpening)
	}{
		{"realName", func(a *biz.AccountOpening) { a.RealName = "A" }},
		{"realName", func(a *biz.AccountOpening) { a.RealName = "   " }},
		{"realName", func(a *biz.AccountOpening) { a.RealName = strings.Repeat("x", 33) }},
		{"realName", func(a *biz.AccountOpening) { a.RealName = "Al\nice" }},
		{"idNumber", func(a *biz.AccountOpening) { a.IDNumber = "11010119900101123" }},
		{"idNumber", func(a *biz.AccountOpening) { a.IDNumber = "1101011990010112345" }},
		{"idNumber", func(a *biz.AccountOpening) { a.IDNumber = "11010119900101123Y" }},
		{"idNumber", func(a *biz.AccountOpening) { a.IDNumber = "X10101199001011234" }},
		{"bankCardNo", func(a *biz.AccountOpening) { a.BankCardNo = "12345678901" }},
		{"bankCardNo", func(a *biz.AccountOpening) { a.BankCardNo = "12345678901234567890" }},
		{"bankCardNo", func(a *biz.AccountOpening) { a.BankCardNo = "6222-0200-0000-0000" }},
	} {
		a := validOpening()
		tc.edit(&a)
		var ve *biz.ValidationError
		if err := a.Validate(); !errors.As(err, &ve) || ve.Field != tc.field {
			t.Errorf("%+v: err = %v, want a %s error", a, err, tc.field)
		}
	}
	for _, ok := range []biz.AccountOpening{
		validOpening(),
		{RealName: "张三", IDNumber: "11010119900101123x", BankCardNo: "622202000000"},
		{RealName: strings.Repeat("李", 32), IDNumber: "11010119900101123X", BankCardNo: "6222020000000000123"},
	} {
		if err := ok.Validate(); err != nil {
			t.Errorf("%+v: %v", ok, err)
		}
	}
	a := biz.AccountOpening{RealName: " Alice ", IDNumber: "11010119900101123x", BankCardNo: "622202000000"}
	if err := a.Validate(); err != nil || a.RealName != "Alice" || a.IDNumber != "11010119900101123X" {
		t.Errorf("normalised to %+v, %v; want the name trimmed and X upper-case", a, err)
	}
}

func TestParseRechargeAmount(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"0.01": "0.01", "500": "500.00", "500.5": "500.50", "1000000.00": "1000000.00"} {
		a, err := biz.ParseRechargeAmount(in)
		if err != nil || a.String() != want {
			t.Errorf("%q: %s, %v; want %s", in, a, err, want)
		}
	}
	for _, in := range []string{"", "0", "0.00", "-5", "1.234", "abc", "1e3", "1000000.01", "99999999999"} {
		var ve *biz.ValidationError
		if _, err := biz.ParseRechargeAmount(in); !errors.As(err, &ve) || ve.Field != "amount" {
			t.Errorf("%q: err = %v, want an amount error", in, err)
		}
	}
}

func pendingOpening() *biz.CustodyRequest {
	return &biz.CustodyRequest{RequestNo: "OA1", UserID: alice, Kind: biz.KindOpenAccount, Status: biz.RequestPending, CreatedAt: t0, UpdatedAt: t0}
}

func pendingRecharge(amount string) *biz.CustodyRequest {
	a := money.MustParseAmount(amount)
	return &biz.CustodyRequest{RequestNo: "RC1", UserID: alice, Kind: biz.KindRecharge, Status: biz.RequestPending,
		Amount: &a, BankUserNo: "BU0000000001", CreatedAt: t0, UpdatedAt: t0}
}

func TestCompleteMovesPendingOnceOnly(t *testing.T) {
	t.Parallel()
	later := t0.Add(time.Minute)
	r := pendingOpening()
	ok := biz.BankResult{RequestNo: "OA1", Kind: biz.KindOpenAccount, Status: biz.RequestSuccess, UserNo: "BU0000000001", PlatformUserID: "12"}
	changed, err := r.Complete(ok, later)
	if err != nil || !changed || r.Status != biz.RequestSuccess || r.BankUserNo != "BU0000000001" ||
		!r.UpdatedAt.Equal(later) || r.CompletedAt == nil || !r.CompletedAt.Equal(later) {
		t.Fatalf("first result: changed=%v err=%v request=%+v", changed, err, r)
	}
	// The same result again, and a contradicting one: nothing changes.
	for _, res := range []biz.BankResult{ok, {RequestNo: "OA1", Kind: biz.KindOpenAccount, Status: biz.RequestFailed, PlatformUserID: "12"}} {
		before := *r
		changed, err := r.Complete(res, later.Add(time.Hour))
		if err != nil || changed || r.Status != before.Status || !r.UpdatedAt.Equal(before.UpdatedAt) {
			t.Fatalf("late %s: changed=%v err=%v request=%+v", res.Status, changed, err, r)
		}
	}

	f := pendingRecharge("500.00")
	changed, err = f.Complete(biz.BankResult{RequestNo: "RC1", Kind: biz.KindRecharge, Status: biz.RequestFailed,
		PlatformUserID: "12", Amount: "500.00"}, later)
	if err != nil || !changed || f.Status != biz.RequestFailed || f.FailureReason != "failed at the bank" {
		t.Fatalf("failure without a reason: changed=%v err=%v request=%+v", changed, err, f)
	}
	long := pendingRecharge("1.00")
	if _, err := long.Complete(biz.BankResult{RequestNo: "RC1", Kind: biz.KindRecharge, Status: biz.RequestFailed, PlatformUserID: "12",
		Amount: "1", FailureReason: strings.Repeat("é", 200)}, later); err != nil || len(long.FailureReason) > 255 {
		t.Fatalf("long reason: %v, %d bytes", err, len(long.FailureReason))
	}
}

func TestCompleteRefusesResultsThatDoNotMatch(t *testing.T) {
	t.Parallel()
	recharge := biz.BankResult{RequestNo: "RC1", Kind: biz.KindRecharge, Status: biz.RequestSuccess, UserNo: "BU0000000001",
		PlatformUserID: "12", Amount: "500.00"}
	for _, tc := range []struct {
		name string
		req  *biz.CustodyRequest
		edit func(*biz.BankResult)
		want error
	}{
		{"other user", pendingRecharge("500"), func(r *biz.BankResult) { r.PlatformUserID = "13" }, biz.ErrResultMismatch},
		{"no user", pendingRecharge("500"), func(r *biz.BankResult) { r.PlatformUserID = "" }, biz.ErrResultMismatch},
		{"other kind", pendingRecharge("500"), func(r *biz.BankResult) { r.Kind = biz.KindOpenAccount }, biz.ErrResultMismatch},
		{"other amount", pendingRecharge("500"), func(r *biz.BankResult) { r.Amount = "500.01" }, biz.ErrResultMismatch},
		{"no amount", pendingRecharge("500"), func(r *biz.BankResult) { r.Amount = "" }, biz.ErrResultMismatch},
		{"bad amount", pendingRecharge("500"), func(r *biz.BankResult) { r.Amount = "5e2" }, biz.ErrResultMismatch},
		{"other account", pendingRecharge("500"), func(r *biz.BankResult) { r.UserNo = "BU0000000002" }, biz.ErrResultMismatch},
		{"other request", pendingRecharge("500"), func(r *biz.BankResult) { r.RequestNo = "RC2" }, biz.ErrResultMismatch},
		{"amount on an opening", pendingOpening(), func(r *biz.BankResult) {
			*r = biz.BankResult{RequestNo: "OA1", Kind: biz.KindOpenAccount, Status: biz.RequestSuccess, UserNo: "BU1", PlatformUserID: "12", Amount: "1.00"}
		}, biz.ErrResultMismatch},
		{"opened without userNo", pendingOpening(), func(r *biz.BankResult) {
			*r = biz.BankResult{RequestNo: "OA1", Kind: biz.KindOpenAccount, Status: biz.RequestSuccess, PlatformUserID: "12"}
		}, biz.ErrInvalidResult},
		{"not final", pendingRecharge("500"), func(r *biz.BankResult) { r.Status = biz.RequestProcessing }, biz.ErrInvalidResult},
		{"unknown status", pendingRecharge("500"), func(r *biz.BankResult) { r.Status = "DONE" }, biz.ErrInvalidResult},
	} {
		res := recharge
		tc.edit(&res)
		before := *tc.req
		changed, err := tc.req.Complete(res, t0.Add(time.Minute))
		if !errors.Is(err, tc.want) || changed || tc.req.Status != biz.RequestPending || !tc.req.UpdatedAt.Equal(before.UpdatedAt) {
			t.Errorf("%s: changed=%v err=%v status=%s; want %v and no change", tc.name, changed, err, tc.req.Status, tc.want)
		}
	}
	// A mismatch is refused even once the request is complete: it is not a duplicate.
	done := pendingRecharge("500")
	if _, err := done.Complete(recharge, t0); err != nil {
		t.Fatal(err)
	}
	bad := recharge
	bad.Amount = "600.00"
	if _, err := done.Complete(bad, t0); !errors.Is(err, biz.ErrResultMismatch) {
		t.Errorf("mismatch on a completed request: %v", err)
	}
	// Equal amounts in another spelling, and an opening's "0.00", match.
	same := recharge
	same.Amount = "500"
	if _, err := pendingRecharge("500.00").Complete(same, t0); err != nil {
		t.Errorf("500 vs 500.00: %v", err)
	}
	if _, err := pendingOpening().Complete(biz.BankResult{RequestNo: "OA1", Kind: biz.KindOpenAccount, Status: biz.RequestFailed,
		PlatformUserID: "12", Amount: "0.00"}, t0); err != nil {
		t.Errorf("opening with amount 0.00: %v", err)
	}
}

func TestOpenAccountRecordsPendingAndRefusesASecond(t *testing.T) {
	t.Parallel()
	uc, store, bank, _ := newCustodyFixture(activeConsumerWith(alice, biz.CustodyNone, ""))
	ctx := context.Background()
	r, err := uc.OpenAccount(ctx, alice, validOpening())
	if err != nil {
		t.Fatal(err)
	}
	if r.RequestNo != "OA0001" || r.Form.URL != "http://bank/gateway" {
		t.Fatalf("redirect %+v", r)
	}
	req := requestOf(t, store, r.RequestNo)
	if req.Status != biz.RequestPending || req.Kind != biz.KindOpenAccount || req.UserID != alice || req.Amount != nil {
		t.Fatalf("stored %+v", req)
	}
	if c := consumerOf(t, store, alice); c.CustodyStatus != biz.CustodyPending {
		t.Fatalf("custody status %s, want PENDING", c.CustodyStatus)
	}
	if forms := bank.Forms(); len(forms) != 1 || forms[0].Opening.IDNumber != "110101199001011234" || forms[0].Mobile != "13912345678" ||
		forms[0].UserID != alice || forms[0].RequestNo != r.RequestNo {
		t.Fatalf("gateway request %+v", forms)
	}
	if _, err := uc.OpenAccount(ctx, alice, validOpening()); !errors.Is(err, biz.ErrCustodyAlreadyRequested) {
		t.Fatalf("second opening: %v", err)
	}

	// FAILED may try again; OPEN may not; only ACTIVE consumers; invalid input stores nothing.
	uc, store, _, _ = newCustodyFixture(activeConsumerWith(alice, biz.CustodyFailed, ""), activeConsumerWith(bob, biz.CustodyOpen, "BU1"),
		biz.Consumer{ID: 14, Status: biz.StatusPending, CustodyStatus: biz.CustodyNone})
	if _, err := uc.OpenAccount(ctx, alice, validOpening()); err != nil {
		t.Errorf("after FAILED: %v", err)
	}
	if _, err := uc.OpenAccount(ctx, bob, validOpening()); !errors.Is(err, biz.ErrCustodyAlreadyOpen) {
		t.Errorf("OPEN: %v", err)
	}
	for _, id := range []int64{14, 99} {
		if _, err := uc.OpenAccount(ctx, id, validOpening()); !errors.Is(err, biz.ErrNotFound) {
			t.Errorf("consumer %d: %v, want not found", id, err)
		}
	}
	bad := validOpening()
	bad.BankCardNo = "x"
	var ve *biz.ValidationError
	if _, err := uc.OpenAccount(ctx, bob, bad); !errors.As(err, &ve) || ve.Field != "bankCardNo" {
		t.Errorf("invalid: %v", err)
	}
	if store.RequestCount() != 1 {
		t.Errorf("%d requests stored, want only alice's", store.RequestCount())
	}
}

func TestConcurrentOpeningsRecordOne(t *testing.T) {
	t.Parallel()
	uc, store, _, _ := newCustodyFixture(activeConsumerWith(alice, biz.CustodyNone, ""))
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := uc.OpenAccount(context.Background(), alice, validOpening())
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	ok, refused := 0, 0
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, biz.ErrCustodyAlreadyRequested):
			refused++
		default:
			t.Errorf("unexpected %v", err)
		}
	}
	if ok != 1 || refused != 9 || store.RequestCount() != 1 {
		t.Fatalf("%d accepted, %d refused, %d stored; want 1, 9, 1", ok, refused, store.RequestCount())
	}
}

func TestRechargeNeedsAnOpenAccount(t *testing.T) {
	t.Parallel()
	uc, store, bank, _ := newCustodyFixture(activeConsumerWith(alice, biz.CustodyOpen, "BU0000000001"),
		activeConsumerWith(bob, biz.CustodyPending, ""))
	ctx := context.Background()
	if _, err := uc.Recharge(ctx, bob, "500.00"); !errors.Is(err, biz.ErrCustodyNotOpen) {
		t.Fatalf("bob: %v", err)
	}
	var ve *biz.ValidationError
	if _, err := uc.Recharge(ctx, alice, "0"); !errors.As(err, &ve) || ve.Field != "amount" {
		t.Fatalf("zero: %v", err)
	}
	r, err := uc.Recharge(ctx, alice, "500.5")
	if err != nil {
		t.Fatal(err)
	}
	req := requestOf(t, store, r.RequestNo)
	if !strings.HasPrefix(r.RequestNo, "RC") || req.Kind != biz.KindRecharge || req.Amount == nil || req.Amount.String() != "500.50" ||
		req.BankUserNo != "BU0000000001" || req.Status != biz.RequestPending {
		t.Fatalf("stored %+v", req)
	}
	if f := bank.Forms()[0]; f.UserNo != "BU0000000001" || f.Amount.String() != "500.50" || f.Kind != biz.KindRecharge {
		t.Fatalf("gateway request %+v", f)
	}
}

func TestRequestIsTheOwnersOnly(t *testing.T) {
	t.Parallel()
	uc, _, _, _ := newCustodyFixture(activeConsumerWith(alice, biz.CustodyNone, ""))
	ctx := context.Background()
	r, err := uc.OpenAccount(ctx, alice, validOpening())
	if err != nil {
		t.Fatal(err)
	}
	if got, err := uc.Request(ctx, alice, r.RequestNo); err != nil || got.RequestNo != r.RequestNo {
		t.Fatalf("owner: %+v %v", got, err)
	}
	for _, tc := range []struct {
		user int64
		no   string
	}{{bob, r.RequestNo}, {alice, "OA-absent"}} {
		if _, err := uc.Request(ctx, tc.user, tc.no); !errors.Is(err, biz.ErrRequestNotFound) {
			t.Errorf("user %d, %s: %v", tc.user, tc.no, err)
		}
	}
}

func openedAccount(t *testing.T) (*biz.CustodyUsecase, *biztest.Custody, *faults.Registry, string) {
	t.Helper()
	uc, store, _, f := newCustodyFixture(activeConsumerWith(alice, biz.CustodyNone, ""))
	r, err := uc.OpenAccount(context.Background(), alice, validOpening())
	if err != nil {
		t.Fatal(err)
	}
	return uc, store, f, r.RequestNo
}

func TestApplyResultOpensTheAccountExactlyOnce(t *testing.T) {
	t.Parallel()
	uc, store, _, no := openedAccount(t)
	ctx := context.Background()
	res := biz.BankResult{RequestNo: no, Kind: biz.KindOpenAccount, Status: biz.RequestSuccess, UserNo: "BU0000000001", PlatformUserID: "12"}
	a, err := uc.ApplyResult(ctx, res, biz.SourceNotification)
	if err != nil || !a.Changed || a.Request.Status != biz.RequestSuccess {
		t.Fatalf("first: %+v %v", a, err)
	}
	if c := consumerOf(t, store, alice); c.CustodyStatus != biz.CustodyOpen || c.CustodyUserNo != "BU0000000001" {
		t.Fatalf("consumer %+v", c)
	}
	// Duplicates, and a contradicting late FAILED, change nothing.
	for _, r := range []biz.BankResult{res, {RequestNo: no, Kind: biz.KindOpenAccount, Status: biz.RequestFailed, PlatformUserID: "12"}} {
		a, err := uc.ApplyResult(ctx, r, biz.SourceReconciliation)
		if err != nil || a.Changed || a.Request.Status != biz.RequestSuccess {
			t.Fatalf("late %s: %+v %v", r.Status, a, err)
		}
	}
	if c := consumerOf(t, store, alice); c.CustodyStatus != biz.CustodyOpen {
		t.Fatalf("consumer %+v after duplicates", c)
	}
}

func TestApplyResultFailedOpeningLetsTheUserRetry(t *testing.T) {
	t.Parallel()
	uc, store, _, no := openedAccount(t)
	ctx := context.Background()
	a, err := uc.ApplyResult(ctx, biz.BankResult{RequestNo: no, Kind: biz.KindOpenAccount, Status: biz.RequestFailed,
		PlatformUserID: "12", FailureReason: "id number rejected"}, biz.SourceNotification)
	if err != nil || !a.Changed {
		t.Fatalf("%+v %v", a, err)
	}
	if r := requestOf(t, store, no); r.Status != biz.RequestFailed || r.FailureReason != "id number rejected" || r.CompletedAt == nil {
		t.Fatalf("request %+v", r)
	}
	if c := consumerOf(t, store, alice); c.CustodyStatus != biz.CustodyFailed || c.CustodyUserNo != "" {
		t.Fatalf("consumer %+v", c)
	}
	if _, err := uc.OpenAccount(ctx, alice, validOpening()); err != nil {
		t.Fatalf("retry after FAILED: %v", err)
	}
}

func TestApplyResultRefusalsChangeNothing(t *testing.T) {
	t.Parallel()
	uc, store, _, no := openedAccount(t)
	ctx := context.Background()
	for _, tc := range []struct {
		res  biz.BankResult
		want error
	}{
		{biz.BankResult{RequestNo: no, Kind: biz.KindOpenAccount, Status: biz.RequestSuccess, UserNo: "BU1", PlatformUserID: "13"}, biz.ErrResultMismatch},
		{biz.BankResult{RequestNo: no, Kind: biz.KindRecharge, Status: biz.RequestSuccess, UserNo: "BU1", PlatformUserID: "12"}, biz.ErrResultMismatch},
		{biz.BankResult{RequestNo: no, Kind: biz.KindOpenAccount, Status: biz.RequestProcessing, PlatformUserID: "12"}, biz.ErrInvalidResult},
		{biz.BankResult{RequestNo: "OA-unknown", Kind: biz.KindOpenAccount, Status: biz.RequestSuccess, UserNo: "BU1", PlatformUserID: "12"}, biz.ErrRequestNotFound},
	} {
		if _, err := uc.ApplyResult(ctx, tc.res, biz.SourceNotification); !errors.Is(err, tc.want) {
			t.Errorf("%+v: %v, want %v", tc.res, err, tc.want)
		}
	}
	if r := requestOf(t, store, no); r.Status != biz.RequestPending {
		t.Fatalf("request %+v", r)
	}
	if c := consumerOf(t, store, alice); c.CustodyStatus != biz.CustodyPending {
		t.Fatalf("consumer %+v", c)
	}
}

// applyConcurrently applies the bank's result res from times notifications at once and
// counts the applications that changed something (exactly one should).
func applyConcurrently(t *testing.T, uc *biz.CustodyUsecase, res biz.BankResult, times int) int {
	t.Helper()
	var wg sync.WaitGroup
	changed := make(chan bool, times)
	for range times {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := uc.ApplyResult(context.Background(), res, biz.SourceNotification)
			if err != nil {
				t.Error(err)
			}
			changed <- a.Changed
		}()
	}
	wg.Wait()
	close(changed)
	n := 0
	for c := range changed {
		if c {
			n++
		}
	}
	return n
}

func TestApplyResultRechargeRecordedOnce(t *testing.T) {
	t.Parallel()
	uc, store, _, _ := newCustodyFixture(activeConsumerWith(alice, biz.CustodyOpen, "BU0000000001"))
	ctx := context.Background()
	r, err := uc.Recharge(ctx, alice, "500.00")
	if err != nil {
		t.Fatal(err)
	}
	res := biz.BankResult{RequestNo: r.RequestNo, Kind: biz.KindRecharge, Status: biz.RequestSuccess, UserNo: "BU0000000001",
		PlatformUserID: "12", Amount: "500.00"}
	n := applyConcurrently(t, uc, res, 8)
	rs, err := uc.Recharges(ctx, alice)
	if err != nil || n != 1 || len(rs) != 1 || rs[0].Amount.String() != "500.00" || rs[0].RequestNo != r.RequestNo {
		t.Fatalf("%d applications changed it; recharges %+v %v; want exactly one", n, rs, err)
	}
	// A failed recharge records nothing.
	r2, err := uc.Recharge(ctx, alice, "1.00")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := uc.ApplyResult(ctx, biz.BankResult{RequestNo: r2.RequestNo, Kind: biz.KindRecharge, Status: biz.RequestFailed,
		PlatformUserID: "12", Amount: "1.00"}, biz.SourceNotification); err != nil {
		t.Fatal(err)
	}
	if store.RechargeCount() != 1 {
		t.Fatalf("%d recharges after a failed one, want 1", store.RechargeCount())
	}
}

func TestReceiveNotificationRejectedWhileFaultArmed(t *testing.T) {
	t.Parallel()
	uc, store, f, no := openedAccount(t)
	if err := f.Arm(biz.FaultCallbackReject, 2, 0); err != nil {
		t.Fatal(err)
	}
	res := biz.BankResult{RequestNo: no, Kind: biz.KindOpenAccount, Status: biz.RequestSuccess, UserNo: "BU7", PlatformUserID: "12"}
	for i := range 2 {
		if _, err := uc.ReceiveNotification(context.Background(), res); !errors.Is(err, biz.ErrFaultCallbackReject) {
			t.Fatalf("attempt %d: %v, want the fault", i+1, err)
		}
		if r := requestOf(t, store, no); r.Status != biz.RequestPending {
			t.Fatalf("attempt %d changed the request: %+v", i+1, r)
		}
	}
	if a, err := uc.ReceiveNotification(context.Background(), res); err != nil || !a.Changed {
		t.Fatalf("third attempt: %+v %v", a, err)
	}
}

func TestDecideReconciliation(t *testing.T) {
	t.Parallel()
	req := pendingOpening() // created at t0
	abandon := 10 * time.Minute
	for _, tc := range []struct {
		name string
		res  biz.BankResult
		err  error
		at   time.Duration // after creation
		want biz.ReconcileAction
	}{
		{"success", biz.BankResult{Status: biz.RequestSuccess}, nil, 5 * time.Second, biz.ReconcileApply},
		{"failed", biz.BankResult{Status: biz.RequestFailed}, nil, 5 * time.Second, biz.ReconcileApply},
		{"processing", biz.BankResult{Status: biz.RequestProcessing}, nil, time.Hour, biz.ReconcileWait},
		{"unknown status", biz.BankResult{Status: "QUEUED"}, nil, time.Hour, biz.ReconcileWait},
		{"not received, young", biz.BankResult{}, biz.ErrNotReceivedByBank, abandon - time.Second, biz.ReconcileWait},
		{"not received, at the abandon age", biz.BankResult{}, biz.ErrNotReceivedByBank, abandon, biz.ReconcileAbandon},
		{"not received, old", biz.BankResult{}, biz.ErrNotReceivedByBank, time.Hour, biz.ReconcileAbandon},
		{"bank down", biz.BankResult{}, errors.New("connection refused"), time.Hour, biz.ReconcileWait},
	} {
		if got := biz.DecideReconciliation(req, tc.res, tc.err, t0.Add(tc.at), abandon); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestReconcileAppliesWhatTheBankKnows(t *testing.T) {
	t.Parallel()
	uc, store, bank, _ := newCustodyFixture()
	for id := int64(1); id <= 7; id++ {
		store.PutConsumer(activeConsumerWith(id, biz.CustodyPending, ""))
	}
	age := func(d time.Duration) time.Time { return t0.Add(-d) }
	add := func(no string, user int64, created time.Time) {
		store.PutRequest(biz.CustodyRequest{RequestNo: no, UserID: user, Kind: biz.KindOpenAccount, Status: biz.RequestPending,
			CreatedAt: created, UpdatedAt: created})
	}
	add("OA-success", 1, age(time.Minute))
	add("OA-failed", 2, age(time.Minute))
	add("OA-processing", 3, age(time.Minute))
	add("OA-unknown-young", 4, age(time.Minute))
	add("OA-unknown-old", 5, age(11*time.Minute))
	add("OA-too-young", 6, age(time.Second))
	add("OA-bank-error", 7, age(time.Minute))
	bank.SetResult(biz.BankResult{RequestNo: "OA-success", Kind: biz.KindOpenAccount, Status: biz.RequestSuccess, UserNo: "BU0000000005", PlatformUserID: "1"})
	bank.SetResult(biz.BankResult{RequestNo: "OA-failed", Kind: biz.KindOpenAccount, Status: biz.RequestFailed, PlatformUserID: "2", FailureReason: "card refused"})
	bank.SetResult(biz.BankResult{RequestNo: "OA-processing", Kind: biz.KindOpenAccount, Status: biz.RequestProcessing, PlatformUserID: "3"})
	bank.SetQueryError("OA-bank-error", errors.New("HTTP 502"))

	sum, err := uc.Reconcile(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The batch size is 2, so this also pages.
	if sum != (biz.ReconcileSummary{Checked: 6, Completed: 2, Abandoned: 1, Errors: 1}) {
		t.Errorf("summary %+v", sum)
	}
	for no, want := range map[string]biz.RequestStatus{"OA-success": biz.RequestSuccess, "OA-failed": biz.RequestFailed,
		"OA-processing": biz.RequestPending, "OA-unknown-young": biz.RequestPending, "OA-unknown-old": biz.RequestFailed,
		"OA-too-young": biz.RequestPending, "OA-bank-error": biz.RequestPending} {
		if got := requestOf(t, store, no).Status; got != want {
			t.Errorf("%s: %s, want %s", no, got, want)
		}
	}
	if r := requestOf(t, store, "OA-unknown-old"); r.FailureReason != biz.ReasonNotReceived {
		t.Errorf("abandoned reason %q", r.FailureReason)
	}
	for id, want := range map[int64]biz.CustodyStatus{1: biz.CustodyOpen, 2: biz.CustodyFailed, 3: biz.CustodyPending, 5: biz.CustodyFailed} {
		if got := consumerOf(t, store, id).CustodyStatus; got != want {
			t.Errorf("consumer %d: %s, want %s", id, got, want)
		}
	}
	for _, no := range bank.Queried() {
		if no == "OA-too-young" {
			t.Error("asked the bank about a request younger than the minimum age")
		}
	}
	// A second round asks only about what is still pending and changes nothing more.
	bank.ForgetQueries()
	sum, err = uc.Reconcile(context.Background())
	if err != nil || sum.Completed+sum.Abandoned != 0 || len(bank.Queried()) != 3 {
		t.Errorf("second round: %+v %v, queried %v", sum, err, bank.Queried())
	}
}

func consumerOf(t *testing.T, s *biztest.Custody, id int64) biz.Consumer {
	t.Helper()
	return s.ConsumerNow(id)
}

func requestOf(t *testing.T, s *biztest.Custody, no string) biz.CustodyRequest {
	t.Helper()
	r, ok := s.RequestNow(no)
	if !ok {
		t.Fatalf("request %s not stored", no)
	}
	return r
}

// The fake keeps the contract the ent adapters keep (internal/data's
// TestCustodyStoreKeepsTheContract runs it against MariaDB).
func TestFakeCustodyKeepsTheContract(t *testing.T) {
	t.Parallel()
	var next atomic.Int64
	biztest.CustodyStoreContract(t, func(*testing.T) biztest.CustodyStore {
		s := biztest.NewCustody()
		return biztest.CustodyStore{Tx: s, Repo: s, Consumers: s, NewConsumer: func(*testing.T) int64 {
			id := next.Add(1)
			s.PutConsumer(activeConsumerWith(id, biz.CustodyNone, ""))
			return id
		}}
	})
}
