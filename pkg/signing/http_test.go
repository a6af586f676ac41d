package signing

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/signing/signingtest"
)

func TestRequireAndClientRoundTrip(t *testing.T) {
	t.Parallel()
	platform, bank := signingtest.Keys()
	var calls int
	server := httptest.NewServer(NewVerifier(&platform.PublicKey, &MemoryNonceStore{}).Require(
		func(w http.ResponseWriter, _ *http.Request, body []byte) {
			calls++
			WriteSigned(w, NewSigner(bank), http.StatusOK, map[string]string{"echo": string(body)})
		}))
	defer server.Close()

	c := &Client{BaseURL: server.URL, HTTP: server.Client(), Signer: NewSigner(platform),
		Verifier: NewVerifier(&bank.PublicKey, &MemoryNonceStore{})}
	resp, err := c.Do(context.Background(), http.MethodPost, "/x", []byte(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]string
	if err := json.Unmarshal(resp.Body, &out); err != nil || out["echo"] != `{"a":1}` {
		t.Fatalf("answer %s %v", resp.Body, err)
	}

	// A client with the wrong key, and a replay of a captured request, are refused
	// before the handler runs.
	forger := &Client{BaseURL: server.URL, HTTP: server.Client(), Signer: NewSigner(bank)}
	resp, err = forger.Do(context.Background(), http.MethodPost, "/x", []byte(`{}`))
	if err != nil || resp.Status != http.StatusUnauthorized || !strings.Contains(string(resp.Body), "BAD_SIGNATURE") {
		t.Fatalf("forged: %d %s %v", resp.Status, resp.Body, err)
	}
	h, err := NewSigner(platform).SignRequest(http.MethodPost, "/x", []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{http.StatusOK, http.StatusUnauthorized} {
		req, err := http.NewRequest(http.MethodPost, server.URL+"/x", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		h.Set(req.Header)
		r, err := server.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != want {
			t.Fatalf("send %d: %d, want %d", i+1, r.StatusCode, want)
		}
	}
	if calls != 2 {
		t.Fatalf("handler ran %d times, want 2 (the client's and the first of the pair)", calls)
	}

	// An old timestamp is refused with its own reason.
	old := NewSigner(platform)
	old.Now = func() time.Time { return time.Now().Add(-10 * time.Minute) }
	stale := &Client{BaseURL: server.URL, HTTP: server.Client(), Signer: old}
	resp, err = stale.Do(context.Background(), http.MethodPost, "/x", []byte(`{}`))
	if err != nil || resp.Status != http.StatusUnauthorized || !strings.Contains(string(resp.Body), "SIGNATURE_EXPIRED") {
		t.Fatalf("expired: %d %s %v", resp.Status, resp.Body, err)
	}
}

func TestRequireAnswers413ToABodyOverTheLimit(t *testing.T) {
	t.Parallel()
	key, _ := signingtest.Keys()
	reached := false
	h := NewVerifier(&key.PublicKey, &MemoryNonceStore{}).Require(func(http.ResponseWriter, *http.Request, []byte) { reached = true })
	// No declared length (as a chunked body arrives): the limit is met while reading.
	r := httptest.NewRequest(http.MethodPost, "/v1/repayments", strings.NewReader(strings.Repeat("x", MaxBody+1)))
	r.ContentLength = -1
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), "BODY_TOO_LARGE") || reached {
		t.Fatalf("a body over %d bytes: %d %s (handler reached: %v), want 413 BODY_TOO_LARGE", MaxBody, w.Code, w.Body, reached)
	}
}

// Only the peer's signed refusal is a refusal: the same 409 unsigned (a proxy's) or
// signed with another key (a forger's) comes back with Signed false, so the caller treats
// the outcome as unknown.
func TestOnlyASignedErrorAnswerIsThePeers(t *testing.T) {
	t.Parallel()
	platform, bank := signingtest.Keys()
	for name, c := range map[string]struct {
		answer func(w http.ResponseWriter)
		signed bool
	}{
		"signed by the peer": {func(w http.ResponseWriter) {
			WriteSignedError(w, NewSigner(bank), http.StatusConflict, "FREEZE_VOIDED", "voided", nil)
		}, true},
		"unsigned": {func(w http.ResponseWriter) { WriteError(w, http.StatusConflict, "FREEZE_VOIDED", "voided") }, false},
		"signed by another key": {func(w http.ResponseWriter) {
			WriteSignedError(w, NewSigner(platform), http.StatusConflict, "FREEZE_VOIDED", "voided", nil)
		}, false},
	} {
		server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { c.answer(w) }))
		client := &Client{BaseURL: server.URL, HTTP: server.Client(), Signer: NewSigner(platform),
			Verifier: NewVerifier(&bank.PublicKey, &MemoryNonceStore{})}
		resp, err := client.Do(context.Background(), http.MethodPost, "/v1/freezes", []byte(`{}`))
		server.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		e, failed := resp.Failure()
		if !failed || e.Reason != "FREEZE_VOIDED" || resp.Signed != c.signed || e.Refused() != c.signed || e.Is(http.StatusConflict, "FREEZE_VOIDED") != c.signed {
			t.Errorf("%s: %+v signed=%v refused=%v, want signed=%v", name, e, resp.Signed, e.Refused(), c.signed)
		}
	}
}
