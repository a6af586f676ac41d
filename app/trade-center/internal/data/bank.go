package data

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/custodyapi"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
)

// The custody bank's signed lending API (docs/custody-protocol.md "Lending calls").

type bank struct{ client *signing.Client }

// NewBank is the bank's lending API over its signed client (NewBankClient).
func NewBank(client *signing.Client) biz.Bank { return &bank{client: client} }

type registerProjectRequest struct {
	RequestNo         string       `json:"requestNo"`
	ProjectNo         string       `json:"projectNo"`
	PlatformProjectID string       `json:"platformProjectId"` // int64 as protojson prints it
	BorrowerUserNo    string       `json:"borrowerUserNo"`
	Amount            money.Amount `json:"amount"`
}

type freezeRequest struct {
	RequestNo string       `json:"requestNo"`
	ProjectNo string       `json:"projectNo"`
	UserNo    string       `json:"userNo"`
	Amount    money.Amount `json:"amount"`
}

type loanRequest struct {
	RequestNo string `json:"requestNo"`
	ProjectNo string `json:"projectNo"`
}

type unfreezeRequest struct {
	RequestNo       string       `json:"requestNo"`
	FreezeRequestNo string       `json:"freezeRequestNo"`
	ProjectNo       string       `json:"projectNo"`
	UserNo          string       `json:"userNo"`
	Amount          money.Amount `json:"amount"`
}

type unfreezeAnswer struct {
	RequestNo       string `json:"requestNo"`
	FreezeRequestNo string `json:"freezeRequestNo"`
	Status          string `json:"status"`
}

type accountAnswer struct {
	UserNo  string       `json:"userNo"`
	Balance money.Amount `json:"balance"`
	Frozen  money.Amount `json:"frozen"`
}

// requestAnswer is the part of the bank's answers to lending calls that is checked.
type requestAnswer struct {
	RequestNo string `json:"requestNo"`
}

func (b *bank) RegisterProject(ctx context.Context, p biz.BankProject) error {
	return b.post(ctx, "/v1/projects", p.RequestNo, registerProjectRequest{
		RequestNo: p.RequestNo, ProjectNo: p.ProjectNo, PlatformProjectID: strconv.FormatInt(p.PlatformProjectID, 10),
		BorrowerUserNo: p.BorrowerUserNo, Amount: p.Amount,
	})
}

func (b *bank) Freeze(ctx context.Context, f biz.BankFreeze) error {
	return b.post(ctx, "/v1/freezes", f.RequestNo, freezeRequest{
		RequestNo: f.RequestNo, ProjectNo: f.ProjectNo, UserNo: f.UserNo, Amount: f.Amount,
	})
}

func (b *bank) FreezeBatch(ctx context.Context, projectNo string, fs []biz.BankFreeze) ([]error, error) {
	batch := custodyapi.FreezeBatch{ProjectNo: projectNo, Orders: make([]custodyapi.FreezeOrder, len(fs))}
	for i, f := range fs {
		batch.Orders[i] = custodyapi.FreezeOrder{RequestNo: f.RequestNo, UserNo: f.UserNo, Amount: f.Amount.String()}
	}
	raw, err := json.Marshal(batch)
	if err != nil {
		return nil, err
	}
	const path = "/v1/freezes/batch"
	resp, err := b.client.Do(ctx, http.MethodPost, path, raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %s %s ×%d: %w", biz.ErrBankUnavailable, path, projectNo, len(fs), err)
	}
	if err := answerError(resp); err != nil {
		return nil, fmt.Errorf("%s %s ×%d: %w", path, projectNo, len(fs), err)
	}
	var a custodyapi.FreezeBatchResult
	if err := json.Unmarshal(resp.Body, &a); err != nil || a.ProjectNo != projectNo || len(a.Results) != len(fs) {
		return nil, fmt.Errorf("%w: %s %s: the answer is about something else: %s", biz.ErrBankUnavailable, path, projectNo, signing.Excerpt(resp.Body))
	}
	out := make([]error, len(fs))
	for i, r := range a.Results {
		out[i] = freezeItemError(fs[i], r)
	}
	return out, nil
}

// freezeItemError reads the bank's signed result for f: nil when its money is held, the
// refusal's error, or — for a result about another freeze or in a status we do not know —
// an unknown outcome that a single freeze of the same number settles later.
func freezeItemError(f biz.BankFreeze, r custodyapi.FreezeItemResult) error {
	if r.RequestNo != f.RequestNo || r.UserNo != f.UserNo || r.Amount != f.Amount.String() {
		return fmt.Errorf("%w: freeze %s: the batch's answer is about %s", biz.ErrBankUnavailable, f.RequestNo, r.RequestNo)
	}
	switch r.Status {
	case "FROZEN", "TRANSFERRED":
		return nil
	case custodyapi.FreezeRefused:
		err := bankRefusals.Of(signing.ErrorAnswer{Status: r.Code, Reason: r.Reason, Message: r.Message, Signed: true})
		return fmt.Errorf("freeze %s: %w", f.RequestNo, err)
	}
	return fmt.Errorf("%w: freeze %s: unknown status %q", biz.ErrBankUnavailable, f.RequestNo, r.Status)
}

func (b *bank) ConfirmLoan(ctx context.Context, requestNo, projectNo string) error {
	return b.post(ctx, "/v1/loans", requestNo, loanRequest{RequestNo: requestNo, ProjectNo: projectNo})
}

func (b *bank) Unfreeze(ctx context.Context, u biz.BankUnfreeze) (biz.UnfreezeResult, error) {
	raw, err := json.Marshal(unfreezeRequest{RequestNo: u.RequestNo, FreezeRequestNo: u.FreezeRequestNo,
		ProjectNo: u.ProjectNo, UserNo: u.UserNo, Amount: u.Amount})
	if err != nil {
		return "", err
	}
	const path = "/v1/unfreezes"
	resp, err := b.client.Do(ctx, http.MethodPost, path, raw)
	if err != nil {
		return "", fmt.Errorf("%w: %s %s: %w", biz.ErrBankUnavailable, path, u.RequestNo, err)
	}
	if err := answerError(resp); err != nil {
		return "", fmt.Errorf("%s %s: %w", path, u.RequestNo, err)
	}
	var a unfreezeAnswer
	if err := json.Unmarshal(resp.Body, &a); err != nil || a.RequestNo != u.RequestNo || a.FreezeRequestNo != u.FreezeRequestNo {
		return "", fmt.Errorf("%w: %s %s: the answer is about something else: %s", biz.ErrBankUnavailable, path, u.RequestNo, signing.Excerpt(resp.Body))
	}
	switch result := biz.UnfreezeResult(a.Status); result {
	case biz.Unfrozen, biz.Voided:
		return result, nil
	}
	return "", fmt.Errorf("%w: %s %s: unknown status %q", biz.ErrBankUnavailable, path, u.RequestNo, a.Status)
}

func (b *bank) Account(ctx context.Context, userNo string) (biz.BankAccount, error) {
	resp, err := b.client.Do(ctx, http.MethodGet, "/v1/accounts/"+url.PathEscape(userNo), nil)
	if err != nil {
		return biz.BankAccount{}, fmt.Errorf("%w: account %s: %w", biz.ErrBankUnavailable, userNo, err)
	}
	if err := answerError(resp); err != nil {
		return biz.BankAccount{}, fmt.Errorf("account %s: %w", userNo, err)
	}
	var a accountAnswer
	if err := json.Unmarshal(resp.Body, &a); err != nil || a.UserNo != userNo {
		return biz.BankAccount{}, fmt.Errorf("%w: account %s: unexpected answer %s", biz.ErrBankUnavailable, userNo, signing.Excerpt(resp.Body))
	}
	return biz.BankAccount{UserNo: a.UserNo, Balance: a.Balance, Frozen: a.Frozen}, nil
}

// post sends one signed lending call and maps the answer onto biz's bank errors.
func (b *bank) post(ctx context.Context, path, requestNo string, body any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	resp, err := b.client.Do(ctx, http.MethodPost, path, raw)
	if err != nil {
		// No answer, or one not signed by the bank: the outcome is unknown.
		return fmt.Errorf("%w: %s %s: %w", biz.ErrBankUnavailable, path, requestNo, err)
	}
	if err := answerError(resp); err != nil {
		return fmt.Errorf("%s %s: %w", path, requestNo, err)
	}
	var a requestAnswer
	if err := json.Unmarshal(resp.Body, &a); err != nil || a.RequestNo != requestNo {
		return fmt.Errorf("%w: %s %s: the answer is about something else: %s", biz.ErrBankUnavailable, path, requestNo, signing.Excerpt(resp.Body))
	}
	return nil
}

// bankRefusals interprets a non-2xx answer: the bank's signed refusal
// (signing.ErrorAnswer.Refused) is definitive; anything else — unsigned (a proxy's, clock
// skew at a gateway, a forger's), 5xx, time-out — leaves the outcome unknown, and the
// caller settles it by asking again with the same request number.
var bankRefusals = signing.Refusals{
	Known: []signing.Refusal{
		{Status: http.StatusUnprocessableEntity, Reason: "INSUFFICIENT_BALANCE", Err: biz.ErrInsufficientBalance},
		{Status: http.StatusConflict, Reason: "FREEZE_VOIDED", Err: biz.ErrFreezeVoided},
		{Status: http.StatusConflict, Reason: "FREEZE_TRANSFERRED", Err: biz.ErrFreezeTransferred},
	},
	Refused: biz.ErrBankRefused, Unavailable: biz.ErrBankUnavailable,
}

// answerError is the use case's error for the bank's answer (nil for a 2xx).
func answerError(resp signing.Response) error { return bankRefusals.Error(resp) }
