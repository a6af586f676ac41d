package health

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHandlerReportsEachCheck(t *testing.T) {
	t.Parallel()
	ok := Check{Name: "database", Probe: func(context.Context) error { return nil }}
	down := Check{Name: "rocketmq", Probe: func(context.Context) error { return errors.New("no route") }}

	for _, tc := range []struct {
		name   string
		checks []Check
		code   int
		status string
	}{
		{"all up", []Check{ok}, http.StatusOK, "UP"},
		{"one down", []Check{ok, down}, http.StatusServiceUnavailable, "DOWN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			Handler(tc.checks...).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
			if rec.Code != tc.code {
				t.Fatalf("code = %d, want %d", rec.Code, tc.code)
			}
			var rep Report
			if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
				t.Fatal(err)
			}
			if rep.Status != tc.status {
				t.Errorf("status = %q, want %q", rep.Status, tc.status)
			}
			if rep.Checks["database"] != "UP" {
				t.Errorf("database = %q", rep.Checks["database"])
			}
			if tc.status == "DOWN" && rep.Checks["rocketmq"] != "DOWN: no route" {
				t.Errorf("rocketmq = %q", rep.Checks["rocketmq"])
			}
		})
	}
}
