package data

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
)

// The custody bank's signed repayment API (docs/custody-protocol.md "Execute one
// repayment installment", "Result query and balances").

// defaultBankTimeout is what the run's settings assume a call to the bank may take.
const defaultBankTimeout = signing.DefaultTimeout

type bank struct{ client *signing.Client }

// NewBank is the bank's repayment API over its signed client (NewBankClient).
func NewBank(client *signing.Client) biz.Bank { return &bank{client: client} }

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
		return fmt.Errorf("%w: repayment %s: the answer is about something else: %s", biz.ErrBankUnavailable, r.RequestNo, signing.Excerpt(resp.Body))
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
		return "", fmt.Errorf("%w: request %s: the answer is about something else: %s", biz.ErrBankUnavailable, requestNo, signing.Excerpt(resp.Body))
	}
	switch st := biz.BankRequestStatus(a.Status); st {
	case biz.BankProcessing, biz.BankSucceeded, biz.BankFailed:
		return st, nil
	}
	return "", fmt.Errorf("%w: request %s: unknown status %q", biz.ErrBankUnavailable, requestNo, a.Status)
}

// bankRefusals interprets a non-2xx answer. Only the bank's signed word is believed: a
// refusal that moved nothing, or "never received" (which the run acts on only once the
// attempt is older than lost_after). An unsigned answer (a proxy's, a forger's), 5xx,
// time-outs and throttling leave the outcome unknown, for the result query to settle.
var bankRefusals = signing.Refusals{
	Known: []signing.Refusal{
		{Status: http.StatusUnprocessableEntity, Reason: "INSUFFICIENT_BALANCE", Err: biz.ErrInsufficientBalance},
		{Status: http.StatusConflict, Reason: "PERIOD_ALREADY_REPAID", Err: biz.ErrPeriodAlreadyRepaid},
		{Status: http.StatusNotFound, Reason: "REQUEST_NOT_FOUND", Err: biz.ErrRequestNotFound},
	},
	Refused: biz.ErrBankRefused, Unavailable: biz.ErrBankUnavailable,
}

// answerError is the run's error for the bank's answer (nil for a 2xx).
func answerError(resp signing.Response) error { return bankRefusals.Error(resp) }
