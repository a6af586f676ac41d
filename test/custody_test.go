package test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
	"github.com/p2p-dtx/p2p-dtx/test/browser"
	"github.com/p2p-dtx/p2p-dtx/test/client"
	"github.com/p2p-dtx/p2p-dtx/test/driver"
	"github.com/p2p-dtx/p2p-dtx/test/stack"
)

// Custody scenarios (DESIGN.md "Custody account opening"): the bank is an external
// system, so account opening and recharge use best-effort notification. The browser steps
// run in real headless Chromium; fault points are process-wide, so these tests run one at
// a time.

var bankURL = stack.HTTP("bank-custody")

// custodian is a registered, logged-in user (test/driver's), with the fail-at-once
// wrappers of the custody calls the tests make.
type custodian struct {
	*driver.User
	uc *client.Client // user-center with the user's token, for raw answers
}

// registeredUser registers a user of role with freshUser's names (removed when the test
// ends, with the user's custody requests and recharges) and logs them in.
func registeredUser(t *testing.T, env stack.Env, role string) custodian {
	t.Helper()
	n := freshUser(t, env, "TCC")
	u, err := platform(t).Register(context.Background(), driver.NewUser{Username: n.Username, Mobile: n.Mobile,
		Password: n.Password, Role: role, Mode: n.Mode})
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	uc := env.Inspect(t, "user_center")
	t.Cleanup(func() {
		for _, q := range []string{"DELETE FROM custody_request WHERE user_id = ?", "DELETE FROM recharge_record WHERE user_id = ?"} {
			if _, err := uc.Exec(q, u.ID); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
	})
	return custodian{User: u, uc: userCenter.WithToken(u.Token)}
}

func (c custodian) requestAccount(t *testing.T) driver.GatewayReply {
	t.Helper()
	out, err := c.RequestCustody(context.Background())
	if err != nil {
		t.Fatalf("POST /v1/custody/accounts: %v", err)
	}
	if out.RequestNo == "" || out.Gateway.URL != bankURL+"/gateway" || out.Gateway.Fields["signature"] == "" {
		t.Fatalf("gateway reply %+v", out)
	}
	return out
}

func (c custodian) requestRecharge(t *testing.T, amount string) driver.GatewayReply {
	t.Helper()
	out, err := c.RequestRecharge(context.Background(), amount)
	if err != nil {
		t.Fatalf("POST /v1/recharges: %v", err)
	}
	return out
}

func (c custodian) me(t *testing.T) driver.Me {
	t.Helper()
	me, err := c.Me(context.Background())
	if err != nil {
		t.Fatalf("GET /v1/users/me: %v", err)
	}
	return me
}

func (c custodian) requestStatus(t *testing.T, requestNo string) string {
	t.Helper()
	s, err := c.RequestStatus(context.Background(), requestNo)
	if err != nil {
		t.Fatalf("GET /v1/custody/requests/%s: %v", requestNo, err)
	}
	return s
}

// waitOpen polls /v1/users/me until custody is OPEN and returns the bank user number.
func (c custodian) waitOpen(t *testing.T, within time.Duration) string {
	t.Helper()
	var userNo string
	stack.Eventually(t, within, func() error {
		me := c.me(t)
		if me.CustodyStatus != "OPEN" || me.CustodyUserNo == "" {
			return fmt.Errorf("custody %q, user no %q", me.CustodyStatus, me.CustodyUserNo)
		}
		userNo = me.CustodyUserNo
		return nil
	})
	return userNo
}

// throughBank opens the gateway in the browser, types the password twice and waits for
// the bank's "Request accepted" page.
func throughBank(t *testing.T, g browser.Gateway) {
	t.Helper()
	if err := browser.Accept(browser.New(t), g, custodyPasswords); err != nil {
		t.Fatal(err)
	}
}

func attempts(t *testing.T, requestNo string) []driver.NotificationAttempt {
	t.Helper()
	a, err := platform(t).NotificationAttempts(context.Background(), requestNo)
	if err != nil {
		t.Fatalf("GET /v1/notifications: %v", err)
	}
	return a
}

func TestCustodyAccountOpensThroughTheBankPage(t *testing.T) {
	env := stack.Load(t)
	c := registeredUser(t, env, "INVESTOR")
	g := c.requestAccount(t)
	if me := c.me(t); me.CustodyStatus != "PENDING" {
		t.Fatalf("custody status after the request: %v", me)
	}
	throughBank(t, g.Gateway)
	userNo := c.waitOpen(t, 30*time.Second)
	if !strings.HasPrefix(userNo, "BU") {
		t.Errorf("bank user number %q", userNo)
	}
	if s := c.requestStatus(t, g.RequestNo); s != "SUCCESS" {
		t.Errorf("request status %s, want SUCCESS", s)
	}
	// The platform commits OPEN before it answers 200, and the bank records the attempt
	// only once the answer arrives: the account can be seen open a moment before that.
	stack.Eventually(t, 10*time.Second, func() error {
		if a := attempts(t, g.RequestNo); len(a) != 1 || a[0].HTTPStatus != http.StatusOK {
			return fmt.Errorf("notification attempts %+v, want one 200", a)
		}
		return nil
	})
}

func TestCustodyNotificationIsRetriedWithGrowingIntervals(t *testing.T) {
	env := stack.Load(t)
	c := registeredUser(t, env, "INVESTOR")
	g := c.requestAccount(t)
	armFault(t, userCenter.Base, "callback.reject", 3, 0)
	throughBank(t, g.Gateway)
	c.waitOpen(t, 60*time.Second)

	var a []driver.NotificationAttempt
	stack.Eventually(t, 10*time.Second, func() error {
		if a = attempts(t, g.RequestNo); len(a) < 4 {
			return fmt.Errorf("%d attempts so far", len(a))
		}
		return nil
	})
	if len(a) != 4 {
		t.Fatalf("attempts %+v, want 4", a)
	}
	for i, at := range a {
		want := http.StatusInternalServerError
		if i == 3 {
			want = http.StatusOK
		}
		if at.Attempt != i+1 || at.HTTPStatus != want {
			t.Errorf("attempt %d = %+v, want #%d with HTTP %d", i, at, i+1, want)
		}
	}
	var prev time.Duration
	for i := 1; i < len(a); i++ {
		gap := a[i].AttemptedAt.Sub(a[i-1].AttemptedAt)
		t.Logf("interval before attempt %d: %v", i+1, gap)
		if gap <= prev {
			t.Errorf("interval before attempt %d is %v, not longer than the previous %v", i+1, gap, prev)
		}
		prev = gap
	}
	// The platform applied the result once: one SUCCESS request, one OPEN consumer.
	var n int
	if err := env.Inspect(t, "user_center").QueryRow(
		"SELECT COUNT(*) FROM custody_request WHERE request_no = ? AND status = 'SUCCESS'", g.RequestNo).Scan(&n); err != nil || n != 1 {
		t.Fatalf("SUCCESS rows %d, err %v", n, err)
	}
}

func TestCustodyReconciliationClosesASuppressedNotification(t *testing.T) {
	env := stack.Load(t)
	c := registeredUser(t, env, "INVESTOR")
	g := c.requestAccount(t)
	armFault(t, bankURL, "notify.suppress", 1, 0)
	throughBank(t, g.Gateway)
	// No notification reaches the platform; the reconciliation job asks the bank.
	c.waitOpen(t, 60*time.Second)
	for _, at := range attempts(t, g.RequestNo) {
		if at.HTTPStatus == http.StatusOK {
			t.Fatalf("a notification reached the platform: %+v", at)
		}
	}
}

// bankSigner signs as the bank, so tests can deliver notifications themselves.
func bankSigner(t *testing.T, env stack.Env) *signing.Signer {
	t.Helper()
	key, err := signing.LoadPrivateKey(filepath.Join(env["P2P_RUN_DIR"], "keys", "bank_private.pem"))
	if err != nil {
		t.Fatal(err)
	}
	return signing.NewSigner(key)
}

func postSigned(t *testing.T, url string, h signing.Headers, body []byte) client.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	h.Set(req.Header)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r client.Response
	r.Status = resp.StatusCode
	if err := json.NewDecoder(resp.Body).Decode(&r.Err); err != nil && resp.StatusCode != http.StatusOK {
		t.Logf("undecodable error body: %v", err)
	}
	return r
}

func notification(t *testing.T, requestNo, userID, userNo string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]string{"requestNo": requestNo, "serviceName": "OPEN_ACCOUNT",
		"status": "SUCCESS", "userNo": userNo, "platformUserId": userID, "amount": "", "failureReason": "",
		"finishedAt": time.Now().UTC().Format(time.RFC3339)})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCustodyDuplicateNotificationsHaveOneEffect(t *testing.T) {
	env := stack.Load(t)
	signer := bankSigner(t, env)
	c := registeredUser(t, env, "INVESTOR")
	g := c.requestAccount(t)
	userNo := "BU9" + c.Mobile[2:] // a number the real bank never hands out
	body := notification(t, g.RequestNo, c.ID, userNo)
	callback := userCenter.Base + "/v1/custody/notifications"
	deliver := func() client.Response {
		h, err := signer.SignRequest(http.MethodPost, "/v1/custody/notifications", body)
		if err != nil {
			t.Fatal(err)
		}
		return postSigned(t, callback, h, body)
	}
	// Twice in a row, then twice at once: every delivery is acknowledged.
	for range 2 {
		if r := deliver(); r.Status != http.StatusOK {
			t.Fatalf("delivery: %v", r)
		}
	}
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i := range codes {
		wg.Add(1)
		go func() { defer wg.Done(); codes[i] = deliver().Status }()
	}
	wg.Wait()
	if codes[0] != http.StatusOK || codes[1] != http.StatusOK {
		t.Fatalf("concurrent deliveries answered %v", codes)
	}
	if me := c.me(t); me.CustodyStatus != "OPEN" || me.CustodyUserNo != userNo {
		t.Fatalf("profile %v", me)
	}
	var updates int
	if err := env.Inspect(t, "user_center").QueryRow(
		"SELECT COUNT(*) FROM custody_request WHERE request_no = ? AND status = 'SUCCESS'", g.RequestNo).Scan(&updates); err != nil || updates != 1 {
		t.Fatalf("SUCCESS rows %d, err %v", updates, err)
	}
}

func TestCustodyForgedAndReplayedMessagesChangeNothing(t *testing.T) {
	env := stack.Load(t)
	signer := bankSigner(t, env)
	c := registeredUser(t, env, "INVESTOR")
	g := c.requestAccount(t)
	body := notification(t, g.RequestNo, c.ID, "BU8"+c.Mobile[2:])
	callback := userCenter.Base + "/v1/custody/notifications"

	platformKey, err := signing.LoadPrivateKey(filepath.Join(env["P2P_RUN_DIR"], "keys", "platform_private.pem"))
	if err != nil {
		t.Fatal(err)
	}
	forged, err := signing.NewSigner(platformKey).SignRequest(http.MethodPost, "/v1/custody/notifications", body) // the wrong party's key
	if err != nil {
		t.Fatal(err)
	}
	good, err := signer.SignRequest(http.MethodPost, "/v1/custody/notifications", body)
	if err != nil {
		t.Fatal(err)
	}
	old := bankSigner(t, env)
	old.Now = func() time.Time { return time.Now().Add(-6 * time.Minute) }
	expired, err := old.SignRequest(http.MethodPost, "/v1/custody/notifications", body)
	if err != nil {
		t.Fatal(err)
	}
	tampered := []byte(strings.Replace(string(body), `"SUCCESS"`, `"FAILED"`, 1))

	for _, tc := range []struct {
		name   string
		h      signing.Headers
		body   []byte
		reason string
	}{
		{"forged signature", forged, body, "BAD_SIGNATURE"},
		{"tampered body", good, tampered, "BAD_SIGNATURE"},
		{"expired timestamp", expired, body, "SIGNATURE_EXPIRED"},
		{"no signature", signing.Headers{}, body, "MISSING_SIGNATURE"},
	} {
		if r := postSigned(t, callback, tc.h, tc.body); r.Status != http.StatusUnauthorized || r.Err.Reason != tc.reason {
			t.Errorf("callback, %s: %v, want 401 %s", tc.name, r, tc.reason)
		}
	}
	if s := c.requestStatus(t, g.RequestNo); s != "PENDING" {
		t.Fatalf("after refused callbacks the request is %s", s)
	}
	// The genuine message is applied; replaying it with the same nonce is refused.
	if r := postSigned(t, callback, good, body); r.Status != http.StatusOK {
		t.Fatalf("genuine callback: %v", r)
	}
	if r := postSigned(t, callback, good, body); r.Status != http.StatusUnauthorized || r.Err.Reason != "NONCE_REPLAYED" {
		t.Fatalf("replayed callback: %v", r)
	}

	// The bank's signed API refuses the same way and moves no money.
	freezeNo := "FZforged" + c.ID
	freeze := []byte(`{"requestNo":"` + freezeNo + `","projectNo":"PJx","userNo":"BU0000000001","amount":"1.00"}`)
	bankForged, err := signer.SignRequest(http.MethodPost, "/v1/freezes", freeze) // the bank's own key is not the platform's
	if err != nil {
		t.Fatal(err)
	}
	if r := postSigned(t, bankURL+"/v1/freezes", bankForged, freeze); r.Status != http.StatusUnauthorized {
		t.Errorf("bank API with a forged signature: %v", r)
	}
	platformSigned, err := signing.NewSigner(platformKey).SignRequest(http.MethodPost, "/v1/freezes", freeze)
	if err != nil {
		t.Fatal(err)
	}
	tamperedFreeze := []byte(strings.Replace(string(freeze), `"1.00"`, `"9999.00"`, 1))
	if r := postSigned(t, bankURL+"/v1/freezes", platformSigned, tamperedFreeze); r.Status != http.StatusUnauthorized {
		t.Errorf("bank API with a tampered body: %v", r)
	}
	// The user's own browser form is signed by the platform too, but only as a form: its
	// signature over reqData is no signature of an API call with those bytes.
	f := g.Gateway.Fields
	asCall := signing.Headers{Timestamp: f["timestamp"], Nonce: f["nonce"], Signature: f["signature"]}
	if r := postSigned(t, bankURL+"/v1/freezes", asCall, []byte(f["reqData"])); r.Status != http.StatusUnauthorized || r.Err.Reason != "BAD_SIGNATURE" {
		t.Errorf("a browser form's signature replayed as an API call: %v, want 401 BAD_SIGNATURE", r)
	}
	bankDB := env.Inspect(t, "bank_custody")
	for _, table := range []string{"bank_freeze", "bank_request"} {
		var n int
		if err := bankDB.QueryRow("SELECT COUNT(*) FROM "+table+" WHERE request_no = ?", freezeNo).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s has %d rows for the refused freeze %s", table, n, freezeNo)
		}
	}
}

func TestCustodyRechargeAgreesWithTheBank(t *testing.T) {
	env := stack.Load(t)
	c := registeredUser(t, env, "INVESTOR")
	g := c.requestAccount(t)
	throughBank(t, g.Gateway)
	userNo := c.waitOpen(t, 30*time.Second)

	for _, amount := range []string{"500.10", "1234.56"} {
		r := c.requestRecharge(t, amount)
		throughBank(t, r.Gateway)
		stack.Eventually(t, 30*time.Second, func() error {
			if s := c.requestStatus(t, r.RequestNo); s != "SUCCESS" {
				return fmt.Errorf("recharge %s is %s", r.RequestNo, s)
			}
			return nil
		})
	}
	var recharges struct {
		Items []struct {
			Amount string `json:"amount"`
		} `json:"items"`
	}
	if r := c.uc.Do(t, http.MethodGet, "/v1/recharges", nil, &recharges); r.Status != http.StatusOK {
		t.Fatalf("GET /v1/recharges: %v", r)
	}
	if len(recharges.Items) != 2 {
		t.Fatalf("recharge records %+v", recharges.Items)
	}
	balance := bankBalance(t, userNo)
	if balance.Balance != "1734.66" || balance.Frozen != "0.00" {
		t.Fatalf("bank account %+v, want balance 1734.66 (500.10 + 1234.56)", balance)
	}
}

func TestCustodyMismatchedPasswordsRecordNothing(t *testing.T) {
	env := stack.Load(t)
	c := registeredUser(t, env, "INVESTOR")
	g := c.requestAccount(t)
	ctx := browser.New(t)
	if err := browser.OpenGateway(ctx, g.Gateway); err != nil {
		t.Fatal(err)
	}
	if err := browser.SubmitPasswords(ctx, "135790", "135791"); err != nil {
		t.Fatal(err)
	}
	if _, err := browser.WaitForText(ctx, "Passwords do not match"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := env.Inspect(t, "bank_custody").QueryRow("SELECT COUNT(*) FROM bank_request WHERE request_no = ?", g.RequestNo).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("the bank recorded %d requests after mismatched passwords", n)
	}
	if s := c.requestStatus(t, g.RequestNo); s != "PENDING" {
		t.Fatalf("platform request %s", s)
	}
}
