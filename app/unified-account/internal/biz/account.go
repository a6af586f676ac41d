// Package biz holds unified-account's domain: login accounts, their lifecycle and login.
package biz

import (
	"context"
	"errors"
	"time"

	"github.com/google/wire"
)

// ProviderSet is biz providers.
var ProviderSet = wire.NewSet(NewSessionUsecase, NewRegistrationUsecase)

// AccountStatus: a registration's Try creates PENDING, its Confirm makes it ACTIVE.
type AccountStatus string

// The account statuses.
const (
	StatusPending AccountStatus = "PENDING"
	StatusActive  AccountStatus = "ACTIVE"
)

// Account is a login account; ID is the platform-wide user id.
type Account struct {
	ID           int64
	Username     string
	Mobile       string
	PasswordHash string
	Role         string
	Status       AccountStatus
}

// ErrNotFound is returned by repositories when no account matches.
var ErrNotFound = errors.New("account not found")

// AccountRepo stores accounts.
type AccountRepo interface {
	// ByLogin finds an account by username or mobile.
	ByLogin(ctx context.Context, login string) (*Account, error)
	// SaveAdmin creates the admin account or brings its mobile and password hash in line.
	SaveAdmin(ctx context.Context, a Account) (*Account, error)
}

// TokenIssuer signs bearer tokens.
type TokenIssuer interface {
	Issue(userID int64, role string) (string, time.Time, error)
}

// PasswordHasher hashes and checks passwords.
type PasswordHasher interface {
	Hash(plain string) (string, error)
	Matches(hash, plain string) bool
	// IsHash reports whether s is a hash this hasher made, not a plaintext password.
	IsHash(s string) bool
}
