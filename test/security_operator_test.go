package test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/p2p-dtx/p2p-dtx/test/driver"
)

// The operator endpoints (API.md "Operator token"): without the token, or with a wrong
// one, /debug/faults answers 401 and arms or clears nothing, and the bank's notification
// log, every service's /debug/pprof/ and the dead-letter redrive answer 401. This test
// arms no fault point.
func TestOperatorEndpointsRefuseCallersWithoutTheToken(t *testing.T) {
	p := platform(t)
	ctx := context.Background()
	wrong := p.AsOperator(strings.Repeat("0f", 32))
	arm := map[string]any{"point": "account.try.fail", "times": 1}
	for name, caller := range map[string]*driver.Platform{"no token": p, "empty token": p.AsOperator(""), "wrong token": wrong} {
		for _, method := range []string{http.MethodPost, http.MethodDelete} {
			status, err := caller.CallStatus(ctx, method, p.UnifiedAccount+"/debug/faults", "", arm, nil)
			if status != http.StatusUnauthorized || driver.Reason(err) != "OPERATOR_TOKEN_REQUIRED" {
				t.Errorf("%s: %s /debug/faults = %d %v, want 401 OPERATOR_TOKEN_REQUIRED", name, method, status, err)
			}
		}
		status, err := caller.CallStatus(ctx, http.MethodGet, p.Bank+"/v1/notifications?requestNo=REQ-NONE", "", nil, nil)
		if status != http.StatusUnauthorized || driver.Reason(err) != "OPERATOR_TOKEN_REQUIRED" {
			t.Errorf("%s: GET the bank's /v1/notifications = %d %v, want 401 OPERATOR_TOKEN_REQUIRED", name, status, err)
		}
		// The runtime's profiles on every service, and the dead-letter redrive.
		for _, base := range []string{p.UnifiedAccount, p.UserCenter, p.TradeCenter, p.Repayment, p.Bank} {
			status, err := caller.CallStatus(ctx, http.MethodGet, base+"/debug/pprof/goroutine?debug=1", "", nil, nil)
			if status != http.StatusUnauthorized || driver.Reason(err) != "OPERATOR_TOKEN_REQUIRED" {
				t.Errorf("%s: GET %s/debug/pprof/goroutine = %d %v, want 401 OPERATOR_TOKEN_REQUIRED", name, base, status, err)
			}
		}
		for _, base := range []string{p.TradeCenter, p.Bank} {
			status, err := caller.CallStatus(ctx, http.MethodPost, base+"/v1/operator/redrive", "", nil, nil)
			if status != http.StatusUnauthorized || driver.Reason(err) != "OPERATOR_TOKEN_REQUIRED" {
				t.Errorf("%s: POST %s/v1/operator/redrive = %d %v, want 401 OPERATOR_TOKEN_REQUIRED", name, base, status, err)
			}
		}
	}
	// account.try.fail was not armed: a registration goes through.
	if _, err := p.Register(ctx, driver.NewUser{Role: "INVESTOR"}); err != nil {
		t.Fatalf("register after the refused arming: %v (the fault point was armed)", err)
	}
	// The bank's notification log answers the operator.
	if _, err := p.NotificationAttempts(ctx, "REQ-NONE"); err != nil {
		t.Fatalf("notification log with the operator token: %v", err)
	}
}

// With the token, arming answers 200 and the point fires: the next registration is
// rolled back. It arms a fault point, so it runs alone like every fault scenario.
func TestOperatorTokenArmsFaultPoints(t *testing.T) {
	p := platform(t)
	ctx := context.Background()
	token, err := driver.OperatorToken()
	if err != nil {
		t.Fatal(err)
	}
	status, err := p.AsOperator(token).CallStatus(ctx, http.MethodPost, p.UnifiedAccount+"/debug/faults", "",
		map[string]any{"point": "account.try.fail", "times": 1}, nil)
	t.Cleanup(func() {
		if err := p.ClearFaults(context.Background(), p.UnifiedAccount); err != nil {
			t.Errorf("disarm: %v", err)
		}
	})
	if status != http.StatusOK {
		t.Fatalf("POST /debug/faults with the operator token = %d %v, want 200", status, err)
	}
	if _, err := p.Register(ctx, driver.NewUser{Role: "INVESTOR"}); driver.Status(err) != http.StatusConflict {
		t.Fatalf("register with account.try.fail armed: %v, want 409 (rolled back)", err)
	}
}
