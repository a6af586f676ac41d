package stack

import (
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
)

// Spreading requests over the instances of a service (make test-replicas): with
// P2P_SPREAD=1 and a stack started with REPLICAS=2, every request the tests, the demo or
// a benchmark send to a service goes to its instances in turn — the first to the
// address in Services, the next to <service>-2 (P2P_<SERVICE>_2_HTTP), and so on — as a
// round-robin load balancer would. Calls to a process's own state stay with the address
// they name: /debug/faults (fault points are per process), /metrics and /healthz.

// Spreading says whether requests are spread over the instances (P2P_SPREAD=1).
func Spreading() bool { return os.Getenv("P2P_SPREAD") == "1" }

// Instances is the HTTP base URL of each instance of the named service: its address in
// Services, then its second instance's when the stack has one and Spreading is on.
func Instances(name string) []string {
	out := []string{HTTP(name)}
	if !Spreading() {
		return out
	}
	key := "P2P_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_")) + "_2_HTTP"
	if second := runDirEnv().or(key, ""); second != "" {
		out = append(out, second)
	}
	return out
}

// Transport is next (http.DefaultTransport when nil), spreading requests over the
// instances when Spreading is on.
func Transport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	if !Spreading() {
		return next
	}
	hosts := map[string][]string{}
	for _, s := range Services {
		primary := hostOf(s.HTTP)
		for _, base := range Instances(s.Name) {
			hosts[primary] = append(hosts[primary], hostOf(base))
		}
	}
	return &spread{next: next, hosts: hosts}
}

// hostOf is base's host:port ("" for a URL that does not parse, which no request names).
func hostOf(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return ""
	}
	return u.Host
}

type spread struct {
	next  http.RoundTripper
	hosts map[string][]string // primary host:port -> every instance's host:port
	turn  atomic.Uint64
}

func (s *spread) RoundTrip(req *http.Request) (*http.Response, error) {
	all := s.hosts[req.URL.Host]
	if len(all) < 2 || ownState(req.URL.Path) {
		return s.next.RoundTrip(req)
	}
	host := all[int(s.turn.Add(1)%uint64(len(all)))]
	out := req.Clone(req.Context())
	out.URL.Host, out.Host = host, host
	return s.next.RoundTrip(out)
}

func ownState(path string) bool {
	return strings.HasPrefix(path, "/debug/") || path == "/metrics" || path == "/healthz"
}
