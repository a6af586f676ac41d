// Package health serves GET /healthz: 200 when every dependency a service needs answers,
// 503 with the failing one named otherwise. The stack scripts and the smoke test poll it.
package health

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// Check probes one dependency.
type Check struct {
	Name  string
	Probe func(ctx context.Context) error
}

// Report is the JSON body of /healthz.
type Report struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// Handler runs every check with a short deadline on each request.
func Handler(checks ...Check) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		rep := Report{Status: "UP", Checks: make(map[string]string, len(checks))}
		code := http.StatusOK
		for _, c := range checks {
			if err := c.Probe(ctx); err != nil {
				rep.Checks[c.Name] = "DOWN: " + err.Error()
				rep.Status = "DOWN"
				code = http.StatusServiceUnavailable
				continue
			}
			rep.Checks[c.Name] = "UP"
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		// The status line is already sent; a failed write only means the caller left.
		if err := json.NewEncoder(w).Encode(rep); err != nil {
			return
		}
	})
}
