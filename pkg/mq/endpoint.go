package mq

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/go-kratos/kratos/v2/log"
)

// Endpoint is where a producer or consumer meets the broker: its topic and group, the
// name servers, and the broker that creates the topic when it has no route.
type Endpoint struct {
	Topic, Group, BrokerAddr string
	NameServers              []string
}

// Section is a client's config section (start_repayment) as a service's generated conf
// type has it.
type Section interface {
	GetTopic() string
	GetBrokerAddr() string
}

// EndpointOf is the endpoint a config section, the client's group in it and the
// rocketmq.name_servers describe.
func EndpointOf(s Section, group string, nameServers []string) Endpoint {
	return Endpoint{Topic: s.GetTopic(), Group: group, BrokerAddr: s.GetBrokerAddr(), NameServers: nameServers}
}

// Check fails, naming the config keys to set, when the topic, the group or the name
// servers are missing: section is the client's config section ("start_repayment") and
// groupKey the key of its group ("consumer_group").
func (e Endpoint) Check(section, groupKey string) error {
	if e.Topic == "" || e.Group == "" {
		return fmt.Errorf("%s.topic and %s.%s must be set", section, section, groupKey)
	}
	if len(e.NameServers) == 0 {
		return errors.New("rocketmq.name_servers is not set")
	}
	return nil
}

// EnsureTopic creates topic (the endpoint's, or one beside it such as a retry topic) with
// queues queues unless the name servers route it already; see EnsureTopic.
func (e Endpoint) EnsureTopic(ctx context.Context, logger *log.Helper, topic string, queues int) error {
	return EnsureTopic(ctx, logger, e.NameServers, e.BrokerAddr, topic, queues)
}

// Client is what every RocketMQ producer or consumer run as a Kratos server shares: where
// it meets the broker, and the started client that its Stop, its /healthz check and its
// callers agree on. A server embeds it and writes only Start, which ends with SetRunning.
type Client[T Shutdowner] struct {
	Endpoint
	// Credentials is the service's broker account (auth.go); pass it to the client
	// library's WithCredentials.
	Credentials primitive.Credentials
	// Signer signs what the client sends to its topic, or checks what it receives.
	Signer  *Signer
	name    string
	log     *log.Helper
	started Started[T]
}

// NewClient checks ep (see Check: section and groupKey name its config keys) and the
// service's broker account and signing key in the environment (auth.go), and returns the
// client named name ("start-repayment consumer"), which its readiness error and its start
// line say; it logs as module "server/<name, dashed>", the server's own lines too.
func NewClient[T Shutdowner](name string, ep Endpoint, section, groupKey string, logger log.Logger) (*Client[T], error) {
	if err := ep.Check(section, groupKey); err != nil {
		return nil, err
	}
	creds, err := CredentialsFromEnv()
	if err != nil {
		return nil, err
	}
	signer, err := SignerFromEnv(ep.Topic)
	if err != nil {
		return nil, err
	}
	module := "server/" + strings.ReplaceAll(name, " ", "-")
	return &Client[T]{Endpoint: ep, Credentials: creds, Signer: signer, name: name,
		log: log.NewHelper(log.With(logger, "module", module))}, nil
}

// Log is the client's logger, for the lines of the server that embeds it.
func (c *Client[T]) Log() *log.Helper { return c.log }

// SetRunning records the started client and logs where it runs.
func (c *Client[T]) SetRunning(client T, instance string) {
	c.started.Set(client)
	c.log.Infow("msg", c.name+" started", "topic", c.Topic, "group", c.Group, "instance", instance)
}

// Running returns the started client and whether one runs.
func (c *Client[T]) Running() (T, bool) { return c.started.Get() }

// Stop shuts the client down; without one it does nothing.
func (c *Client[T]) Stop(context.Context) error { return c.started.Shutdown() }

// Ready fails until SetRunning; /healthz uses it.
func (c *Client[T]) Ready(context.Context) error { return c.started.Ready(c.name) }
