// Package biztest holds the one in-memory fake of trade-center's repository ports and
// the contract suite every implementation of those ports passes: the fake in the biz
// tests, the ent adapters in the data package's integration tests.
package biztest

import (
	"context"
	"errors"
	"maps"
	"sort"
	"sync"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
)

// Store is the in-memory database of trade-center's biz tests: it implements the
// repositories and the transaction, and passes RepositoryContract like the ent adapters.
// Transactions are serialized (as the project's row lock serializes them in MariaDB) and
// roll back on error.
type Store struct {
	txMu sync.Mutex // held for a whole transaction
	mu   sync.Mutex // guards the maps

	projects     map[int64]biz.Project
	tenders      map[int64]biz.Tender
	messages     map[string]biz.LoanMessage
	installments map[installmentKey]biz.Installment
	nextID       int64
	// busy marks loan messages another transaction holds (LockLoanMessage nowait).
	busy map[string]bool
	// failLoanTenders makes LoanTenders fail, once.
	failLoanTenders error
}

// NewStore returns an empty Store.
func NewStore() *Store {
	return &Store{projects: map[int64]biz.Project{}, tenders: map[int64]biz.Tender{},
		messages: map[string]biz.LoanMessage{}, installments: map[installmentKey]biz.Installment{}, busy: map[string]bool{}}
}

// installmentKey is project_installment's unique key.
type installmentKey struct {
	projectID int64
	period    int
}

type inTxKey struct{}

func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if ctx.Value(inTxKey{}) != nil {
		return fn(ctx)
	}
	s.txMu.Lock()
	defer s.txMu.Unlock()
	s.mu.Lock()
	p, t, m, in := maps.Clone(s.projects), maps.Clone(s.tenders), maps.Clone(s.messages), maps.Clone(s.installments)
	s.mu.Unlock()
	if err := fn(context.WithValue(ctx, inTxKey{}, true)); err != nil {
		s.mu.Lock()
		s.projects, s.tenders, s.messages, s.installments = p, t, m, in
		s.mu.Unlock()
		return err
	}
	return nil
}

// ErrNoTx is a locking read outside a transaction.
var ErrNoTx = errors.New("locking read outside a transaction")

func needTx(ctx context.Context) error {
	if ctx.Value(inTxKey{}) == nil {
		return ErrNoTx
	}
	return nil
}

func (s *Store) id() int64 { s.nextID++; return s.nextID }

// --- biz.ProjectRepo

func (s *Store) Project(_ context.Context, id int64) (*biz.Project, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.projects[id]
	if !ok {
		return nil, biz.ErrProjectNotFound
	}
	return &p, nil
}

func (s *Store) Projects(_ context.Context, f biz.ProjectFilter) ([]biz.Project, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []biz.Project
	for _, p := range s.projects {
		if f.Status == "" || p.Status == f.Status {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

func (s *Store) CreateProject(_ context.Context, p *biz.Project) (*biz.Project, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := *p
	c.ID, c.CreatedAt, c.UpdatedAt = s.id(), time.Now(), time.Now()
	if c.CollectDays == 0 {
		c.CollectDays = biz.DefaultCollectDays // the column's default
	}
	s.projects[c.ID] = c
	return &c, nil
}

func (s *Store) LockProject(ctx context.Context, id int64) (*biz.Project, error) {
	if err := needTx(ctx); err != nil {
		return nil, err
	}
	return s.Project(ctx, id)
}

func (s *Store) UpdateProject(_ context.Context, p *biz.Project) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.projects[p.ID]; !ok {
		return biz.ErrProjectNotFound
	}
	if p.Raised.Cmp(p.Amount) > 0 || p.Raised.IsNegative() {
		return errors.New("CHECK constraint chk_project_raised_le_amount failed")
	}
	s.projects[p.ID] = *p
	return nil
}

func (s *Store) OverdueProjects(_ context.Context, asOf time.Time, limit int) ([]biz.Project, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []biz.Project
	for _, p := range s.projects {
		if p.CollectionOverdue(asOf) {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// --- biz.TenderRepo

func (s *Store) CreateTender(_ context.Context, t *biz.Tender) (*biz.Tender, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, other := range s.tenders {
		if other.FreezeRequestNo == t.FreezeRequestNo {
			return nil, biz.ErrDuplicateRequestNo
		}
	}
	c := *t
	c.ID, c.CreatedAt, c.UpdatedAt = s.id(), time.Now(), time.Now()
	s.tenders[c.ID] = c
	return &c, nil
}

func (s *Store) CreateTenders(ctx context.Context, ts []*biz.Tender) ([]biz.Tender, error) {
	if err := needTx(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	nos := map[string]bool{}
	for _, other := range s.tenders {
		nos[other.FreezeRequestNo] = true
	}
	for _, t := range ts {
		if nos[t.FreezeRequestNo] {
			return nil, biz.ErrDuplicateRequestNo
		}
		nos[t.FreezeRequestNo] = true
	}
	out := make([]biz.Tender, len(ts))
	for i, t := range ts {
		c := *t
		c.ID, c.CreatedAt, c.UpdatedAt = s.id(), time.Now(), time.Now()
		s.tenders[c.ID] = c
		out[i] = c
	}
	return out, nil
}

func (s *Store) TenderByRequestNo(_ context.Context, requestNo string) (*biz.Tender, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tenders {
		if t.FreezeRequestNo == requestNo {
			return &t, nil
		}
	}
	return nil, biz.ErrTenderNotFound
}

func (s *Store) LockTender(ctx context.Context, id int64) (*biz.Tender, error) {
	if err := needTx(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tenders[id]
	if !ok {
		return nil, biz.ErrTenderNotFound
	}
	return &t, nil
}

func (s *Store) UpdateTender(_ context.Context, t *biz.Tender) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tenders[t.ID] = *t
	return nil
}

func (s *Store) LockTenders(ctx context.Context, ids []int64) ([]biz.Tender, error) {
	if err := needTx(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []biz.Tender
	for _, id := range ids {
		if t, ok := s.tenders[id]; ok {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (s *Store) SetTendersStatus(_ context.Context, ids []int64, status biz.TenderStatus) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		if t, ok := s.tenders[id]; ok {
			t.Status = status
			s.tenders[id] = t
		}
	}
	return nil
}

func (s *Store) Tenders(_ context.Context, projectID int64, status biz.TenderStatus) ([]biz.Tender, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []biz.Tender
	for _, t := range s.tenders {
		if t.ProjectID == projectID && t.Status == status {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (s *Store) CountTenders(ctx context.Context, projectID int64, status biz.TenderStatus) (int, error) {
	ts, err := s.Tenders(ctx, projectID, status)
	return len(ts), err
}

func (s *Store) PendingTenders(_ context.Context, before time.Time, limit int) ([]biz.Tender, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []biz.Tender
	for _, t := range s.tenders {
		if t.Status == biz.TenderPending && t.CreatedAt.Before(before) {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (s *Store) LoanTenders(_ context.Context, projectID int64) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.failLoanTenders; err != nil {
		s.failLoanTenders = nil
		return 0, err
	}
	n := 0
	for id, t := range s.tenders {
		if t.ProjectID == projectID && t.Status == biz.TenderFrozen {
			t.Status = biz.TenderLoaned
			s.tenders[id] = t
			n++
		}
	}
	return n, nil
}

func (s *Store) TendersToRefund(_ context.Context, afterID int64, limit int) ([]biz.Tender, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []biz.Tender
	for _, t := range s.tenders {
		if t.ID > afterID && t.AwaitsRefund() && s.projects[t.ProjectID].Status == biz.ProjectFailed {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// --- biz.InstallmentRepo

func (s *Store) RecordInstallment(_ context.Context, in biz.Installment) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := installmentKey{in.ProjectID, in.Period}
	if _, ok := s.installments[k]; ok {
		return false, nil
	}
	s.installments[k] = in
	return true, nil
}

func (s *Store) CountInstallments(_ context.Context, projectID int64) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k := range s.installments {
		if k.projectID == projectID {
			n++
		}
	}
	return n, nil
}

// --- biz.LoanMessageRepo

func (s *Store) CreateLoanMessage(_ context.Context, projectID int64, key string) (*biz.LoanMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := biz.LoanMessage{ID: s.id(), Key: key, ProjectID: projectID, State: biz.LoanMessagePending,
		CreatedAt: time.Now(), UpdatedAt: time.Now()}
	s.messages[key] = m
	return &m, nil
}

func (s *Store) LoanMessage(_ context.Context, key string) (*biz.LoanMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[key]
	if !ok {
		return nil, biz.ErrLoanMessageNotFound
	}
	return &m, nil
}

func (s *Store) LockLoanMessage(ctx context.Context, key string, nowait bool) (*biz.LoanMessage, error) {
	if err := needTx(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	busy := s.busy[key]
	s.mu.Unlock()
	if busy && nowait {
		return nil, biz.ErrLoanMessageBusy
	}
	return s.LoanMessage(ctx, key)
}

func (s *Store) UpdateLoanMessageState(_ context.Context, id int64, state biz.LoanMessageState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, m := range s.messages {
		if m.ID == id {
			m.State, m.UpdatedAt = state, time.Now()
			s.messages[k] = m
			return nil
		}
	}
	return biz.ErrLoanMessageNotFound
}

func (s *Store) Unconfirmed(_ context.Context, before time.Time, limit int) ([]*biz.LoanMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*biz.LoanMessage
	for _, m := range s.messages {
		last := m.UpdatedAt
		if m.RepublishedAt != nil {
			last = *m.RepublishedAt
		}
		if m.State == biz.LoanMessageCommitted && m.ConfirmedAt == nil && last.Before(before) {
			m := m
			out = append(out, &m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (s *Store) MarkRepublished(_ context.Context, id int64, at time.Time) error {
	return s.updateMessage(id, func(m *biz.LoanMessage) { m.RepublishedAt, m.Republished = &at, m.Republished+1 })
}

func (s *Store) ConfirmLoanMessage(_ context.Context, id int64, at time.Time) error {
	return s.updateMessage(id, func(m *biz.LoanMessage) { m.ConfirmedAt = &at })
}

func (s *Store) updateMessage(id int64, change func(*biz.LoanMessage)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, m := range s.messages {
		if m.ID == id {
			change(&m)
			m.UpdatedAt = time.Now()
			s.messages[k] = m
			return nil
		}
	}
	return biz.ErrLoanMessageNotFound
}

// AgeMessages moves every loan message's times d into the past, as if it had been
// written (and re-sent) d ago.
func (s *Store) AgeMessages(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, m := range s.messages {
		m.CreatedAt, m.UpdatedAt = m.CreatedAt.Add(-d), m.UpdatedAt.Add(-d)
		if m.RepublishedAt != nil {
			at := m.RepublishedAt.Add(-d)
			m.RepublishedAt = &at
		}
		s.messages[k] = m
	}
}

// Installments lists the project's recorded installments by period.
func (s *Store) Installments(projectID int64) []biz.Installment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []biz.Installment
	for k, in := range s.installments {
		if k.projectID == projectID {
			out = append(out, in)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Period < out[j].Period })
	return out
}

// OnlyMessage is the single loan message of the store.
func (s *Store) OnlyMessage() biz.LoanMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.messages) != 1 {
		panic("want exactly one loan message")
	}
	for _, m := range s.messages {
		return m
	}
	return biz.LoanMessage{}
}

// AgeTenders moves every tender's creation d into the past.
func (s *Store) AgeTenders(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, t := range s.tenders {
		t.CreatedAt = t.CreatedAt.Add(-d)
		s.tenders[k] = t
	}
}

// FailLoanTendersOnce makes the next LoanTenders fail with err.
func (s *Store) FailLoanTendersOnce(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failLoanTenders = err
}

// MarkLoanMessageBusy makes LockLoanMessage(nowait) of key answer ErrLoanMessageBusy, as
// a local transaction holding the row's lock would.
func (s *Store) MarkLoanMessageBusy(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.busy[key] = true
}

// PutProject overwrites a project as stored (a test's arrangement).
func (s *Store) PutProject(p biz.Project) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.projects[p.ID] = p
}

// TenderStatuses counts the stored tenders by status.
func (s *Store) TenderStatuses() map[biz.TenderStatus]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[biz.TenderStatus]int{}
	for _, t := range s.tenders {
		out[t.Status]++
	}
	return out
}

// MessageCount is how many loan messages are stored.
func (s *Store) MessageCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.messages)
}

// AllProjects lists the stored projects by id.
func (s *Store) AllProjects() []biz.Project {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]biz.Project, 0, len(s.projects))
	for _, p := range s.projects {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// AllTenders lists the stored tenders by id.
func (s *Store) AllTenders() []biz.Tender {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]biz.Tender, 0, len(s.tenders))
	for _, t := range s.tenders {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
