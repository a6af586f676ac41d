// Package signing authenticates messages exchanged between the platform's services and
// the custody bank: server-to-server HTTP calls and callbacks in both directions, and the
// browser redirects that carry a bank request in a form.
//
// The sender signs, with its RSA private key, the canonical string
//
//	scope + "\n" + timestamp + "\n" + nonce + "\n" + body + "\n"
//
// where scope says what the signature is for, so that a signature made for one purpose
// cannot be used for another: "REQUEST <method> <request target>" for a server-to-server
// call (the method and the path with its query, as the receiver sees them), "ANSWER" for a
// signed answer, "FORM" for a browser redirect's reqData; timestamp is the Unix time in seconds as a decimal string and nonce is a random
// token (16 random bytes in hex by default). The signature is RSA PKCS#1 v1.5 over
// SHA-256, encoded as standard base64. HTTP messages carry the three values in the
// X-P2P-Timestamp, X-P2P-Nonce and X-P2P-Signature headers and sign the raw request or
// response body. Browser redirects carry them in the form fields timestamp, nonce and
// signature next to reqData, and sign the reqData string as the body.
//
// A receiver rejects a message whose signature does not verify, whose timestamp is more
// than the window (5 minutes) away from its clock in either direction, or whose nonce was
// already used within that window. Replay protection depends on the NonceStore:
// MemoryNonceStore suits tests and a single process; services implement NonceStore on
// their database (a table with a unique key on the nonce) so that it survives restarts
// and is shared by all instances of the service.
package signing

import (
	"errors"
	"net/http"
	"net/url"
	"time"
)

// Header names of the HTTP variant.
const (
	HeaderTimestamp = "X-P2P-Timestamp"
	HeaderNonce     = "X-P2P-Nonce"
	HeaderSignature = "X-P2P-Signature"
)

// Field names of the browser form variant.
const (
	FieldReqData   = "reqData"
	FieldTimestamp = "timestamp"
	FieldNonce     = "nonce"
	FieldSignature = "signature"
)

// DefaultWindow is how far a message's timestamp may be from the receiver's clock.
const DefaultWindow = 5 * time.Minute

// Errors returned by Verifier, to be checked with errors.Is. Each means the message must
// be refused (HTTP 401) without changing anything; any other error from Verify (the
// NonceStore failing) is the receiver's own fault and should not be reported as 401.
var (
	// ErrMissingHeaders: the timestamp, nonce or signature (or a form's reqData) is absent.
	ErrMissingHeaders = errors.New("signing: missing timestamp, nonce or signature")
	// ErrMalformed: a value is present but not in the expected format.
	ErrMalformed = errors.New("signing: malformed timestamp, nonce or signature")
	// ErrExpired: the timestamp is outside the window around the receiver's clock.
	ErrExpired = errors.New("signing: timestamp outside the allowed window")
	// ErrBadSignature: the signature does not match the message and the sender's key.
	ErrBadSignature = errors.New("signing: signature does not verify")
	// ErrReplayed: the nonce was already used by a message inside the window.
	ErrReplayed = errors.New("signing: nonce already used")
)

// Headers are the three signing values of one message, as they travel.
type Headers struct {
	Timestamp string
	Nonce     string
	Signature string
}

// HeadersFrom reads the signing headers of an HTTP message.
func HeadersFrom(h http.Header) Headers {
	return Headers{
		Timestamp: h.Get(HeaderTimestamp),
		Nonce:     h.Get(HeaderNonce),
		Signature: h.Get(HeaderSignature),
	}
}

// Set writes the signing headers onto an HTTP message, replacing any previous values.
func (h Headers) Set(dst http.Header) {
	dst.Set(HeaderTimestamp, h.Timestamp)
	dst.Set(HeaderNonce, h.Nonce)
	dst.Set(HeaderSignature, h.Signature)
}

// HeadersFromForm reads the signing fields of a browser form.
func HeadersFromForm(form url.Values) Headers {
	return Headers{
		Timestamp: form.Get(FieldTimestamp),
		Nonce:     form.Get(FieldNonce),
		Signature: form.Get(FieldSignature),
	}
}

// SetForm writes the signing fields into a browser form, replacing any previous values.
func (h Headers) SetForm(dst url.Values) {
	dst.Set(FieldTimestamp, h.Timestamp)
	dst.Set(FieldNonce, h.Nonce)
	dst.Set(FieldSignature, h.Signature)
}

// Scopes of the canonical string (see the package comment).
const (
	ScopeAnswer = "ANSWER"
	ScopeForm   = "FORM"
)

// RequestScope is the scope of an HTTP request: its method and request target (the path
// and, if any, "?" and the query), e.g. "REQUEST POST /v1/freezes".
func RequestScope(method, target string) string { return "REQUEST " + method + " " + target }

// Canonical returns the exact bytes that are signed for a message in scope.
func Canonical(scope, timestamp, nonce string, body []byte) []byte {
	b := make([]byte, 0, len(scope)+len(timestamp)+len(nonce)+len(body)+4)
	b = append(b, scope...)
	b = append(b, '\n')
	b = append(b, timestamp...)
	b = append(b, '\n')
	b = append(b, nonce...)
	b = append(b, '\n')
	b = append(b, body...)
	b = append(b, '\n')
	return b
}
