package biz

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/pkg/claims"
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

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
	a, err := ParseWithdrawalAmount(s)
	if err == nil && a.Cmp(MaxRecharge) > 0 {
		return money.Amount{}, &ValidationError{"amount", "must be at most " + MaxRecharge.String()}
	}
	return a, err
}

// ParseWithdrawalAmount checks a withdrawal's amount: positive, at most 2 decimals (the
// available balance is the bank's to say); the error names the field.
func ParseWithdrawalAmount(s string) (money.Amount, error) {
	a, err := money.ParseAmount(strings.TrimSpace(s))
	var pe *money.ParseError
	switch {
	case errors.As(err, &pe):
		return money.Amount{}, &ValidationError{"amount", pe.Reason}
	case err != nil:
		return money.Amount{}, &ValidationError{"amount", err.Error()}
	case !a.IsPositive():
		return money.Amount{}, &ValidationError{"amount", "must be positive"}
	}
	return a, nil
}

// CustodySettings tune the reconciliation of requests the bank has not notified.
type CustodySettings struct {
	// MinAge: a PENDING request is asked about once it is this old.
	MinAge time.Duration
	// AbandonAfter: a request the bank never received is FAILED once it is this old.
	AbandonAfter time.Duration
	// BatchSize: requests per database page.
	BatchSize int
	// Now is the clock (UTC) and NewRequestNo makes request numbers; nil means the real
	// ones. Tests set both to make requests and times predictable.
	Now          func() time.Time
	NewRequestNo func(prefix string, now time.Time) string
	// Claims splits the reconciliation's requests between instances (pkg/claims); nil
	// means one instance holding them all.
	Claims claims.Claimer
}

// CustodyUsecase opens custody accounts, recharges them and withdraws from them, reads
// their balances at the bank, and applies the bank's results.
type CustodyUsecase struct {
	tx        Transaction
	repo      CustodyRepo
	consumers ConsumerRepo
	bank      Bank
	settings  CustodySettings
	faults    *faults.Registry
	log       *log.Helper
}

// NewCustodyUsecase returns the custody use cases. f is nil in production.
func NewCustodyUsecase(tx Transaction, repo CustodyRepo, consumers ConsumerRepo, bank Bank,
	settings CustodySettings, f *faults.Registry, logger log.Logger) *CustodyUsecase {
	if settings.BatchSize <= 0 {
		settings.BatchSize = 100
	}
	settings.Claims = claims.Or(settings.Claims)
	if settings.Now == nil {
		settings.Now = func() time.Time { return time.Now().UTC() }
	}
	if settings.NewRequestNo == nil {
		settings.NewRequestNo = newRequestNo
	}
	return &CustodyUsecase{tx: tx, repo: repo, consumers: consumers, bank: bank, settings: settings,
		faults: f, log: log.NewHelper(log.With(logger, "module", "custody"))}
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
	now := uc.settings.Now()
	req := &CustodyRequest{RequestNo: uc.settings.NewRequestNo(prefixOpenAccount, now), UserID: userID,
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
	c, err := uc.openCustody(ctx, userID)
	if err != nil {
		return nil, err
	}
	return uc.moveMoney(ctx, c, KindRecharge, prefixRecharge, a)
}

// Withdraw records a withdrawal (PENDING) and returns the signed form for the bank's page.
// Only a consumer with an open custody account may ask, for at most the available
// balance the bank reports now. The bank checks again when the user confirms on its page
// and when it debits the account, so a request that passes here may still fail there
// (two withdrawals at once, a tender in between): the bank's word is final.
func (uc *CustodyUsecase) Withdraw(ctx context.Context, userID int64, amount string) (*Redirect, error) {
	a, err := ParseWithdrawalAmount(amount)
	if err != nil {
		return nil, err
	}
	c, err := uc.openCustody(ctx, userID)
	if err != nil {
		return nil, err
	}
	acct, err := uc.bank.Account(ctx, c.CustodyUserNo)
	if err != nil {
		return nil, err
	}
	if avail := acct.Available(); a.Cmp(avail) > 0 {
		return nil, fmt.Errorf("%w: %s asked, %s available", ErrInsufficientBalance, a, avail)
	}
	return uc.moveMoney(ctx, c, KindWithdraw, prefixWithdraw, a)
}

// openCustody returns the user's consumer if its custody account is open.
func (uc *CustodyUsecase) openCustody(ctx context.Context, userID int64) (*Consumer, error) {
	c, err := activeConsumer(uc.consumers.Get(ctx, userID))
	if err != nil {
		return nil, err
	}
	if c.CustodyStatus != CustodyOpen || c.CustodyUserNo == "" {
		return nil, ErrCustodyNotOpen
	}
	return c, nil
}

// moveMoney records a request of kind (a recharge or a withdrawal) on c's account,
// PENDING, and returns the signed form for the bank's page. OPEN is final, so nothing
// can change the account between the caller's read and the insert.
func (uc *CustodyUsecase) moveMoney(ctx context.Context, c *Consumer, kind, prefix string, a money.Amount) (*Redirect, error) {
	now := uc.settings.Now()
	req := &CustodyRequest{RequestNo: uc.settings.NewRequestNo(prefix, now), UserID: c.ID, Kind: kind,
		Status: RequestPending, Amount: &a, BankUserNo: c.CustodyUserNo, CreatedAt: now, UpdatedAt: now}
	form, err := uc.bank.GatewayForm(GatewayRequest{RequestNo: req.RequestNo, Kind: kind,
		UserID: c.ID, Mobile: c.Mobile, UserNo: c.CustodyUserNo, Amount: a})
	if err != nil {
		return nil, fmt.Errorf("sign gateway form: %w", err)
	}
	if err := uc.repo.CreateRequest(ctx, req); err != nil {
		return nil, err
	}
	uc.log.WithContext(ctx).Infow("msg", "custody request created", "request_no", req.RequestNo,
		"kind", req.Kind, "user_id", c.ID, "amount", a.String())
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

// Withdrawals lists the user's withdrawal requests, whatever their status, oldest first.
func (uc *CustodyUsecase) Withdrawals(ctx context.Context, userID int64) ([]*CustodyRequest, error) {
	return uc.repo.UserRequests(ctx, userID, KindWithdraw)
}
