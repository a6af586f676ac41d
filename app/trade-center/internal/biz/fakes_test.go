package biz_test

import (
	"context"
	"errors"
	"io"
	"maps"
	"sort"
	"sync"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

var discard = log.NewStdLogger(io.Discard)

var rules = biz.LendingRules{CommissionRate: money.MustParseRate("0.03"), MinimumTender: money.MustParseAmount("100.00")}

// store is an in-memory database for the biz tests: it implements the repositories and
// the transaction. Transactions are serialized (as the project's row lock serializes
// them in MariaDB) and roll back on error.
type store struct {
	txMu sync.Mutex // held for a whole transaction
	mu   sync.Mutex // guards the maps

	projects map[int64]biz.Project
	tenders  map[int64]biz.Tender
	messages map[string]biz.LoanMessage
	nextID   int64
	// busy marks loan messages another transaction holds (LockLoanMessage nowait).
	busy map[string]bool
	// failLoanTenders makes LoanTenders fail, once.
	failLoanTenders error
}

func newStore() *store {
	return &store{projects: map[int64]biz.Project{}, tenders: map[int64]biz.Tender{},
		messages: map[string]biz.LoanMessage{}, busy: map[string]bool{}}
}

type inTxKey struct{}

func (s *store) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if ctx.Value(inTxKey{}) != nil {
		return fn(ctx)
	}
	s.txMu.Lock()
	defer s.txMu.Unlock()
	s.mu.Lock()
	p, t, m := maps.Clone(s.projects), maps.Clone(s.tenders), maps.Clone(s.messages)
	s.mu.Unlock()
	if err := fn(context.WithValue(ctx, inTxKey{}, true)); err != nil {
		s.mu.Lock()
		s.projects, s.tenders, s.messages = p, t, m
		s.mu.Unlock()
		return err
	}
	return nil
}

var errNoTx = errors.New("locking read outside a transaction")

func needTx(ctx context.Context) error {
	if ctx.Value(inTxKey{}) == nil {
		return errNoTx
	}
	return nil
}

func (s *store) id() int64 { s.nextID++; return s.nextID }

// --- biz.ProjectRepo

func (s *store) Project(_ context.Context, id int64) (*biz.Project, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.projects[id]
	if !ok {
		return nil, biz.ErrProjectNotFound
	}
	return &p, nil
}

func (s *store) Projects(_ context.Context, f biz.ProjectFilter) ([]biz.Project, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []biz.Project
	for _, p := range s.projects {
		if f.Status == "" || p.Status == f.Status {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	return out, nil
}

func (s *store) CreateProject(_ context.Context, p *biz.Project) (*biz.Project, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := *p
	c.ID, c.CreatedAt, c.UpdatedAt = s.id(), time.Now(), time.Now()
	s.projects[c.ID] = c
	return &c, nil
}

func (s *store) LockProject(ctx context.Context, id int64) (*biz.Project, error) {
	if err := needTx(ctx); err != nil {
		return nil, err
	}
	return s.Project(ctx, id)
}

func (s *store) UpdateProject(_ context.Context, p *biz.Project) error {
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

// --- biz.TenderRepo

func (s *store) CreateTender(_ context.Context, t *biz.Tender) (*biz.Tender, error) {
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

func (s *store) TenderByRequestNo(_ context.Context, requestNo string) (*biz.Tender, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tenders {
		if t.FreezeRequestNo == requestNo {
			return &t, nil
		}
	}
	return nil, biz.ErrTenderNotFound
}

func (s *store) LockTender(ctx context.Context, id int64) (*biz.Tender, error) {
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

func (s *store) UpdateTender(_ context.Context, t *biz.Tender) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tenders[t.ID] = *t
	return nil
}

func (s *store) Tenders(_ context.Context, projectID int64, status biz.TenderStatus) ([]biz.Tender, error) {
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

func (s *store) CountTenders(ctx context.Context, projectID int64, status biz.TenderStatus) (int, error) {
	ts, err := s.Tenders(ctx, projectID, status)
	return len(ts), err
}

func (s *store) PendingTenders(_ context.Context, before time.Time, limit int) ([]biz.Tender, error) {
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

func (s *store) LoanTenders(_ context.Context, projectID int64) (int, error) {
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

// --- biz.LoanMessageRepo

func (s *store) CreateLoanMessage(_ context.Context, projectID int64, key string) (*biz.LoanMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := biz.LoanMessage{ID: s.id(), Key: key, ProjectID: projectID, State: biz.LoanMessagePending,
		CreatedAt: time.Now(), UpdatedAt: time.Now()}
	s.messages[key] = m
	return &m, nil
}

func (s *store) LoanMessage(_ context.Context, key string) (*biz.LoanMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[key]
	if !ok {
		return nil, biz.ErrLoanMessageNotFound
	}
	return &m, nil
}

func (s *store) LockLoanMessage(ctx context.Context, key string, nowait bool) (*biz.LoanMessage, error) {
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

func (s *store) UpdateLoanMessageState(_ context.Context, id int64, state biz.LoanMessageState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, m := range s.messages {
		if m.ID == id {
			m.State = state
			s.messages[k] = m
			return nil
		}
	}
	return biz.ErrLoanMessageNotFound
}

// onlyMessage is the single loan message of the store.
func (s *store) onlyMessage() biz.LoanMessage {
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

// ageMessages moves every loan message's creation d into the past.
func (s *store) ageMessages(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, m := range s.messages {
		m.CreatedAt = m.CreatedAt.Add(-d)
		s.messages[k] = m
	}
}

// ageTenders moves every tender's creation d into the past.
func (s *store) ageTenders(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, t := range s.tenders {
		t.CreatedAt = t.CreatedAt.Add(-d)
		s.tenders[k] = t
	}
}

// fakeBank is the custody bank: idempotent freezes by request number, balances per user.
type fakeBank struct {
	mu        sync.Mutex
	available map[string]money.Amount
	freezes   map[string]biz.BankFreeze
	// freezeErrs are answered by the next Freeze calls, before anything is frozen.
	freezeErrs  []error
	freezeCalls int
	accountErr  error
	registerErr error
	registered  []biz.BankProject
	loanErr     error
	loans       []string
}

func newFakeBank() *fakeBank {
	return &fakeBank{available: map[string]money.Amount{}, freezes: map[string]biz.BankFreeze{}}
}

func (b *fakeBank) RegisterProject(_ context.Context, p biz.BankProject) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.registerErr != nil {
		return b.registerErr
	}
	b.registered = append(b.registered, p)
	return nil
}

func (b *fakeBank) Account(_ context.Context, userNo string) (biz.BankAccount, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.accountErr != nil {
		return biz.BankAccount{}, b.accountErr
	}
	frozen := money.Amount{}
	for _, f := range b.freezes {
		if f.UserNo == userNo {
			frozen = frozen.Add(f.Amount)
		}
	}
	return biz.BankAccount{UserNo: userNo, Balance: b.available[userNo].Add(frozen), Frozen: frozen}, nil
}

func (b *fakeBank) Freeze(_ context.Context, f biz.BankFreeze) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.freezeCalls++
	if len(b.freezeErrs) > 0 {
		err := b.freezeErrs[0]
		b.freezeErrs = b.freezeErrs[1:]
		if err != nil {
			return err
		}
	}
	if _, ok := b.freezes[f.RequestNo]; ok {
		return nil
	}
	if b.available[f.UserNo].Cmp(f.Amount) < 0 {
		return biz.ErrInsufficientBalance
	}
	b.available[f.UserNo] = b.available[f.UserNo].Sub(f.Amount)
	b.freezes[f.RequestNo] = f
	return nil
}

func (b *fakeBank) ConfirmLoan(_ context.Context, requestNo, _ string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.loanErr != nil {
		return b.loanErr
	}
	b.loans = append(b.loans, requestNo)
	return nil
}

func (b *fakeBank) frozenTotal() money.Amount {
	b.mu.Lock()
	defer b.mu.Unlock()
	total := money.Amount{}
	for _, f := range b.freezes {
		total = total.Add(f.Amount)
	}
	return total
}

// fakeDirectory is user-center: custody accounts by caller token.
type fakeDirectory struct {
	custody map[string]biz.Custody
	err     error
	calls   int
}

func (d *fakeDirectory) CallerCustody(_ context.Context, caller biz.Caller) (biz.Custody, error) {
	d.calls++
	if d.err != nil {
		return biz.Custody{}, d.err
	}
	c, ok := d.custody[caller.Token]
	if !ok {
		return biz.Custody{UserID: caller.UserID, Status: "NONE"}, nil
	}
	return c, nil
}

// fakeMessenger is the transactional producer: it "stores" the half message, runs the
// local transaction synchronously and reports its outcome, like rocketmq-client-go.
type fakeMessenger struct {
	ledger  *biz.LoanLedger
	sendErr error
	sent    []biz.StartRepayment
}

func (m *fakeMessenger) SendInTransaction(ctx context.Context, key string, msg biz.StartRepayment) (biz.TxOutcome, error) {
	if m.sendErr != nil {
		return biz.TxUnknown, m.sendErr
	}
	m.sent = append(m.sent, msg)
	return m.ledger.Execute(ctx, key), nil
}
