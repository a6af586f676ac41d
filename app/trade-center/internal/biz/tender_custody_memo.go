package biz

import (
	"sync"
	"time"
)

// Open custody accounts, remembered for the tender pre-check
//
// Every tender asks user-center who the caller is at the bank (GET /v1/users/me with the
// caller's token): a call, a database read there and a JSON answer per tender — a third of
// user-center's CPU on a hot project. An OPEN custody account is final: it never closes
// and its bank user number never changes. So this process remembers, per user, an OPEN
// answer (and only an OPEN one: NONE, PENDING and FAILED may still change) for
// OpenCustodyTTL. The caller is still authenticated on every request by the token's
// signature (pkg/auth); the memo only saves asking user-center a question whose answer
// cannot have changed.

// OpenCustodyTTL is how long an OPEN answer about one user is used.
const OpenCustodyTTL = 5 * time.Minute

// openCustodyMax bounds the memo; past it, it starts again from empty.
const openCustodyMax = 1 << 16

type openCustody struct {
	custody Custody
	at      time.Time
}

// openCustodies is safe for concurrent use.
type openCustodies struct {
	mu  sync.Mutex
	now func() time.Time
	m   map[int64]openCustody
}

func newOpenCustodies(now func() time.Time) *openCustodies {
	return &openCustodies{now: now, m: map[int64]openCustody{}}
}

// get is the user's OPEN custody account, if one was seen within OpenCustodyTTL.
func (o *openCustodies) get(userID int64) (Custody, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	c, ok := o.m[userID]
	if !ok || o.now().Sub(c.at) >= OpenCustodyTTL {
		return Custody{}, false
	}
	return c.custody, true
}

// remember keeps c if it is an OPEN account with its bank user number.
func (o *openCustodies) remember(c Custody) {
	if c.Status != CustodyOpen || c.UserNo == "" {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.m) >= openCustodyMax {
		o.m = map[int64]openCustody{}
	}
	o.m[c.UserID] = openCustody{custody: c, at: o.now()}
}
