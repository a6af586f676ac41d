package biztest

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz"
)

// Messages is an in-memory biz.RepaidMessenger over Plans, with DTM's rules for a
// two-phase message: a gid is prepared once (a second Send with it is refused, as DTM
// refuses to prepare a gid whose message failed or was submitted), the local transaction
// runs in Plans.InTx, a failed one aborts the message, a committed one is submitted —
// unless the submit is lost, and then CheckBack delivers it, as DTM's check-back does.
type Messages struct {
	plans *Plans

	mu        sync.Mutex
	gids      map[string]msgState
	held      map[string]biz.InstallmentRepaid // committed, submit lost
	delivered []biz.InstallmentRepaid

	// LoseSubmits: the next n submits after a committed local transaction are lost.
	LoseSubmits int
}

type msgState int

const (
	msgPrepared msgState = iota
	msgCommitted
	msgAborted
)

// ErrGIDSpent is DTM refusing to prepare a gid again.
var ErrGIDSpent = errors.New("dtm: the gid was used already")

// NewMessages returns the messenger of plans.
func NewMessages(plans *Plans) *Messages {
	return &Messages{plans: plans, gids: map[string]msgState{}, held: map[string]biz.InstallmentRepaid{}}
}

// Send implements biz.RepaidMessenger.
func (m *Messages) Send(ctx context.Context, gid string, msg biz.InstallmentRepaid, localTx func(ctx context.Context) error) error {
	m.mu.Lock()
	if _, seen := m.gids[gid]; seen {
		m.mu.Unlock()
		return fmt.Errorf("%w: %s", ErrGIDSpent, gid)
	}
	m.gids[gid] = msgPrepared
	m.mu.Unlock()
	err := m.plans.InTx(ctx, localTx)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		m.gids[gid] = msgAborted
		return err
	}
	m.gids[gid] = msgCommitted
	if m.LoseSubmits > 0 {
		m.LoseSubmits--
		m.held[gid] = msg
		return errors.New("dtm: submit lost")
	}
	m.delivered = append(m.delivered, msg)
	return nil
}

// CheckBack delivers every message whose local transaction committed but whose submit was
// lost, and reports how many.
func (m *Messages) CheckBack() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := len(m.held)
	for gid, msg := range m.held {
		m.delivered = append(m.delivered, msg)
		delete(m.held, gid)
	}
	return n
}

// Delivered are the messages trade-center received, in order.
func (m *Messages) Delivered() []biz.InstallmentRepaid {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]biz.InstallmentRepaid(nil), m.delivered...)
}

// Prepared implements biz.RepaidMessenger for the gid in ctx (WithGID).
func (m *Messages) Prepared(ctx context.Context) error {
	gid, _ := ctx.Value(gidKey{}).(string)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.gids[gid] == msgCommitted {
		return nil
	}
	m.gids[gid] = msgAborted
	return fmt.Errorf("dtm: %s did not commit", gid)
}

type gidKey struct{}

// WithGID is ctx carrying a check-back's gid, as DTM's metadata carries it.
func WithGID(ctx context.Context, gid string) context.Context {
	return context.WithValue(ctx, gidKey{}, gid)
}
