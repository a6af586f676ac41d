package service

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
)

// memStore is a minimal in-memory store for the callback's use case: one consumer and its
// requests. Transactions are serialised and roll back on error.
type memStore struct {
	mu        sync.Mutex
	consumer  biz.Consumer
	requests  map[string]biz.CustodyRequest
	recharges []biz.Recharge
}

func (s *memStore) InTx(ctx context.Context, fn func(context.Context) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, reqs, rcs := s.consumer, make(map[string]biz.CustodyRequest, len(s.requests)), append([]biz.Recharge(nil), s.recharges...)
	for k, v := range s.requests {
		reqs[k] = v
	}
	if err := fn(ctx); err != nil {
		s.consumer, s.requests, s.recharges = c, reqs, rcs
		return err
	}
	return nil
}

func (s *memStore) Get(_ context.Context, id int64) (*biz.Consumer, error) {
	if id != s.consumer.ID {
		return nil, biz.ErrNotFound
	}
	c := s.consumer
	return &c, nil
}
func (s *memStore) LockConsumer(ctx context.Context, id int64) (*biz.Consumer, error) {
	return s.Get(ctx, id)
}
func (s *memStore) SetCustody(_ context.Context, _ int64, status biz.CustodyStatus, userNo string) error {
	s.consumer.CustodyStatus = status
	if userNo != "" {
		s.consumer.CustodyUserNo = userNo
	}
	return nil
}
func (s *memStore) CreateRequest(_ context.Context, r *biz.CustodyRequest) error {
	s.requests[r.RequestNo] = *r
	return nil
}
func (s *memStore) Request(_ context.Context, no string) (*biz.CustodyRequest, error) {
	r, ok := s.requests[no]
	if !ok {
		return nil, biz.ErrNotFound
	}
	return &r, nil
}
func (s *memStore) LockRequest(ctx context.Context, no string) (*biz.CustodyRequest, error) {
	return s.Request(ctx, no)
}
func (s *memStore) SaveCompletion(_ context.Context, r *biz.CustodyRequest) error {
	s.requests[r.RequestNo] = *r
	return nil
}
func (s *memStore) CreateRecharge(_ context.Context, r biz.Recharge) error {
	s.recharges = append(s.recharges, r)
	return nil
}
func (s *memStore) Recharges(context.Context, int64) ([]biz.Recharge, error) { return s.recharges, nil }
func (s *memStore) PendingRequests(context.Context, time.Time, *biz.PageKey, int) ([]*biz.CustodyRequest, error) {
	return nil, nil
}

func (s *memStore) snapshot() (biz.Consumer, biz.CustodyRequest, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.consumer, s.requests["OA1"], len(s.recharges)
}

type noBank struct{}

func (noBank) GatewayForm(biz.GatewayRequest) (*biz.GatewayForm, error) {
	return &biz.GatewayForm{}, nil
}
func (noBank) QueryResult(context.Context, string) (biz.BankResult, error) {
	return biz.BankResult{}, biz.ErrNotReceivedByBank
}

func TestNotificationEndpoint(t *testing.T) {
	t.Parallel()
	platform, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	bankKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	amount := money.MustParseAmount("500.00")
	store := &memStore{
		consumer: biz.Consumer{ID: 12, Status: biz.StatusActive, CustodyStatus: biz.CustodyPending},
		requests: map[string]biz.CustodyRequest{
			"OA1": {RequestNo: "OA1", UserID: 12, Kind: biz.KindOpenAccount, Status: biz.RequestPending, CreatedAt: now, UpdatedAt: now},
			"RC1": {RequestNo: "RC1", UserID: 12, Kind: biz.KindRecharge, Status: biz.RequestPending, Amount: &amount,
				BankUserNo: "BU0000000001", CreatedAt: now, UpdatedAt: now},
		},
	}
	f := faults.New(biz.FaultCallbackReject)
	uc := biz.NewCustodyUsecase(store, store, store, noBank{}, biz.CustodySettings{AbandonAfter: time.Hour}, f, log.NewStdLogger(io.Discard))
	h := NewCustodyNotifications(uc, signing.NewSigner(platform), log.NewStdLogger(io.Discard))
	srv := httptest.NewServer(signing.NewVerifier(&bankKey.PublicKey, &signing.MemoryNonceStore{}).Require(h.Handle))
	t.Cleanup(srv.Close)

	// The bank's notifier: signs with the bank's key, checks our answers with ours.
	bank := &signing.Client{BaseURL: srv.URL, HTTP: srv.Client(), Signer: signing.NewSigner(bankKey),
		Verifier: signing.NewVerifier(&platform.PublicKey, &signing.MemoryNonceStore{})}
	notify := func(body string) (int, map[string]any) {
		t.Helper()
		resp, err := bank.Do(context.Background(), http.MethodPost, "/v1/custody/notifications", []byte(body))
		if err != nil {
			t.Fatalf("notify: %v", err) // includes an unsigned 2xx answer
		}
		var out map[string]any
		if err := json.Unmarshal(resp.Body, &out); err != nil {
			t.Fatalf("answer %s: %v", resp.Body, err)
		}
		return resp.Status, out
	}
	success := `{"requestNo":"OA1","serviceName":"OPEN_ACCOUNT","status":"SUCCESS","userNo":"BU0000000001",
		"platformUserId":"12","amount":"","failureReason":"","finishedAt":"2026-11-21T11:00:00Z"}`

	// Refused before anything is read: unsigned, or signed by someone else.
	resp, err := http.Post(srv.URL, "application/json", strings.NewReader(success))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	forger := &signing.Client{BaseURL: srv.URL, HTTP: srv.Client(), Signer: signing.NewSigner(platform)}
	forged, err := forger.Do(context.Background(), http.MethodPost, "/", []byte(success))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusUnauthorized || forged.Status != http.StatusUnauthorized ||
		!strings.Contains(string(forged.Body), "BAD_SIGNATURE") {
		t.Fatalf("unsigned %d, forged %d %s; want 401", resp.StatusCode, forged.Status, forged.Body)
	}

	// Armed fault: 500 and nothing applied.
	if err := f.Arm(biz.FaultCallbackReject, 1, 0); err != nil {
		t.Fatal(err)
	}
	if code, out := notify(success); code != http.StatusInternalServerError || out["reason"] != "FAULT_INJECTED" {
		t.Fatalf("fault: %d %v", code, out)
	}
	if c, r, _ := store.snapshot(); c.CustodyStatus != biz.CustodyPending || r.Status != biz.RequestPending {
		t.Fatalf("fault changed something: %+v %+v", c, r)
	}

	// Refusals change nothing.
	for _, tc := range []struct {
		body   string
		code   int
		reason string
	}{
		{`not json`, 400, "INVALID_NOTIFICATION"},
		{`{"status":"SUCCESS"}`, 400, "INVALID_NOTIFICATION"},
		{strings.Replace(success, `"platformUserId":"12"`, `"platformUserId":"13"`, 1), 400, "NOTIFICATION_MISMATCH"},
		{strings.Replace(success, `"OPEN_ACCOUNT"`, `"RECHARGE"`, 1), 400, "NOTIFICATION_MISMATCH"},
		{strings.Replace(success, `"SUCCESS"`, `"PROCESSING"`, 1), 400, "INVALID_NOTIFICATION"},
		{strings.Replace(success, `"OA1"`, `"OA404"`, 1), 404, "REQUEST_NOT_FOUND"},
		{`{"requestNo":"RC1","serviceName":"RECHARGE","status":"SUCCESS","userNo":"BU0000000001","platformUserId":"12","amount":"5000.00"}`,
			400, "NOTIFICATION_MISMATCH"},
	} {
		if code, out := notify(tc.body); code != tc.code || out["reason"] != tc.reason {
			t.Errorf("%s: %d %v, want %d %s", tc.body, code, out, tc.code, tc.reason)
		}
	}
	if c, r, n := store.snapshot(); c.CustodyStatus != biz.CustodyPending || r.Status != biz.RequestPending || n != 0 {
		t.Fatalf("a refusal changed something: %+v %+v %d recharges", c, r, n)
	}

	// Applied once (signed 200), then recognised as a duplicate (200 again).
	if code, out := notify(success); code != http.StatusOK || out["status"] != "SUCCESS" || out["applied"] != true {
		t.Fatalf("first: %d %v", code, out)
	}
	if code, out := notify(success); code != http.StatusOK || out["status"] != "SUCCESS" || out["applied"] != false {
		t.Fatalf("duplicate: %d %v", code, out)
	}
	if c, r, _ := store.snapshot(); c.CustodyStatus != biz.CustodyOpen || c.CustodyUserNo != "BU0000000001" || r.Status != biz.RequestSuccess {
		t.Fatalf("after success: %+v %+v", c, r)
	}
}

func TestReturnPageEscapesTheRequestNumber(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	ReturnPage(w, httptest.NewRequest(http.MethodGet, "/custody/return?requestNo=%3Cscript%3E", nil))
	if w.Code != http.StatusOK || strings.Contains(w.Body.String(), "<script>") || !strings.Contains(w.Body.String(), "&lt;script&gt;") {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	w = httptest.NewRecorder()
	ReturnPage(w, httptest.NewRequest(http.MethodPost, "/custody/return", nil))
	if w.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %d", w.Code)
	}
}
