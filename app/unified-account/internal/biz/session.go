package biz

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/auth"
)

// ErrInvalidCredentials covers a wrong password, an unknown login and an account that is
// not ACTIVE alike, so a caller cannot probe which names exist.
var ErrInvalidCredentials = errors.New("invalid credentials")

// Session is a successful login.
type Session struct {
	Token     string
	ExpiresAt time.Time
	UserID    int64
	Role      string
}

// SessionUsecase logs accounts in.
type SessionUsecase struct {
	accounts AccountRepo
	tokens   TokenIssuer
	hasher   PasswordHasher
}

// NewSessionUsecase returns the login use case.
func NewSessionUsecase(accounts AccountRepo, tokens TokenIssuer, hasher PasswordHasher) *SessionUsecase {
	return &SessionUsecase{accounts: accounts, tokens: tokens, hasher: hasher}
}

// Login checks the password of an ACTIVE account and issues a token.
func (uc *SessionUsecase) Login(ctx context.Context, login, password string) (*Session, error) {
	a, err := uc.accounts.ByLogin(ctx, login)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrInvalidCredentials
	}
	if err != nil {
		return nil, err
	}
	if a.Status != StatusActive || !uc.hasher.Matches(a.PasswordHash, password) {
		return nil, ErrInvalidCredentials
	}
	tok, exp, err := uc.tokens.Issue(a.ID, a.Role)
	if err != nil {
		return nil, err
	}
	return &Session{Token: tok, ExpiresAt: exp, UserID: a.ID, Role: a.Role}, nil
}

// ProvisionAdmin makes sure the configured ADMIN account exists, is ACTIVE and has the
// configured password. It runs at every start, so rotating the password is a restart.
func (uc *SessionUsecase) ProvisionAdmin(ctx context.Context, username, mobile, plain string) (*Account, error) {
	if username == "" || mobile == "" || plain == "" {
		return nil, errors.New("admin: username, mobile and password are required")
	}
	if cur, err := uc.accounts.ByLogin(ctx, username); err == nil &&
		cur.Role == auth.RoleAdmin && cur.Status == StatusActive && cur.Mobile == mobile &&
		uc.hasher.Matches(cur.PasswordHash, plain) {
		return cur, nil
	} else if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	hash, err := uc.hasher.Hash(plain)
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	return uc.accounts.SaveAdmin(ctx, Account{
		Username: username, Mobile: mobile, PasswordHash: hash, Role: auth.RoleAdmin, Status: StatusActive,
	})
}
