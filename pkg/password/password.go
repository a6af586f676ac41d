// Package password hashes login and custody passwords with bcrypt. Only hashes ever leave
// the service that received the plaintext: not into DTM's store, RocketMQ or logs.
package password

import (
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// MaxBytes is bcrypt's input limit; longer passwords are refused rather than silently cut.
const MaxBytes = 72

// Cost of bcrypt. 10 takes about 50 ms on the reference machine: slow enough to make
// offline guessing expensive, fast enough for registration at benchmark load.
const Cost = 10

// MinCost and MaxCost bound a configured cost: below 4 bcrypt refuses, above 14 one hash
// takes over a second on the reference machine.
const (
	MinCost = 4
	MaxCost = 14
)

// ErrTooLong is returned for a password over MaxBytes.
var ErrTooLong = errors.New("password: at most 72 bytes")

// Hasher hashes with a fixed bcrypt cost.
type Hasher struct{ cost int }

// NewHasher returns a Hasher of the given cost; 0 means Cost, anything outside
// MinCost..MaxCost is refused.
func NewHasher(cost int) (Hasher, error) {
	if cost == 0 {
		cost = Cost
	}
	if cost < MinCost || cost > MaxCost {
		return Hasher{}, fmt.Errorf("password: bcrypt cost %d is outside %d..%d", cost, MinCost, MaxCost)
	}
	return Hasher{cost: cost}, nil
}

// Hash returns the bcrypt hash of plain.
func (h Hasher) Hash(plain string) (string, error) {
	if len(plain) > MaxBytes {
		return "", ErrTooLong
	}
	cost := h.cost
	if cost == 0 {
		cost = Cost
	}
	out, err := bcrypt.GenerateFromPassword([]byte(plain), cost)
	if err != nil {
		return "", fmt.Errorf("password: hash: %w", err)
	}
	return string(out), nil
}

// Hash returns the bcrypt hash of plain at the default Cost.
func Hash(plain string) (string, error) { return Hasher{}.Hash(plain) }

// Matches reports whether plain is the password behind hash. A malformed hash never
// matches.
func Matches(hash, plain string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(plain)) == nil
}

// IsHash reports whether s looks like a bcrypt hash; participants use it to refuse a
// request that carries anything else (a plaintext password must never be stored).
func IsHash(s string) bool {
	_, err := bcrypt.Cost([]byte(s))
	return err == nil
}
