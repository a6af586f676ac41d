package test

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/test/stack"
)

// The local stack listens on loopback only (README "Security model"): dialled on this
// machine's other addresses, MariaDB, DTM (HTTP and gRPC), the name server, the broker
// and every service refuse the connection (on a machine with no other address, the
// kernel's table of listening sockets says the same). The broker's HA port (listenPort+1) has no
// bind setting in RocketMQ 5.3 and is the one documented exception.
func TestTheLocalStackListensOnLoopbackOnly(t *testing.T) {
	env := stack.Load(t)
	addrs := externalAddrs(t)
	ports := map[string]string{
		"mariadb": env["P2P_MYSQL_PORT"], "dtm http": env["P2P_DTM_HTTP_PORT"], "dtm grpc": env["P2P_DTM_GRPC_PORT"],
		"namesrv": env["P2P_RMQ_NAMESRV_PORT"], "broker": env["P2P_RMQ_BROKER_PORT"],
		"jaeger otlp grpc": env["P2P_JAEGER_OTLP_GRPC_PORT"], "jaeger otlp http": env["P2P_JAEGER_OTLP_HTTP_PORT"],
		"jaeger query": env["P2P_JAEGER_QUERY_PORT"], "jaeger query grpc": env["P2P_JAEGER_QUERY_GRPC_PORT"],
		"jaeger metrics": env["P2P_JAEGER_METRICS_PORT"],
	}
	for _, svc := range []string{"UNIFIED_ACCOUNT", "USER_CENTER", "TRADE_CENTER", "REPAYMENT", "BANK_CUSTODY"} {
		ports[svc+" http"], ports[svc+" grpc"] = env["P2P_"+svc+"_HTTP_PORT"], env["P2P_"+svc+"_GRPC_PORT"]
	}
	for name, port := range ports {
		if port == "" {
			t.Fatalf("%s: no port in the run directory's stack.env", name)
		}
		// The port answers on loopback, so a refusal elsewhere is the bind, not a dead process.
		if c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", port), 2*time.Second); err != nil {
			t.Fatalf("%s: not listening on 127.0.0.1:%s: %v", name, port, err)
		} else {
			c.Close()
		}
		if len(addrs) == 0 {
			// Nothing to dial from outside: read the kernel's table of listening sockets.
			if wide := listeningBeyondLoopback(t, port); wide != "" {
				t.Errorf("%s listens on %s", name, wide)
			}
		}
		for _, a := range addrs {
			c, err := net.DialTimeout("tcp", net.JoinHostPort(a, port), 2*time.Second)
			if err == nil {
				c.Close()
				t.Errorf("%s answers on %s:%s", name, a, port)
			} else if !errors.Is(err, syscall.ECONNREFUSED) {
				t.Errorf("%s on %s:%s: %v, want connection refused", name, a, port, err)
			}
		}
	}
}

// externalAddrs are this machine's IPv4 addresses other than loopback.
func externalAddrs(t *testing.T) []string {
	t.Helper()
	ifaddrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range ifaddrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			out = append(out, n.IP.String())
		}
	}
	return out
}

// listeningBeyondLoopback returns the local address of a socket listening on port on
// anything but loopback ("" when there is none), from /proc/net/tcp and tcp6.
func listeningBeyondLoopback(t *testing.T, port string) string {
	t.Helper()
	p, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	hexPort := fmt.Sprintf(":%04X", p)
	loopback := map[string]bool{"0100007F": true, "0000000000000000FFFF00000100007F": true, "00000000000000000000000001000000": true}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fields := strings.Fields(line)
			// fields[1] is local address:port in hex, fields[3] the state (0A: LISTEN).
			if len(fields) < 4 || fields[3] != "0A" || !strings.HasSuffix(fields[1], hexPort) {
				continue
			}
			if ip := strings.TrimSuffix(fields[1], hexPort); !loopback[ip] {
				return fields[1]
			}
		}
	}
	return ""
}
