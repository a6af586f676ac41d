package server

import (
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/conf"
	pconf "github.com/p2p-dtx/p2p-dtx/pkg/conf"
)

// The local stack's config loads and says what the protocol needs.
func TestLocalConfig(t *testing.T) {
	t.Setenv("P2P_KEYS_DIR", "/keys")
	t.Setenv("P2P_ROCKETMQ_NAMESRV", "127.0.0.1:9876")
	t.Setenv("P2P_DB_USER", "u")
	t.Setenv("P2P_DB_PASSWORD", "p")
	t.Setenv("P2P_MYSQL_ADDR", "127.0.0.1:3306")
	var c conf.Bootstrap
	if err := pconf.Load("../../configs/local.yaml", &c); err != nil {
		t.Fatal(err)
	}
	if c.GetKeys().GetDir() != "/keys" || c.GetRocketmq().GetNameServers()[0] != "127.0.0.1:9876" {
		t.Errorf("keys %v, rocketmq %v", c.GetKeys(), c.GetRocketmq())
	}
	p := c.GetPlatforms()
	if len(p) != 1 || p[0].GetPlatformNo() != "P2PDTX" || p[0].GetCallbackUrl() != "http://127.0.0.1:8020/v1/custody/notifications" {
		t.Errorf("platforms %v", p)
	}
	s, err := NewRetrySchedule(&c)
	if err != nil {
		t.Fatal(err)
	}
	if s.Retries() != 8 || s.DelayLevelAfter(1) != 1 || s.DelayLevelAfter(8) != 8 {
		t.Errorf("schedule: %d retries, levels %d..%d", s.Retries(), s.DelayLevelAfter(1), s.DelayLevelAfter(8))
	}
	if d := c.GetProcessor().GetPollInterval().AsDuration(); d != 200*time.Millisecond {
		t.Errorf("poll interval %v", d)
	}
	if d := c.GetNotifier().GetTimeout().AsDuration(); d != 5*time.Second {
		t.Errorf("notifier timeout %v", d)
	}
}
