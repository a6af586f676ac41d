// Package biztest holds the one in-memory fake of unified-account's account store — the
// RegistrationRepo the branches write and the AccountRepo logins read — and the contract
// suite every implementation passes: the fake in the biz tests, the ent adapters in the
// data package's integration tests.
package biztest

import (
	"context"
	"strings"
	"sync"

	"github.com/p2p-dtx/p2p-dtx/app/unified-account/internal/biz"
)

// Accounts is the in-memory account store. Usernames compare without case, as the
// username column's collation (utf8mb4_general_ci) makes them in MariaDB.
type Accounts struct {
	mu     sync.Mutex
	byID   map[int64]*stored
	nextID int64
}

type stored struct {
	biz.Account
	gid string
}

// NewAccounts returns an empty store; ids start after 100.
func NewAccounts() *Accounts { return &Accounts{byID: map[int64]*stored{}, nextID: 100} }

// Create implements biz.RegistrationRepo.
func (m *Accounts) Create(_ context.Context, a biz.Account, gid string) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.taken(a, 0); err != nil {
		return 0, err
	}
	m.nextID++
	a.ID = m.nextID
	m.byID[a.ID] = &stored{Account: a, gid: gid}
	return a.ID, nil
}

func (m *Accounts) taken(a biz.Account, except int64) error {
	for id, x := range m.byID {
		switch {
		case id == except:
		case strings.EqualFold(x.Username, a.Username):
			return biz.ErrUsernameTaken
		case x.Mobile == a.Mobile:
			return biz.ErrMobileTaken
		}
	}
	return nil
}

// SetStatus implements biz.RegistrationRepo.
func (m *Accounts) SetStatus(_ context.Context, gid string, from, to biz.AccountStatus) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, a := range m.byID {
		if a.gid == gid && a.Status == from {
			a.Status = to
		}
	}
	return nil
}

// DeleteByStatus implements biz.RegistrationRepo.
func (m *Accounts) DeleteByStatus(_ context.Context, gid string, status biz.AccountStatus) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, a := range m.byID {
		if a.gid == gid && a.Status == status {
			delete(m.byID, id)
		}
	}
	return nil
}

// ByLogin implements biz.AccountRepo: username (without case) or mobile.
func (m *Accounts) ByLogin(_ context.Context, login string) (*biz.Account, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, a := range m.byID {
		if strings.EqualFold(a.Username, login) || a.Mobile == login {
			out := a.Account
			return &out, nil
		}
	}
	return nil, biz.ErrNotFound
}

// SaveAdmin implements biz.AccountRepo: created once, then kept in line by username.
func (m *Accounts) SaveAdmin(_ context.Context, in biz.Account) (*biz.Account, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, a := range m.byID {
		if strings.EqualFold(a.Username, in.Username) {
			a.Mobile, a.PasswordHash, a.Role, a.Status = in.Mobile, in.PasswordHash, in.Role, in.Status
			out := a.Account
			return &out, nil
		}
	}
	if err := m.taken(in, 0); err != nil {
		return nil, err
	}
	m.nextID++
	in.ID = m.nextID
	m.byID[in.ID] = &stored{Account: in}
	return &in, nil
}

// ByGID is the account a registration's branch wrote, if any.
func (m *Accounts) ByGID(gid string) (biz.Account, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, a := range m.byID {
		if a.gid == gid {
			return a.Account, true
		}
	}
	return biz.Account{}, false
}

// Len is how many accounts are stored.
func (m *Accounts) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.byID)
}

// Put stores an account as given (a test's arrangement).
func (m *Accounts) Put(a biz.Account) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.byID[a.ID] = &stored{Account: a}
}
