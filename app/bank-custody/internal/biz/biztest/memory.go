// Package biztest is an in-memory bank for the use cases' tests: every repository biz
// declares, over maps, with transactions that roll back on error. It mirrors what the
// database guarantees (unique keys, locking reads only inside a transaction) so the use
// cases can be tested without MariaDB.
package biztest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// Bank holds the state. Read it with the exported accessors after a use case ran.
type Bank struct {
	txMu sync.Mutex // one transaction at a time, like a row lock on everything
	mu   sync.Mutex

	requests map[string]biz.CustodyRequest
	users    map[string]biz.BankUser
	accounts map[string]biz.Account
	projects map[string]biz.Project
	freezes  map[string]biz.Freeze
	// repayments by request number.
	repayments map[string]biz.Repayment
	nonces     map[string]time.Time
	attempts   []biz.NotificationAttempt

	// Published are the notifications handed to the publisher, in order.
	Published []biz.Notification
	// PublishErr, when set, makes Publish fail.
	PublishErr error
	// Commits counts committed transactions.
	Commits int
}

// New returns an empty bank.
func New() *Bank {
	return &Bank{
		requests: map[string]biz.CustodyRequest{}, users: map[string]biz.BankUser{},
		accounts: map[string]biz.Account{}, projects: map[string]biz.Project{},
		freezes: map[string]biz.Freeze{}, repayments: map[string]biz.Repayment{}, nonces: map[string]time.Time{},
	}
}

type txKey struct{}

func inTx(ctx context.Context) bool { return ctx.Value(txKey{}) != nil }

var errNoTx = errors.New("biztest: a locking read needs a transaction")

// Tx runs use cases in transactions: fn's changes are undone when it fails.
func (b *Bank) Tx() biz.Transaction { return txView{b} }

type txView struct{ b *Bank }

func (t txView) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if inTx(ctx) {
		return fn(ctx)
	}
	b := t.b
	b.txMu.Lock()
	defer b.txMu.Unlock()
	b.mu.Lock()
	saved := [...]any{maps.Clone(b.requests), maps.Clone(b.users), maps.Clone(b.accounts), maps.Clone(b.projects),
		maps.Clone(b.freezes), maps.Clone(b.nonces), maps.Clone(b.repayments)}
	b.mu.Unlock()
	if err := fn(context.WithValue(ctx, txKey{}, true)); err != nil {
		b.mu.Lock()
		b.requests = saved[0].(map[string]biz.CustodyRequest)
		b.users = saved[1].(map[string]biz.BankUser)
		b.accounts = saved[2].(map[string]biz.Account)
		b.projects = saved[3].(map[string]biz.Project)
		b.freezes = saved[4].(map[string]biz.Freeze)
		b.nonces = saved[5].(map[string]time.Time)
		b.repayments = saved[6].(map[string]biz.Repayment)
		b.mu.Unlock()
		return err
	}
	b.mu.Lock()
	b.Commits++
	b.mu.Unlock()
	return nil
}

// Snapshot reads as of one moment: no transaction commits while fn runs.
func (b *Bank) Snapshot() biz.Snapshot { return snapshot{b} }

type snapshot struct{ b *Bank }

func (s snapshot) InSnapshot(ctx context.Context, fn func(ctx context.Context) error) error {
	if inTx(ctx) {
		return fn(ctx)
	}
	s.b.txMu.Lock()
	defer s.b.txMu.Unlock()
	return fn(context.WithValue(ctx, txKey{}, true))
}

// --- seeding and inspection -----------------------------------------------------------

// PutUser stores a bank user with an account holding balance and frozen.
func (b *Bank) PutUser(u biz.BankUser, a biz.Account) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.users[u.UserNo] = u
	a.UserNo = u.UserNo
	b.accounts[u.UserNo] = a
}

// PutAccount stores an account without a bank user (a platform's fee account).
func (b *Bank) PutAccount(a biz.Account) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.accounts[a.UserNo] = a
}

// PutProject stores a project.
func (b *Bank) PutProject(p biz.Project) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.projects[p.ProjectNo] = p
}

// PutRequest stores a request.
func (b *Bank) PutRequest(r biz.CustodyRequest) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.requests[r.RequestNo] = r
}

// Request returns a stored request.
func (b *Bank) Request(no string) (biz.CustodyRequest, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r, ok := b.requests[no]
	return r, ok
}

// Requests counts the stored requests.
func (b *Bank) Requests() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.requests)
}

// Account returns a stored account.
func (b *Bank) Account(userNo string) (biz.Account, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	a, ok := b.accounts[userNo]
	return a, ok
}

// Users returns the stored users, by user number.
func (b *Bank) Users() map[string]biz.BankUser {
	b.mu.Lock()
	defer b.mu.Unlock()
	return maps.Clone(b.users)
}

// Project returns a stored project.
func (b *Bank) Project(no string) (biz.Project, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p, ok := b.projects[no]
	return p, ok
}

// Freezes returns the stored freezes, by request number.
func (b *Bank) Freezes() map[string]biz.Freeze {
	b.mu.Lock()
	defer b.mu.Unlock()
	return maps.Clone(b.freezes)
}

// Repayments returns the stored repayments, by request number.
func (b *Bank) Repayments() map[string]biz.Repayment {
	b.mu.Lock()
	defer b.mu.Unlock()
	return maps.Clone(b.repayments)
}

// Nonces counts the claimed nonces.
func (b *Bank) Nonces() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.nonces)
}

// Attempts returns the recorded delivery attempts.
func (b *Bank) Attempts() []biz.NotificationAttempt {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.attempts)
}

// --- requests -------------------------------------------------------------------------

// RequestRepo is the request log.
func (b *Bank) RequestRepo() biz.RequestRepo { return requests{b} }

type requests struct{ b *Bank }

func (v requests) Get(_ context.Context, no string) (*biz.CustodyRequest, error) {
	v.b.mu.Lock()
	defer v.b.mu.Unlock()
	r, ok := v.b.requests[no]
	if !ok {
		return nil, fmt.Errorf("%w: %s", biz.ErrRequestNotFound, no)
	}
	return &r, nil
}

func (v requests) Lock(ctx context.Context, no string) (*biz.CustodyRequest, error) {
	if !inTx(ctx) {
		return nil, errNoTx
	}
	return v.Get(ctx, no)
}

func (v requests) Create(_ context.Context, r *biz.CustodyRequest) error {
	v.b.mu.Lock()
	defer v.b.mu.Unlock()
	if _, ok := v.b.requests[r.RequestNo]; ok {
		return fmt.Errorf("%w: %s", biz.ErrDuplicateRequest, r.RequestNo)
	}
	v.b.requests[r.RequestNo] = *r
	return nil
}

func (v requests) Taken(_ context.Context, nos []string) (map[string]bool, error) {
	v.b.mu.Lock()
	defer v.b.mu.Unlock()
	out := map[string]bool{}
	for _, no := range nos {
		if _, ok := v.b.requests[no]; ok {
			out[no] = true
		}
	}
	return out, nil
}

func (v requests) CreateAll(_ context.Context, rs []*biz.CustodyRequest) error {
	v.b.mu.Lock()
	defer v.b.mu.Unlock()
	for _, r := range rs {
		if _, ok := v.b.requests[r.RequestNo]; ok {
			return fmt.Errorf("%w: %s", biz.ErrDuplicateRequest, r.RequestNo)
		}
	}
	for _, r := range rs {
		v.b.requests[r.RequestNo] = *r
	}
	return nil
}

func (v requests) SaveResult(_ context.Context, r *biz.CustodyRequest) error {
	v.b.mu.Lock()
	defer v.b.mu.Unlock()
	old, ok := v.b.requests[r.RequestNo]
	if !ok || old.Status != biz.RequestProcessing {
		return fmt.Errorf("finish %s: %w", r.RequestNo, biz.ErrRequestFinished)
	}
	old.Status, old.UpdatedAt, old.PasswordHash = r.Status, r.UpdatedAt, ""
	if r.UserNo != "" {
		old.UserNo = r.UserNo
	}
	if r.FailureReason != "" {
		old.FailureReason = r.FailureReason
	}
	v.b.requests[r.RequestNo] = old
	return nil
}

func (v requests) SaveRetry(_ context.Context, r *biz.CustodyRequest) error {
	v.b.mu.Lock()
	defer v.b.mu.Unlock()
	old, ok := v.b.requests[r.RequestNo]
	if !ok || old.Status != biz.RequestFailed || old.ServiceName != r.ServiceName {
		return fmt.Errorf("retry %s: %w", r.RequestNo, biz.ErrRequestFinished)
	}
	old.Status, old.UserNo, old.Amount, old.FailureReason = r.Status, r.UserNo, r.Amount, r.FailureReason
	old.Details, old.UpdatedAt = r.Details, r.UpdatedAt
	v.b.requests[r.RequestNo] = old
	return nil
}

func (v requests) SumSucceeded(_ context.Context, service biz.ServiceName) (money.Amount, error) {
	v.b.mu.Lock()
	defer v.b.mu.Unlock()
	var sum money.Amount
	for _, r := range v.b.requests {
		if r.ServiceName == service && r.Status == biz.RequestSuccess && r.Amount != nil {
			sum = sum.Add(*r.Amount)
		}
	}
	return sum, nil
}

func (v requests) Processing(_ context.Context, platforms []string, limit int) ([]string, error) {
	v.b.mu.Lock()
	defer v.b.mu.Unlock()
	var rs []biz.CustodyRequest
	for _, r := range v.b.requests {
		if r.Status == biz.RequestProcessing && slices.Contains(biz.GatewayServices, r.ServiceName) && slices.Contains(platforms, r.PlatformNo) {
			rs = append(rs, r)
		}
	}
	slices.SortFunc(rs, func(x, y biz.CustodyRequest) int {
		return cmp.Or(x.CreatedAt.Compare(y.CreatedAt), cmp.Compare(x.RequestNo, y.RequestNo))
	})
	var out []string
	for _, r := range rs[:min(limit, len(rs))] {
		out = append(out, r.RequestNo)
	}
	return out, nil
}

func (v requests) Unpublished(_ context.Context, platforms []string, limit int) ([]*biz.CustodyRequest, error) {
	v.b.mu.Lock()
	defer v.b.mu.Unlock()
	var out []*biz.CustodyRequest
	for _, r := range v.b.requests {
		if r.Finished() && r.NotifyPublishedAt == nil && slices.Contains(biz.GatewayServices, r.ServiceName) && slices.Contains(platforms, r.PlatformNo) {
			out = append(out, &r)
		}
	}
	slices.SortFunc(out, func(x, y *biz.CustodyRequest) int {
		return cmp.Or(x.UpdatedAt.Compare(y.UpdatedAt), cmp.Compare(x.RequestNo, y.RequestNo))
	})
	return out[:min(limit, len(out))], nil
}

func (v requests) MarkPublished(_ context.Context, no string, at time.Time) error {
	v.b.mu.Lock()
	defer v.b.mu.Unlock()
	r := v.b.requests[no]
	if r.NotifyPublishedAt == nil {
		r.NotifyPublishedAt = &at
		v.b.requests[no] = r
	}
	return nil
}

// --- nonces, users, accounts ----------------------------------------------------------

// NonceRepo claims gateway nonces.
func (b *Bank) NonceRepo() biz.NonceRepo { return nonces{b} }

type nonces struct{ b *Bank }

func (v nonces) Claim(_ context.Context, nonce string, expiresAt time.Time) (bool, error) {
	v.b.mu.Lock()
	defer v.b.mu.Unlock()
	if _, ok := v.b.nonces[nonce]; ok {
		return false, nil
	}
	v.b.nonces[nonce] = expiresAt
	return true, nil
}

// UserRepo is the bank's users.
func (b *Bank) UserRepo() biz.UserRepo { return users{b} }

type users struct{ b *Bank }

func (v users) ByUserNo(_ context.Context, userNo string) (*biz.BankUser, error) {
	v.b.mu.Lock()
	defer v.b.mu.Unlock()
	u, ok := v.b.users[userNo]
	if !ok {
		return nil, fmt.Errorf("%w: %s", biz.ErrAccountNotFound, userNo)
	}
	return &u, nil
}

func (v users) ByPlatformUser(_ context.Context, platformNo string, id int64) (*biz.BankUser, error) {
	v.b.mu.Lock()
	defer v.b.mu.Unlock()
	for _, u := range v.b.users {
		if u.PlatformNo == platformNo && u.PlatformUserID == id {
			return &u, nil
		}
	}
	return nil, fmt.Errorf("%w: %s/%d", biz.ErrAccountNotFound, platformNo, id)
}

func (v users) ByUserNos(_ context.Context, userNos []string) (map[string]*biz.BankUser, error) {
	v.b.mu.Lock()
	defer v.b.mu.Unlock()
	out := map[string]*biz.BankUser{}
	for _, no := range userNos {
		if u, ok := v.b.users[no]; ok {
			out[no] = &u
		}
	}
	return out, nil
}

func (v users) Create(_ context.Context, u biz.BankUser) error {
	v.b.mu.Lock()
	defer v.b.mu.Unlock()
	if _, ok := v.b.users[u.UserNo]; ok {
		return fmt.Errorf("%w: %s", biz.ErrUserNoTaken, u.UserNo)
	}
	for _, o := range v.b.users {
		if o.PlatformNo == u.PlatformNo && o.PlatformUserID == u.PlatformUserID {
			return fmt.Errorf("%w: %d", biz.ErrPlatformUserHasAccount, u.PlatformUserID)
		}
	}
	v.b.users[u.UserNo] = u
	return nil
}

// AccountRepo is the bank users' money.
func (b *Bank) AccountRepo() biz.AccountRepo { return accounts{b} }

type accounts struct{ b *Bank }

func (v accounts) Get(_ context.Context, userNo string) (*biz.Account, error) {
	v.b.mu.Lock()
	defer v.b.mu.Unlock()
	a, ok := v.b.accounts[userNo]
	if !ok {
		return nil, fmt.Errorf("%w: %s", biz.ErrAccountNotFound, userNo)
	}
	return &a, nil
}

func (v accounts) Lock(ctx context.Context, userNo string) (*biz.Account, error) {
	if !inTx(ctx) {
		return nil, errNoTx
	}
	return v.Get(ctx, userNo)
}

func (v accounts) LockAll(ctx context.Context, userNos []string) (map[string]*biz.Account, error) {
	if !inTx(ctx) {
		return nil, errNoTx
	}
	v.b.mu.Lock()
	defer v.b.mu.Unlock()
	out := map[string]*biz.Account{}
	for _, no := range userNos {
		if a, ok := v.b.accounts[no]; ok {
			out[no] = &a
		}
	}
	return out, nil
}

func (v accounts) Open(_ context.Context, userNo string, at time.Time) error {
	v.b.mu.Lock()
	defer v.b.mu.Unlock()
	if _, ok := v.b.accounts[userNo]; ok {
		return fmt.Errorf("account %s exists", userNo)
	}
	v.b.accounts[userNo] = biz.Account{UserNo: userNo, UpdatedAt: at}
	return nil
}

func (v accounts) Save(ctx context.Context, a *biz.Account) error {
	return v.SaveAll(ctx, []*biz.Account{a})
}

// SaveAll stores all or, like the one statement of the database, none.
func (v accounts) SaveAll(_ context.Context, all []*biz.Account) error {
	v.b.mu.Lock()
	defer v.b.mu.Unlock()
	for _, a := range all {
		if _, ok := v.b.accounts[a.UserNo]; !ok {
			return fmt.Errorf("account %s does not exist", a.UserNo)
		}
		// The database's CHECK constraints.
		if a.Balance.IsNegative() || a.Frozen.IsNegative() {
			return fmt.Errorf("account %s: negative balance %s or frozen %s refused", a.UserNo, a.Balance, a.Frozen)
		}
	}
	for _, a := range all {
		v.b.accounts[a.UserNo] = *a
	}
	return nil
}

func (v accounts) Totals(context.Context) (biz.AccountTotals, error) {
	v.b.mu.Lock()
	defer v.b.mu.Unlock()
	var t biz.AccountTotals
	for _, a := range v.b.accounts {
		t.Balances, t.Frozen, t.Accounts = t.Balances.Add(a.Balance), t.Frozen.Add(a.Frozen), t.Accounts+1
	}
	return t, nil
}

// --- projects and freezes -------------------------------------------------------------

// ProjectRepo is the registered projects.
func (b *Bank) ProjectRepo() biz.ProjectRepo { return projects{b} }

type projects struct{ b *Bank }

func (v projects) Get(_ context.Context, no string) (*biz.Project, error) {
	v.b.mu.Lock()
	defer v.b.mu.Unlock()
	p, ok := v.b.projects[no]
	if !ok {
		return nil, fmt.Errorf("%w: %s", biz.ErrProjectNotFound, no)
	}
	return &p, nil
}

func (v projects) Lock(ctx context.Context, no string) (*biz.Project, error) {
	if !inTx(ctx) {
		return nil, errNoTx
	}
	return v.Get(ctx, no)
}

func (v projects) Create(_ context.Context, p *biz.Project) error {
	v.b.mu.Lock()
	defer v.b.mu.Unlock()
	for _, o := range v.b.projects {
		if o.ProjectNo == p.ProjectNo || o.PlatformProjectID == p.PlatformProjectID {
			return fmt.Errorf("%w: %s", biz.ErrProjectAlreadyRegistered, p.ProjectNo)
		}
	}
	v.b.projects[p.ProjectNo] = *p
	return nil
}

func (v projects) SetStatus(_ context.Context, no string, s biz.ProjectStatus, at time.Time) error {
	return v.update(no, func(p *biz.Project) { p.Status, p.UpdatedAt = s, at })
}

// update changes a stored project.
func (v projects) update(no string, change func(*biz.Project)) error {
	v.b.mu.Lock()
	defer v.b.mu.Unlock()
	p, ok := v.b.projects[no]
	if !ok {
		return fmt.Errorf("project %s does not exist", no)
	}
	change(&p)
	v.b.projects[no] = p
	return nil
}

func (v projects) SetHeld(ctx context.Context, no string, held money.Amount, at time.Time) error {
	if !inTx(ctx) {
		return errNoTx
	}
	return v.update(no, func(p *biz.Project) { p.Held, p.UpdatedAt = held, at })
}

// FreezeRepo is the frozen money.
func (b *Bank) FreezeRepo() biz.FreezeRepo { return freezes{b} }

type freezes struct{ b *Bank }

func (v freezes) Get(_ context.Context, no string) (*biz.Freeze, error) {
	v.b.mu.Lock()
	defer v.b.mu.Unlock()
	f, ok := v.b.freezes[no]
	if !ok {
		return nil, fmt.Errorf("%w: %s", biz.ErrFreezeNotFound, no)
	}
	return &f, nil
}

func (v freezes) OfProject(ctx context.Context, projectNo string) ([]*biz.Freeze, error) {
	if !inTx(ctx) {
		return nil, errNoTx
	}
	v.b.mu.Lock()
	defer v.b.mu.Unlock()
	var out []*biz.Freeze
	for _, no := range slices.Sorted(maps.Keys(v.b.freezes)) {
		if f := v.b.freezes[no]; f.ProjectNo == projectNo {
			out = append(out, &f)
		}
	}
	return out, nil
}

func (v freezes) Create(_ context.Context, f *biz.Freeze) error {
	v.b.mu.Lock()
	defer v.b.mu.Unlock()
	if _, ok := v.b.freezes[f.RequestNo]; ok {
		return fmt.Errorf("%w: %s", biz.ErrDuplicateRequest, f.RequestNo)
	}
	v.b.freezes[f.RequestNo] = *f
	return nil
}

func (v freezes) GetMany(_ context.Context, nos []string) (map[string]*biz.Freeze, error) {
	v.b.mu.Lock()
	defer v.b.mu.Unlock()
	out := map[string]*biz.Freeze{}
	for _, no := range nos {
		if f, ok := v.b.freezes[no]; ok {
			out[no] = &f
		}
	}
	return out, nil
}

func (v freezes) CreateAll(_ context.Context, fs []*biz.Freeze) error {
	v.b.mu.Lock()
	defer v.b.mu.Unlock()
	for _, f := range fs {
		if _, ok := v.b.freezes[f.RequestNo]; ok {
			return fmt.Errorf("%w: %s", biz.ErrDuplicateRequest, f.RequestNo)
		}
	}
	for _, f := range fs {
		v.b.freezes[f.RequestNo] = *f
	}
	return nil
}

func (v freezes) SetStatus(_ context.Context, nos []string, s biz.FreezeStatus, at time.Time) error {
	v.b.mu.Lock()
	defer v.b.mu.Unlock()
	for _, no := range nos {
		f, ok := v.b.freezes[no]
		if !ok {
			return fmt.Errorf("freeze %s does not exist", no)
		}
		f.Status, f.UpdatedAt = s, at
		v.b.freezes[no] = f
	}
	return nil
}

// RepaymentRepo is the installments paid out.
func (b *Bank) RepaymentRepo() biz.RepaymentRepo { return repayments{b} }

type repayments struct{ b *Bank }

func (v repayments) Get(_ context.Context, projectNo string, period int) (*biz.Repayment, error) {
	v.b.mu.Lock()
	defer v.b.mu.Unlock()
	for _, r := range v.b.repayments {
		if r.ProjectNo == projectNo && r.Period == period {
			return &r, nil
		}
	}
	return nil, fmt.Errorf("%w: %s period %d", biz.ErrRepaymentNotFound, projectNo, period)
}

func (v repayments) Create(_ context.Context, r *biz.Repayment) error {
	v.b.mu.Lock()
	defer v.b.mu.Unlock()
	for _, o := range v.b.repayments {
		if o.ProjectNo == r.ProjectNo && o.Period == r.Period {
			return fmt.Errorf("%w: %s period %d", biz.ErrPeriodAlreadyRepaid, r.ProjectNo, r.Period)
		}
	}
	if _, ok := v.b.repayments[r.RequestNo]; ok {
		return fmt.Errorf("%w: %s", biz.ErrDuplicateRequest, r.RequestNo)
	}
	v.b.repayments[r.RequestNo] = *r
	return nil
}

// --- notifier -------------------------------------------------------------------------

// AttemptRecorder is the delivery log; a repeated (request, attempt) keeps the first.
func (b *Bank) AttemptRecorder() biz.AttemptRecorder { return attempts{b} }

type attempts struct{ b *Bank }

func (v attempts) Record(_ context.Context, a biz.NotificationAttempt) error {
	v.b.mu.Lock()
	defer v.b.mu.Unlock()
	for _, o := range v.b.attempts {
		if o.RequestNo == a.RequestNo && o.Attempt == a.Attempt {
			return nil
		}
	}
	v.b.attempts = append(v.b.attempts, a)
	return nil
}

// NotificationRepo reads the delivery log: a request's attempts by attempt number.
func (b *Bank) NotificationRepo() biz.NotificationRepo { return attempts{b} }

func (v attempts) Attempts(_ context.Context, requestNo string) ([]biz.NotificationAttempt, error) {
	v.b.mu.Lock()
	defer v.b.mu.Unlock()
	var out []biz.NotificationAttempt
	for _, a := range v.b.attempts {
		if a.RequestNo == requestNo {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(x, y biz.NotificationAttempt) int { return cmp.Compare(x.Attempt, y.Attempt) })
	return out, nil
}

// Publisher records what is published, or fails with PublishErr.
func (b *Bank) Publisher() biz.NotificationPublisher { return publisher{b} }

type publisher struct{ b *Bank }

func (v publisher) Publish(_ context.Context, _ string, n biz.Notification) error {
	v.b.mu.Lock()
	defer v.b.mu.Unlock()
	if v.b.PublishErr != nil {
		return v.b.PublishErr
	}
	v.b.Published = append(v.b.Published, n)
	return nil
}

// Platforms is a fixed set of platforms.
type Platforms map[string]biz.Platform

// Platform implements biz.Platforms.
func (p Platforms) Platform(no string) (biz.Platform, bool) {
	pl, ok := p[no]
	return pl, ok
}

// Nos implements biz.Platforms.
func (p Platforms) Nos() []string { return slices.Sorted(maps.Keys(p)) }

// PlainHasher "hashes" by prefixing, so tests can see which password was kept.
type PlainHasher struct{}

// Hash implements biz.PasswordHasher.
func (PlainHasher) Hash(plain string) (string, error) { return "hashed:" + plain, nil }

// Matches implements biz.PasswordHasher.
func (PlainHasher) Matches(hash, plain string) bool { return hash == "hashed:"+plain }
