// Package driver is a typed client of the platform's public API, used the same way by the
// acceptance tests, the demo and the benchmarks: register and log in, open and fund a
// custody account through the bank's page, publish, tender, approve or reject a loan, run
// repayments, withdraw, and read balances from the bank's signed answers. Its methods
// return errors instead of failing a test, so a program can use them too; an HTTP failure
// is an *Error carrying the status and the Kratos reason.
//
// Addresses come from test/stack (the one place they are read from); keys and the admin
// password from P2P_KEYS_DIR / P2P_ADMIN_PASSWORD, else the stack's run directory.
package driver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/p2p-dtx/p2p-dtx/test/browser"
	"github.com/p2p-dtx/p2p-dtx/test/stack"
)

// Error is a non-2xx answer: its status and the Kratos error body.
type Error struct {
	Method, Path string
	Status       int
	Reason       string            `json:"reason"`
	Message      string            `json:"message"`
	Metadata     map[string]string `json:"metadata"` // e.g. the invalid "field"
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.Path, e.Status, e.Reason, e.Message)
}

// Status is err's HTTP status, 0 when err is not an answer of the platform.
func Status(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// Reason is err's Kratos reason, "" when err is not an answer of the platform.
func Reason(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// Platform is the running stack's public API.
type Platform struct {
	UnifiedAccount, UserCenter, TradeCenter, Repayment, Bank string // base URLs
	KeysDir                                                  string
	HTTP                                                     *http.Client
	// AtBank submits the bank's page for a gateway form, typing typed into its inputs,
	// and expects "Request accepted": AcceptAtBank (plain HTTP, as the page's own form
	// posts) unless set, e.g. to browser.Accept on a headless Chromium.
	AtBank        func(ctx context.Context, g browser.Gateway, typed map[string]string) error
	adminPassword string
}

// FromStack finds the platform where test/stack says the stack runs.
func FromStack() (*Platform, error) { return fromRunDir(stack.ReadRunDir) }

// FromRunDir is FromStack with the keys and admin password of the run directory dir (a
// program's -run-dir flag) unless P2P_KEYS_DIR / P2P_ADMIN_PASSWORD say otherwise;
// addresses still come from test/stack.
func FromRunDir(dir string) (*Platform, error) {
	return fromRunDir(func() (stack.Env, error) { return stack.ReadRunDirAt(dir) })
}

func fromRunDir(read func() (stack.Env, error)) (*Platform, error) {
	keys, pw := os.Getenv("P2P_KEYS_DIR"), os.Getenv("P2P_ADMIN_PASSWORD")
	if keys == "" || pw == "" {
		env, err := read()
		if err != nil {
			return nil, fmt.Errorf("P2P_KEYS_DIR or P2P_ADMIN_PASSWORD not set and %w", err)
		}
		if keys == "" {
			keys = filepath.Join(env["P2P_RUN_DIR"], "keys")
		}
		if pw == "" {
			pw = env["P2P_ADMIN_PASSWORD"]
		}
	}
	return &Platform{
		UnifiedAccount: stack.HTTP("unified-account"), UserCenter: stack.HTTP("user-center"),
		TradeCenter: stack.HTTP("trade-center"), Repayment: stack.HTTP("repayment"), Bank: stack.HTTP("bank-custody"),
		KeysDir: keys, HTTP: &http.Client{Timeout: 60 * time.Second, Transport: stack.Transport(nil)}, adminPassword: pw,
	}, nil
}

// Call sends body as JSON (nil: no body) with the bearer token (if any) and decodes a 2xx
// answer into out (if not nil).
func (p *Platform) Call(ctx context.Context, method, url, token string, body, out any) error {
	_, err := p.CallStatus(ctx, method, url, token, body, out)
	return err
}

// CallStatus is Call that also returns the answer's HTTP status (0 when there was no
// answer), for a caller that asserts the exact 2xx.
func (p *Platform) CallStatus(ctx context.Context, method, url, token string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := p.HTTP.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode >= 300 {
		e := &Error{Method: method, Path: req.URL.Path, Status: resp.StatusCode}
		if json.Unmarshal(raw, e) != nil {
			e.Message = string(raw)
		}
		return resp.StatusCode, e
	}
	if out == nil || len(raw) == 0 {
		return resp.StatusCode, nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return resp.StatusCode, fmt.Errorf("%s %s: decode %.200s: %w", method, req.URL.Path, raw, err)
	}
	return resp.StatusCode, nil
}

// Session is a login's answer.
type Session struct {
	Token  string `json:"token"`
	UserID string `json:"userId"`
	Role   string `json:"role"`
}

// Login opens a session for login (username or mobile).
func (p *Platform) Login(ctx context.Context, login, password string) (Session, error) {
	var s Session
	err := p.Call(ctx, http.MethodPost, p.UnifiedAccount+"/v1/sessions", "", map[string]string{"login": login, "password": password}, &s)
	return s, err
}

// Admin is the platform's operator, logged in with the password the stack generated.
type Admin struct {
	p     *Platform
	Token string
}

// Admin logs the admin in.
func (p *Platform) Admin(ctx context.Context) (*Admin, error) {
	s, err := p.Login(ctx, "admin", p.adminPassword)
	if err != nil {
		return nil, fmt.Errorf("admin login: %w", err)
	}
	if s.Role != "ADMIN" {
		return nil, fmt.Errorf("admin login: role %q", s.Role)
	}
	return &Admin{p: p, Token: s.Token}, nil
}

// WaitFor polls check every 200 ms until it returns nil, ctx ends or within has passed;
// the error then says what was still not so.
func WaitFor(ctx context.Context, within time.Duration, check func() error) error {
	return stack.Poll(ctx, 200*time.Millisecond, within, check)
}
