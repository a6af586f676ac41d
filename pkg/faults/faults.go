// Package faults lets acceptance tests and the demo break a service on purpose at named
// points (API.md "Fault points"). A point is armed for the next N hits, optionally with a
// delay; code asks Hit(point) where the fault would strike. The HTTP endpoint that arms
// points is mounted only when faults.enabled is true in the service's config, and answers
// only the operator token (pkg/operator).
package faults

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/operator"
)

// Strike says what an armed point does on this hit.
type Strike struct {
	// Fire is true while the point still has hits left.
	Fire bool
	// Delay is how long to sleep, for delay points.
	Delay time.Duration
}

// Registry holds a service's known points and what is armed. Its zero value knows no
// points; use New.
type Registry struct {
	known map[string]bool
	mu    sync.Mutex
	armed map[string]*arm
	kill  func() // Crash's end; SIGKILL of this process unless a test replaces it
}

type arm struct {
	times int
	delay time.Duration
}

// New returns a registry that accepts only the given points.
func New(points ...string) *Registry {
	r := &Registry{known: make(map[string]bool, len(points)), armed: map[string]*arm{}, kill: killSelf}
	for _, p := range points {
		r.known[p] = true
	}
	return r
}

// Arm makes point fire on its next times hits.
func (r *Registry) Arm(point string, times int, delay time.Duration) error {
	if !r.known[point] {
		return fmt.Errorf("point: unknown fault point %q (known: %v)", point, r.Points())
	}
	if times < 1 {
		return fmt.Errorf("times: must be at least 1")
	}
	if delay < 0 {
		return fmt.Errorf("delayMs: must not be negative")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.armed[point] = &arm{times: times, delay: delay}
	return nil
}

// Clear disarms every point.
func (r *Registry) Clear() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.armed = map[string]*arm{}
}

// Hit consumes one hit of point if it is armed. A nil registry never fires, so
// production wiring can pass nil.
func (r *Registry) Hit(point string) Strike {
	if r == nil {
		return Strike{}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	a, ok := r.armed[point]
	if !ok {
		return Strike{}
	}
	a.times--
	if a.times <= 0 {
		delete(r.armed, point)
	}
	return Strike{Fire: true, Delay: a.delay}
}

// Crash kills the process with SIGKILL when point is armed — what `kill -9` at exactly
// this step looks like: no deferred function runs, no transaction commits, no answer is
// sent, no log line is flushed but the one written here. Crash points are named
// crash.<flow>.<moment>; the tests restart the service through the stack scripts and check
// that everything converges (README "Failure modes and how the platform recovers").
func (r *Registry) Crash(point string) {
	if !r.Hit(point).Fire {
		return
	}
	fmt.Fprintf(os.Stderr, "fault point %s: SIGKILL\n", point)
	r.kill()
}

func killSelf() {
	// SIGKILL cannot be caught; if sending it fails, exit without cleanup all the same.
	if err := syscall.Kill(os.Getpid(), syscall.SIGKILL); err != nil {
		os.Exit(137)
	}
	select {} // the signal is on its way
}

// Points lists the known points, sorted.
func (r *Registry) Points() []string {
	out := make([]string, 0, len(r.known))
	for p := range r.known {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// armRequest is the body of POST /debug/faults.
type armRequest struct {
	Point   string `json:"point"`
	Times   int    `json:"times"`
	DelayMs int64  `json:"delayMs"`
}

// Handler serves POST /debug/faults (arm) and DELETE /debug/faults (clear all) to
// operators: a request without the operator token (P2P_OPERATOR_TOKEN, read once here)
// gets 401 and arms nothing. Errors use the Kratos error body so clients see the same
// shape as everywhere else.
func (r *Registry) Handler() http.Handler { return r.HandlerFor(operator.FromEnv()) }

// HandlerFor is Handler guarded by the given operator token.
func (r *Registry) HandlerFor(token operator.Token) http.Handler {
	return token.Require(r.endpoint())
}

func (r *Registry) endpoint() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch req.Method {
		case http.MethodPost:
			var body armRequest
			if err := json.NewDecoder(http.MaxBytesReader(w, req.Body, 4096)).Decode(&body); err != nil {
				writeJSON(w, http.StatusBadRequest, errorBody("body: not valid JSON: "+err.Error()))
				return
			}
			if body.Times == 0 {
				body.Times = 1
			}
			if err := r.Arm(body.Point, body.Times, time.Duration(body.DelayMs)*time.Millisecond); err != nil {
				writeJSON(w, http.StatusBadRequest, errorBody(err.Error()))
				return
			}
			writeJSON(w, http.StatusOK, body)
		case http.MethodDelete:
			r.Clear()
			writeJSON(w, http.StatusOK, map[string]any{})
		default:
			w.Header().Set("Allow", "POST, DELETE")
			writeJSON(w, http.StatusMethodNotAllowed, errorBody("method: use POST or DELETE"))
		}
	})
}

func errorBody(msg string) map[string]any {
	return map[string]any{"code": 400, "reason": "INVALID_FAULT", "message": msg}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	// The status is sent; a failed write only means the caller went away.
	if err := json.NewEncoder(w).Encode(v); err != nil {
		return
	}
}
