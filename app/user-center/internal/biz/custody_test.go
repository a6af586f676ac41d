package biz

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// custodyStore is an in-memory Transaction, CustodyRepo and ConsumerRepo. A transaction
// holds the store's lock from start to end (as row locks would, for these tests) and
// restores the previous state when fn fails, so "nothing changed" can be checked.
type custodyStore struct {
	mu        sync.Mutex
	consumers map[int64]Consumer
	requests  map[string]CustodyRequest
	recharges []Recharge
}

type inTxKey struct{}

func newCustodyStore(cs ...Consumer) *custodyStore {
	s := &custodyStore{consumers: map[int64]Consumer{}, requests: map[string]CustodyRequest{}}
	for _, c := range cs {
		s.consumers[c.ID] = c
	}
	return s
}

func (s *custodyStore) InTx(ctx context.Context, fn func(context.Context) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	consumers := make(map[int64]Consumer, len(s.consumers))
	for k, v := range s.consumers {
		consumers[k] = v
	}
	requests := make(map[string]CustodyRequest, len(s.requests))
	for k, v := range s.requests {
		requests[k] = v
	}
	recharges := append([]Recharge(nil), s.recharges...)
	if err := fn(context.WithValue(ctx, inTxKey{}, true)); err != nil {
		s.consumers, s.requests, s.recharges = consumers, requests, recharges
		return err
	}
	return nil
}

// locked runs f under the store's lock unless ctx is inside InTx, which holds it.
func (s *custodyStore) locked(ctx context.Context, f func()) {
	if ctx.Value(inTxKey{}) == nil {
		s.mu.Lock()
		defer s.mu.Unlock()
	}
	f()
}

func (s *custodyStore) Get(ctx context.Context, id int64) (c *Consumer, err error) {
	s.locked(ctx, func() {
		v, ok := s.consumers[id]
		if !ok {
			err = ErrNotFound
			return
		}
		c = &v
	})
	return c, err
}

func (s *custodyStore) LockConsumer(ctx context.Context, id int64) (*Consumer, error) {
	if ctx.Value(inTxKey{}) == nil {
		return nil, errors.New("LockConsumer outside a transaction")
	}
	return s.Get(ctx, id)
}

func (s *custodyStore) SetCustody(ctx context.Context, id int64, status CustodyStatus, userNo string) (err error) {
	s.locked(ctx, func() {
		c, ok := s.consumers[id]
		if !ok {
			err = ErrNotFound
			return
		}
		c.CustodyStatus = status
		if userNo != "" {
			c.CustodyUserNo = userNo
		}
		s.consumers[id] = c
	})
	return err
}

func (s *custodyStore) CreateRequest(ctx context.Context, r *CustodyRequest) (err error) {
	s.locked(ctx, func() {
		if _, ok := s.requests[r.RequestNo]; ok {
			err = errors.New("duplicate request_no")
			return
		}
		s.requests[r.RequestNo] = *r
	})
	return err
}

func (s *custodyStore) Request(ctx context.Context, no string) (r *CustodyRequest, err error) {
	s.locked(ctx, func() {
		v, ok := s.requests[no]
		if !ok {
			err = ErrNotFound
			return
		}
		r = &v
	})
	return r, err
}

func (s *custodyStore) LockRequest(ctx context.Context, no string) (*CustodyRequest, error) {
	if ctx.Value(inTxKey{}) == nil {
		return nil, errors.New("LockRequest outside a transaction")
	}
	return s.Request(ctx, no)
}

func (s *custodyStore) SaveCompletion(ctx context.Context, r *CustodyRequest) (err error) {
	s.locked(ctx, func() {
		if s.requests[r.RequestNo].Status != RequestPending {
			err = fmt.Errorf("%s is no longer PENDING", r.RequestNo)
			return
		}
		s.requests[r.RequestNo] = *r
	})
	return err
}

func (s *custodyStore) CreateRecharge(ctx context.Context, rc Recharge) (err error) {
	s.locked(ctx, func() {
		for _, x := range s.recharges {
			if x.RequestNo == rc.RequestNo {
				err = errors.New("duplicate recharge request_no")
				return
			}
		}
		s.recharges = append(s.recharges, rc)
	})
	return err
}

func (s *custodyStore) Recharges(ctx context.Context, userID int64) (out []Recharge, err error) {
	s.locked(ctx, func() {
		for _, r := range s.recharges {
			if r.UserID == userID {
				out = append(out, r)
			}
		}
	})
	return out, nil
}

func (s *custodyStore) PendingRequests(ctx context.Context, before time.Time, after *PageKey, limit int) (out []*CustodyRequest, err error) {
	s.locked(ctx, func() {
		for _, r := range s.requests {
			if r.Status != RequestPending || !r.CreatedAt.Before(before) {
				continue
			}
			if after != nil && (r.CreatedAt.Before(after.CreatedAt) ||
				r.CreatedAt.Equal(after.CreatedAt) && r.RequestNo <= after.RequestNo) {
				continue
			}
			r := r
			out = append(out, &r)
		}
	})
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].RequestNo < out[j].RequestNo
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (s *custodyStore) consumer(t *testing.T, id int64) Consumer {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.consumers[id]
}

func (s *custodyStore) request(t *testing.T, no string) CustodyRequest {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.requests[no]
	if !ok {
		t.Fatalf("request %s not stored", no)
	}
	return r
}

func (s *custodyStore) rechargeCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.recharges)
}

// fakeBank signs nothing; it records the forms asked for and answers queries from a table.
type fakeBank struct {
	mu      sync.Mutex
	forms   []GatewayRequest
	answers map[string]BankResult
	errs    map[string]error
	queried []string
}

func (b *fakeBank) GatewayForm(req GatewayRequest) (*GatewayForm, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.forms = append(b.forms, req)
	return &GatewayForm{URL: "http://bank/gateway", Method: "POST", Fields: map[string]string{"serviceName": req.Kind}}, nil
}

func (b *fakeBank) QueryResult(_ context.Context, no string) (BankResult, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.queried = append(b.queried, no)
	if err, ok := b.errs[no]; ok {
		return BankResult{}, err
	}
	if r, ok := b.answers[no]; ok {
		return r, nil
	}
	return BankResult{}, ErrNotReceivedByBank
}

var t0 = time.Date(2026, 11, 21, 11, 0, 0, 0, time.UTC)

const (
	alice = int64(12)
	bob   = int64(13)
)

func newCustodyFixture(cs ...Consumer) (*CustodyUsecase, *custodyStore, *fakeBank, *faults.Registry) {
	store := newCustodyStore(cs...)
	bank := &fakeBank{answers: map[string]BankResult{}, errs: map[string]error{}}
	f := faults.New(FaultCallbackReject)
	uc := NewCustodyUsecase(store, store, store, bank,
		CustodySettings{MinAge: 3 * time.Second, AbandonAfter: 10 * time.Minute, BatchSize: 2}, f, log.NewStdLogger(io.Discard))
	uc.now = func() time.Time { return t0 }
	n := 0
	uc.newNo = func(prefix string, _ time.Time) string { n++; return fmt.Sprintf("%s%04d", prefix, n) }
	return uc, store, bank, f
}

func activeConsumerWith(id int64, custody CustodyStatus, userNo string) Consumer {
	return Consumer{ID: id, Username: fmt.Sprintf("user%d", id), Mobile: "13912345678", Role: "INVESTOR",
		Status: StatusActive, CustodyStatus: custody, CustodyUserNo: userNo}
}

func validOpening() AccountOpening {
	return AccountOpening{RealName: "Alice Zhang", IDNumber: "110101199001011234", BankCardNo: "6222020000000000"}
}

func TestAccountOpeningValidateNamesTheField(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		field string
		edit  func(*AccountOpening)
	}{
		{"realName", func(a *AccountOpening) { a.RealName = "A" }},
		{"realName", func(a *AccountOpening) { a.RealName = "   " }},
		{"realName", func(a *AccountOpening) { a.RealName = strings.Repeat("x", 33) }},
		{"realName", func(a *AccountOpening) { a.RealName = "Al\nice" }},
		{"idNumber", func(a *AccountOpening) { a.IDNumber = "11010119900101123" }},
		{"idNumber", func(a *AccountOpening) { a.IDNumber = "1101011990010112345" }},
		{"idNumber", func(a *AccountOpening) { a.IDNumber = "11010119900101123Y" }},
		{"idNumber", func(a *AccountOpening) { a.IDNumber = "X10101199001011234" }},
		{"bankCardNo", func(a *AccountOpening) { a.BankCardNo = "12345678901" }},
		{"bankCardNo", func(a *AccountOpening) { a.BankCardNo = "12345678901234567890" }},
		{"bankCardNo", func(a *AccountOpening) { a.BankCardNo = "6222-0200-0000-0000" }},
	} {
		a := validOpening()
		tc.edit(&a)
		var ve *ValidationError
		if err := a.Validate(); !errors.As(err, &ve) || ve.Field != tc.field {
			t.Errorf("%+v: err = %v, want a %s error", a, err, tc.field)
		}
	}
	for _, ok := range []AccountOpening{
		validOpening(),
		{RealName: "张三", IDNumber: "11010119900101123x", BankCardNo: "622202000000"},
		{RealName: strings.Repeat("李", 32), IDNumber: "11010119900101123X", BankCardNo: "6222020000000000123"},
	} {
		if err := ok.Validate(); err != nil {
			t.Errorf("%+v: %v", ok, err)
		}
	}
	a := AccountOpening{RealName: " Alice ", IDNumber: "11010119900101123x", BankCardNo: "622202000000"}
	if err := a.Validate(); err != nil || a.RealName != "Alice" || a.IDNumber != "11010119900101123X" {
		t.Errorf("normalised to %+v, %v; want the name trimmed and X upper-case", a, err)
	}
}

func TestParseRechargeAmount(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"0.01": "0.01", "500": "500.00", "500.5": "500.50", "1000000.00": "1000000.00"} {
		a, err := ParseRechargeAmount(in)
		if err != nil || a.String() != want {
			t.Errorf("%q: %s, %v; want %s", in, a, err, want)
		}
	}
	for _, in := range []string{"", "0", "0.00", "-5", "1.234", "abc", "1e3", "1000000.01", "99999999999"} {
		var ve *ValidationError
		if _, err := ParseRechargeAmount(in); !errors.As(err, &ve) || ve.Field != "amount" {
			t.Errorf("%q: err = %v, want an amount error", in, err)
		}
	}
}

func pendingOpening() *CustodyRequest {
	return &CustodyRequest{RequestNo: "OA1", UserID: alice, Kind: KindOpenAccount, Status: RequestPending, CreatedAt: t0, UpdatedAt: t0}
}

func pendingRecharge(amount string) *CustodyRequest {
	a := money.MustParseAmount(amount)
	return &CustodyRequest{RequestNo: "RC1", UserID: alice, Kind: KindRecharge, Status: RequestPending,
		Amount: &a, BankUserNo: "BU0000000001", CreatedAt: t0, UpdatedAt: t0}
}

func TestCompleteMovesPendingOnceOnly(t *testing.T) {
	t.Parallel()
	later := t0.Add(time.Minute)
	r := pendingOpening()
	ok := BankResult{RequestNo: "OA1", Kind: KindOpenAccount, Status: RequestSuccess, UserNo: "BU0000000001", PlatformUserID: "12"}
	changed, err := r.Complete(ok, later)
	if err != nil || !changed || r.Status != RequestSuccess || r.BankUserNo != "BU0000000001" ||
		!r.UpdatedAt.Equal(later) || r.CompletedAt == nil || !r.CompletedAt.Equal(later) {
		t.Fatalf("first result: changed=%v err=%v request=%+v", changed, err, r)
	}
	// The same result again, and a contradicting one: nothing changes.
	for _, res := range []BankResult{ok, {RequestNo: "OA1", Kind: KindOpenAccount, Status: RequestFailed, PlatformUserID: "12"}} {
		before := *r
		changed, err := r.Complete(res, later.Add(time.Hour))
		if err != nil || changed || r.Status != before.Status || !r.UpdatedAt.Equal(before.UpdatedAt) {
			t.Fatalf("late %s: changed=%v err=%v request=%+v", res.Status, changed, err, r)
		}
	}

	f := pendingRecharge("500.00")
	changed, err = f.Complete(BankResult{RequestNo: "RC1", Kind: KindRecharge, Status: RequestFailed,
		PlatformUserID: "12", Amount: "500.00"}, later)
	if err != nil || !changed || f.Status != RequestFailed || f.FailureReason != "failed at the bank" {
		t.Fatalf("failure without a reason: changed=%v err=%v request=%+v", changed, err, f)
	}
	long := pendingRecharge("1.00")
	if _, err := long.Complete(BankResult{RequestNo: "RC1", Kind: KindRecharge, Status: RequestFailed, PlatformUserID: "12",
		Amount: "1", FailureReason: strings.Repeat("é", 200)}, later); err != nil || len(long.FailureReason) > 255 {
		t.Fatalf("long reason: %v, %d bytes", err, len(long.FailureReason))
	}
}

func TestCompleteRefusesResultsThatDoNotMatch(t *testing.T) {
	t.Parallel()
	recharge := BankResult{RequestNo: "RC1", Kind: KindRecharge, Status: RequestSuccess, UserNo: "BU0000000001",
		PlatformUserID: "12", Amount: "500.00"}
	for _, tc := range []struct {
		name string
		req  *CustodyRequest
		edit func(*BankResult)
		want error
	}{
		{"other user", pendingRecharge("500"), func(r *BankResult) { r.PlatformUserID = "13" }, ErrResultMismatch},
		{"no user", pendingRecharge("500"), func(r *BankResult) { r.PlatformUserID = "" }, ErrResultMismatch},
		{"other kind", pendingRecharge("500"), func(r *BankResult) { r.Kind = KindOpenAccount }, ErrResultMismatch},
		{"other amount", pendingRecharge("500"), func(r *BankResult) { r.Amount = "500.01" }, ErrResultMismatch},
		{"no amount", pendingRecharge("500"), func(r *BankResult) { r.Amount = "" }, ErrResultMismatch},
		{"bad amount", pendingRecharge("500"), func(r *BankResult) { r.Amount = "5e2" }, ErrResultMismatch},
		{"other account", pendingRecharge("500"), func(r *BankResult) { r.UserNo = "BU0000000002" }, ErrResultMismatch},
		{"other request", pendingRecharge("500"), func(r *BankResult) { r.RequestNo = "RC2" }, ErrResultMismatch},
		{"amount on an opening", pendingOpening(), func(r *BankResult) {
			*r = BankResult{RequestNo: "OA1", Kind: KindOpenAccount, Status: RequestSuccess, UserNo: "BU1", PlatformUserID: "12", Amount: "1.00"}
		}, ErrResultMismatch},
		{"opened without userNo", pendingOpening(), func(r *BankResult) {
			*r = BankResult{RequestNo: "OA1", Kind: KindOpenAccount, Status: RequestSuccess, PlatformUserID: "12"}
		}, ErrInvalidResult},
		{"not final", pendingRecharge("500"), func(r *BankResult) { r.Status = RequestProcessing }, ErrInvalidResult},
		{"unknown status", pendingRecharge("500"), func(r *BankResult) { r.Status = "DONE" }, ErrInvalidResult},
	} {
		res := recharge
		tc.edit(&res)
		before := *tc.req
		changed, err := tc.req.Complete(res, t0.Add(time.Minute))
		if !errors.Is(err, tc.want) || changed || tc.req.Status != RequestPending || !tc.req.UpdatedAt.Equal(before.UpdatedAt) {
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
	if _, err := done.Complete(bad, t0); !errors.Is(err, ErrResultMismatch) {
		t.Errorf("mismatch on a completed request: %v", err)
	}
	// Equal amounts in another spelling, and an opening's "0.00", match.
	same := recharge
	same.Amount = "500"
	if _, err := pendingRecharge("500.00").Complete(same, t0); err != nil {
		t.Errorf("500 vs 500.00: %v", err)
	}
	if _, err := pendingOpening().Complete(BankResult{RequestNo: "OA1", Kind: KindOpenAccount, Status: RequestFailed,
		PlatformUserID: "12", Amount: "0.00"}, t0); err != nil {
		t.Errorf("opening with amount 0.00: %v", err)
	}
}

func TestOpenAccountRecordsPendingAndRefusesASecond(t *testing.T) {
	t.Parallel()
	uc, store, bank, _ := newCustodyFixture(activeConsumerWith(alice, CustodyNone, ""))
	ctx := context.Background()
	r, err := uc.OpenAccount(ctx, alice, validOpening())
	if err != nil {
		t.Fatal(err)
	}
	if r.RequestNo != "OA0001" || r.Form.URL != "http://bank/gateway" {
		t.Fatalf("redirect %+v", r)
	}
	req := store.request(t, r.RequestNo)
	if req.Status != RequestPending || req.Kind != KindOpenAccount || req.UserID != alice || req.Amount != nil {
		t.Fatalf("stored %+v", req)
	}
	if c := store.consumer(t, alice); c.CustodyStatus != CustodyPending {
		t.Fatalf("custody status %s, want PENDING", c.CustodyStatus)
	}
	if len(bank.forms) != 1 || bank.forms[0].Opening.IDNumber != "110101199001011234" || bank.forms[0].Mobile != "13912345678" ||
		bank.forms[0].UserID != alice || bank.forms[0].RequestNo != r.RequestNo {
		t.Fatalf("gateway request %+v", bank.forms)
	}
	if _, err := uc.OpenAccount(ctx, alice, validOpening()); !errors.Is(err, ErrCustodyAlreadyRequested) {
		t.Fatalf("second opening: %v", err)
	}

	// FAILED may try again; OPEN may not; only ACTIVE consumers; invalid input stores nothing.
	uc, store, _, _ = newCustodyFixture(activeConsumerWith(alice, CustodyFailed, ""), activeConsumerWith(bob, CustodyOpen, "BU1"),
		Consumer{ID: 14, Status: StatusPending, CustodyStatus: CustodyNone})
	if _, err := uc.OpenAccount(ctx, alice, validOpening()); err != nil {
		t.Errorf("after FAILED: %v", err)
	}
	if _, err := uc.OpenAccount(ctx, bob, validOpening()); !errors.Is(err, ErrCustodyAlreadyOpen) {
		t.Errorf("OPEN: %v", err)
	}
	for _, id := range []int64{14, 99} {
		if _, err := uc.OpenAccount(ctx, id, validOpening()); !errors.Is(err, ErrNotFound) {
			t.Errorf("consumer %d: %v, want not found", id, err)
		}
	}
	bad := validOpening()
	bad.BankCardNo = "x"
	var ve *ValidationError
	if _, err := uc.OpenAccount(ctx, bob, bad); !errors.As(err, &ve) || ve.Field != "bankCardNo" {
		t.Errorf("invalid: %v", err)
	}
	if len(store.requests) != 1 {
		t.Errorf("%d requests stored, want only alice's", len(store.requests))
	}
}

func TestConcurrentOpeningsRecordOne(t *testing.T) {
	t.Parallel()
	uc, store, _, _ := newCustodyFixture(activeConsumerWith(alice, CustodyNone, ""))
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
		case errors.Is(err, ErrCustodyAlreadyRequested):
			refused++
		default:
			t.Errorf("unexpected %v", err)
		}
	}
	if ok != 1 || refused != 9 || len(store.requests) != 1 {
		t.Fatalf("%d accepted, %d refused, %d stored; want 1, 9, 1", ok, refused, len(store.requests))
	}
}

func TestRechargeNeedsAnOpenAccount(t *testing.T) {
	t.Parallel()
	uc, store, bank, _ := newCustodyFixture(activeConsumerWith(alice, CustodyOpen, "BU0000000001"),
		activeConsumerWith(bob, CustodyPending, ""))
	ctx := context.Background()
	if _, err := uc.Recharge(ctx, bob, "500.00"); !errors.Is(err, ErrCustodyNotOpen) {
		t.Fatalf("bob: %v", err)
	}
	var ve *ValidationError
	if _, err := uc.Recharge(ctx, alice, "0"); !errors.As(err, &ve) || ve.Field != "amount" {
		t.Fatalf("zero: %v", err)
	}
	r, err := uc.Recharge(ctx, alice, "500.5")
	if err != nil {
		t.Fatal(err)
	}
	req := store.request(t, r.RequestNo)
	if !strings.HasPrefix(r.RequestNo, "RC") || req.Kind != KindRecharge || req.Amount == nil || req.Amount.String() != "500.50" ||
		req.BankUserNo != "BU0000000001" || req.Status != RequestPending {
		t.Fatalf("stored %+v", req)
	}
	if f := bank.forms[0]; f.UserNo != "BU0000000001" || f.Amount.String() != "500.50" || f.Kind != KindRecharge {
		t.Fatalf("gateway request %+v", f)
	}
}

func TestRequestIsTheOwnersOnly(t *testing.T) {
	t.Parallel()
	uc, _, _, _ := newCustodyFixture(activeConsumerWith(alice, CustodyNone, ""))
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
		if _, err := uc.Request(ctx, tc.user, tc.no); !errors.Is(err, ErrRequestNotFound) {
			t.Errorf("user %d, %s: %v", tc.user, tc.no, err)
		}
	}
}

func openedAccount(t *testing.T) (*CustodyUsecase, *custodyStore, *faults.Registry, string) {
	t.Helper()
	uc, store, _, f := newCustodyFixture(activeConsumerWith(alice, CustodyNone, ""))
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
	res := BankResult{RequestNo: no, Kind: KindOpenAccount, Status: RequestSuccess, UserNo: "BU0000000001", PlatformUserID: "12"}
	a, err := uc.ApplyResult(ctx, res, SourceNotification)
	if err != nil || !a.Changed || a.Request.Status != RequestSuccess {
		t.Fatalf("first: %+v %v", a, err)
	}
	if c := store.consumer(t, alice); c.CustodyStatus != CustodyOpen || c.CustodyUserNo != "BU0000000001" {
		t.Fatalf("consumer %+v", c)
	}
	// Duplicates, and a contradicting late FAILED, change nothing.
	for _, r := range []BankResult{res, {RequestNo: no, Kind: KindOpenAccount, Status: RequestFailed, PlatformUserID: "12"}} {
		a, err := uc.ApplyResult(ctx, r, SourceReconciliation)
		if err != nil || a.Changed || a.Request.Status != RequestSuccess {
			t.Fatalf("late %s: %+v %v", r.Status, a, err)
		}
	}
	if c := store.consumer(t, alice); c.CustodyStatus != CustodyOpen {
		t.Fatalf("consumer %+v after duplicates", c)
	}
}

func TestApplyResultFailedOpeningLetsTheUserRetry(t *testing.T) {
	t.Parallel()
	uc, store, _, no := openedAccount(t)
	ctx := context.Background()
	a, err := uc.ApplyResult(ctx, BankResult{RequestNo: no, Kind: KindOpenAccount, Status: RequestFailed,
		PlatformUserID: "12", FailureReason: "id number rejected"}, SourceNotification)
	if err != nil || !a.Changed {
		t.Fatalf("%+v %v", a, err)
	}
	if r := store.request(t, no); r.Status != RequestFailed || r.FailureReason != "id number rejected" || r.CompletedAt == nil {
		t.Fatalf("request %+v", r)
	}
	if c := store.consumer(t, alice); c.CustodyStatus != CustodyFailed || c.CustodyUserNo != "" {
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
		res  BankResult
		want error
	}{
		{BankResult{RequestNo: no, Kind: KindOpenAccount, Status: RequestSuccess, UserNo: "BU1", PlatformUserID: "13"}, ErrResultMismatch},
		{BankResult{RequestNo: no, Kind: KindRecharge, Status: RequestSuccess, UserNo: "BU1", PlatformUserID: "12"}, ErrResultMismatch},
		{BankResult{RequestNo: no, Kind: KindOpenAccount, Status: RequestProcessing, PlatformUserID: "12"}, ErrInvalidResult},
		{BankResult{RequestNo: "OA-unknown", Kind: KindOpenAccount, Status: RequestSuccess, UserNo: "BU1", PlatformUserID: "12"}, ErrRequestNotFound},
	} {
		if _, err := uc.ApplyResult(ctx, tc.res, SourceNotification); !errors.Is(err, tc.want) {
			t.Errorf("%+v: %v, want %v", tc.res, err, tc.want)
		}
	}
	if r := store.request(t, no); r.Status != RequestPending {
		t.Fatalf("request %+v", r)
	}
	if c := store.consumer(t, alice); c.CustodyStatus != CustodyPending {
		t.Fatalf("consumer %+v", c)
	}
}

func TestApplyResultRechargeRecordedOnce(t *testing.T) {
	t.Parallel()
	uc, store, _, _ := newCustodyFixture(activeConsumerWith(alice, CustodyOpen, "BU0000000001"))
	ctx := context.Background()
	r, err := uc.Recharge(ctx, alice, "500.00")
	if err != nil {
		t.Fatal(err)
	}
	res := BankResult{RequestNo: r.RequestNo, Kind: KindRecharge, Status: RequestSuccess, UserNo: "BU0000000001",
		PlatformUserID: "12", Amount: "500.00"}
	var wg sync.WaitGroup
	changed := make(chan bool, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := uc.ApplyResult(ctx, res, SourceNotification)
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
	rs, err := uc.Recharges(ctx, alice)
	if err != nil || n != 1 || len(rs) != 1 || rs[0].Amount.String() != "500.00" || rs[0].RequestNo != r.RequestNo {
		t.Fatalf("%d applications changed it; recharges %+v %v; want exactly one", n, rs, err)
	}
	// A failed recharge records nothing.
	r2, err := uc.Recharge(ctx, alice, "1.00")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := uc.ApplyResult(ctx, BankResult{RequestNo: r2.RequestNo, Kind: KindRecharge, Status: RequestFailed,
		PlatformUserID: "12", Amount: "1.00"}, SourceNotification); err != nil {
		t.Fatal(err)
	}
	if store.rechargeCount() != 1 {
		t.Fatalf("%d recharges after a failed one, want 1", store.rechargeCount())
	}
}

func TestReceiveNotificationRejectedWhileFaultArmed(t *testing.T) {
	t.Parallel()
	uc, store, f, no := openedAccount(t)
	if err := f.Arm(FaultCallbackReject, 2, 0); err != nil {
		t.Fatal(err)
	}
	res := BankResult{RequestNo: no, Kind: KindOpenAccount, Status: RequestSuccess, UserNo: "BU7", PlatformUserID: "12"}
	for i := range 2 {
		if _, err := uc.ReceiveNotification(context.Background(), res); !errors.Is(err, ErrFaultCallbackReject) {
			t.Fatalf("attempt %d: %v, want the fault", i+1, err)
		}
		if r := store.request(t, no); r.Status != RequestPending {
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
		res  BankResult
		err  error
		at   time.Duration // after creation
		want ReconcileAction
	}{
		{"success", BankResult{Status: RequestSuccess}, nil, 5 * time.Second, ReconcileApply},
		{"failed", BankResult{Status: RequestFailed}, nil, 5 * time.Second, ReconcileApply},
		{"processing", BankResult{Status: RequestProcessing}, nil, time.Hour, ReconcileWait},
		{"unknown status", BankResult{Status: "QUEUED"}, nil, time.Hour, ReconcileWait},
		{"not received, young", BankResult{}, ErrNotReceivedByBank, abandon - time.Second, ReconcileWait},
		{"not received, at the abandon age", BankResult{}, ErrNotReceivedByBank, abandon, ReconcileAbandon},
		{"not received, old", BankResult{}, ErrNotReceivedByBank, time.Hour, ReconcileAbandon},
		{"bank down", BankResult{}, errors.New("connection refused"), time.Hour, ReconcileWait},
	} {
		if got := DecideReconciliation(req, tc.res, tc.err, t0.Add(tc.at), abandon); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestReconcileAppliesWhatTheBankKnows(t *testing.T) {
	t.Parallel()
	uc, store, bank, _ := newCustodyFixture()
	for id := int64(1); id <= 7; id++ {
		store.consumers[id] = activeConsumerWith(id, CustodyPending, "")
	}
	age := func(d time.Duration) time.Time { return t0.Add(-d) }
	add := func(no string, user int64, created time.Time) {
		store.requests[no] = CustodyRequest{RequestNo: no, UserID: user, Kind: KindOpenAccount, Status: RequestPending,
			CreatedAt: created, UpdatedAt: created}
	}
	add("OA-success", 1, age(time.Minute))
	add("OA-failed", 2, age(time.Minute))
	add("OA-processing", 3, age(time.Minute))
	add("OA-unknown-young", 4, age(time.Minute))
	add("OA-unknown-old", 5, age(11*time.Minute))
	add("OA-too-young", 6, age(time.Second))
	add("OA-bank-error", 7, age(time.Minute))
	bank.answers["OA-success"] = BankResult{RequestNo: "OA-success", Kind: KindOpenAccount, Status: RequestSuccess, UserNo: "BU0000000005", PlatformUserID: "1"}
	bank.answers["OA-failed"] = BankResult{RequestNo: "OA-failed", Kind: KindOpenAccount, Status: RequestFailed, PlatformUserID: "2", FailureReason: "card refused"}
	bank.answers["OA-processing"] = BankResult{RequestNo: "OA-processing", Kind: KindOpenAccount, Status: RequestProcessing, PlatformUserID: "3"}
	bank.errs["OA-bank-error"] = errors.New("HTTP 502")

	sum, err := uc.Reconcile(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The batch size is 2, so this also pages.
	if sum != (ReconcileSummary{Checked: 6, Completed: 2, Abandoned: 1, Errors: 1}) {
		t.Errorf("summary %+v", sum)
	}
	for no, want := range map[string]RequestStatus{"OA-success": RequestSuccess, "OA-failed": RequestFailed,
		"OA-processing": RequestPending, "OA-unknown-young": RequestPending, "OA-unknown-old": RequestFailed,
		"OA-too-young": RequestPending, "OA-bank-error": RequestPending} {
		if got := store.request(t, no).Status; got != want {
			t.Errorf("%s: %s, want %s", no, got, want)
		}
	}
	if r := store.request(t, "OA-unknown-old"); r.FailureReason != ReasonNotReceived {
		t.Errorf("abandoned reason %q", r.FailureReason)
	}
	for id, want := range map[int64]CustodyStatus{1: CustodyOpen, 2: CustodyFailed, 3: CustodyPending, 5: CustodyFailed} {
		if got := store.consumer(t, id).CustodyStatus; got != want {
			t.Errorf("consumer %d: %s, want %s", id, got, want)
		}
	}
	for _, no := range bank.queried {
		if no == "OA-too-young" {
			t.Error("asked the bank about a request younger than the minimum age")
		}
	}
	// A second round asks only about what is still pending and changes nothing more.
	bank.queried = nil
	sum, err = uc.Reconcile(context.Background())
	if err != nil || sum.Completed+sum.Abandoned != 0 || len(bank.queried) != 3 {
		t.Errorf("second round: %+v %v, queried %v", sum, err, bank.queried)
	}
}

func TestRequestNumbersAreUniqueAndShort(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 1000 {
		no := newRequestNo(prefixRecharge, t0)
		if seen[no] || len(no) > 64 || !strings.HasPrefix(no, "RC20261121110000") {
			t.Fatalf("%q (seen before: %v)", no, seen[no])
		}
		seen[no] = true
	}
}
