package signing

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// Verifier checks incoming messages against the sender's public key. Its fields must
// not be changed once it is in use; it is then safe for concurrent use.
type Verifier struct {
	Key *rsa.PublicKey
	// Nonces remembers used nonces; required.
	Nonces NonceStore
	// Window is how far a timestamp may be from Now, either way; 0 means DefaultWindow.
	Window time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// NewVerifier returns a Verifier using the real clock and DefaultWindow.
func NewVerifier(key *rsa.PublicKey, nonces NonceStore) *Verifier {
	return &Verifier{Key: key, Nonces: nonces}
}

// VerifyRequest, VerifyAnswer and VerifyForm accept a message if its values are well formed, its timestamp is within the
// window, its signature verifies and its nonce has not been used. The nonce is claimed
// only after the signature verifies, so that forged messages cannot use up nonces.
// Rejections wrap ErrMissingHeaders, ErrMalformed, ErrExpired, ErrBadSignature or
// ErrReplayed; any other error comes from the NonceStore.
//
// VerifyRequest checks a request to target (path and query) made with method.
func (v *Verifier) VerifyRequest(ctx context.Context, method, target string, h Headers, body []byte) error {
	return v.verify(ctx, RequestScope(method, target), h, body)
}

// VerifyAnswer checks a signed answer (Signer.SignAnswer, WriteSigned).
func (v *Verifier) VerifyAnswer(ctx context.Context, h Headers, body []byte) error {
	return v.verify(ctx, ScopeAnswer, h, body)
}

func (v *Verifier) verify(ctx context.Context, scope string, h Headers, body []byte) error {
	if v.Nonces == nil {
		return errors.New("signing: Verifier needs a NonceStore")
	}
	sent, window, err := v.check(scope, h, body)
	if err != nil {
		return err
	}
	// Until sent+window the timestamp check alone no longer protects against a replay.
	fresh, err := v.Nonces.Claim(ctx, h.Nonce, sent.Add(window))
	if err != nil {
		return fmt.Errorf("signing: claim nonce: %w", err)
	}
	if !fresh {
		return fmt.Errorf("%w: %s", ErrReplayed, h.Nonce)
	}
	return nil
}

func (v *Verifier) check(scope string, h Headers, body []byte) (time.Time, time.Duration, error) {
	if v.Key == nil {
		return time.Time{}, 0, errors.New("signing: Verifier needs a public key")
	}
	var missing []string
	if h.Timestamp == "" {
		missing = append(missing, "timestamp")
	}
	if h.Nonce == "" {
		missing = append(missing, "nonce")
	}
	if h.Signature == "" {
		missing = append(missing, "signature")
	}
	if len(missing) > 0 {
		return time.Time{}, 0, fmt.Errorf("%w: no %v", ErrMissingHeaders, missing)
	}
	sent, err := parseTimestamp(h.Timestamp)
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if err := checkNonce(h.Nonce); err != nil {
		return time.Time{}, 0, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(h.Signature)
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("%w: signature is not standard base64", ErrMalformed)
	}

	window := v.Window
	if window <= 0 {
		window = DefaultWindow
	}
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	if skew := now.Sub(sent); skew > window || skew < -window {
		return time.Time{}, 0, fmt.Errorf("%w: timestamp %s is %s away from now, allowed %s",
			ErrExpired, h.Timestamp, skew.Abs().Truncate(time.Second), window)
	}

	digest := sha256.Sum256(Canonical(scope, h.Timestamp, h.Nonce, body))
	if err := rsa.VerifyPKCS1v15(v.Key, crypto.SHA256, digest[:], sig); err != nil {
		return time.Time{}, 0, ErrBadSignature
	}
	return sent, window, nil
}

// VerifyForm verifies a browser form signed by Signer.SignForm.
func (v *Verifier) VerifyForm(ctx context.Context, form url.Values) error {
	if !form.Has(FieldReqData) {
		return fmt.Errorf("%w: no %s", ErrMissingHeaders, FieldReqData)
	}
	return v.verify(ctx, ScopeForm, HeadersFromForm(form), []byte(form.Get(FieldReqData)))
}

// CheckForm is VerifyForm without claiming the nonce: for a step that must not use the
// message up, like rendering the bank's page before the user confirms it.
func (v *Verifier) CheckForm(form url.Values) error {
	if !form.Has(FieldReqData) {
		return fmt.Errorf("%w: no %s", ErrMissingHeaders, FieldReqData)
	}
	_, _, err := v.check(ScopeForm, HeadersFromForm(form), []byte(form.Get(FieldReqData)))
	return err
}

func parseTimestamp(s string) (time.Time, error) {
	// Only plain digits: "+5" or " 5" would verify against a different canonical string
	// than a strict sender produces, and negative times are never legitimate.
	if len(s) > 19 {
		return time.Time{}, fmt.Errorf("timestamp %q is not Unix seconds", s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return time.Time{}, fmt.Errorf("timestamp %q is not Unix seconds", s)
		}
	}
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("timestamp %q is not Unix seconds", s)
	}
	return time.Unix(sec, 0), nil
}

// checkNonce keeps nonces to a character set without "\n", so that the canonical
// string cannot be re-split into a different nonce and body under the same signature.
func checkNonce(s string) error {
	if len(s) < 8 || len(s) > 128 {
		return fmt.Errorf("nonce must have 8 to 128 characters, has %d", len(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-' || c == '_') {
			return fmt.Errorf("nonce may only contain letters, digits, '-' and '_'")
		}
	}
	return nil
}
