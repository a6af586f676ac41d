package service_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
)

func wantField(t *testing.T, what string, status int, out map[string]any, field string) {
	t.Helper()
	md, _ := out["metadata"].(map[string]any)
	if status != http.StatusBadRequest || out["reason"] != "INVALID_ARGUMENT" || md["field"] != field {
		t.Errorf("%s: %d %v, want 400 naming %s", what, status, out, field)
	}
}

func TestSignedUnfreezes(t *testing.T) {
	t.Parallel()
	b := newTestBank(t)
	seedLending(b)
	b.bank.PutProject(biz.Project{ProjectNo: "PN1", PlatformProjectID: 7, BorrowerUserNo: "BUB", Amount: money.MustParseAmount("1000.00"),
		Status: biz.ProjectCollecting})
	if status, out := b.call(t, http.MethodPost, "/v1/freezes", `{"requestNo":"FZ1","projectNo":"PN1","userNo":"BUI","amount":"600.00"}`); status != http.StatusOK {
		t.Fatalf("freeze: %d %v", status, out)
	}
	body := `{"requestNo":"UF1","freezeRequestNo":"FZ1","projectNo":"PN1","userNo":"BUI","amount":"600.00"}`
	status, out := b.call(t, http.MethodPost, "/v1/unfreezes", body)
	want := map[string]any{"requestNo": "UF1", "freezeRequestNo": "FZ1", "projectNo": "PN1", "userNo": "BUI", "amount": "600.00", "status": "UNFROZEN"}
	if status != http.StatusOK || fmt.Sprint(out) != fmt.Sprint(want) {
		t.Fatalf("unfreeze: %d %v, want %v", status, out, want)
	}
	if _, out := b.call(t, http.MethodGet, "/v1/accounts/BUI", ""); out["frozen"] != "0.00" || out["balance"] != "1000.00" {
		t.Errorf("account after the unfreeze: %v", out)
	}
	if _, out := b.call(t, http.MethodGet, "/v1/requests/UF1", ""); out["serviceName"] != "UNFREEZE" || out["status"] != "SUCCESS" {
		t.Errorf("result query: %v", out)
	}
	// Before its freeze (proto names accepted): VOIDED, and the freeze is refused.
	status, out = b.call(t, http.MethodPost, "/v1/unfreezes",
		`{"request_no":"UF2","freeze_request_no":"FZ2","project_no":"PN1","user_no":"BUI","amount":"50.00"}`)
	if status != http.StatusOK || out["status"] != "VOIDED" {
		t.Fatalf("unfreeze first: %d %v", status, out)
	}
	status, out = b.call(t, http.MethodPost, "/v1/freezes", `{"requestNo":"FZ2","projectNo":"PN1","userNo":"BUI","amount":"50.00"}`)
	if status != http.StatusConflict || out["reason"] != "FREEZE_VOIDED" {
		t.Fatalf("late freeze: %d %v, want 409 FREEZE_VOIDED", status, out)
	}
	status, out = b.call(t, http.MethodPost, "/v1/unfreezes", `{"requestNo":"UF3","projectNo":"PN1","userNo":"BUI","amount":"50.00"}`)
	wantField(t, "no freezeRequestNo", status, out, "freezeRequestNo")
	status, out = b.call(t, http.MethodPost, "/v1/unfreezes", `{"requestNo":"UF3","freezeRequestNo":"FZ1","projectNo":"PN1","userNo":"BUI","amount":"1.00"}`)
	if status != http.StatusConflict || out["reason"] != "REQUEST_NO_CONFLICT" {
		t.Errorf("another amount: %d %v", status, out)
	}
}

// loanedForRepayment has PN1 loaned to BUB (500.00), BUI and BUJ investing, the fee account.
func loanedForRepayment(b *testBank) {
	seedLending(b)
	b.bank.PutUser(biz.BankUser{UserNo: "BUB", PlatformNo: "P2PDTX", PlatformUserID: 1}, biz.Account{Balance: money.MustParseAmount("500.00")})
	b.bank.PutUser(biz.BankUser{UserNo: "BUJ", PlatformNo: "P2PDTX", PlatformUserID: 3}, biz.Account{})
	b.bank.PutAccount(biz.Account{UserNo: biz.FeeAccountNo("P2PDTX")})
	b.bank.PutProject(biz.Project{ProjectNo: "PN1", PlatformProjectID: 7, BorrowerUserNo: "BUB", Amount: money.MustParseAmount("1000.00"),
		Status: biz.ProjectLoaned})
}

const repayBody = `{"requestNo":"%s","projectNo":"PN1","period":%s,"borrowerUserNo":"BUB","amount":"%s","commission":"1.50",` +
	`"credits":[{"userNo":"BUI","amount":"60.00"},{"userNo":"BUJ","amount":"40.00"},{"user_no":"BUI","amount":"%s"}]}`

func TestSignedRepayments(t *testing.T) {
	t.Parallel()
	b := newTestBank(t)
	loanedForRepayment(b)
	status, out := b.call(t, http.MethodPost, "/v1/repayments", fmt.Sprintf(repayBody, "RP1", "1", "121.50", "20.00"))
	want := map[string]any{"requestNo": "RP1", "projectNo": "PN1", "period": float64(1), "amount": "121.50", "commission": "1.50", "status": "SUCCESS"}
	if status != http.StatusOK || fmt.Sprint(out) != fmt.Sprint(want) {
		t.Fatalf("repay: %d %v, want %v", status, out, want)
	}
	for userNo, balance := range map[string]string{"BUB": "378.50", "BUI": "1080.00", "BUJ": "40.00"} {
		if _, out := b.call(t, http.MethodGet, "/v1/accounts/"+userNo, ""); out["balance"] != balance {
			t.Errorf("account %s: %v, want balance %s", userNo, out, balance)
		}
	}
	if status, out := b.call(t, http.MethodGet, "/v1/fee-account", ""); status != http.StatusOK || out["userNo"] != "FEE_P2PDTX" || out["balance"] != "1.50" {
		t.Errorf("fee account: %d %v", status, out)
	}
	status, out = b.call(t, http.MethodGet, "/v1/requests/RP1", "")
	if status != http.StatusOK || out["serviceName"] != "REPAY" || out["status"] != "SUCCESS" || out["amount"] != "121.50" || out["userNo"] != "BUB" {
		t.Errorf("result query: %d %v", status, out)
	}
	// The repeat answers the same; the period under another number is refused.
	if status, out := b.call(t, http.MethodPost, "/v1/repayments", fmt.Sprintf(repayBody, "RP1", `"1"`, "121.50", "20.00")); status != http.StatusOK || out["requestNo"] != "RP1" {
		t.Errorf("repeat: %d %v", status, out)
	}
	if status, out := b.call(t, http.MethodPost, "/v1/repayments", fmt.Sprintf(repayBody, "RP2", "1", "121.50", "20.00")); status != http.StatusConflict || out["reason"] != "PERIOD_ALREADY_REPAID" {
		t.Errorf("period 1 again: %d %v", status, out)
	}
	// Period 2 is more than the borrower holds: 422, recorded FAILED.
	status, out = b.call(t, http.MethodPost, "/v1/repayments", fmt.Sprintf(repayBody, "RP3", "2", "501.50", "400.00"))
	if status != http.StatusUnprocessableEntity || out["reason"] != "INSUFFICIENT_BALANCE" {
		t.Errorf("short: %d %v", status, out)
	}
	if _, out := b.call(t, http.MethodGet, "/v1/requests/RP3", ""); out["status"] != "FAILED" || out["failureReason"] != "INSUFFICIENT_BALANCE" {
		t.Errorf("refused request: %v", out)
	}
	if _, out := b.call(t, http.MethodGet, "/v1/accounts/BUB", ""); out["balance"] != "378.50" {
		t.Errorf("borrower after the refusal: %v", out)
	}
}

func TestRepaymentValidationNamesTheField(t *testing.T) {
	t.Parallel()
	b := newTestBank(t)
	loanedForRepayment(b)
	good := fmt.Sprintf(repayBody, "RP1", "1", "121.50", "20.00")
	for field, body := range map[string]string{
		"amount":            fmt.Sprintf(repayBody, "RP1", "1", "121.49", "20.00"),
		"credits[2].amount": fmt.Sprintf(repayBody, "RP1", "1", "121.50", "20.001"),
		"period":            fmt.Sprintf(repayBody, "RP1", `"first"`, "121.50", "20.00"),
		"commission":        strings.Replace(good, `"commission":"1.50"`, `"commission":1.5`, 1),
		"credits":           strings.Replace(good, `"credits":[`, `"credits":{"x":[`, 1) + "}",
		"credits[0].userNo": strings.Replace(good, `{"userNo":"BUI","amount":"60.00"}`, `{"userNo":7,"amount":"60.00"}`, 1),
		"body":              `[1,2]`,
	} {
		status, out := b.call(t, http.MethodPost, "/v1/repayments", body)
		wantField(t, field, status, out, field)
	}
	if bank := b.bank; bank.Requests() != 0 || len(bank.Repayments()) != 0 {
		t.Fatalf("invalid repayments recorded %d requests", bank.Requests())
	}
	if status, out := b.call(t, http.MethodPost, "/v1/repayments", strings.Replace(good, `"PN1"`, `"PN9"`, 1)); status != http.StatusNotFound || out["reason"] != "PROJECT_NOT_FOUND" {
		t.Errorf("unknown project: %d %v", status, out)
	}
}

func TestLostRepaymentAnswerIsSettledByTheResultQuery(t *testing.T) {
	t.Parallel()
	b := newTestBank(t)
	loanedForRepayment(b)
	if err := b.faults.Arm(biz.FaultRepayLost, 1, 0); err != nil {
		t.Fatal(err)
	}
	c := &signing.Client{BaseURL: b.server.URL, HTTP: b.server.Client(), Signer: b.platform,
		Verifier: signing.NewVerifier(b.bankKey, &signing.MemoryNonceStore{})}
	resp, err := c.Do(context.Background(), http.MethodPost, "/v1/repayments", []byte(fmt.Sprintf(repayBody, "RP1", "1", "121.50", "20.00")))
	if err == nil {
		t.Fatalf("the answer arrived although the fault point was armed: %d %s", resp.Status, resp.Body)
	}
	// The money moved: the result query says so, and a repeat answers without moving more.
	if _, out := b.call(t, http.MethodGet, "/v1/requests/RP1", ""); out["status"] != "SUCCESS" {
		t.Fatalf("after the lost answer: %v", out)
	}
	if status, _ := b.call(t, http.MethodPost, "/v1/repayments", fmt.Sprintf(repayBody, "RP1", "1", "121.50", "20.00")); status != http.StatusOK {
		t.Errorf("repeat: %d", status)
	}
	if _, out := b.call(t, http.MethodGet, "/v1/accounts/BUB", ""); out["balance"] != "378.50" {
		t.Errorf("borrower %v, want one debit", out)
	}
}

func TestSignedTotals(t *testing.T) {
	t.Parallel()
	b := newTestBank(t)
	seedLending(b) // BUI: 1000.00
	amount := money.MustParseAmount("1000.00")
	b.bank.PutRequest(biz.CustodyRequest{RequestNo: "RC1", PlatformNo: "P2PDTX", ServiceName: biz.ServiceRecharge, Amount: &amount, Status: biz.RequestSuccess})
	b.bank.PutProject(biz.Project{ProjectNo: "PN1", PlatformProjectID: 7, BorrowerUserNo: "BUB", Amount: amount, Status: biz.ProjectCollecting})
	if status, _ := b.call(t, http.MethodPost, "/v1/freezes", `{"requestNo":"FZ1","projectNo":"PN1","userNo":"BUI","amount":"300.00"}`); status != http.StatusOK {
		t.Fatal("freeze")
	}
	status, out := b.call(t, http.MethodGet, "/v1/totals", "")
	want := map[string]any{"recharged": "1000.00", "withdrawn": "0.00", "balances": "700.00", "frozen": "300.00", "accounts": float64(2)}
	if status != http.StatusOK || fmt.Sprint(out) != fmt.Sprint(want) {
		t.Fatalf("totals: %d %v, want %v (balances + frozen = recharged − withdrawn)", status, out, want)
	}
}
