package mq

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/go-kratos/kratos/v2/log"
)

// A missing setting is refused with the config keys to set.
func TestEndpointCheckNamesTheMissingKeys(t *testing.T) {
	t.Parallel()
	full := Endpoint{Topic: "TP_START_REPAYMENT", Group: "CID_START_REPAYMENT", NameServers: []string{"127.0.0.1:9876"}}
	if err := full.Check("start_repayment", "consumer_group"); err != nil {
		t.Fatalf("complete endpoint refused: %v", err)
	}
	noGroup, noTopic, noServers := full, full, full
	noGroup.Group, noTopic.Topic, noServers.NameServers = "", "", nil
	for _, c := range []struct {
		e    Endpoint
		want string
	}{
		{noGroup, "start_repayment.topic and start_repayment.consumer_group must be set"},
		{noTopic, "start_repayment.topic and start_repayment.consumer_group must be set"},
		{noServers, "rocketmq.name_servers is not set"},
	} {
		if err := c.e.Check("start_repayment", "consumer_group"); err == nil || err.Error() != c.want {
			t.Errorf("Check(%+v) = %v, want %q", c.e, err, c.want)
		}
	}
}

// A server embedding Client is ready once its Start called SetRunning, and Stop shuts the
// client down once.
func TestClientLifecycle(t *testing.T) {
	t.Setenv(AccessKeyEnv, "repayment")
	t.Setenv(SecretKeyEnv, "secret")
	t.Setenv(SigningKeyEnv, strings.Repeat("k", MinSigningKey))
	if _, err := NewClient[fakeClient]("start-repayment consumer", Endpoint{Topic: "T"}, "start_repayment", "consumer_group",
		log.NewStdLogger(io.Discard)); err == nil || !strings.Contains(err.Error(), "start_repayment.consumer_group") {
		t.Fatalf("NewClient without a group: %v, want the keys named", err)
	}
	c, err := NewClient[fakeClient]("start-repayment consumer", Endpoint{Topic: "T", Group: "G", NameServers: []string{"ns:9876"}},
		"start_repayment", "consumer_group", log.NewStdLogger(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Ready(ctx); err == nil || !strings.Contains(err.Error(), "start-repayment consumer not started") {
		t.Fatalf("Ready before SetRunning: %v", err)
	}
	var n int
	c.SetRunning(fakeClient{shutdowns: &n}, "instance-1")
	if err := c.Ready(ctx); err != nil {
		t.Fatalf("Ready after SetRunning: %v", err)
	}
	if _, ok := c.Running(); !ok {
		t.Fatal("Running after SetRunning: none")
	}
	for range 2 {
		if err := c.Stop(ctx); err != nil {
			t.Fatalf("Stop: %v", err)
		}
	}
	if n != 1 {
		t.Fatalf("client shut down %d times, want once", n)
	}
	if _, ok := c.Running(); ok {
		t.Fatal("Running after Stop: still one")
	}
}

type section struct{ topic, broker string }

func (s section) GetTopic() string      { return s.topic }
func (s section) GetBrokerAddr() string { return s.broker }

func TestEndpointOfASection(t *testing.T) {
	t.Parallel()
	got := EndpointOf(section{"TP", "127.0.0.1:10911"}, "CID", []string{"127.0.0.1:9876"})
	if got.Topic != "TP" || got.Group != "CID" || got.BrokerAddr != "127.0.0.1:10911" || len(got.NameServers) != 1 {
		t.Fatalf("EndpointOf = %+v", got)
	}
}
