package driver

import (
	"context"
	"crypto/rand"
	"fmt"
	"html"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/p2p-dtx/p2p-dtx/test/browser"
)

// CustodyPassword is what the driver types on the bank's pages.
const CustodyPassword = "135790"

// User is a registered, logged-in person.
type User struct {
	p                                    *Platform
	ID, Username, Mobile, Password, Role string
	Token                                string
	Gid                                  string // the registration's global transaction
	UserNo                               string // the bank's user number once custody is OPEN
}

// NewUser is who registers; empty names and password are made up (random, so tests
// never collide), Mode "" is TCC.
type NewUser struct {
	Username, Mobile, Password string
	Role                       string // BORROWER or INVESTOR
	Mode                       string // TCC or XA
}

// Register registers the user and logs them in.
func (p *Platform) Register(ctx context.Context, n NewUser) (*User, error) {
	r, err := rand.Int(rand.Reader, big.NewInt(1e8))
	if err != nil {
		return nil, err
	}
	if n.Username == "" {
		n.Username = fmt.Sprintf("m%08d", r.Int64())
	}
	if n.Mobile == "" {
		n.Mobile = fmt.Sprintf("138%08d", r.Int64())
	}
	if n.Password == "" {
		n.Password = fmt.Sprintf("pw-%08d-secret", r.Int64())
	}
	if n.Mode == "" {
		n.Mode = "TCC"
	}
	u := &User{p: p, Username: n.Username, Mobile: n.Mobile, Password: n.Password, Role: n.Role}
	var out struct {
		UserID string `json:"userId"`
		Status string `json:"status"`
		Gid    string `json:"gid"`
	}
	body := map[string]string{"mobile": n.Mobile, "username": n.Username, "password": n.Password, "role": n.Role, "mode": n.Mode}
	if err := p.Call(ctx, http.MethodPost, p.UserCenter+"/v1/users", "", body, &out); err != nil {
		return nil, err
	}
	if out.Status != "ACTIVE" {
		return nil, fmt.Errorf("register %s: status %q", n.Username, out.Status)
	}
	s, err := p.Login(ctx, n.Username, n.Password)
	if err != nil {
		return nil, err
	}
	u.ID, u.Token, u.Gid = out.UserID, s.Token, out.Gid
	return u, nil
}

func (u *User) call(ctx context.Context, method, url string, body, out any) error {
	return u.p.Call(ctx, method, url, u.Token, body, out)
}

// Me is GET /v1/users/me.
type Me struct {
	UserID        string `json:"userId"`
	Username      string `json:"username"`
	Role          string `json:"role"`
	CustodyStatus string `json:"custodyStatus"`
	CustodyUserNo string `json:"custodyUserNo"`
}

// Me reads the user's profile.
func (u *User) Me(ctx context.Context) (Me, error) {
	var m Me
	err := u.call(ctx, http.MethodGet, u.p.UserCenter+"/v1/users/me", nil, &m)
	return m, err
}

// GatewayReply is the signed redirect to the bank's page.
type GatewayReply struct {
	RequestNo string          `json:"requestNo"`
	Gateway   browser.Gateway `json:"gateway"`
}

// RequestCustody asks for a custody account.
func (u *User) RequestCustody(ctx context.Context) (GatewayReply, error) {
	var g GatewayReply
	body := map[string]string{"realName": "Alice Zhang", "idNumber": "11010119900101123X", "bankCardNo": "6222020000001234"}
	err := u.call(ctx, http.MethodPost, u.p.UserCenter+"/v1/custody/accounts", body, &g)
	return g, err
}

// RequestRecharge asks to recharge amount.
func (u *User) RequestRecharge(ctx context.Context, amount string) (GatewayReply, error) {
	var g GatewayReply
	err := u.call(ctx, http.MethodPost, u.p.UserCenter+"/v1/recharges", map[string]string{"amount": amount}, &g)
	return g, err
}

// RequestWithdrawal asks to withdraw amount.
func (u *User) RequestWithdrawal(ctx context.Context, amount string) (GatewayReply, error) {
	var g GatewayReply
	err := u.call(ctx, http.MethodPost, u.p.UserCenter+"/v1/withdrawals", map[string]string{"amount": amount}, &g)
	return g, err
}

// Withdrawal is an item of GET /v1/withdrawals.
type Withdrawal struct {
	RequestNo string `json:"requestNo"`
	Amount    string `json:"amount"`
	Status    string `json:"status"`
}

// Withdrawals lists the user's withdrawals.
func (u *User) Withdrawals(ctx context.Context) ([]Withdrawal, error) {
	var out struct {
		Items []Withdrawal `json:"items"`
	}
	err := u.call(ctx, http.MethodGet, u.p.UserCenter+"/v1/withdrawals", nil, &out)
	return out.Items, err
}

// RequestStatus is the status of one of the user's custody requests.
func (u *User) RequestStatus(ctx context.Context, requestNo string) (string, error) {
	var out struct {
		Status string `json:"status"`
	}
	err := u.call(ctx, http.MethodGet, u.p.UserCenter+"/v1/custody/requests/"+requestNo, nil, &out)
	return out.Status, err
}

// WaitRequest waits until the request's status is want.
func (u *User) WaitRequest(ctx context.Context, requestNo, want string, within time.Duration) error {
	return WaitFor(ctx, within, func() error {
		s, err := u.RequestStatus(ctx, requestNo)
		if err != nil {
			return err
		}
		if s != want {
			return fmt.Errorf("request %s is %s, want %s", requestNo, s, want)
		}
		return nil
	})
}

// Balance is the user's money at the bank, as user-center reports the bank's answer.
type Balance struct {
	Balance string `json:"balance"`
	Frozen  string `json:"frozen"`
}

// Balance reads GET /v1/users/me/balance.
func (u *User) Balance(ctx context.Context) (Balance, error) {
	var b Balance
	err := u.call(ctx, http.MethodGet, u.p.UserCenter+"/v1/users/me/balance", nil, &b)
	return b, err
}

// OpenCustody opens the user's custody account through the bank's page (over plain
// HTTP, as the page's own form posts) and waits until user-center says OPEN.
func (u *User) OpenCustody(ctx context.Context) error {
	g, err := u.RequestCustody(ctx)
	if err != nil {
		return err
	}
	if err := u.p.atBank(ctx, g.Gateway, map[string]string{"custodyPassword": CustodyPassword, "custodyPasswordConfirm": CustodyPassword}); err != nil {
		return err
	}
	return WaitFor(ctx, 60*time.Second, func() error {
		m, err := u.Me(ctx)
		if err != nil {
			return err
		}
		if m.CustodyStatus != "OPEN" || m.CustodyUserNo == "" {
			return fmt.Errorf("custody of %s is %q", u.Username, m.CustodyStatus)
		}
		u.UserNo = m.CustodyUserNo
		return nil
	})
}

// Recharge recharges amount through the bank's page and waits for SUCCESS.
func (u *User) Recharge(ctx context.Context, amount string) error {
	g, err := u.RequestRecharge(ctx, amount)
	if err != nil {
		return err
	}
	if err := u.p.atBank(ctx, g.Gateway, map[string]string{"custodyPassword": CustodyPassword, "custodyPasswordConfirm": CustodyPassword}); err != nil {
		return err
	}
	return u.WaitRequest(ctx, g.RequestNo, "SUCCESS", 60*time.Second)
}

// Withdraw withdraws amount through the bank's page (custody password) and waits for
// the notified result; it returns the request number.
func (u *User) Withdraw(ctx context.Context, amount string) (string, error) {
	g, err := u.RequestWithdrawal(ctx, amount)
	if err != nil {
		return "", err
	}
	if err := u.p.atBank(ctx, g.Gateway, map[string]string{"custodyPassword": CustodyPassword}); err != nil {
		return "", err
	}
	return g.RequestNo, u.WaitRequest(ctx, g.RequestNo, "SUCCESS", 60*time.Second)
}

var (
	formAction = regexp.MustCompile(`<form[^>]*action="([^"]+)"`)
	formHidden = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// SubmitAtBank does over HTTP what a person does on the bank's page: the platform's
// signed form opens the page, whose form carries the signed fields as hidden inputs; it
// is posted back with typed (the visible inputs). It returns the page the bank answers.
func (p *Platform) SubmitAtBank(ctx context.Context, g browser.Gateway, typed map[string]string) (string, error) {
	fields := url.Values{}
	for k, v := range g.Fields {
		fields.Set(k, v)
	}
	page, err := p.postForm(ctx, g.URL, fields)
	if err != nil {
		return "", err
	}
	action := formAction.FindStringSubmatch(page)
	if action == nil {
		return "", fmt.Errorf("the bank's page has no form: %.300s", page)
	}
	next := url.Values{}
	for _, m := range formHidden.FindAllStringSubmatch(page, -1) {
		next.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	for k, v := range typed {
		next.Set(k, v)
	}
	base, err := url.Parse(g.URL)
	if err != nil {
		return "", err
	}
	ref, err := url.Parse(html.UnescapeString(action[1]))
	if err != nil {
		return "", err
	}
	return p.postForm(ctx, base.ResolveReference(ref).String(), next)
}

func (p *Platform) atBank(ctx context.Context, g browser.Gateway, typed map[string]string) error {
	if p.AtBank != nil {
		return p.AtBank(ctx, g, typed)
	}
	return p.AcceptAtBank(ctx, g, typed)
}

// AcceptAtBank submits at the bank and expects its "Request accepted" page.
func (p *Platform) AcceptAtBank(ctx context.Context, g browser.Gateway, typed map[string]string) error {
	page, err := p.SubmitAtBank(ctx, g, typed)
	if err != nil {
		return err
	}
	if !strings.Contains(page, "Request accepted") {
		return fmt.Errorf("the bank did not accept the request: %.300s", page)
	}
	return nil
}

func (p *Platform) postForm(ctx context.Context, target string, form url.Values) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := p.HTTP.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", &Error{Method: http.MethodPost, Path: req.URL.Path, Status: resp.StatusCode, Message: fmt.Sprintf("%.300s", b)}
	}
	return string(b), nil
}
