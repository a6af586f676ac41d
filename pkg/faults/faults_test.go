package faults

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/operator"
)

const token = operator.Token("0123456789abcdef0123456789abcdef")

// operatorRequest is a request to /debug/faults carrying the operator token.
func operatorRequest(method, body string) *http.Request {
	req := httptest.NewRequest(method, "/debug/faults", strings.NewReader(body))
	req.Header.Set(operator.Header, string(token))
	return req
}

func TestArmedPointFiresExactlyTimes(t *testing.T) {
	t.Parallel()
	r := New("a.fail", "b.delay")
	if err := r.Arm("a.fail", 2, 0); err != nil {
		t.Fatal(err)
	}
	var fired int
	for range 5 {
		if r.Hit("a.fail").Fire {
			fired++
		}
	}
	if fired != 2 {
		t.Fatalf("fired %d times, want 2", fired)
	}
	if r.Hit("b.delay").Fire {
		t.Fatal("unarmed point fired")
	}
}

func TestArmRejectsUnknownPointAndBadTimes(t *testing.T) {
	t.Parallel()
	r := New("a.fail")
	if err := r.Arm("nope", 1, 0); err == nil || !strings.HasPrefix(err.Error(), "point:") {
		t.Errorf("unknown point: err = %v", err)
	}
	if err := r.Arm("a.fail", -1, 0); err == nil || !strings.HasPrefix(err.Error(), "times:") {
		t.Errorf("negative times: err = %v", err)
	}
}

func TestNilRegistryNeverFires(t *testing.T) {
	t.Parallel()
	var r *Registry
	if r.Hit("anything").Fire {
		t.Fatal("nil registry fired")
	}
}

func TestHandlerArmsAndClears(t *testing.T) {
	t.Parallel()
	r := New("a.delay")
	h := r.HandlerFor(token)

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, operatorRequest(http.MethodPost, `{"point":"a.delay","times":1,"delayMs":250}`))
	if rec.Code != http.StatusOK {
		t.Fatalf("arm: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, operatorRequest(http.MethodPost, `{"point":"zzz"}`))
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "unknown fault point") {
		t.Fatalf("unknown point: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, operatorRequest(http.MethodDelete, ""))
	if rec.Code != http.StatusOK {
		t.Fatalf("clear: %d", rec.Code)
	}
	if s := r.Hit("a.delay"); s.Fire {
		t.Fatalf("point still armed after DELETE: %+v", s)
	}

	if err := r.Arm("a.delay", 1, 250*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if s := r.Hit("a.delay"); !s.Fire || s.Delay != 250*time.Millisecond {
		t.Fatalf("strike = %+v", s)
	}
}

func TestHandlerRefusesRequestsWithoutTheOperatorToken(t *testing.T) {
	t.Parallel()
	r := New("a.fail")
	if err := r.Arm("a.fail", 5, 0); err != nil {
		t.Fatal(err)
	}
	for name, h := range map[string]http.Handler{
		"token configured":    r.HandlerFor(token),
		"no token configured": r.HandlerFor(""),
	} {
		for _, presented := range []string{"", "wrong-token-wrong-token-wrong-token"} {
			for _, method := range []string{http.MethodPost, http.MethodDelete} {
				req := httptest.NewRequest(method, "/debug/faults", strings.NewReader(`{"point":"a.fail","times":1}`))
				if presented != "" {
					req.Header.Set(operator.Header, presented)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusUnauthorized {
					t.Errorf("%s, %s with token %q: %d, want 401", name, method, presented, rec.Code)
				}
			}
		}
	}
	// Nothing was cleared or re-armed: the five hits armed above are all still there.
	for i := 0; i < 5; i++ {
		if !r.Hit("a.fail").Fire {
			t.Fatalf("hit %d did not fire: a refused request changed the registry", i+1)
		}
	}
	if r.Hit("a.fail").Fire {
		t.Fatal("a refused request armed more hits")
	}
}

// Crash ends the process only when its point is armed, once per arming (the kill is
// replaced here; in a service it is SIGKILL), and a nil registry never crashes.
func TestCrashKillsOnlyWhenArmed(t *testing.T) {
	r := New("crash.x.after_y")
	kills := 0
	r.kill = func() { kills++ }
	r.Crash("crash.x.after_y")
	if kills != 0 {
		t.Fatal("crashed unarmed")
	}
	if err := r.Arm("crash.x.after_y", 1, 0); err != nil {
		t.Fatal(err)
	}
	r.Crash("crash.x.after_y")
	r.Crash("crash.x.after_y")
	if kills != 1 {
		t.Fatalf("%d kills, want 1", kills)
	}
	var none *Registry
	none.Crash("crash.x.after_y")
}
