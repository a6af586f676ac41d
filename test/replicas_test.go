//go:build replicas

package test

import (
	"context"
	"net/http"
	"testing"

	"github.com/p2p-dtx/p2p-dtx/test/stack"
)

// Run by `make test-replicas` (and so by `make test`) against a stack started with
// REPLICAS=2 and with P2P_SPREAD=1, next to the custody, lending and repayment scenarios
// it runs with requests spread over both instances (scripts/test.sh replicas).

// replicated are the services the stack runs twice, each with a route that answers
// without a login (a refusal is counted like any answer).
var replicated = map[string]string{
	"user-center":  "/v1/users/me",
	"trade-center": "/v1/projects?status=COLLECTING",
	"repayment":    "/v1/projects/1/repayment-plan",
	"bank-custody": "/v1/accounts/BU000000000000",
}

// TestReplicasShareTheRequests: every replicated service has two instances, and requests
// sent to the service's address reach both of them — each instance's own /metrics counts
// its share of 20 requests (the spreading is round-robin: 10 each).
func TestReplicasShareTheRequests(t *testing.T) {
	stack.Load(t)
	if !stack.Spreading() {
		t.Fatal("P2P_SPREAD=1 is not set: run `make test-replicas`")
	}
	p := platform(t)
	for name, route := range replicated {
		t.Run(name, func(t *testing.T) {
			instances := stack.Instances(name)
			if len(instances) != 2 {
				t.Fatalf("instances of %s: %v, want two (is the stack up with REPLICAS=2?)", name, instances)
			}
			before := make([]int, len(instances))
			for i, base := range instances {
				before[i] = servedRequests(t, base)
			}
			const n = 20
			for range n {
				status, err := p.CallStatus(context.Background(), http.MethodGet, stack.HTTP(name)+route, "", nil, nil)
				if status == 0 {
					t.Fatalf("GET %s: no answer: %v", route, err)
				}
			}
			for i, base := range instances {
				if got := servedRequests(t, base) - before[i]; got < n/len(instances) {
					t.Errorf("instance %s served %d of the %d requests, want at least %d", base, got, n, n/len(instances))
				}
			}
		})
	}
}

// servedRequests sums the instance's server_requests_code_total over every operation.
func servedRequests(t *testing.T, base string) int {
	t.Helper()
	return int(counterSum(scrape(t, base), "server_requests_code_total", nil))
}
