package signing

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// MaxBody is the largest signed body a server reads.
const MaxBody = 1 << 20

// Reason is the Kratos error reason a rejection is reported with (401).
func Reason(err error) string {
	switch {
	case errors.Is(err, ErrMissingHeaders):
		return "MISSING_SIGNATURE"
	case errors.Is(err, ErrExpired):
		return "SIGNATURE_EXPIRED"
	case errors.Is(err, ErrReplayed):
		return "NONCE_REPLAYED"
	case errors.Is(err, ErrBadSignature), errors.Is(err, ErrMalformed):
		return "BAD_SIGNATURE"
	}
	return ""
}

// Handler receives a verified request: its body has been read and its signature,
// timestamp and nonce checked.
type Handler func(w http.ResponseWriter, r *http.Request, body []byte)

// Require wraps next so that it only sees requests signed with v's key. A rejected
// request gets 401 with a Kratos error body and never reaches next, so it changes
// nothing; a failing nonce store gets 503.
func (v *Verifier) Require(next Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			// The same answer pkg/servers gives a declared length over the limit.
			WriteError(w, http.StatusRequestEntityTooLarge, "BODY_TOO_LARGE", fmt.Sprintf("the body is over %d bytes", MaxBody))
			return
		}
		if err != nil {
			WriteError(w, http.StatusBadRequest, "BAD_REQUEST", "body: "+err.Error())
			return
		}
		if err := v.VerifyRequest(r.Context(), r.Method, r.URL.RequestURI(), HeadersFrom(r.Header), body); err != nil {
			if reason := Reason(err); reason != "" {
				WriteError(w, http.StatusUnauthorized, reason, err.Error())
				return
			}
			WriteError(w, http.StatusServiceUnavailable, "NONCE_STORE_UNAVAILABLE", err.Error())
			return
		}
		next(w, r, body)
	})
}

// WriteError writes a Kratos-shaped error body.
func WriteError(w http.ResponseWriter, code int, reason, message string) {
	b, err := json.Marshal(map[string]any{"code": code, "reason": reason, "message": message})
	if err != nil {
		http.Error(w, message, code)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	// The status is sent; a failed write only means the caller went away.
	if _, err := w.Write(b); err != nil {
		return
	}
}

// WriteSignedError writes a refusal in the Kratos error shape (code, reason, message,
// metadata), signed with s: the caller may take it as final because it can tell it came
// from us and not from something in between.
func WriteSignedError(w http.ResponseWriter, s *Signer, code int, reason, message string, metadata map[string]string) {
	body := map[string]any{"code": code, "reason": reason, "message": message}
	if len(metadata) > 0 {
		body["metadata"] = metadata
	}
	WriteSigned(w, s, code, body)
}

// WriteSigned writes a JSON answer signed with s, so the caller can check it came from us.
func WriteSigned(w http.ResponseWriter, s *Signer, code int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		WriteError(w, http.StatusInternalServerError, "ENCODE", err.Error())
		return
	}
	h, err := s.SignAnswer(body)
	if err != nil {
		WriteError(w, http.StatusInternalServerError, "SIGN", err.Error())
		return
	}
	h.Set(w.Header())
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	if _, err := w.Write(body); err != nil {
		return
	}
}

// Client sends signed requests to one peer and checks that its answers are signed by it.
type Client struct {
	BaseURL  string
	HTTP     *http.Client
	Signer   *Signer
	Verifier *Verifier
}

// Response is a peer's answer. A 2xx is always verified (Do fails otherwise); a 4xx/5xx
// is Signed when it carries the peer's valid signature — only then is it the peer's own
// word, and not a proxy's, a load balancer's or a forger's.
type Response struct {
	Status int
	Body   []byte
	Signed bool
}

// Do sends body (nil for none) signed and verifies the answer's signature: a 2xx must be
// signed by the peer; a 4xx/5xx is returned for the caller to interpret, Signed when it
// is (see ErrorAnswer.Refused: only a signed refusal is final).
func (c *Client) Do(ctx context.Context, method, path string, body []byte) (Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, bytes.NewReader(body))
	if err != nil {
		return Response{}, err
	}
	// Signed for this method and target exactly as the receiver will see them.
	h, err := c.Signer.SignRequest(method, req.URL.RequestURI(), body)
	if err != nil {
		return Response{}, err
	}
	h.Set(req.Header)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody))
	if err != nil {
		return Response{}, err
	}
	out := Response{Status: resp.StatusCode, Body: raw}
	if c.Verifier == nil {
		return out, nil
	}
	answer := HeadersFrom(resp.Header)
	ok2xx := resp.StatusCode >= 200 && resp.StatusCode < 300
	if !ok2xx && answer.Signature == "" {
		return out, nil
	}
	err = c.Verifier.VerifyAnswer(ctx, answer, raw)
	switch {
	case err == nil:
		out.Signed = true
	case ok2xx:
		return Response{}, fmt.Errorf("answer from %s%s is not signed by the peer: %w", c.BaseURL, path, err)
	}
	return out, nil
}
