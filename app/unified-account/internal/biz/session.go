package biz

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

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
	attempts LoginAttemptRepo
	policy   ThrottlePolicy
}

// NewSessionUsecase returns the login use case.
func NewSessionUsecase(accounts AccountRepo, tokens TokenIssuer, hasher PasswordHasher,
	attempts LoginAttemptRepo, policy ThrottlePolicy) *SessionUsecase {
	return &SessionUsecase{accounts: accounts, tokens: tokens, hasher: hasher, attempts: attempts, policy: policy}
}

// Login checks the password of an ACTIVE account and issues a token. A login locked by
// too many wrong passwords is refused with a LockedError before its password is looked
// at, so the right password is refused too until the lock ends. Unknown logins are
// counted like known ones: a lock says nothing about which names exist.
func (uc *SessionUsecase) Login(ctx context.Context, login, password string) (*Session, error) {
	key := NormaliseLogin(login)
	if utf8.RuneCountInString(key) > MaxLoginLen {
		return nil, ErrInvalidCredentials
	}
	now := time.Now()
	seen, err := uc.attempts.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("login attempts: %w", err)
	}
	if left, locked := seen.Locked(now); locked {
		return nil, &LockedError{RetryAfter: left}
	}
	a, err := uc.check(ctx, login, password)
	if errors.Is(err, ErrInvalidCredentials) {
		if _, uerr := uc.attempts.Update(ctx, key, func(at *LoginAttempts) { at.Fail(now, uc.policy) }); uerr != nil {
			return nil, fmt.Errorf("login attempts: %w", uerr)
		}
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	if seen.Failures > 0 {
		if err := uc.attempts.Clear(ctx, key, now); err != nil {
			return nil, fmt.Errorf("login attempts: %w", err)
		}
	}
	tok, exp, err := uc.tokens.Issue(a.ID, a.Role)
	if err != nil {
		return nil, err
	}
	return &Session{Token: tok, ExpiresAt: exp, UserID: a.ID, Role: a.Role}, nil
}

// check returns the ACTIVE account login names if password is its password.
func (uc *SessionUsecase) check(ctx context.Context, login, password string) (*Account, error) {
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
	return a, nil
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
