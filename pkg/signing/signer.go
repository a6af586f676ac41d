package signing

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// Signer signs outgoing messages with the sender's private key. Its fields must not be
// changed once it is in use; it is then safe for concurrent use.
type Signer struct {
	Key *rsa.PrivateKey
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// NewNonce returns a fresh nonce; nil means 16 random bytes in hex. A replacement
	// must return values Verifier accepts: 8 to 128 characters of [A-Za-z0-9_-].
	NewNonce func() string
}

// NewSigner returns a Signer using the real clock and random nonces.
func NewSigner(key *rsa.PrivateKey) *Signer {
	return &Signer{Key: key}
}

// SignRequest returns the signing values of an HTTP request to target (path and query).
func (s *Signer) SignRequest(method, target string, body []byte) (Headers, error) {
	return s.sign(RequestScope(method, target), body)
}

// SignAnswer returns the signing values of an answer with the given body.
func (s *Signer) SignAnswer(body []byte) (Headers, error) { return s.sign(ScopeAnswer, body) }

func (s *Signer) sign(scope string, body []byte) (Headers, error) {
	if s.Key == nil {
		return Headers{}, errors.New("signing: Signer has no private key")
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	newNonce := randomNonce
	if s.NewNonce != nil {
		newNonce = s.NewNonce
	}
	ts := strconv.FormatInt(now().Unix(), 10)
	nonce := newNonce()
	if err := checkNonce(nonce); err != nil {
		return Headers{}, fmt.Errorf("signing: Signer produced an unusable nonce: %w", err)
	}
	digest := sha256.Sum256(Canonical(scope, ts, nonce, body))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.Key, crypto.SHA256, digest[:])
	if err != nil {
		return Headers{}, fmt.Errorf("signing: sign: %w", err)
	}
	return Headers{Timestamp: ts, Nonce: nonce, Signature: base64.StdEncoding.EncodeToString(sig)}, nil
}

// SignForm signs a browser form's reqData field and writes timestamp, nonce and
// signature into the form. Other fields are not covered by the signature.
func (s *Signer) SignForm(form url.Values) error {
	if !form.Has(FieldReqData) {
		return fmt.Errorf("signing: form has no %s field to sign", FieldReqData)
	}
	h, err := s.sign(ScopeForm, []byte(form.Get(FieldReqData)))
	if err != nil {
		return err
	}
	h.SetForm(form)
	return nil
}

func randomNonce() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		// Documented never to happen: crypto/rand crashes the program first.
		panic(fmt.Sprintf("signing: crypto/rand failed: %v", err))
	}
	return hex.EncodeToString(b[:])
}
