package biztest

import (
	"context"
	"sync"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/unified-account/internal/biz"
)

// LoginAttempts is the in-memory biz.LoginAttemptRepo.
type LoginAttempts struct {
	mu      sync.Mutex
	byLogin map[string]biz.LoginAttempts
}

// NewLoginAttempts returns an empty store.
func NewLoginAttempts() *LoginAttempts {
	return &LoginAttempts{byLogin: map[string]biz.LoginAttempts{}}
}

// Get implements biz.LoginAttemptRepo.
func (m *LoginAttempts) Get(_ context.Context, login string) (biz.LoginAttempts, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.byLogin[login], nil
}

// Update implements biz.LoginAttemptRepo.
func (m *LoginAttempts) Update(_ context.Context, login string, fn func(*biz.LoginAttempts)) (biz.LoginAttempts, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.byLogin[login]
	fn(&a)
	m.byLogin[login] = a
	return a, nil
}

// Clear implements biz.LoginAttemptRepo.
func (m *LoginAttempts) Clear(_ context.Context, login string, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, locked := m.byLogin[login].Locked(now); !locked {
		delete(m.byLogin, login)
	}
	return nil
}
