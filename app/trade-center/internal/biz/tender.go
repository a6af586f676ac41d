package biz

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/pkg/claims"
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// A tender and its freeze at the bank
//
// The bank is an external system: trade-center cannot freeze money and update its own
// rows in one transaction, so a tender goes through a reservation:
//
// (Under load the tenders of one project go through these steps in groups, one
// transaction and one bank call for many: tender_groups.go.)
//
//  1. Reserve (one local transaction): lock the project row (SELECT … FOR UPDATE), check
//     it is COLLECTING and that the tender fits what remains, insert the tender PENDING
//     with a fresh freeze request number and add its amount to raised; the tender that
//     makes raised equal amount moves the project to FULL. Commit. Because every
//     reservation holds the project's row lock while it checks and raises, raised can
//     never pass amount however many tenders race (and the table's CHECK constraint
//     refuses it anyway). The lock is held only for this short transaction, never across
//     a call to the bank.
//  2. Freeze at the bank by the tender's request number.
//  3. The bank's answer settles the tender:
//     - frozen → the tender becomes FROZEN;
//     - a definitive refusal (insufficient balance, any other 4xx: the bank changed
//     nothing) → in one transaction the tender becomes FAILED and its amount leaves
//     raised again (a FULL project goes back to COLLECTING), so a bank failure never
//     leaves a FROZEN tender nor a reservation behind;
//     - no answer, or one we cannot trust → the tender stays PENDING and the caller hears
//     TENDER_PENDING. The settler (SettlePendingTenders) later sends the same freeze
//     again: the bank is idempotent by request number, so a retry never freezes twice,
//     and its answer settles the tender as above.
//
// Reserving before freezing means the bank is only asked to freeze money for a share the
// project really has; freezing first would freeze money for tenders that then do not fit.
// A FULL project whose last tenders are still PENDING cannot be loaned until they are
// settled (ErrTendersUnsettled).
//
// A project that fails while a tender's freeze is on its way: the refund job unfreezes
// the PENDING tender too (refund.go). If its freeze reached the bank first, the unfreeze
// gives the money back (REFUNDED); otherwise the bank voids the request number and the
// late freeze is refused with FREEZE_VOIDED — the tender becomes FAILED and the investor
// hears PROJECT_NOT_COLLECTING. Either way nothing stays frozen.

// TenderStatus of one investment.
type TenderStatus string

// Tender statuses (see above).
const (
	TenderPending TenderStatus = "PENDING"
	TenderFrozen  TenderStatus = "FROZEN"
	TenderFailed  TenderStatus = "FAILED"
	TenderLoaned  TenderStatus = "LOANED"
	// TenderRefunded: the project failed and the bank gave the frozen money back.
	TenderRefunded TenderStatus = "REFUNDED"
)

// Failure reasons recorded on FAILED tenders.
const (
	FailureInsufficientBalance = "INSUFFICIENT_BALANCE"
	// FailureFreezeVoided: the project failed before the bank held the tender's money.
	FailureFreezeVoided = "FREEZE_VOIDED"
)

var (
	// ErrProjectNotCollecting: the project does not take tenders now.
	ErrProjectNotCollecting = errors.New("project is not collecting tenders")
	// ErrExceedsRemaining: the tender is larger than what the project still needs.
	ErrExceedsRemaining = errors.New("tender exceeds what the project still needs")
	// ErrBelowMinimum: the tender is below the minimum and does not fill the project.
	ErrBelowMinimum = errors.New("tender is below the minimum")
	// ErrTenderPending: the bank's answer to the freeze is unknown yet; the tender stays
	// PENDING and is settled with the bank shortly.
	ErrTenderPending = errors.New("the bank has not confirmed the freeze yet")
	// ErrTenderNotFound: no tender has the request number.
	ErrTenderNotFound = errors.New("tender not found")
	// ErrIdempotencyKeyReused: the key was used for a different tender.
	ErrIdempotencyKeyReused = errors.New("idempotency key was used for a different tender")
	// ErrTenderNotPlaced: the request ended (its caller hung up, or it timed out) while
	// the tender waited for its project; nothing was reserved or frozen.
	ErrTenderNotPlaced = errors.New("the tender was not placed")
	// ErrDuplicateRequestNo: a tender with this freeze request number exists already.
	ErrDuplicateRequestNo = errors.New("a tender with this freeze request number exists")
)

// Tender is one investor's investment in a project, backed by money frozen at the bank.
type Tender struct {
	ID             int64
	ProjectID      int64
	InvestorID     int64
	InvestorUserNo string
	Amount         money.Amount
	Status         TenderStatus
	// FreezeRequestNo is the bank request number of the freeze (FZ…).
	FreezeRequestNo string
	FailureReason   string
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// AwaitsRefund says whether the tender may hold money at the bank for a failed project:
// FROZEN, or PENDING with its freeze's outcome unknown.
func (t *Tender) AwaitsRefund() bool { return t.Status == TenderFrozen || t.Status == TenderPending }

// Refund records that the bank gave the tender's money back.
func (t *Tender) Refund() { t.Status = TenderRefunded }

// Void records that the bank never held the tender's money and never will.
func (t *Tender) Void() { t.Status, t.FailureReason = TenderFailed, FailureFreezeVoided }

// TenderRepo reads and writes tenders.
type TenderRepo interface {
	// CreateTender inserts t; ErrDuplicateRequestNo when its request number is taken.
	CreateTender(ctx context.Context, t *Tender) (*Tender, error)
	// CreateTenders inserts ts in one statement (inside Transaction.InTx only) and returns
	// them as stored, in order; ErrDuplicateRequestNo, and none inserted, when a request
	// number is taken.
	CreateTenders(ctx context.Context, ts []*Tender) ([]Tender, error)
	// TenderByRequestNo returns ErrTenderNotFound when absent.
	TenderByRequestNo(ctx context.Context, requestNo string) (*Tender, error)
	// LockTender reads the tender FOR UPDATE (inside Transaction.InTx only).
	LockTender(ctx context.Context, id int64) (*Tender, error)
	// UpdateTender writes the tender's status and failure reason.
	UpdateTender(ctx context.Context, t *Tender) error
	// LockTenders reads the tenders of ids FOR UPDATE, by id (inside Transaction.InTx
	// only); ids not found are left out.
	LockTenders(ctx context.Context, ids []int64) ([]Tender, error)
	// SetTendersStatus writes status on the tenders of ids (their failure reasons stay).
	SetTendersStatus(ctx context.Context, ids []int64, status TenderStatus) error
	// Tenders returns the project's tenders in the given status, by id.
	Tenders(ctx context.Context, projectID int64, status TenderStatus) ([]Tender, error)
	// CountTenders counts the project's tenders in the given status.
	CountTenders(ctx context.Context, projectID int64, status TenderStatus) (int, error)
	// PendingTenders returns up to limit PENDING tenders created before before, oldest first.
	PendingTenders(ctx context.Context, before time.Time, limit int) ([]Tender, error)
	// LoanTenders moves the project's FROZEN tenders to LOANED and says how many moved.
	LoanTenders(ctx context.Context, projectID int64) (int, error)
	// TendersToRefund returns up to limit FROZEN or PENDING tenders of FAILED projects
	// with an id above afterID, by id.
	TendersToRefund(ctx context.Context, afterID int64, limit int) ([]Tender, error)
}

// TenderUsecase invests in projects.
type TenderUsecase struct {
	projects ProjectRepo
	tenders  TenderRepo
	tx       Transaction
	custody  CustodyDirectory
	bank     Bank
	rules    LendingRules
	faults   *faults.Registry
	claims   claims.Claimer
	log      *log.Helper
	now      func() time.Time
	hints    *balanceHints  // what the bank last said each investor has (tender_balance_hints.go)
	queues   *tenderQueues  // tenders waiting for their project's next group (tender_groups.go)
	open     *openCustodies // OPEN custody accounts seen (tender_custody_memo.go)
}

// NewTenderUsecase returns the tender use cases; f may be nil (faults disabled), c too
// (one instance: the settler holds every tender).
func NewTenderUsecase(projects ProjectRepo, tenders TenderRepo, tx Transaction, custody CustodyDirectory,
	bank Bank, rules LendingRules, f *faults.Registry, c claims.Claimer, logger log.Logger) *TenderUsecase {
	return &TenderUsecase{projects: projects, tenders: tenders, tx: tx, custody: custody, bank: bank,
		rules: rules, faults: f, claims: claims.Or(c), log: log.NewHelper(logger), now: time.Now,
		hints: newBalanceHints(time.Now), queues: newTenderQueues(), open: newOpenCustodies(time.Now)}
}

// NewTender is what an investor asks for.
type NewTender struct {
	ProjectID int64
	Amount    money.Amount
	// IdempotencyKey, when set, makes a retried request answer the first one's tender.
	IdempotencyKey string
}

var idempotencyKeyPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{8,64}$`)

// checkFits says whether amount may be tendered for p now.
func (uc *TenderUsecase) checkFits(p *Project, amount money.Amount) error {
	if p.Status != ProjectCollecting {
		return fmt.Errorf("%w: project %d is %s", ErrProjectNotCollecting, p.ID, p.Status)
	}
	remaining := p.Remaining()
	if amount.Cmp(remaining) > 0 {
		return fmt.Errorf("%w: project %d needs %s more, the tender is %s", ErrExceedsRemaining, p.ID, remaining, amount)
	}
	// The last tender may be smaller than the minimum, or no project could ever be
	// filled once less than the minimum remains.
	if amount.Cmp(uc.rules.MinimumTender) < 0 && !amount.Equal(remaining) {
		return fmt.Errorf("%w: %s is below the minimum tender %s (unless it takes exactly the remaining %s)",
			ErrBelowMinimum, amount, uc.rules.MinimumTender, remaining)
	}
	return nil
}

// Tender invests amount in a project for an investor with an OPEN custody account and
// answers the FROZEN tender (see the top of this file for the steps). Errors:
// ErrForbidden, ErrProjectNotFound, ErrProjectNotCollecting, ErrExceedsRemaining,
// ErrBelowMinimum, ErrCustodyNotOpen, ErrInsufficientBalance, ErrBankRefused,
// ErrTenderPending, ErrBankUnavailable, ErrUserCenterUnavailable, ErrIdempotencyKeyReused.
// Every refusal before the reservation changes nothing, here or at the bank.
func (uc *TenderUsecase) Tender(ctx context.Context, caller Caller, n NewTender) (*Tender, error) {
	if caller.Role != RoleInvestor {
		return nil, fmt.Errorf("%w: only an investor tenders", ErrForbidden)
	}
	if !n.Amount.IsPositive() {
		return nil, invalid("amount", "must be positive")
	}
	requestNo, earlier, err := uc.requestNoFor(ctx, caller, n)
	if err != nil {
		return nil, err
	}
	if earlier != nil {
		return uc.replay(ctx, caller, n, earlier)
	}
	custody, err := uc.precheck(ctx, caller, n)
	if err != nil {
		return nil, err
	}
	t, err := uc.tenderAsGroup(ctx, caller, n, custody, requestNo)
	if errors.Is(err, ErrDuplicateRequestNo) && n.IdempotencyKey != "" {
		// The same key raced us and reserved first; answer its tender.
		t, err := uc.tenders.TenderByRequestNo(ctx, requestNo)
		if err != nil {
			return nil, err
		}
		return uc.replay(ctx, caller, n, t)
	}
	return t, err
}

// requestNoFor is the freeze request number of a new tender: derived from the
// idempotency key when there is one — and then the tender an earlier request with that
// key made, if any — or a fresh one.
func (uc *TenderUsecase) requestNoFor(ctx context.Context, caller Caller, n NewTender) (string, *Tender, error) {
	if n.IdempotencyKey == "" {
		return newFreezeRequestNo(), nil, nil
	}
	if !idempotencyKeyPattern.MatchString(n.IdempotencyKey) {
		return "", nil, invalid("idempotencyKey", "must be 8 to 64 letters, digits, '-' or '_'")
	}
	requestNo := keyedFreezeRequestNo(caller.UserID, n.IdempotencyKey)
	t, err := uc.tenders.TenderByRequestNo(ctx, requestNo)
	switch {
	case err == nil:
		return requestNo, t, nil
	case errors.Is(err, ErrTenderNotFound):
		return requestNo, nil, nil
	}
	return "", nil, err
}

// precheck refuses a doomed tender before it bothers the project's lock: the project
// must have room, the investor an OPEN custody account with enough available money. The
// reservation checks the room again under the lock, the bank the balance when it freezes.
// A fresh balance hint that covers the amount stands in for asking the bank; a hint never
// refuses (tender_balance_hints.go).
func (uc *TenderUsecase) precheck(ctx context.Context, caller Caller, n NewTender) (Custody, error) {
	p, err := uc.projects.Project(ctx, n.ProjectID)
	if err != nil {
		return Custody{}, err
	}
	if err := uc.checkFits(p, n.Amount); err != nil {
		return Custody{}, err
	}
	custody, err := uc.callerCustody(ctx, caller)
	if err != nil {
		return Custody{}, err
	}
	if custody.Status != CustodyOpen || custody.UserNo == "" {
		return Custody{}, fmt.Errorf("%w: custody account is %s", ErrCustodyNotOpen, custody.Status)
	}
	if uc.hints.covers(custody.UserNo, n.Amount) {
		return custody, nil
	}
	account, err := uc.bank.Account(ctx, custody.UserNo)
	if err != nil {
		return Custody{}, err
	}
	uc.hints.remember(custody.UserNo, account.Available())
	if account.Available().Cmp(n.Amount) < 0 {
		return Custody{}, fmt.Errorf("%w: %s available, tender %s", ErrInsufficientBalance, account.Available(), n.Amount)
	}
	return custody, nil
}

// callerCustody is the caller's custody account: remembered when it is OPEN
// (tender_custody_memo.go), otherwise user-center's answer.
func (uc *TenderUsecase) callerCustody(ctx context.Context, caller Caller) (Custody, error) {
	if c, ok := uc.open.get(caller.UserID); ok {
		return c, nil
	}
	c, err := uc.custody.CallerCustody(ctx, caller)
	if err == nil && c.UserID == caller.UserID {
		uc.open.remember(c)
	}
	return c, err
}

// replay answers a request whose idempotency key already made tender t.
func (uc *TenderUsecase) replay(ctx context.Context, caller Caller, n NewTender, t *Tender) (*Tender, error) {
	if t.InvestorID != caller.UserID || t.ProjectID != n.ProjectID || !t.Amount.Equal(n.Amount) {
		return nil, fmt.Errorf("%w: tender %d is %s in project %d", ErrIdempotencyKeyReused, t.ID, t.Amount, t.ProjectID)
	}
	switch t.Status {
	case TenderPending:
		p, err := uc.projects.Project(ctx, t.ProjectID)
		if err != nil {
			return nil, err
		}
		return uc.freeze(ctx, t, p.BankProjectNo)
	case TenderFailed:
		return nil, failureError(t)
	}
	return t, nil
}

func failureError(t *Tender) error {
	switch t.FailureReason {
	case FailureInsufficientBalance:
		return fmt.Errorf("%w: tender %d", ErrInsufficientBalance, t.ID)
	case FailureFreezeVoided:
		return fmt.Errorf("%w: project %d failed before the bank froze tender %d", ErrProjectNotCollecting, t.ProjectID, t.ID)
	}
	return fmt.Errorf("%w: tender %d: %s", ErrBankRefused, t.ID, t.FailureReason)
}

// freezeAttempts is how often one request sends a freeze whose outcome stays unknown
// before it leaves the tender to the settler.
var freezeAttempts = []time.Duration{0, 200 * time.Millisecond, 500 * time.Millisecond}

// freeze asks the bank to freeze a PENDING tender's money and settles the tender by the
// answer (see the top of this file).
func (uc *TenderUsecase) freeze(ctx context.Context, t *Tender, projectNo string) (*Tender, error) {
	f := BankFreeze{RequestNo: t.FreezeRequestNo, ProjectNo: projectNo, UserNo: t.InvestorUserNo, Amount: t.Amount}
	err := untilKnown(ctx, func() error { return uc.bank.Freeze(ctx, f) })
	switch uc.judge(t, err) {
	case freezeHeld:
		uc.faults.Crash(CrashTenderAfterFreeze)
		now, err := uc.markFrozen(ctx, []int64{t.ID})
		if err != nil {
			return nil, err
		}
		return frozenAnswer(t.ID, now)
	case freezeRefused:
		if rerr := uc.release(ctx, t.ProjectID, map[int64]string{t.ID: refusalReason(err)}); rerr != nil {
			return nil, rerr
		}
		return nil, refusalAnswer(t, err)
	}
	return nil, uc.pendingAnswer(ctx, t, err)
}

// untilKnown calls the bank again after each wait of freezeAttempts while the outcome
// stays unknown (ErrBankUnavailable; the same request numbers every time) and answers the
// last error; a ctx that ends stops the waiting, the outcome still unknown.
func untilKnown(ctx context.Context, call func() error) error {
	var err error
	for _, wait := range freezeAttempts {
		if wait > 0 {
			select {
			case <-ctx.Done():
				return fmt.Errorf("%w: %w (after %w)", ErrBankUnavailable, ctx.Err(), err)
			case <-time.After(wait):
			}
		}
		if err = call(); !errors.Is(err, ErrBankUnavailable) {
			return err
		}
	}
	return err
}

// freezeVerdict is what the bank's answer about one freeze means for its tender.
type freezeVerdict int

const (
	freezeUnknown freezeVerdict = iota // no answer, or none we trust: the tender stays PENDING
	freezeHeld                         // the money is frozen: FROZEN
	freezeRefused                      // a definitive refusal: FAILED, its share released
)

// judge reads the bank's answer err about t's freeze and keeps t's investor's balance
// hint in step with it (tender_balance_hints.go).
func (uc *TenderUsecase) judge(t *Tender, err error) freezeVerdict {
	switch {
	case err == nil:
		uc.hints.spent(t.InvestorUserNo, t.Amount)
		return freezeHeld
	case errors.Is(err, ErrInsufficientBalance):
		uc.hints.forget(t.InvestorUserNo)
		return freezeRefused
	case errors.Is(err, ErrBankRefused), errors.Is(err, ErrFreezeVoided):
		return freezeRefused
	}
	return freezeUnknown
}

// refusalAnswer is what the investor hears of a refused and released tender t.
func refusalAnswer(t *Tender, err error) error {
	if errors.Is(err, ErrFreezeVoided) {
		failed := *t
		failed.Status, failed.FailureReason = TenderFailed, FailureFreezeVoided
		return failureError(&failed) // the investor hears why: the project failed
	}
	return err
}

// pendingAnswer is what the investor hears of a tender whose freeze's outcome is unknown.
func (uc *TenderUsecase) pendingAnswer(ctx context.Context, t *Tender, err error) error {
	uc.log.WithContext(ctx).Warnw("msg", "freeze outcome unknown; the tender stays PENDING for the settler",
		"tender_id", t.ID, "request_no", t.FreezeRequestNo, "err", err)
	return fmt.Errorf("%w: tender %d: %w", ErrTenderPending, t.ID, err)
}

// refusalReason is what a FAILED tender records of the bank's refusal.
func refusalReason(err error) string {
	switch {
	case errors.Is(err, ErrInsufficientBalance):
		return FailureInsufficientBalance
	case errors.Is(err, ErrFreezeVoided):
		return FailureFreezeVoided
	}
	return err.Error()
}

// markFrozen records the bank's freeze of the tenders ids: the PENDING ones become FROZEN,
// in one transaction. It answers each as it is now — a tender the settler already
// settled, or the refund job already refunded, as it is (frozenAnswer).
func (uc *TenderUsecase) markFrozen(ctx context.Context, ids []int64) (map[int64]Tender, error) {
	var now map[int64]Tender
	err := uc.tx.InTx(ctx, func(ctx context.Context) error {
		locked, err := uc.tenders.LockTenders(ctx, ids)
		if err != nil {
			return err
		}
		now = make(map[int64]Tender, len(locked))
		var pending []int64
		for _, t := range locked {
			if t.Status == TenderPending {
				pending = append(pending, t.ID)
				t.Status = TenderFrozen
			}
			now[t.ID] = t
		}
		if len(pending) == 0 {
			return nil
		}
		return uc.tenders.SetTendersStatus(ctx, pending, TenderFrozen)
	})
	return now, err
}

// frozenAnswer is the investor's answer for tender id after markFrozen.
func frozenAnswer(id int64, now map[int64]Tender) (*Tender, error) {
	t, ok := now[id]
	switch {
	case !ok:
		return nil, fmt.Errorf("%w: tender %d", ErrTenderNotFound, id)
	case t.Status == TenderFailed:
		// Only a bank that answered "refused" and later "frozen" for one request number
		// gets here: its answers contradict each other and an operator must look.
		return nil, fmt.Errorf("tender %d: the bank froze %s after refusing it", t.ID, t.FreezeRequestNo)
	}
	return &t, nil
}

// release gives refused tenders' shares back to their project: each PENDING one of
// reasons (tender id → the bank's refusal) becomes FAILED with its reason and raised
// shrinks by their sum, in one transaction (project lock first, as in the reservation, so
// the two cannot deadlock).
func (uc *TenderUsecase) release(ctx context.Context, projectID int64, reasons map[int64]string) error {
	ids := slices.Sorted(maps.Keys(reasons))
	return uc.tx.InTx(ctx, func(ctx context.Context) error {
		p, err := uc.projects.LockProject(ctx, projectID)
		if err != nil {
			return err
		}
		locked, err := uc.tenders.LockTenders(ctx, ids)
		if err != nil {
			return err
		}
		var sum money.Amount
		for _, t := range locked {
			if t.Status != TenderPending {
				continue
			}
			t.Status, t.FailureReason = TenderFailed, reasons[t.ID]
			if err := uc.tenders.UpdateTender(ctx, &t); err != nil {
				return err
			}
			sum = sum.Add(t.Amount)
		}
		if sum.IsZero() {
			return nil
		}
		p.Release(sum)
		return uc.projects.UpdateProject(ctx, p)
	})
}

// SettleBatch is how many PENDING tenders one settling round handles.
const SettleBatch = 100

// SettlePendingTenders sends the freeze of every PENDING tender created before minAge
// ago to the bank again (same request number) and settles it by the answer. It returns
// how many it settled; a tender whose outcome is still unknown waits for the next round.
func (uc *TenderUsecase) SettlePendingTenders(ctx context.Context, minAge time.Duration) (int, error) {
	pending, err := uc.tenders.PendingTenders(ctx, uc.now().Add(-minAge), SettleBatch)
	if err != nil {
		return 0, err
	}
	// With two instances, each settles the tenders it holds (pkg/claims).
	if pending, err = claims.Filter(ctx, uc.claims, JobSettleTenders, pending, tenderKey); err != nil {
		return 0, err
	}
	settled := 0
	for i := range pending {
		t := &pending[i]
		p, err := uc.projects.Project(ctx, t.ProjectID)
		if err != nil {
			return settled, err
		}
		_, err = uc.freeze(ctx, t, p.BankProjectNo)
		switch {
		case errors.Is(err, ErrTenderPending):
			continue
		case err == nil, errors.Is(err, ErrInsufficientBalance), errors.Is(err, ErrBankRefused),
			errors.Is(err, ErrProjectNotCollecting):
			settled++
			uc.log.WithContext(ctx).Infow("msg", "settled pending tender", "tender_id", t.ID,
				"request_no", t.FreezeRequestNo, "refused", err != nil)
		default:
			return settled, err
		}
	}
	return settled, nil
}

// newFreezeRequestNo is a fresh freeze request number: FZ and 26 random base32 characters.
func newFreezeRequestNo() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err)) // documented never to happen
	}
	return "FZ" + requestNoEncoding.EncodeToString(b[:])
}

// keyedFreezeRequestNo derives the freeze request number from the investor and their
// idempotency key, so a retried request finds the first one's tender (the unique key on
// the request number settles a race between the two).
func keyedFreezeRequestNo(investorID int64, key string) string {
	sum := sha256.Sum256([]byte(strconv.FormatInt(investorID, 10) + "\x00" + key))
	return "FZK" + requestNoEncoding.EncodeToString(sum[:20])
}

var requestNoEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)
