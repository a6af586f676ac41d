package service_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

const withdrawReqData = `{"requestNo":"WD20260101000001","serviceName":"WITHDRAW","platformUserId":"12",` +
	`"userNo":"BU0000000001","amount":"100.00","returnUrl":"http://127.0.0.1:8020/custody/return"}`

// withdrawalBank has BU0000000001 (platform user 12, custody password 135790) holding
// 150.00 of which 40.00 frozen: 110.00 available.
func withdrawalBank(t *testing.T) *testBank {
	b := newTestBank(t)
	b.bank.PutUser(biz.BankUser{UserNo: "BU0000000001", PlatformNo: "P2PDTX", PlatformUserID: 12, PasswordHash: "hashed:135790"},
		biz.Account{Balance: money.MustParseAmount("150.00"), Frozen: money.MustParseAmount("40.00")})
	return b
}

func withPassword(form url.Values, password string) url.Values {
	out := url.Values{}
	for k, v := range form {
		out[k] = v
	}
	out.Set("custodyPassword", password)
	return out
}

func TestWithdrawalPageShowsTheAmountAndTheAvailableBalance(t *testing.T) {
	t.Parallel()
	b := withdrawalBank(t)
	status, page := b.post(t, "/gateway", b.gatewayForm(t, "WITHDRAW", withdrawReqData))
	if status != http.StatusOK {
		t.Fatalf("POST /gateway: %d\n%s", status, page)
	}
	mustContain(t, page, "Withdraw from your custody account", "WD20260101000001", "BU0000000001", "100.00 CNY",
		`id="available">110.00 CNY`, `name="custodyPassword"`, `action="/gateway/confirm"`)
	if strings.Contains(page, "custodyPasswordConfirm") || strings.Contains(page, "exceeds") {
		t.Errorf("the withdrawal page asks for the password twice or warns:\n%s", page)
	}
	// More than the available balance: the page says so at once.
	over := strings.Replace(withdrawReqData, `"100.00"`, `"110.01"`, 1)
	if _, page := b.post(t, "/gateway", b.gatewayForm(t, "WITHDRAW", over)); !strings.Contains(page, "exceeds the available balance") {
		t.Errorf("page for 110.01 of 110.00:\n%s", page)
	}
	// Someone else's account: an error page.
	foreign := strings.Replace(withdrawReqData, `"platformUserId":"12"`, `"platformUserId":"13"`, 1)
	if status, page := b.post(t, "/gateway", b.gatewayForm(t, "WITHDRAW", foreign)); status != http.StatusBadRequest ||
		!strings.Contains(page, "Invalid request") || strings.Contains(page, "custodyPassword") {
		t.Errorf("another user's account: %d\n%s", status, page)
	}
	if b.bank.Requests() != 0 || b.bank.Nonces() != 0 {
		t.Fatal("showing the page recorded something")
	}
}

func TestWithdrawalPageRefusesAWrongPasswordAndTooMuch(t *testing.T) {
	t.Parallel()
	b := withdrawalBank(t)
	form := b.gatewayForm(t, "WITHDRAW", withdrawReqData)
	for password, text := range map[string]string{
		"135791": "Wrong custody password",
		"1357":   "The custody password must be 6 digits",
	} {
		status, page := b.post(t, "/gateway/confirm", withPassword(form, password))
		if status != http.StatusOK || strings.Contains(page, "Request accepted") || strings.Contains(page, `value="`+password+`"`) {
			t.Errorf("password %q: %d\n%s", password, status, page)
		}
		mustContain(t, page, text, "WD20260101000001", `name="custodyPassword"`)
	}
	over := b.gatewayForm(t, "WITHDRAW", strings.Replace(withdrawReqData, `"100.00"`, `"110.01"`, 1))
	status, page := b.post(t, "/gateway/confirm", withPassword(over, "135790"))
	if status != http.StatusOK || strings.Contains(page, "Request accepted") {
		t.Errorf("too much: %d\n%s", status, page)
	}
	mustContain(t, page, "The amount exceeds the available balance")
	if b.bank.Requests() != 0 || b.bank.Nonces() != 0 {
		t.Fatalf("refused withdrawals recorded %d requests, %d nonces", b.bank.Requests(), b.bank.Nonces())
	}
}

func TestWithdrawalPageAcceptsTheOpeningPassword(t *testing.T) {
	t.Parallel()
	b := withdrawalBank(t)
	form := withPassword(b.gatewayForm(t, "WITHDRAW", withdrawReqData), "135790")
	for i := range 2 { // the browser resubmitting the page shows the same answer
		status, page := b.post(t, "/gateway/confirm", form)
		if status != http.StatusOK {
			t.Fatalf("confirm #%d: %d\n%s", i+1, status, page)
		}
		mustContain(t, page, "Request accepted", "WD20260101000001")
	}
	r, ok := b.bank.Request("WD20260101000001")
	if !ok || r.ServiceName != biz.ServiceWithdraw || r.Status != biz.RequestProcessing || r.Amount.String() != "100.00" ||
		r.UserNo != "BU0000000001" || r.PasswordHash != "" || b.bank.Requests() != 1 {
		t.Fatalf("recorded %+v (%d requests)", r, b.bank.Requests())
	}
	if a, _ := b.bank.Account("BU0000000001"); a.Balance.String() != "150.00" {
		t.Errorf("the page moved money: %+v (the poller does)", a)
	}
}
