package data

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/claims"
	"github.com/p2p-dtx/p2p-dtx/pkg/custodyapi"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
)

// The custody bank's side of docs/custody-protocol.md: the signed gateway form, the
// signed result query and the signed account queries. The bank's notifications arrive at
// the service layer.

// callbackNonceTable remembers the nonces of everything the bank signs for us (its
// notifications and its answers), so none of its messages can be replayed.
const callbackNonceTable = "callback_nonce"

// custodyKeys is the platform's keys directory, from custody.keys_dir.
func custodyKeys(c *conf.Bootstrap) signing.KeysDir {
	return signing.KeysDir{Path: c.GetCustody().GetKeysDir(), Setting: "custody.keys_dir"}
}

// NewPlatformSigner signs, with the platform's private key, the gateway forms, the
// queries to the bank and the answers to its notifications.
func NewPlatformSigner(c *conf.Bootstrap) (*signing.Signer, error) {
	return custodyKeys(c).PlatformSigner()
}

// NewCallbackNonces is the nonce store of the bank's signed messages.
func NewCallbackNonces(d *Data) *signing.SQLNonceStore {
	return &signing.SQLNonceStore{DB: d.DB(), Table: callbackNonceTable}
}

// NewBankVerifier checks that a message comes from the bank, once.
func NewBankVerifier(c *conf.Bootstrap, nonces *signing.SQLNonceStore) (*signing.Verifier, error) {
	return custodyKeys(c).BankVerifier(nonces)
}

// NewClaims is the reconciliation's row claims (pkg/claims) in user-center's database:
// with two instances, each asks the bank about the requests it holds.
func NewClaims(d *Data) claims.Claimer { return claims.New(d.DB(), "user-center") }

// NewCustodySettings reads and checks the reconciliation settings.
// cl splits the requests between instances (NewClaims).
func NewCustodySettings(c *conf.Bootstrap, cl claims.Claimer) (biz.CustodySettings, error) {
	r := c.GetCustody().GetReconciliation()
	s := biz.CustodySettings{MinAge: r.GetMinAge().AsDuration(), AbandonAfter: r.GetAbandonAfter().AsDuration(),
		BatchSize: int(r.GetBatchSize()), Claims: cl}
	switch {
	case r.GetInterval().AsDuration() <= 0:
		return s, errors.New("custody.reconciliation.interval must be positive")
	case s.MinAge < 0:
		return s, errors.New("custody.reconciliation.min_age must not be negative")
	case s.AbandonAfter <= signing.DefaultWindow:
		// Inside the window the user may still submit the signed form and the bank would
		// accept it: giving the request up then could contradict the bank.
		return s, fmt.Errorf("custody.reconciliation.abandon_after must exceed the signature window %s", signing.DefaultWindow)
	}
	return s, nil
}

type bank struct {
	platformNo string
	gatewayURL string
	returnURL  string
	timeout    time.Duration
	signer     *signing.Signer
	client     *signing.Client
}

// NewBank returns the custody bank's client.
func NewBank(c *conf.Bootstrap, signer *signing.Signer, verifier *signing.Verifier) (biz.Bank, error) {
	cc := c.GetCustody()
	for name, v := range map[string]string{"platform_no": cc.GetPlatformNo(), "bank_base_url": cc.GetBankBaseUrl(),
		"gateway_url": cc.GetGatewayUrl(), "return_url": cc.GetReturnUrl()} {
		if v == "" {
			return nil, fmt.Errorf("custody.%s is not set", name)
		}
	}
	// The signer and verifier are shared with the notifications, so wire builds them once.
	client := signing.NewClient(cc.GetBankBaseUrl(), cc.GetBankTimeout().AsDuration(), signer, verifier)
	return &bank{
		platformNo: cc.GetPlatformNo(), gatewayURL: cc.GetGatewayUrl(), returnURL: cc.GetReturnUrl(),
		timeout: client.HTTP.Timeout, signer: signer, client: client,
	}, nil
}

// openAccountReqData and moneyReqData (recharge, withdrawal) are the JSON inside
// reqData, fields in the protocol's order.
type openAccountReqData struct {
	RequestNo      string `json:"requestNo"`
	ServiceName    string `json:"serviceName"`
	PlatformUserID string `json:"platformUserId"`
	RealName       string `json:"realName"`
	IDNumber       string `json:"idNumber"`
	BankCardNo     string `json:"bankCardNo"`
	Mobile         string `json:"mobile"`
	ReturnURL      string `json:"returnUrl"`
}

type moneyReqData struct {
	RequestNo      string `json:"requestNo"`
	ServiceName    string `json:"serviceName"`
	PlatformUserID string `json:"platformUserId"`
	UserNo         string `json:"userNo"`
	Amount         string `json:"amount"`
	ReturnURL      string `json:"returnUrl"`
}

// Form fields besides the signing ones.
const (
	fieldServiceName = "serviceName"
	fieldPlatformNo  = "platformNo"
)

func (b *bank) GatewayForm(req biz.GatewayRequest) (*biz.GatewayForm, error) {
	userID := strconv.FormatInt(req.UserID, 10)
	var data any
	switch req.Kind {
	case biz.KindOpenAccount:
		data = openAccountReqData{RequestNo: req.RequestNo, ServiceName: req.Kind, PlatformUserID: userID,
			RealName: req.Opening.RealName, IDNumber: req.Opening.IDNumber, BankCardNo: req.Opening.BankCardNo,
			Mobile: req.Mobile, ReturnURL: b.returnURL}
	case biz.KindRecharge, biz.KindWithdraw:
		data = moneyReqData{RequestNo: req.RequestNo, ServiceName: req.Kind, PlatformUserID: userID,
			UserNo: req.UserNo, Amount: req.Amount.String(), ReturnURL: b.returnURL}
	default:
		return nil, fmt.Errorf("gateway form: unknown kind %q", req.Kind)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // the bank decodes JSON, not HTML: keep "&" in URLs as is
	if err := enc.Encode(data); err != nil {
		return nil, err
	}
	form := url.Values{}
	form.Set(fieldServiceName, req.Kind)
	form.Set(fieldPlatformNo, b.platformNo)
	form.Set(signing.FieldReqData, base64.StdEncoding.EncodeToString(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))))
	if err := b.signer.SignForm(form); err != nil {
		return nil, err
	}
	fields := make(map[string]string, len(form))
	for k := range form {
		fields[k] = form.Get(k)
	}
	return &biz.GatewayForm{URL: b.gatewayURL, Method: http.MethodPost, Fields: fields}, nil
}

// reasonRequestNotFound is the bank's 404 reason for a request it never received. A 404
// without it (a missing route, a proxy) says nothing about the request.
const reasonRequestNotFound = "REQUEST_NOT_FOUND"

func (b *bank) QueryResult(ctx context.Context, requestNo string) (biz.BankResult, error) {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	resp, err := b.client.Do(ctx, http.MethodGet, "/v1/requests/"+url.PathEscape(requestNo), nil)
	if err != nil {
		return biz.BankResult{}, fmt.Errorf("query bank for %s: %w", requestNo, err)
	}
	switch resp.Status {
	case http.StatusOK:
		var r custodyapi.RequestResult
		if err := json.Unmarshal(resp.Body, &r); err != nil {
			return biz.BankResult{}, fmt.Errorf("query bank for %s: answer is not the protocol's JSON: %w", requestNo, err)
		}
		if r.RequestNo != requestNo {
			return biz.BankResult{}, fmt.Errorf("query bank for %s: answer is about %q", requestNo, r.RequestNo)
		}
		return biz.BankResult{RequestNo: r.RequestNo, Kind: r.ServiceName, Status: biz.RequestStatus(r.Status), UserNo: r.UserNo,
			PlatformUserID: r.PlatformUserID, Amount: r.Amount, FailureReason: r.FailureReason}, nil
	case http.StatusNotFound:
		// Only the bank's signed "never received" counts; a proxy's 404 says nothing.
		if e, _ := resp.Failure(); e.Is(http.StatusNotFound, reasonRequestNotFound) {
			return biz.BankResult{}, biz.ErrNotReceivedByBank
		}
	}
	return biz.BankResult{}, fmt.Errorf("query bank for %s: HTTP %d: %s", requestNo, resp.Status, signing.Excerpt(resp.Body))
}

// accountAnswer is the bank's answer to GET /v1/accounts/{userNo} and GET /v1/fee-account.
type accountAnswer struct {
	UserNo  string       `json:"userNo"`
	Balance money.Amount `json:"balance"`
	Frozen  money.Amount `json:"frozen"`
}

// feeAccountPrefix and the platform number make the fee account's user number.
const feeAccountPrefix = "FEE_"

func (b *bank) Account(ctx context.Context, userNo string) (biz.BankAccount, error) {
	return b.account(ctx, "/v1/accounts/"+url.PathEscape(userNo), userNo)
}

func (b *bank) FeeAccount(ctx context.Context) (biz.BankAccount, error) {
	return b.account(ctx, "/v1/fee-account", feeAccountPrefix+b.platformNo)
}

// account asks the bank for one account and checks that the signed answer is about
// userNo. Every failure is ErrBankUnavailable: the caller can only try again later.
func (b *bank) account(ctx context.Context, path, userNo string) (biz.BankAccount, error) {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	resp, err := b.client.Do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return biz.BankAccount{}, fmt.Errorf("%w: account %s: %w", biz.ErrBankUnavailable, userNo, err)
	}
	if resp.Status != http.StatusOK {
		return biz.BankAccount{}, fmt.Errorf("%w: account %s: HTTP %d: %s", biz.ErrBankUnavailable, userNo,
			resp.Status, signing.Excerpt(resp.Body))
	}
	var a accountAnswer
	if err := json.Unmarshal(resp.Body, &a); err != nil || a.UserNo != userNo {
		return biz.BankAccount{}, fmt.Errorf("%w: account %s: unexpected answer %s", biz.ErrBankUnavailable, userNo,
			signing.Excerpt(resp.Body))
	}
	return biz.BankAccount{UserNo: a.UserNo, Balance: a.Balance, Frozen: a.Frozen}, nil
}
