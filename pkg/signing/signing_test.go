package signing_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
)

var epoch = time.Unix(1_700_000_000, 0)

// clock is a settable time source shared by a Signer, a Verifier and a nonce store.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock(t time.Time) *clock { return &clock{now: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// pair is a Signer and a Verifier for the same key on one clock.
type pair struct {
	clock    *clock
	signer   *signing.Signer
	verifier *signing.Verifier
	nonces   *signing.MemoryNonceStore
}

func newPair(t *testing.T) pair {
	t.Helper()
	key, _ := testKeys()
	c := newClock(epoch)
	nonces := &signing.MemoryNonceStore{Now: c.Now}
	return pair{
		clock:    c,
		signer:   &signing.Signer{Key: key, Now: c.Now},
		verifier: &signing.Verifier{Key: &key.PublicKey, Nonces: nonces, Now: c.Now},
		nonces:   nonces,
	}
}

func mustSign(t *testing.T, s *signing.Signer, body string) signing.Headers {
	t.Helper()
	h, err := s.SignAnswer([]byte(body))
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return h
}

func TestCanonical(t *testing.T) {
	t.Parallel()
	got := string(signing.Canonical(signing.RequestScope("POST", "/v1/freezes"), "1700000000", "abcdef0123456789", []byte(`{"a":1}`)))
	want := "REQUEST POST /v1/freezes\n1700000000\nabcdef0123456789\n{\"a\":1}\n"
	if got != want {
		t.Fatalf("Canonical = %q, want %q", got, want)
	}
}

// A signature is good only for what it was made for: a form's reqData signature is no
// signature of an API call carrying the same bytes, an API call's is no answer's, and a
// call signed for one method or path is refused on another.
func TestASignatureIsBoundToItsScope(t *testing.T) {
	t.Parallel()
	p := newPair(t)
	body := `{"requestNo":"RC1","amount":"100.00"}`
	form := url.Values{signing.FieldReqData: {body}}
	if err := p.signer.SignForm(form); err != nil {
		t.Fatal(err)
	}
	fromForm := signing.HeadersFromForm(form)
	if err := p.verifier.VerifyRequest(t.Context(), "POST", "/v1/freezes", fromForm, []byte(body)); !errors.Is(err, signing.ErrBadSignature) {
		t.Errorf("a form signature as an API call: %v, want ErrBadSignature", err)
	}
	if err := p.verifier.VerifyAnswer(t.Context(), fromForm, []byte(body)); !errors.Is(err, signing.ErrBadSignature) {
		t.Errorf("a form signature as an answer: %v, want ErrBadSignature", err)
	}
	call, err := p.signer.SignRequest("POST", "/v1/freezes", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ method, target string }{{"POST", "/v1/loans"}, {"PUT", "/v1/freezes"}, {"POST", "/v1/freezes?x=1"}} {
		if err := p.verifier.VerifyRequest(t.Context(), c.method, c.target, call, []byte(body)); !errors.Is(err, signing.ErrBadSignature) {
			t.Errorf("a call signed for POST /v1/freezes as %s %s: %v, want ErrBadSignature", c.method, c.target, err)
		}
	}
	if err := p.verifier.VerifyAnswer(t.Context(), call, []byte(body)); !errors.Is(err, signing.ErrBadSignature) {
		t.Errorf("a call's signature as an answer: %v, want ErrBadSignature", err)
	}
	if err := p.verifier.VerifyRequest(t.Context(), "POST", "/v1/freezes", call, []byte(body)); err != nil {
		t.Errorf("the call itself: %v", err)
	}
}

func TestSignProducesContractValues(t *testing.T) {
	t.Parallel()
	p := newPair(t)
	h := mustSign(t, p.signer, "payload")

	if h.Timestamp != "1700000000" {
		t.Errorf("Timestamp = %q, want Unix seconds 1700000000", h.Timestamp)
	}
	if len(h.Nonce) != 32 || strings.Trim(h.Nonce, "0123456789abcdef") != "" {
		t.Errorf("Nonce = %q, want 32 hex characters", h.Nonce)
	}
	if other := mustSign(t, p.signer, "payload"); other.Nonce == h.Nonce {
		t.Errorf("two signatures share nonce %q", h.Nonce)
	}
	// Independent check of the contract: base64 PKCS#1 v1.5 SHA-256 over the canonical string.
	sig, err := base64.StdEncoding.DecodeString(h.Signature)
	if err != nil {
		t.Fatalf("Signature is not standard base64: %v", err)
	}
	digest := sha256.Sum256([]byte("ANSWER\n" + h.Timestamp + "\n" + h.Nonce + "\n" + "payload" + "\n"))
	if err := rsa.VerifyPKCS1v15(&p.signer.Key.PublicKey, crypto.SHA256, digest[:], sig); err != nil {
		t.Errorf("signature does not verify over the canonical string: %v", err)
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	bodies := map[string]string{
		"empty":         "",
		"json":          `{"requestNo":"R1","amount":"10000.00"}`,
		"with newlines": "line1\nline2\n\n",
		"binary":        "\x00\xff\x10",
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := newPair(t)
			h := mustSign(t, p.signer, body)
			if err := p.verifier.VerifyAnswer(t.Context(), h, []byte(body)); err != nil {
				t.Fatalf("Verify: %v", err)
			}
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	t.Parallel()
	_, otherKey := testKeys()
	tests := []struct {
		name    string
		body    string                 // body presented to the verifier; the signer signs "payload"
		alter   func(*signing.Headers) // changes the headers before verification
		signKey *rsa.PrivateKey        // signs with this key instead of the verifier's
		skew    time.Duration          // signer's clock relative to the verifier's
		want    error
	}{
		{name: "tampered body", body: "payloaD", want: signing.ErrBadSignature},
		{name: "body with extra newline", body: "payload\n", want: signing.ErrBadSignature},
		{name: "wrong key", body: "payload", signKey: otherKey, want: signing.ErrBadSignature},
		{name: "nonce changed", body: "payload", alter: func(h *signing.Headers) { h.Nonce = "0123456789abcdef" }, want: signing.ErrBadSignature},
		{name: "timestamp changed", body: "payload", alter: func(h *signing.Headers) { h.Timestamp = "1700000001" }, want: signing.ErrBadSignature},
		{name: "missing timestamp", body: "payload", alter: func(h *signing.Headers) { h.Timestamp = "" }, want: signing.ErrMissingHeaders},
		{name: "missing nonce", body: "payload", alter: func(h *signing.Headers) { h.Nonce = "" }, want: signing.ErrMissingHeaders},
		{name: "missing signature", body: "payload", alter: func(h *signing.Headers) { h.Signature = "" }, want: signing.ErrMissingHeaders},
		{name: "all missing", body: "payload", alter: func(h *signing.Headers) { *h = signing.Headers{} }, want: signing.ErrMissingHeaders},
		{name: "timestamp with sign", body: "payload", alter: func(h *signing.Headers) { h.Timestamp = "+" + h.Timestamp }, want: signing.ErrMalformed},
		{name: "timestamp in milliseconds text", body: "payload", alter: func(h *signing.Headers) { h.Timestamp = "2023-11-14T22:13:20Z" }, want: signing.ErrMalformed},
		{name: "timestamp negative", body: "payload", alter: func(h *signing.Headers) { h.Timestamp = "-1" }, want: signing.ErrMalformed},
		{name: "timestamp overflows", body: "payload", alter: func(h *signing.Headers) { h.Timestamp = "99999999999999999999" }, want: signing.ErrMalformed},
		{name: "nonce too short", body: "payload", alter: func(h *signing.Headers) { h.Nonce = "abc" }, want: signing.ErrMalformed},
		{name: "nonce with newline", body: "payload", alter: func(h *signing.Headers) { h.Nonce = "abcdefgh\nijk" }, want: signing.ErrMalformed},
		{name: "signature not base64", body: "payload", alter: func(h *signing.Headers) { h.Signature = "not base64!" }, want: signing.ErrMalformed},
		{name: "signature truncated", body: "payload", alter: func(h *signing.Headers) { h.Signature = h.Signature[:40] }, want: signing.ErrBadSignature},
		{name: "timestamp 6 minutes past", body: "payload", skew: -6 * time.Minute, want: signing.ErrExpired},
		{name: "timestamp 6 minutes future", body: "payload", skew: 6 * time.Minute, want: signing.ErrExpired},
		{name: "timestamp 5 minutes 1 second past", body: "payload", skew: -5*time.Minute - time.Second, want: signing.ErrExpired},
		{name: "timestamp 4 minutes past", body: "payload", skew: -4 * time.Minute},
		{name: "timestamp 4 minutes future", body: "payload", skew: 4 * time.Minute},
		{name: "timestamp exactly 5 minutes past", body: "payload", skew: -5 * time.Minute},
		{name: "timestamp exactly 5 minutes future", body: "payload", skew: 5 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newPair(t)
			signer := *p.signer
			if tt.signKey != nil {
				signer.Key = tt.signKey
			}
			signer.Now = func() time.Time { return epoch.Add(tt.skew) }
			h := mustSign(t, &signer, "payload")
			if tt.alter != nil {
				tt.alter(&h)
			}
			err := p.verifier.VerifyAnswer(t.Context(), h, []byte(tt.body))
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v, want accepted", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify error = %v, want %v", err, tt.want)
			}
			if tt.want != signing.ErrReplayed && p.nonces.Len() != 0 {
				t.Errorf("rejected message left %d claimed nonces, want 0", p.nonces.Len())
			}
		})
	}
}

func TestVerifyErrorsAreDistinct(t *testing.T) {
	t.Parallel()
	all := []error{signing.ErrMissingHeaders, signing.ErrMalformed, signing.ErrExpired, signing.ErrBadSignature, signing.ErrReplayed}
	for i, a := range all {
		for j, b := range all {
			if i != j && errors.Is(a, b) {
				t.Errorf("errors.Is(%v, %v) = true", a, b)
			}
		}
	}
}

func TestReplayedNonceRejected(t *testing.T) {
	t.Parallel()
	p := newPair(t)
	h := mustSign(t, p.signer, "payload")
	if err := p.verifier.VerifyAnswer(t.Context(), h, []byte("payload")); err != nil {
		t.Fatalf("first Verify: %v", err)
	}
	p.clock.Advance(4 * time.Minute)
	if err := p.verifier.VerifyAnswer(t.Context(), h, []byte("payload")); !errors.Is(err, signing.ErrReplayed) {
		t.Fatalf("replay 4 minutes later: error = %v, want ErrReplayed", err)
	}
	p.clock.Advance(2 * time.Minute)
	if err := p.verifier.VerifyAnswer(t.Context(), h, []byte("payload")); !errors.Is(err, signing.ErrExpired) {
		t.Fatalf("replay 6 minutes later: error = %v, want ErrExpired", err)
	}
}

func TestNonceReusableAfterWindow(t *testing.T) {
	t.Parallel()
	p := newPair(t)
	p.signer.NewNonce = func() string { return "fixed-nonce-0001" }

	if err := p.verifier.VerifyAnswer(t.Context(), mustSign(t, p.signer, "first"), []byte("first")); err != nil {
		t.Fatalf("first message: %v", err)
	}
	p.clock.Advance(4 * time.Minute)
	if err := p.verifier.VerifyAnswer(t.Context(), mustSign(t, p.signer, "second"), []byte("second")); !errors.Is(err, signing.ErrReplayed) {
		t.Fatalf("same nonce inside the window: error = %v, want ErrReplayed", err)
	}
	p.clock.Advance(2 * time.Minute) // 6 minutes after the first message
	if err := p.verifier.VerifyAnswer(t.Context(), mustSign(t, p.signer, "third"), []byte("third")); err != nil {
		t.Fatalf("same nonce after the window: %v, want accepted", err)
	}
}

func TestForgedSignatureDoesNotConsumeNonce(t *testing.T) {
	t.Parallel()
	p := newPair(t)
	_, attackerKey := testKeys()
	genuine := mustSign(t, p.signer, "payload")

	forged := *p.signer
	forged.Key = attackerKey
	forged.NewNonce = func() string { return genuine.Nonce }
	fake := mustSign(t, &forged, "payload")
	if err := p.verifier.VerifyAnswer(t.Context(), fake, []byte("payload")); !errors.Is(err, signing.ErrBadSignature) {
		t.Fatalf("forged message: error = %v, want ErrBadSignature", err)
	}
	if err := p.verifier.VerifyAnswer(t.Context(), genuine, []byte("payload")); err != nil {
		t.Fatalf("genuine message after a forgery with its nonce: %v, want accepted", err)
	}
}

func TestConcurrentVerifyAcceptsExactlyOnce(t *testing.T) {
	t.Parallel()
	p := newPair(t)
	h := mustSign(t, p.signer, "payload")

	const n = 50
	var accepted, replayed atomic.Int32
	errs := make(chan error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			<-start
			switch err := p.verifier.VerifyAnswer(t.Context(), h, []byte("payload")); {
			case err == nil:
				accepted.Add(1)
			case errors.Is(err, signing.ErrReplayed):
				replayed.Add(1)
			default:
				errs <- err
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("unexpected error: %v", err)
	}
	if accepted.Load() != 1 || replayed.Load() != n-1 {
		t.Fatalf("accepted %d, replayed %d; want 1 and %d", accepted.Load(), replayed.Load(), n-1)
	}
}

func TestMisconfigured(t *testing.T) {
	t.Parallel()
	key, _ := testKeys()
	if _, err := (&signing.Signer{}).SignAnswer(nil); err == nil {
		t.Error("Sign without a key succeeded")
	}
	bad := &signing.Signer{Key: key, NewNonce: func() string { return "with space" }}
	if _, err := bad.SignAnswer(nil); err == nil || !strings.Contains(err.Error(), "nonce") {
		t.Errorf("Sign with an unusable nonce: error = %v", err)
	}
	h := mustSign(t, signing.NewSigner(key), "x")
	if err := (&signing.Verifier{Key: &key.PublicKey}).VerifyAnswer(t.Context(), h, []byte("x")); err == nil {
		t.Error("Verify without a NonceStore succeeded")
	}
}

// failingStore stands for a database that is down.
type failingStore struct{}

func (failingStore) Claim(context.Context, string, time.Time) (bool, error) {
	return false, errors.New("db down")
}

func TestNonceStoreFailureIsNotARejection(t *testing.T) {
	t.Parallel()
	key, _ := testKeys()
	v := signing.NewVerifier(&key.PublicKey, failingStore{})
	h := mustSign(t, signing.NewSigner(key), "x")
	err := v.VerifyAnswer(t.Context(), h, []byte("x"))
	if err == nil || !strings.Contains(err.Error(), "db down") {
		t.Fatalf("error = %v, want the store's error", err)
	}
	for _, sentinel := range []error{signing.ErrMissingHeaders, signing.ErrMalformed, signing.ErrExpired, signing.ErrBadSignature, signing.ErrReplayed} {
		if errors.Is(err, sentinel) {
			t.Errorf("store failure reported as %v", sentinel)
		}
	}
}

func TestHTTPHeaders(t *testing.T) {
	t.Parallel()
	p := newPair(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if err := p.verifier.VerifyAnswer(r.Context(), signing.HeadersFrom(r.Header), body); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)

	post := func(body string, h signing.Headers) int {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		h.Set(req.Header)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return resp.StatusCode
	}

	body := `{"requestNo":"R42"}`
	h := mustSign(t, p.signer, body)
	if got := post(body, h); got != http.StatusOK {
		t.Fatalf("signed request: status %d, want 200", got)
	}
	if got := post(body, h); got != http.StatusUnauthorized {
		t.Fatalf("replayed request: status %d, want 401", got)
	}
	if got := post(`{"requestNo":"R43"}`, mustSign(t, p.signer, body)); got != http.StatusUnauthorized {
		t.Fatalf("request with another body: status %d, want 401", got)
	}
}

func TestHeadersSetAndFrom(t *testing.T) {
	t.Parallel()
	h := signing.Headers{Timestamp: "1", Nonce: "n", Signature: "s"}
	hdr := http.Header{}
	hdr.Set(signing.HeaderSignature, "old")
	h.Set(hdr)
	if got := hdr.Values("X-P2P-Signature"); len(got) != 1 || got[0] != "s" {
		t.Errorf("X-P2P-Signature = %v, want [s]", got)
	}
	if got := hdr.Get("x-p2p-timestamp"); got != "1" {
		t.Errorf("X-P2P-Timestamp = %q", got)
	}
	if got := signing.HeadersFrom(hdr); got != h {
		t.Errorf("HeadersFrom = %+v, want %+v", got, h)
	}
}

func TestFormRoundTrip(t *testing.T) {
	t.Parallel()
	reqData := base64.StdEncoding.EncodeToString([]byte(`{"requestNo":"R1","userNo":"U1","amount":"500.00"}`))
	newForm := func() url.Values {
		return url.Values{"serviceName": {"RECHARGE"}, "platformNo": {"P2P"}, "reqData": {reqData}}
	}

	tests := []struct {
		name  string
		alter func(url.Values)
		want  error
	}{
		{name: "as posted"},
		{name: "reqData changed", alter: func(f url.Values) { f.Set("reqData", reqData+"AA") }, want: signing.ErrBadSignature},
		{name: "reqData missing", alter: func(f url.Values) { f.Del("reqData") }, want: signing.ErrMissingHeaders},
		{name: "signature missing", alter: func(f url.Values) { f.Del("signature") }, want: signing.ErrMissingHeaders},
		{name: "nonce changed", alter: func(f url.Values) { f.Set("nonce", "0000000000000000") }, want: signing.ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newPair(t)
			form := newForm()
			if err := p.signer.SignForm(form); err != nil {
				t.Fatalf("SignForm: %v", err)
			}
			for _, field := range []string{"timestamp", "nonce", "signature"} {
				if form.Get(field) == "" {
					t.Fatalf("SignForm left field %q empty", field)
				}
			}
			// Through the browser: form-encoded, then parsed by the bank.
			posted, err := url.ParseQuery(form.Encode())
			if err != nil {
				t.Fatal(err)
			}
			if tt.alter != nil {
				tt.alter(posted)
			}
			err = p.verifier.VerifyForm(t.Context(), posted)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("VerifyForm: %v", err)
				}
				if err := p.verifier.VerifyForm(t.Context(), posted); !errors.Is(err, signing.ErrReplayed) {
					t.Fatalf("second VerifyForm: error = %v, want ErrReplayed", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("VerifyForm error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestSignFormWithoutReqData(t *testing.T) {
	t.Parallel()
	p := newPair(t)
	if err := p.signer.SignForm(url.Values{"serviceName": {"RECHARGE"}}); err == nil || !strings.Contains(err.Error(), "reqData") {
		t.Fatalf("SignForm error = %v, want it to name reqData", err)
	}
}

func TestMemoryNonceStoreForgetsExpired(t *testing.T) {
	t.Parallel()
	c := newClock(epoch)
	s := &signing.MemoryNonceStore{Now: c.Now}
	ctx := t.Context()
	claim := func(nonce string, exp time.Time) bool {
		t.Helper()
		fresh, err := s.Claim(ctx, nonce, exp)
		if err != nil {
			t.Fatal(err)
		}
		return fresh
	}
	exp := epoch.Add(5 * time.Minute)
	if !claim("a", exp) || !claim("b", exp) {
		t.Fatal("first claims not fresh")
	}
	if claim("a", exp) {
		t.Fatal("second claim of a is fresh")
	}
	c.Advance(5 * time.Minute) // the expiry instant itself still counts as claimed
	if claim("a", exp) {
		t.Fatal("claim at expiresAt is fresh")
	}
	c.Advance(2 * time.Minute)
	if !claim("c", epoch.Add(12*time.Minute)) {
		t.Fatal("claim of c not fresh")
	}
	if got := s.Len(); got != 1 {
		t.Fatalf("store holds %d nonces after expiry, want 1 (a and b swept)", got)
	}
	if !claim("b", epoch.Add(12*time.Minute)) {
		t.Fatal("expired b not fresh again")
	}
}
