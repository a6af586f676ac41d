package signing

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// ErrorAnswer is a peer's non-2xx answer, in the Kratos shape WriteError (unsigned) or
// WriteSignedError writes. Only a signed one is the peer's word: anything between the two
// (a proxy, a gateway, an attacker) can produce an unsigned 4xx.
type ErrorAnswer struct {
	Status  int
	Reason  string
	Message string // the body's start when it is not the Kratos shape
	Signed  bool
}

// Failure reads a non-2xx answer; failed is false for a 2xx, which Client.Do has verified.
func (r Response) Failure() (e ErrorAnswer, failed bool) {
	if r.Status >= 200 && r.Status < 300 {
		return ErrorAnswer{}, false
	}
	var body struct {
		Reason  string `json:"reason"`
		Message string `json:"message"`
	}
	if json.Unmarshal(r.Body, &body) != nil {
		body.Message = Excerpt(r.Body)
	}
	return ErrorAnswer{Status: r.Status, Reason: body.Reason, Message: body.Message, Signed: r.Signed}, true
}

// Refused reports whether the answer is the peer's definitive refusal: a signed 4xx means
// it changed nothing and would refuse the same call again, except the time-out and
// throttling answers. After an unsigned answer, or any other, the outcome is unknown: the
// caller settles it with the peer's result query.
func (e ErrorAnswer) Refused() bool {
	switch e.Status {
	case http.StatusRequestTimeout, http.StatusTooManyRequests:
		return false
	}
	return e.Signed && e.Status >= 400 && e.Status < 500
}

// Is reports whether the answer is the peer's signed refusal with status and reason.
func (e ErrorAnswer) Is(status int, reason string) bool {
	return e.Signed && e.Status == status && e.Reason == reason
}

func (e ErrorAnswer) String() string {
	if !e.Signed {
		return fmt.Sprintf("HTTP %d %s (unsigned): %s", e.Status, e.Reason, e.Message)
	}
	return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Reason, e.Message)
}

// excerptLen bounds how much of an answer an error message quotes.
const excerptLen = 200

// Excerpt is the start of an answer's body, short enough to quote in an error.
func Excerpt(body []byte) string {
	if len(body) > excerptLen {
		return string(body[:excerptLen]) + "..."
	}
	return string(body)
}

// Refusal is one refusal of the peer's that the caller acts on: its status and reason,
// and the caller's error for it.
type Refusal struct {
	Status int
	Reason string
	Err    error
}

// Refusals turns a peer's answer into the caller's error: nil for a 2xx; the Err of the
// first known refusal the answer is (signed, same status and reason); refused for any
// other definitive refusal (ErrorAnswer.Refused); unavailable for everything else — an
// unsigned answer, a 5xx, a time-out — whose outcome is unknown until the caller asks
// again with the same request number. Each error wraps the one named and says the answer.
type Refusals struct {
	Known                []Refusal
	Refused, Unavailable error
}

// Error is the caller's error for resp (nil for a 2xx).
func (rs Refusals) Error(resp Response) error {
	e, failed := resp.Failure()
	if !failed {
		return nil
	}
	return rs.Of(e)
}

// Of is the caller's error for a failure answer e; a batch's signed answer hands each
// refused item's status, reason and message in as a signed ErrorAnswer.
func (rs Refusals) Of(e ErrorAnswer) error {
	for _, k := range rs.Known {
		if e.Is(k.Status, k.Reason) {
			return fmt.Errorf("%w: %s", k.Err, e.Message)
		}
	}
	if e.Refused() {
		return fmt.Errorf("%w: %s", rs.Refused, e)
	}
	return fmt.Errorf("%w: %s", rs.Unavailable, e)
}
