package service_test

import (
	"net/http"
	"testing"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/keyring/keyringtest"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
)

func TestSignedFreezeBatch(t *testing.T) {
	t.Parallel()
	b := newTestBank(t)
	seedLending(b)
	b.bank.PutProject(biz.Project{ProjectNo: "PN1", PlatformProjectID: 7, BorrowerUserNo: "BUB",
		Amount: money.MustParseAmount("2000.00"), Status: biz.ProjectCollecting})

	status, out := b.call(t, http.MethodPost, "/v1/freezes/batch", `{"projectNo":"PN1","orders":[
		{"requestNo":"FZ1","userNo":"BUI","amount":"600.00"},
		{"requestNo":"FZ2","userNo":"BUI","amount":"400.01"},
		{"requestNo":"FZ3","userNo":"BUI","amount":"400.00"}]}`)
	if status != http.StatusOK || out["projectNo"] != "PN1" {
		t.Fatalf("batch: %d %v", status, out)
	}
	results, _ := out["results"].([]any)
	want := []map[string]any{
		{"requestNo": "FZ1", "userNo": "BUI", "amount": "600.00", "status": "FROZEN"},
		{"requestNo": "FZ2", "userNo": "BUI", "amount": "400.01", "status": "REFUSED", "code": 422.0, "reason": "INSUFFICIENT_BALANCE"},
		{"requestNo": "FZ3", "userNo": "BUI", "amount": "400.00", "status": "FROZEN"},
	}
	if len(results) != len(want) {
		t.Fatalf("results %v", results)
	}
	for i, w := range want {
		got, _ := results[i].(map[string]any)
		for k, v := range w {
			if got[k] != v {
				t.Errorf("result %d: %s = %v, want %v (%v)", i, k, got[k], v, got)
			}
		}
	}
	if a, _ := b.bank.Account("BUI"); a.Frozen.String() != "1000.00" {
		t.Fatalf("frozen %s, want 1000.00", a.Frozen)
	}

	for name, tc := range map[string]struct{ body, field string }{
		"an order's amount":      {`{"projectNo":"PN1","orders":[{"requestNo":"FZ4","userNo":"BUI","amount":"1.00"},{"requestNo":"FZ5","userNo":"BUI","amount":1}]}`, "orders[1].amount"},
		"no orders":              {`{"projectNo":"PN1","orders":[]}`, "orders"},
		"orders not an array":    {`{"projectNo":"PN1","orders":{}}`, "orders"},
		"a number twice":         {`{"projectNo":"PN1","orders":[{"requestNo":"FZ4","userNo":"BUI","amount":"1.00"},{"requestNo":"FZ4","userNo":"BUI","amount":"1.00"}]}`, "orders[1].requestNo"},
		"no project":             {`{"orders":[{"requestNo":"FZ4","userNo":"BUI","amount":"1.00"}]}`, "projectNo"},
		"an order not an object": {`{"projectNo":"PN1","orders":[null]}`, "orders[0]"},
		"no user":                {`{"projectNo":"PN1","orders":[{"requestNo":"FZ4","amount":"1.00"}]}`, "orders[0].userNo"},
		"a negative amount":      {`{"projectNo":"PN1","orders":[{"requestNo":"FZ4","userNo":"BUI","amount":"-1.00"}]}`, "orders[0].amount"},
		"three decimals":         {`{"projectNo":"PN1","orders":[{"requestNo":"FZ4","userNo":"BUI","amount":"1.001"}]}`, "orders[0].amount"},
		"not JSON":               {`orders`, "body"},
	} {
		status, out := b.call(t, http.MethodPost, "/v1/freezes/batch", tc.body)
		md, _ := out["metadata"].(map[string]any)
		if status != http.StatusBadRequest || out["reason"] != "INVALID_ARGUMENT" || md["field"] != tc.field {
			t.Errorf("%s: %d %v, want 400 naming %s", name, status, out, tc.field)
		}
	}

	// A batch signed with another key, or a single freeze's signature on the batch's
	// path, changes nothing.
	body := []byte(`{"projectNo":"PN1","orders":[{"requestNo":"FZ9","userNo":"BUI","amount":"1.00"}]}`)
	_, bankKey := keyringtest.Keys()
	forged, err := signing.NewSigner(bankKey).SignRequest(http.MethodPost, "/v1/freezes/batch", body)
	if err != nil {
		t.Fatal(err)
	}
	single, err := b.platform.SignRequest(http.MethodPost, "/v1/freezes", body)
	if err != nil {
		t.Fatal(err)
	}
	for name, h := range map[string]signing.Headers{"forged": forged, "signed for /v1/freezes": single} {
		if status, reason := b.sendWith(t, http.MethodPost, "/v1/freezes/batch", h, body); status != http.StatusUnauthorized || reason != "BAD_SIGNATURE" {
			t.Errorf("%s: HTTP %d %s, want 401 BAD_SIGNATURE", name, status, reason)
		}
	}
	if _, ok := b.bank.Freezes()["FZ9"]; ok {
		t.Fatal("a refused batch froze money")
	}
}
