package biz_test

import (
	"context"
	"io"
	"sync"
	"sync/atomic"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz/biztest"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

var discard = log.NewStdLogger(io.Discard)

var rules = biz.LendingRules{CommissionRate: money.MustParseRate("0.03"), MinimumTender: money.MustParseAmount("100.00")}

// fakeBank is the custody bank: idempotent freezes and unfreezes by request number,
// balances per user; an unfreeze of a freeze it never had voids the freeze's number.
type fakeBank struct {
	mu        sync.Mutex
	available map[string]money.Amount
	freezes   map[string]biz.BankFreeze
	// unfrozen and voided are freeze request numbers; unfreezes counts the calls per
	// unfreeze request number.
	unfrozen  map[string]bool
	voided    map[string]bool
	unfreezes map[string]int
	// unfreezeErrs are answered by the next Unfreeze calls, before anything moves.
	unfreezeErrs []error
	// freezeErrs are answered by the next Freeze calls, before anything is frozen.
	freezeErrs   []error
	accountCalls int
	freezeCalls  int
	batchCalls   []int   // the size of each FreezeBatch call
	batchErrs    []error // answered by the next FreezeBatch calls, before anything is frozen
	// hold, when set, keeps each Freeze call waiting until it is closed; entered hears
	// of each call that waits.
	hold    chan struct{}
	entered chan string
	// refusals are the errors a freeze of a user's money is refused with.
	refusals    map[string]error
	accountErr  error
	registerErr error
	registered  []biz.BankProject
	loanErr     error
	loans       []string
}

func newFakeBank() *fakeBank {
	return &fakeBank{available: map[string]money.Amount{}, freezes: map[string]biz.BankFreeze{},
		unfrozen: map[string]bool{}, voided: map[string]bool{}, unfreezes: map[string]int{}}
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
	b.accountCalls++
	if b.accountErr != nil {
		return biz.BankAccount{}, b.accountErr
	}
	frozen := money.Amount{}
	for _, f := range b.freezes {
		if f.UserNo == userNo && !b.unfrozen[f.RequestNo] {
			frozen = frozen.Add(f.Amount)
		}
	}
	return biz.BankAccount{UserNo: userNo, Balance: b.available[userNo].Add(frozen), Frozen: frozen}, nil
}

func (b *fakeBank) Freeze(_ context.Context, f biz.BankFreeze) error {
	if b.hold != nil {
		b.entered <- f.RequestNo
		<-b.hold
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.freezeCalls++
	if err := b.nextFreezeErr(); err != nil {
		return err
	}
	return b.freeze(f)
}

// FreezeBatch answers each freeze as Freeze would; batchErrs answer whole calls.
func (b *fakeBank) FreezeBatch(_ context.Context, _ string, fs []biz.BankFreeze) ([]error, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.batchCalls = append(b.batchCalls, len(fs))
	if len(b.batchErrs) > 0 {
		err := b.batchErrs[0]
		if b.batchErrs = b.batchErrs[1:]; err != nil {
			return nil, err
		}
	}
	out := make([]error, len(fs))
	for i, f := range fs {
		out[i] = b.freeze(f)
	}
	return out, nil
}

func (b *fakeBank) nextFreezeErr() error {
	if len(b.freezeErrs) == 0 {
		return nil
	}
	err := b.freezeErrs[0]
	b.freezeErrs = b.freezeErrs[1:]
	return err
}

func (b *fakeBank) freeze(f biz.BankFreeze) error {
	if err := b.refusals[f.UserNo]; err != nil {
		return err
	}
	if b.voided[f.RequestNo] {
		return biz.ErrFreezeVoided
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

func (b *fakeBank) Unfreeze(_ context.Context, u biz.BankUnfreeze) (biz.UnfreezeResult, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.unfreezes[u.RequestNo]++
	if len(b.unfreezeErrs) > 0 {
		err := b.unfreezeErrs[0]
		b.unfreezeErrs = b.unfreezeErrs[1:]
		if err != nil {
			return "", err
		}
	}
	f, ok := b.freezes[u.FreezeRequestNo]
	if !ok {
		b.voided[u.FreezeRequestNo] = true
		return biz.Voided, nil
	}
	if !b.unfrozen[f.RequestNo] {
		b.unfrozen[f.RequestNo] = true
		b.available[f.UserNo] = b.available[f.UserNo].Add(f.Amount)
	}
	return biz.Unfrozen, nil
}

func (b *fakeBank) frozenTotal() money.Amount {
	b.mu.Lock()
	defer b.mu.Unlock()
	total := money.Amount{}
	for _, f := range b.freezes {
		if !b.unfrozen[f.RequestNo] {
			total = total.Add(f.Amount)
		}
	}
	return total
}

// onceBarrier imitates DTM's barrier for a two-phase message's action: fn runs in one
// transaction of the store, at most once per gid (the barrier record commits with it).
type onceBarrier struct {
	store *biztest.Store
	mu    sync.Mutex
	gid   string
	done  map[string]bool
}

func (b *onceBarrier) InBarrier(ctx context.Context, fn func(context.Context, string) error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done[b.gid] {
		return nil
	}
	if err := b.store.InTx(ctx, func(ctx context.Context) error { return fn(ctx, b.gid) }); err != nil {
		return err
	}
	b.done[b.gid] = true
	return nil
}

// fakeDirectory is user-center: custody accounts by caller token.
type fakeDirectory struct {
	custody map[string]biz.Custody
	err     error
	calls   atomic.Int32
}

func (d *fakeDirectory) CallerCustody(_ context.Context, caller biz.Caller) (biz.Custody, error) {
	d.calls.Add(1)
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
