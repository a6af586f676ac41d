package biz

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// Custody requests are what the platform asks the custody bank to do through its browser
// gateway; the bank answers later, by notification or when asked (docs/custody-protocol.md).
// A request is applied PENDING → SUCCESS or FAILED exactly once, whichever answer comes
// first; later answers change nothing.

// FaultCallbackReject makes the bank's notification answer 500 before it is applied
// (API.md).
const FaultCallbackReject = "callback.reject"

// Kinds of custody request; the bank calls them serviceName.
const (
	KindOpenAccount = "OPEN_ACCOUNT"
	KindRecharge    = "RECHARGE"
)

// Custody request statuses, and the bank's in-between status.
const (
	RequestPending    = "PENDING"
	RequestSuccess    = "SUCCESS"
	RequestFailed     = "FAILED"
	RequestProcessing = "PROCESSING" // the bank's only: accepted, not finished
)

// Request number prefixes (docs/custody-protocol.md).
const (
	prefixOpenAccount = "OA"
	prefixRecharge    = "RC"
)

// MaxRecharge is the largest amount one recharge may ask for.
var MaxRecharge = money.MustParseAmount("1000000.00")

// ReasonNotReceived is the failure reason of a request the bank never received (the user
// left the bank's page) once reconciliation gives up on it.
const ReasonNotReceived = "not received by the bank"

// Custody failures.
var (
	ErrCustodyAlreadyRequested = errors.New("a custody account opening is already pending")
	ErrCustodyAlreadyOpen      = errors.New("the custody account is already open")
	ErrCustodyNotOpen          = errors.New("no open custody account")
	ErrRequestNotFound         = errors.New("custody request not found")
	// ErrResultMismatch: the bank's result names a request but disagrees with it.
	ErrResultMismatch = errors.New("bank result does not match the request")
	// ErrInvalidResult: the bank's result is not a usable final result.
	ErrInvalidResult = errors.New("invalid bank result")
	// ErrNotReceivedByBank: the bank has no record of the request.
	ErrNotReceivedByBank = errors.New("the bank never received the request")
)

// CustodyRequest is one request sent to the bank through the gateway.
type CustodyRequest struct {
	RequestNo string
	UserID    int64
	Kind      string
	Status    string
	// Amount is a recharge's amount; nil for an account opening.
	Amount *money.Amount
	// BankUserNo is the bank's user number: a recharge's account, or the account an
	// opening created once it succeeded.
	BankUserNo    string
	FailureReason string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	CompletedAt   *time.Time
}

// Recharge is money the bank credited to a user's custody account.
type Recharge struct {
	RequestNo string
	UserID    int64
	Amount    money.Amount
	CreatedAt time.Time
}

// BankResult is the bank's word on a request, from its notification or its result query.
// Fields are as the bank sent them.
type BankResult struct {
	RequestNo      string
	Kind           string // serviceName
	Status         string // PROCESSING, SUCCESS or FAILED
	UserNo         string
	PlatformUserID string
	Amount         string // "" when the request has none
	FailureReason  string
}

// matches reports, as an ErrResultMismatch, how res disagrees with r.
func (r *CustodyRequest) matches(res BankResult) error {
	mismatch := func(field, got, want string) error {
		return fmt.Errorf("%w: %s %q, request %s has %q", ErrResultMismatch, field, got, r.RequestNo, want)
	}
	if res.RequestNo != r.RequestNo {
		return mismatch("requestNo", res.RequestNo, r.RequestNo)
	}
	if want := strconv.FormatInt(r.UserID, 10); res.PlatformUserID != want {
		return mismatch("platformUserId", res.PlatformUserID, want)
	}
	if res.Kind != r.Kind {
		return mismatch("serviceName", res.Kind, r.Kind)
	}
	if r.Amount == nil {
		// An opening has no amount; the bank may say so with "" or zero.
		if res.Amount != "" {
			if a, err := money.ParseAmount(res.Amount); err != nil || !a.IsZero() {
				return mismatch("amount", res.Amount, "")
			}
		}
	} else if a, err := money.ParseAmount(res.Amount); err != nil || !a.Equal(*r.Amount) {
		return mismatch("amount", res.Amount, r.Amount.String())
	}
	// A recharge names the account it credits; an opening's account is new.
	if r.Kind == KindRecharge && res.UserNo != "" && res.UserNo != r.BankUserNo {
		return mismatch("userNo", res.UserNo, r.BankUserNo)
	}
	return nil
}

// Complete applies the bank's final result: a PENDING request becomes SUCCESS or FAILED
// and Complete reports true. A request that is already complete is left as it is (a
// duplicate or late result) and Complete reports false. A result that is not final, not
// well formed or not about this request is refused and changes nothing.
func (r *CustodyRequest) Complete(res BankResult, now time.Time) (bool, error) {
	if res.Status != RequestSuccess && res.Status != RequestFailed {
		return false, fmt.Errorf("%w: status %q is not SUCCESS or FAILED", ErrInvalidResult, res.Status)
	}
	if err := r.matches(res); err != nil {
		return false, err
	}
	if r.Kind == KindOpenAccount && res.Status == RequestSuccess && res.UserNo == "" {
		return false, fmt.Errorf("%w: an opened account needs its userNo", ErrInvalidResult)
	}
	if r.Status != RequestPending {
		return false, nil
	}
	r.Status = res.Status
	if res.Status == RequestSuccess {
		if r.Kind == KindOpenAccount {
			r.BankUserNo = res.UserNo
		}
	} else {
		r.FailureReason = res.FailureReason
		if r.FailureReason == "" {
			r.FailureReason = "failed at the bank"
		}
		if len(r.FailureReason) > 255 {
			r.FailureReason = truncateUTF8(r.FailureReason, 255)
		}
	}
	r.UpdatedAt, r.CompletedAt = now, &now
	return true, nil
}

func truncateUTF8(s string, n int) string {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// AccountOpening is what a person gives to open a custody account. The platform does not
// store it: it travels to the bank in the signed form.
type AccountOpening struct {
	RealName   string
	IDNumber   string
	BankCardNo string
}

var (
	idNumberPattern   = regexp.MustCompile(`^[0-9]{17}[0-9X]$`)
	bankCardNoPattern = regexp.MustCompile(`^[0-9]{12,19}$`)
)

// Validate checks the opening and normalises it (surrounding spaces, a lower-case x);
// the error names the field.
func (a *AccountOpening) Validate() error {
	a.RealName = strings.TrimSpace(a.RealName)
	a.IDNumber = strings.ToUpper(strings.TrimSpace(a.IDNumber))
	a.BankCardNo = strings.TrimSpace(a.BankCardNo)
	if n := utf8.RuneCountInString(a.RealName); n < 2 || n > 32 || !utf8.ValidString(a.RealName) ||
		strings.IndexFunc(a.RealName, unicode.IsControl) >= 0 {
		return &ValidationError{"realName", "must be 2 to 32 characters"}
	}
	if !idNumberPattern.MatchString(a.IDNumber) {
		return &ValidationError{"idNumber", "must be 18 characters: 17 digits and a digit or X"}
	}
	if !bankCardNoPattern.MatchString(a.BankCardNo) {
		return &ValidationError{"bankCardNo", "must be 12 to 19 digits"}
	}
	return nil
}

// ParseRechargeAmount checks a recharge's amount; the error names the field.
func ParseRechargeAmount(s string) (money.Amount, error) {
	a, err := money.ParseAmount(strings.TrimSpace(s))
	var pe *money.ParseError
	switch {
	case errors.As(err, &pe):
		return money.Amount{}, &ValidationError{"amount", pe.Reason}
	case err != nil:
		return money.Amount{}, &ValidationError{"amount", err.Error()}
	case !a.IsPositive():
		return money.Amount{}, &ValidationError{"amount", "must be positive"}
	case a.Cmp(MaxRecharge) > 0:
		return money.Amount{}, &ValidationError{"amount", "must be at most " + MaxRecharge.String()}
	}
	return a, nil
}

// GatewayRequest is what the bank's page needs to know about a request.
type GatewayRequest struct {
	RequestNo string
	Kind      string
	UserID    int64
	Mobile    string
	// Account opening.
	Opening AccountOpening
	// Recharge.
	UserNo string
	Amount money.Amount
}

// GatewayForm is the signed form the browser submits to the bank.
type GatewayForm struct {
	URL    string
	Method string
	Fields map[string]string
}

// Bank is the custody bank as user-center needs it.
type Bank interface {
	// GatewayForm signs the form that sends the browser to the bank's page for req.
	GatewayForm(req GatewayRequest) (*GatewayForm, error)
	// QueryResult asks the bank where a request stands; ErrNotReceivedByBank when the
	// bank has no record of it.
	QueryResult(ctx context.Context, requestNo string) (BankResult, error)
}

// Transaction runs fn in one local database transaction: repositories called with the
// context fn receives take part in it. fn's error rolls it back.
type Transaction interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// PageKey is where a page of pending requests starts after: (created_at, request_no).
type PageKey struct {
	CreatedAt time.Time
	RequestNo string
}

// CustodyRepo stores custody requests and their effects.
type CustodyRepo interface {
	// LockConsumer reads a consumer and locks it until the transaction ends.
	LockConsumer(ctx context.Context, userID int64) (*Consumer, error)
	// SetCustody sets a consumer's custody status, and its bank user number when
	// userNo is not empty.
	SetCustody(ctx context.Context, userID int64, status, userNo string) error
	CreateRequest(ctx context.Context, r *CustodyRequest) error
	Request(ctx context.Context, requestNo string) (*CustodyRequest, error)
	// LockRequest reads a request and locks it until the transaction ends, so that
	// concurrent results for it are applied one after the other.
	LockRequest(ctx context.Context, requestNo string) (*CustodyRequest, error)
	// SaveCompletion stores a request Complete has just moved out of PENDING.
	SaveCompletion(ctx context.Context, r *CustodyRequest) error
	CreateRecharge(ctx context.Context, r Recharge) error
	// Recharges lists a user's recharges, oldest first.
	Recharges(ctx context.Context, userID int64) ([]Recharge, error)
	// PendingRequests lists up to limit PENDING requests created before createdBefore,
	// ordered by (created_at, request_no), after the key when it is not nil.
	PendingRequests(ctx context.Context, createdBefore time.Time, after *PageKey, limit int) ([]*CustodyRequest, error)
}

// CustodySettings tune the reconciliation of requests the bank has not notified.
type CustodySettings struct {
	// MinAge: a PENDING request is asked about once it is this old.
	MinAge time.Duration
	// AbandonAfter: a request the bank never received is FAILED once it is this old.
	AbandonAfter time.Duration
	// BatchSize: requests per database page.
	BatchSize int
}

// CustodyUsecase opens custody accounts and recharges them, and applies the bank's results.
type CustodyUsecase struct {
	tx        Transaction
	repo      CustodyRepo
	consumers ConsumerRepo
	bank      Bank
	settings  CustodySettings
	faults    *faults.Registry
	log       *log.Helper
	now       func() time.Time
	newNo     func(prefix string, now time.Time) string
}

// NewCustodyUsecase returns the custody use cases. f is nil in production.
func NewCustodyUsecase(tx Transaction, repo CustodyRepo, consumers ConsumerRepo, bank Bank,
	settings CustodySettings, f *faults.Registry, logger log.Logger) *CustodyUsecase {
	if settings.BatchSize <= 0 {
		settings.BatchSize = 100
	}
	return &CustodyUsecase{tx: tx, repo: repo, consumers: consumers, bank: bank, settings: settings,
		faults: f, log: log.NewHelper(log.With(logger, "module", "custody")),
		now: func() time.Time { return time.Now().UTC() }, newNo: newRequestNo}
}

// newRequestNo is prefix, the UTC time to the second and 64 random bits: 32 characters,
// unique without coordination and sortable by time for operators.
func newRequestNo(prefix string, now time.Time) string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		// Documented never to happen: crypto/rand crashes the program first.
		panic(fmt.Sprintf("custody: crypto/rand failed: %v", err))
	}
	return prefix + now.UTC().Format("20060102150405") + strings.ToUpper(hex.EncodeToString(b[:]))
}

// activeConsumer returns the user's consumer unless it is missing or not ACTIVE.
func activeConsumer(c *Consumer, err error) (*Consumer, error) {
	if err != nil {
		return nil, err
	}
	if c.Status != StatusActive {
		return nil, ErrNotFound
	}
	return c, nil
}

// Redirect is a new request and the form that takes the browser to the bank with it.
type Redirect struct {
	RequestNo string
	Form      *GatewayForm
}

// OpenAccount records an account opening (PENDING, and the consumer's custody status
// PENDING, in one local transaction) and returns the signed form for the bank's page.
// Only a consumer without an open or pending account may ask.
func (uc *CustodyUsecase) OpenAccount(ctx context.Context, userID int64, a AccountOpening) (*Redirect, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	// Check before signing: the form is only worth building for a consumer who may ask.
	c, err := activeConsumer(uc.consumers.Get(ctx, userID))
	if err != nil {
		return nil, err
	}
	if err := mayOpen(c); err != nil {
		return nil, err
	}
	now := uc.now()
	req := &CustodyRequest{RequestNo: uc.newNo(prefixOpenAccount, now), UserID: userID,
		Kind: KindOpenAccount, Status: RequestPending, CreatedAt: now, UpdatedAt: now}
	form, err := uc.bank.GatewayForm(GatewayRequest{RequestNo: req.RequestNo, Kind: KindOpenAccount,
		UserID: userID, Mobile: c.Mobile, Opening: a})
	if err != nil {
		return nil, fmt.Errorf("sign gateway form: %w", err)
	}
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		// The lock makes a concurrent second opening wait and then see PENDING.
		c, err := activeConsumer(uc.repo.LockConsumer(ctx, userID))
		if err != nil {
			return err
		}
		if err := mayOpen(c); err != nil {
			return err
		}
		if err := uc.repo.CreateRequest(ctx, req); err != nil {
			return err
		}
		return uc.repo.SetCustody(ctx, userID, CustodyPending, "")
	})
	if err != nil {
		return nil, err
	}
	uc.log.WithContext(ctx).Infow("msg", "custody request created", "request_no", req.RequestNo,
		"kind", req.Kind, "user_id", userID)
	return &Redirect{RequestNo: req.RequestNo, Form: form}, nil
}

func mayOpen(c *Consumer) error {
	switch c.CustodyStatus {
	case CustodyPending:
		return ErrCustodyAlreadyRequested
	case CustodyOpen:
		return ErrCustodyAlreadyOpen
	}
	return nil
}

// Recharge records a recharge (PENDING) and returns the signed form for the bank's page.
// Only a consumer with an open custody account may ask.
func (uc *CustodyUsecase) Recharge(ctx context.Context, userID int64, amount string) (*Redirect, error) {
	a, err := ParseRechargeAmount(amount)
	if err != nil {
		return nil, err
	}
	c, err := activeConsumer(uc.consumers.Get(ctx, userID))
	if err != nil {
		return nil, err
	}
	// OPEN is final, so nothing can change it between this read and the insert.
	if c.CustodyStatus != CustodyOpen || c.CustodyUserNo == "" {
		return nil, ErrCustodyNotOpen
	}
	now := uc.now()
	req := &CustodyRequest{RequestNo: uc.newNo(prefixRecharge, now), UserID: userID, Kind: KindRecharge,
		Status: RequestPending, Amount: &a, BankUserNo: c.CustodyUserNo, CreatedAt: now, UpdatedAt: now}
	form, err := uc.bank.GatewayForm(GatewayRequest{RequestNo: req.RequestNo, Kind: KindRecharge,
		UserID: userID, Mobile: c.Mobile, UserNo: c.CustodyUserNo, Amount: a})
	if err != nil {
		return nil, fmt.Errorf("sign gateway form: %w", err)
	}
	if err := uc.repo.CreateRequest(ctx, req); err != nil {
		return nil, err
	}
	uc.log.WithContext(ctx).Infow("msg", "custody request created", "request_no", req.RequestNo,
		"kind", req.Kind, "user_id", userID, "amount", a.String())
	return &Redirect{RequestNo: req.RequestNo, Form: form}, nil
}

// Request returns one of the user's requests; someone else's is not found, as an absent one.
func (uc *CustodyUsecase) Request(ctx context.Context, userID int64, requestNo string) (*CustodyRequest, error) {
	r, err := uc.repo.Request(ctx, requestNo)
	if errors.Is(err, ErrNotFound) || err == nil && r.UserID != userID {
		return nil, ErrRequestNotFound
	}
	return r, err
}

// Recharges lists the user's recharges, oldest first.
func (uc *CustodyUsecase) Recharges(ctx context.Context, userID int64) ([]Recharge, error) {
	return uc.repo.Recharges(ctx, userID)
}

// Sources of a bank result, for the logs.
const (
	SourceNotification   = "notification"
	SourceReconciliation = "reconciliation"
)

// Applied is what applying a bank result did.
type Applied struct {
	// Request as it stands after the result.
	Request *CustodyRequest
	// Changed is true when this result completed the request; false for a duplicate.
	Changed bool
}

// ErrFaultCallbackReject is the callback.reject fault point firing.
var ErrFaultCallbackReject = fmt.Errorf("%w: %s", ErrFaultInjected, FaultCallbackReject)

// ReceiveNotification applies the bank's notification; the callback.reject fault point
// refuses it before anything is read.
func (uc *CustodyUsecase) ReceiveNotification(ctx context.Context, res BankResult) (Applied, error) {
	if uc.faults.Hit(FaultCallbackReject).Fire {
		return Applied{}, ErrFaultCallbackReject
	}
	return uc.ApplyResult(ctx, res, SourceNotification)
}

// ApplyResult applies the bank's final result to its request in one local transaction,
// exactly once: the request's row lock orders concurrent results, the first completes it
// (with its effect on the consumer or the recharges) and the others find it complete and
// change nothing. A mismatching result changes nothing and is reported as ErrResultMismatch.
func (uc *CustodyUsecase) ApplyResult(ctx context.Context, res BankResult, source string) (Applied, error) {
	var out Applied
	err := uc.tx.InTx(ctx, func(ctx context.Context) error {
		out = Applied{}
		req, err := uc.repo.LockRequest(ctx, res.RequestNo)
		if errors.Is(err, ErrNotFound) {
			return ErrRequestNotFound
		}
		if err != nil {
			return err
		}
		out.Request = req
		changed, err := req.Complete(res, uc.now())
		if err != nil || !changed {
			return err
		}
		if err := uc.repo.SaveCompletion(ctx, req); err != nil {
			return err
		}
		switch {
		case req.Kind == KindOpenAccount && req.Status == RequestSuccess:
			err = uc.repo.SetCustody(ctx, req.UserID, CustodyOpen, req.BankUserNo)
		case req.Kind == KindOpenAccount:
			err = uc.repo.SetCustody(ctx, req.UserID, CustodyFailed, "")
		case req.Kind == KindRecharge && req.Status == RequestSuccess:
			err = uc.repo.CreateRecharge(ctx, Recharge{RequestNo: req.RequestNo, UserID: req.UserID,
				Amount: *req.Amount, CreatedAt: *req.CompletedAt})
		}
		out.Changed = err == nil
		return err
	})
	if err != nil {
		return Applied{}, err
	}
	l := uc.log.WithContext(ctx)
	switch r := out.Request; {
	case out.Changed:
		l.Infow("msg", "custody request completed", "request_no", r.RequestNo, "kind", r.Kind,
			"status", r.Status, "user_id", r.UserID, "source", source, "failure_reason", r.FailureReason)
	case r.Status != res.Status:
		// The bank contradicts what was applied first (e.g. a request given up as never
		// received that the bank completed after all): an operator must look.
		l.Warnw("msg", "bank result contradicts a completed custody request", "request_no", r.RequestNo,
			"kind", r.Kind, "status", r.Status, "bank_status", res.Status, "source", source)
	default:
		l.Debugw("msg", "duplicate custody result ignored", "request_no", r.RequestNo, "source", source)
	}
	return out, nil
}

// ReconcileAction is what reconciliation does with one PENDING request.
type ReconcileAction int

// What reconciliation can do.
const (
	// ReconcileWait: the bank is still working on it, or may still receive it.
	ReconcileWait ReconcileAction = iota
	// ReconcileApply: the bank has a final result; apply it.
	ReconcileApply
	// ReconcileAbandon: the bank never received it and now never will; fail it.
	ReconcileAbandon
)

// DecideReconciliation says what to do with a PENDING request given the bank's answer
// (res, or queryErr when the query failed) at time now.
func DecideReconciliation(req *CustodyRequest, res BankResult, queryErr error, now time.Time, abandonAfter time.Duration) ReconcileAction {
	switch {
	case errors.Is(queryErr, ErrNotReceivedByBank):
		if now.Sub(req.CreatedAt) >= abandonAfter {
			return ReconcileAbandon
		}
		return ReconcileWait
	case queryErr != nil:
		return ReconcileWait
	case res.Status == RequestSuccess || res.Status == RequestFailed:
		return ReconcileApply
	}
	return ReconcileWait // PROCESSING, or anything the bank may add later
}

// ReconcileSummary counts what one round did.
type ReconcileSummary struct {
	Checked, Completed, Abandoned, Errors int
}

// Reconcile asks the bank about every PENDING request older than the minimum age and
// applies what it learns through ApplyResult, as a notification would be.
func (uc *CustodyUsecase) Reconcile(ctx context.Context) (ReconcileSummary, error) {
	var sum ReconcileSummary
	now := uc.now()
	var after *PageKey
	for {
		page, err := uc.repo.PendingRequests(ctx, now.Add(-uc.settings.MinAge), after, uc.settings.BatchSize)
		if err != nil {
			return sum, fmt.Errorf("list pending custody requests: %w", err)
		}
		for _, req := range page {
			if err := ctx.Err(); err != nil {
				return sum, err
			}
			uc.reconcileOne(ctx, req, &sum)
		}
		if len(page) < uc.settings.BatchSize {
			return sum, nil
		}
		last := page[len(page)-1]
		after = &PageKey{CreatedAt: last.CreatedAt, RequestNo: last.RequestNo}
	}
}

func (uc *CustodyUsecase) reconcileOne(ctx context.Context, req *CustodyRequest, sum *ReconcileSummary) {
	sum.Checked++
	l := uc.log.WithContext(ctx)
	res, qerr := uc.bank.QueryResult(ctx, req.RequestNo)
	now := uc.now()
	switch DecideReconciliation(req, res, qerr, now, uc.settings.AbandonAfter) {
	case ReconcileWait:
		if qerr != nil && !errors.Is(qerr, ErrNotReceivedByBank) {
			sum.Errors++
			l.Warnw("msg", "custody result query failed", "request_no", req.RequestNo, "err", qerr)
		}
	case ReconcileApply:
		applied, err := uc.ApplyResult(ctx, res, SourceReconciliation)
		if err != nil {
			sum.Errors++
			l.Errorw("msg", "custody result from the bank's query not applied", "request_no", req.RequestNo, "err", err)
			return
		}
		if applied.Changed {
			sum.Completed++
		}
	case ReconcileAbandon:
		amount := ""
		if req.Amount != nil {
			amount = req.Amount.String()
		}
		applied, err := uc.ApplyResult(ctx, BankResult{RequestNo: req.RequestNo, Kind: req.Kind,
			Status: RequestFailed, PlatformUserID: strconv.FormatInt(req.UserID, 10), Amount: amount,
			UserNo: req.BankUserNo, FailureReason: ReasonNotReceived}, SourceReconciliation)
		if err != nil {
			sum.Errors++
			l.Errorw("msg", "abandoning custody request failed", "request_no", req.RequestNo, "err", err)
			return
		}
		if applied.Changed {
			sum.Abandoned++
		}
	}
}
