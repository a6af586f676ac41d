package driver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
)

// Bank asks the custody bank directly, signed as the platform, and checks the bank's
// signature on every answer (docs/custody-protocol.md).
type Bank struct {
	c *signing.Client
}

// BankAPI returns the bank's signed API.
func (p *Platform) BankAPI() (*Bank, error) {
	priv, err := signing.LoadPrivateKey(filepath.Join(p.KeysDir, "platform_private.pem"))
	if err != nil {
		return nil, err
	}
	pub, err := signing.LoadPublicKey(filepath.Join(p.KeysDir, "bank_public.pem"))
	if err != nil {
		return nil, err
	}
	return &Bank{c: &signing.Client{BaseURL: p.Bank, HTTP: p.HTTP, Signer: signing.NewSigner(priv),
		Verifier: signing.NewVerifier(pub, &signing.MemoryNonceStore{})}}, nil
}

func (b *Bank) get(ctx context.Context, path string, out any) error {
	resp, err := b.c.Do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return fmt.Errorf("bank GET %s: %w", path, err)
	}
	if resp.Status != http.StatusOK {
		e := &Error{Method: http.MethodGet, Path: path, Status: resp.Status}
		if json.Unmarshal(resp.Body, e) != nil {
			e.Message = string(resp.Body)
		}
		return e
	}
	return json.Unmarshal(resp.Body, out)
}

// Account is a bank account.
type Account struct {
	UserNo  string `json:"userNo"`
	Balance string `json:"balance"`
	Frozen  string `json:"frozen"`
}

// Account reads one account.
func (b *Bank) Account(ctx context.Context, userNo string) (Account, error) {
	var a Account
	err := b.get(ctx, "/v1/accounts/"+userNo, &a)
	return a, err
}

// FeeAccount reads the platform's fee account.
func (b *Bank) FeeAccount(ctx context.Context) (Account, error) {
	var a Account
	err := b.get(ctx, "/v1/fee-account", &a)
	return a, err
}

// Totals is the bank's books over every account.
type Totals struct {
	Recharged string `json:"recharged"`
	Withdrawn string `json:"withdrawn"`
	Balances  string `json:"balances"`
	Frozen    string `json:"frozen"`
	Accounts  int    `json:"accounts"`
}

// Totals reads the bank's totals, taken in one consistent snapshot.
func (b *Bank) Totals(ctx context.Context) (Totals, error) {
	var t Totals
	err := b.get(ctx, "/v1/totals", &t)
	return t, err
}

// NotificationAttempt is one delivery of the bank's notification of a request.
type NotificationAttempt struct {
	RequestNo   string    `json:"requestNo"`
	Attempt     int       `json:"attempt"`
	AttemptedAt time.Time `json:"attemptedAt"`
	HTTPStatus  int       `json:"httpStatus"`
	Error       string    `json:"error"`
}

// NotificationAttempts lists the bank's deliveries of the request's notification to the
// platform (GET /v1/notifications, with the operator token).
func (p *Platform) NotificationAttempts(ctx context.Context, requestNo string) ([]NotificationAttempt, error) {
	var out struct {
		Items []NotificationAttempt `json:"items"`
	}
	op, err := p.operator()
	if err != nil {
		return nil, err
	}
	err = op.Call(ctx, http.MethodGet, p.Bank+"/v1/notifications?requestNo="+url.QueryEscape(requestNo), "", nil, &out)
	return out.Items, err
}
