package data

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
)

// The custody bank's signed repayment API (docs/custody-protocol.md "Execute one
// repayment installment", "Result query and balances").

// Key files in bank.keys_dir.
const (
	platformPrivateKeyFile = "platform_private.pem"
	bankPublicKeyFile      = "bank_public.pem"
)

// bankNonceTable remembers the nonces of the bank's signed answers, so none can be
// replayed to us.
const bankNonceTable = "bank_nonce"

const defaultBankTimeout = 5 * time.Second

// NewBankNonces is the nonce store of the bank's signed answers.
func NewBankNonces(d *Data) *signing.SQLNonceStore {
	return &signing.SQLNonceStore{DB: d.DB(), Table: bankNonceTable}
}

type bank struct {
	client *signing.Client
}

// NewBank returns the bank's client: calls signed with the platform's key, answers
// checked against the bank's.
func NewBank(c *conf.Bootstrap, nonces *signing.SQLNonceStore) (biz.Bank, error) {
	bc := c.GetBank()
	if bc.GetBaseUrl() == "" {
		return nil, errors.New("bank.base_url is not set")
	}
	if bc.GetKeysDir() == "" {
		return nil, errors.New("bank.keys_dir is not set (P2P_KEYS_DIR on the local stack)")
	}
	priv, err := signing.LoadPrivateKey(filepath.Join(bc.GetKeysDir(), platformPrivateKeyFile))
	if err != nil {
		return nil, err
	}
	pub, err := signing.LoadPublicKey(filepath.Join(bc.GetKeysDir(), bankPublicKeyFile))
	if err != nil {
		return nil, err
	}
	timeout := bc.GetTimeout().AsDuration()
	if timeout <= 0 {
		timeout = defaultBankTimeout
	}
	return &bank{client: &signing.Client{
		BaseURL: bc.GetBaseUrl(), HTTP: &http.Client{Timeout: timeout},
		Signer: signing.NewSigner(priv), Verifier: signing.NewVerifier(pub, nonces),
	}}, nil
}

type creditJSON struct {
	UserNo string       `json:"userNo"`
	Amount money.Amount `json:"amount"`
}

type repaymentRequest struct {
	RequestNo      string       `json:"requestNo"`
	ProjectNo      string       `json:"projectNo"`
	Period         int          `json:"period"`
	BorrowerUserNo string       `json:"borrowerUserNo"`
	Amount         money.Amount `json:"amount"`
	Commission     money.Amount `json:"commission"`
	Credits        []creditJSON `json:"credits"`
}

// repaymentAnswer is the part of the bank's 200 that is checked.
type repaymentAnswer struct {
	RequestNo string `json:"requestNo"`
	Status    string `json:"status"`
}

type requestAnswer struct {
	RequestNo   string `json:"requestNo"`
	ServiceName string `json:"serviceName"`
	Status      string `json:"status"`
}

func (b *bank) Repay(ctx context.Context, r biz.BankRepayment) error {
	body := repaymentRequest{RequestNo: r.RequestNo, ProjectNo: r.ProjectNo, Period: r.Period,
		BorrowerUserNo: r.BorrowerUserNo, Amount: r.Amount, Commission: r.Commission,
		Credits: make([]creditJSON, 0, len(r.Credits))}
	for _, c := range r.Credits {
		body.Credits = append(body.Credits, creditJSON(c))
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	resp, err := b.client.Do(ctx, http.MethodPost, "/v1/repayments", raw)
	if err != nil {
		// No answer, or one not signed by the bank: the outcome is unknown.
		return fmt.Errorf("%w: repayment %s: %w", biz.ErrBankUnavailable, r.RequestNo, err)
	}
	if err := answerError(resp); err != nil {
		return fmt.Errorf("repayment %s: %w", r.RequestNo, err)
	}
	var a repaymentAnswer
	if err := json.Unmarshal(resp.Body, &a); err != nil || a.RequestNo != r.RequestNo || a.Status != string(biz.BankSucceeded) {
		return fmt.Errorf("%w: repayment %s: the answer is about something else: %s", biz.ErrBankUnavailable, r.RequestNo, excerpt(resp.Body))
	}
	return nil
}

func (b *bank) RequestStatus(ctx context.Context, requestNo string) (biz.BankRequestStatus, error) {
	resp, err := b.client.Do(ctx, http.MethodGet, "/v1/requests/"+url.PathEscape(requestNo), nil)
	if err != nil {
		return "", fmt.Errorf("%w: request %s: %w", biz.ErrBankUnavailable, requestNo, err)
	}
	if err := answerError(resp); err != nil {
		return "", fmt.Errorf("request %s: %w", requestNo, err)
	}
	var a requestAnswer
	if err := json.Unmarshal(resp.Body, &a); err != nil || a.RequestNo != requestNo || a.ServiceName != "REPAY" {
		return "", fmt.Errorf("%w: request %s: the answer is about something else: %s", biz.ErrBankUnavailable, requestNo, excerpt(resp.Body))
	}
	switch st := biz.BankRequestStatus(a.Status); st {
	case biz.BankProcessing, biz.BankSucceeded, biz.BankFailed:
		return st, nil
	}
	return "", fmt.Errorf("%w: request %s: unknown status %q", biz.ErrBankUnavailable, requestNo, a.Status)
}

// answerError interprets a non-2xx answer (error answers are not signed, so only what
// cannot hurt is believed: a refusal that moved nothing, or "never received" — which the
// run acts on only once the attempt is older than lost_after). 5xx, time-outs and
// throttling leave the outcome unknown.
func answerError(resp signing.Response) error {
	if resp.Status >= 200 && resp.Status < 300 {
		return nil
	}
	var e struct {
		Reason  string `json:"reason"`
		Message string `json:"message"`
	}
	if json.Unmarshal(resp.Body, &e) != nil {
		e.Message = excerpt(resp.Body)
	}
	switch {
	case resp.Status == http.StatusUnprocessableEntity && e.Reason == "INSUFFICIENT_BALANCE":
		return fmt.Errorf("%w: %s", biz.ErrInsufficientBalance, e.Message)
	case resp.Status == http.StatusConflict && e.Reason == "PERIOD_ALREADY_REPAID":
		return fmt.Errorf("%w: %s", biz.ErrPeriodAlreadyRepaid, e.Message)
	case resp.Status == http.StatusNotFound && e.Reason == "REQUEST_NOT_FOUND":
		return fmt.Errorf("%w: %s", biz.ErrRequestNotFound, e.Message)
	case resp.Status == http.StatusRequestTimeout, resp.Status == http.StatusTooManyRequests:
	case resp.Status >= 400 && resp.Status < 500:
		return fmt.Errorf("%w: HTTP %d %s: %s", biz.ErrBankRefused, resp.Status, e.Reason, e.Message)
	}
	return fmt.Errorf("%w: HTTP %d %s: %s", biz.ErrBankUnavailable, resp.Status, e.Reason, e.Message)
}

func excerpt(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "..."
	}
	return string(b)
}
