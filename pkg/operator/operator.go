// Package operator guards the operator endpoints (API.md "Operator token"): the fault
// points' /debug/faults and the bank's notification log answer only a request carrying
// X-P2P-Operator-Token with the deployment's operator token.
package operator

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"os"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/transport"
)

// Header carries the operator token.
const Header = "X-P2P-Operator-Token"

// refused is the message of the 401.
const refused = Header + ": missing or wrong"

// Reason is the Kratos reason of the 401 an operator endpoint answers without the token.
const Reason = "OPERATOR_TOKEN_REQUIRED"

// EnvVar holds the token: generated into .run/secrets.env by the local stack, into
// deploy/.env by compose, set by the operator anywhere else. It never appears in a
// config file.
const EnvVar = "P2P_OPERATOR_TOKEN"

// MinLength is the shortest token accepted, in bytes: the stack generates 32 random
// bytes as 64 hex characters.
const MinLength = 32

// Token is the deployment's operator token.
type Token string

// FromEnv is the token in EnvVar ("" when unset).
func FromEnv() Token { return Token(os.Getenv(EnvVar)) }

// Check refuses a missing or short token, naming the variable to set.
func (t Token) Check() error {
	if t == "" {
		return fmt.Errorf("%s: not set (the operator token; the local stack generates it into .run/secrets.env)", EnvVar)
	}
	if len(t) < MinLength {
		return fmt.Errorf("%s: %d bytes, need at least %d", EnvVar, len(t), MinLength)
	}
	return nil
}

// Allows says whether presented is the token, compared in constant time. A token that
// fails Check allows nothing, so a deployment without one has no operator access.
func (t Token) Allows(presented string) bool {
	if t.Check() != nil {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(presented), []byte(t)) == 1
}

// Require serves h only to requests carrying the token; others get 401 in the Kratos
// error shape and h never runs, so nothing changes.
func (t Token) Require(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !t.Allows(r.Header.Get(Header)) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			// The status is sent; a failed write only means the caller went away.
			if err := json.NewEncoder(w).Encode(map[string]any{
				"code": http.StatusUnauthorized, "reason": Reason, "message": refused,
			}); err != nil {
				return
			}
			return
		}
		h.ServeHTTP(w, r)
	})
}

// CheckRequest guards an operator method of a Kratos API (HTTP or gRPC, where the header
// is metadata): nil when the request carries the token, else a 401 with Reason.
func (t Token) CheckRequest(ctx context.Context) error {
	if tr, ok := transport.FromServerContext(ctx); ok && t.Allows(tr.RequestHeader().Get(Header)) {
		return nil
	}
	return kerrors.Unauthorized(Reason, refused)
}
