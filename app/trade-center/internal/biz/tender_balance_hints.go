package biz

import (
	"sync"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// Balance hints: the tender pre-check without a signed call per tender
//
// The pre-check asks the bank for the investor's available money so that a tender that
// cannot be paid never takes the project's lock. That question is a signed request and
// a signed answer — two RSA-2048 signatures, a third of trade-center's CPU per tender
// on a hot project. The freeze checks the balance itself and is the only check that
// decides; the pre-check is an optimisation. So this process remembers, per custody
// user, what the bank last said was available, minus what it froze since, for
// BalanceHintTTL:
//
//   - a hint at least the tender's amount lets the tender go on without asking the bank;
//     if the money left meanwhile (a withdrawal, another instance's tenders), the freeze
//     refuses with INSUFFICIENT_BALANCE, the reservation is released and the investor
//     gets the same 422 the pre-check would have given;
//   - a hint below the amount never refuses: the bank is asked again (money may have come
//     in), and its answer decides the pre-check as before;
//   - a refusal for insufficient balance drops the hint.
//
// A hint is never a reason to refuse and never a reason to freeze: it only saves asking.

// BalanceHintTTL is how long the bank's answer about one custody user is used.
const BalanceHintTTL = 2 * time.Second

// balanceHintsMax is the number of users above which a new hint first sweeps out the
// expired ones (at most once per BalanceHintTTL, so a storm of more fresh investors than
// this does not sweep on every tender), keeping the map near the set of recently active
// investors.
const balanceHintsMax = 4096

type balanceHint struct {
	available money.Amount
	at        time.Time
}

// balanceHints is safe for concurrent use.
type balanceHints struct {
	mu    sync.Mutex
	now   func() time.Time
	m     map[string]balanceHint
	swept time.Time // the last sweep of expired hints
}

func newBalanceHints(now func() time.Time) *balanceHints {
	return &balanceHints{now: now, m: map[string]balanceHint{}}
}

// covers says whether userNo's fresh hint is at least amount.
func (h *balanceHints) covers(userNo string, amount money.Amount) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	hint, ok := h.m[userNo]
	return ok && h.now().Sub(hint.at) < BalanceHintTTL && hint.available.Cmp(amount) >= 0
}

// remember records what the bank just said userNo has available.
func (h *balanceHints) remember(userNo string, available money.Amount) {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.now()
	if len(h.m) >= balanceHintsMax && now.Sub(h.swept) >= BalanceHintTTL {
		h.swept = now
		for u, hint := range h.m {
			if now.Sub(hint.at) >= BalanceHintTTL {
				delete(h.m, u)
			}
		}
	}
	h.m[userNo] = balanceHint{available: available, at: now}
}

// spent lowers userNo's hint by what the bank just froze; the hint keeps its age.
func (h *balanceHints) spent(userNo string, amount money.Amount) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if hint, ok := h.m[userNo]; ok {
		hint.available = hint.available.Sub(amount)
		h.m[userNo] = hint
	}
}

// forget drops userNo's hint (the bank refused for lack of money).
func (h *balanceHints) forget(userNo string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.m, userNo)
}
