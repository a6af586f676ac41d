package signing

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// ErrorAnswer is a peer's non-2xx answer, in the Kratos shape WriteError writes. Error
// answers are not signed: a caller believes only what cannot hurt, such as a refusal that
// changed nothing.
type ErrorAnswer struct {
	Status  int
	Reason  string
	Message string // the body's start when it is not the Kratos shape
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
	return ErrorAnswer{Status: r.Status, Reason: body.Reason, Message: body.Message}, true
}

// Refused reports whether the answer is the peer's definitive refusal: a 4xx means it
// changed nothing and would refuse the same call again, except the time-out and
// throttling answers, after which the outcome is unknown.
func (e ErrorAnswer) Refused() bool {
	switch e.Status {
	case http.StatusRequestTimeout, http.StatusTooManyRequests:
		return false
	}
	return e.Status >= 400 && e.Status < 500
}

func (e ErrorAnswer) String() string {
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
