package faults

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

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
	h := r.Handler()

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/debug/faults",
		strings.NewReader(`{"point":"a.delay","times":1,"delayMs":250}`)))
	if rec.Code != http.StatusOK {
		t.Fatalf("arm: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/debug/faults", strings.NewReader(`{"point":"zzz"}`)))
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "unknown fault point") {
		t.Fatalf("unknown point: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodDelete, "/debug/faults", nil))
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
