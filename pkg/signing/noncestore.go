package signing

import (
	"context"
	"sync"
	"time"
)

// NonceStore remembers the nonces of accepted messages.
//
// Claim records nonce atomically and reports fresh=true if it was not already claimed,
// or was claimed with an expiry that has passed. A nonce must be remembered at least
// until expiresAt (inclusive); after that the timestamp window rejects its message anyway.
// A database implementation inserts into a table with a unique key on the nonce and
// treats a duplicate-key error as fresh=false, deleting rows past expiresAt from time to
// time (with a margin for clock differences between instances).
type NonceStore interface {
	Claim(ctx context.Context, nonce string, expiresAt time.Time) (fresh bool, err error)
}

// sweepEvery bounds how often MemoryNonceStore scans for expired nonces.
const sweepEvery = time.Minute

// MemoryNonceStore is a NonceStore for tests and single-process use. Its memory grows
// with the number of nonces claimed per window. The zero value is ready to use.
type MemoryNonceStore struct {
	// Now is the clock deciding expiry; nil means time.Now. Give it the Verifier's
	// clock in tests.
	Now func() time.Time

	mu        sync.Mutex
	expiry    map[string]time.Time
	nextSweep time.Time
}

// Claim implements NonceStore.
func (s *MemoryNonceStore) Claim(_ context.Context, nonce string, expiresAt time.Time) (bool, error) {
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.expiry == nil {
		s.expiry = make(map[string]time.Time)
	}
	if !now.Before(s.nextSweep) {
		for n, exp := range s.expiry {
			if now.After(exp) {
				delete(s.expiry, n)
			}
		}
		s.nextSweep = now.Add(sweepEvery)
	}
	if exp, ok := s.expiry[nonce]; ok && !now.After(exp) {
		return false, nil
	}
	s.expiry[nonce] = expiresAt
	return true, nil
}

// Len reports how many nonces are held, expired ones not yet swept included.
func (s *MemoryNonceStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.expiry)
}
