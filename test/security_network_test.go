package test

import (
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/test/stack"
)

// The local stack listens on loopback only (README "Security model"): dialled on this
// machine's other addresses, MariaDB, DTM (HTTP and gRPC), the name server, the broker
// and every service refuse the connection. The broker's HA port (listenPort+1) has no
// bind setting in RocketMQ 5.3 and is the one documented exception.
func TestTheLocalStackListensOnLoopbackOnly(t *testing.T) {
	env := stack.Load(t)
	addrs := externalAddrs(t)
	if len(addrs) == 0 {
		t.Skip("this machine has no non-loopback IPv4 address to dial")
	}
	ports := map[string]string{
		"mariadb": env["P2P_MYSQL_PORT"], "dtm http": env["P2P_DTM_HTTP_PORT"], "dtm grpc": env["P2P_DTM_GRPC_PORT"],
		"namesrv": env["P2P_RMQ_NAMESRV_PORT"], "broker": env["P2P_RMQ_BROKER_PORT"],
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
