package mq

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync/atomic"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/pkg/telemetry"
)

// Who may talk to the broker, and who may have written a message (README "Security
// model"). The broker runs with ACL 2.0: every client signs its requests as its
// service's account, which may touch only its own topics and groups (scripts/lib/
// rocketmq.sh). An account is no proof of authorship for the consumer, though — so every
// message also carries an HMAC-SHA256 under a key only its legitimate producer and its
// consumers hold, over the topic, the message keys, the properties the consumer acts on
// and the body. A consumer drops (acknowledges without acting on) what fails the check,
// with a log line and a count: a forged message is never retried.

// Environment of every service that uses the broker: its account (generated into
// .run/secrets.env or deploy/.env) and its topic's signing key.
const (
	AccessKeyEnv  = "P2P_RMQ_ACCESS_KEY"
	SecretKeyEnv  = "P2P_RMQ_SECRET_KEY"
	SigningKeyEnv = "P2P_MQ_SIGNING_KEY"
)

// MinSigningKey is the shortest signing key accepted, in bytes.
const MinSigningKey = 32

// PropertySignature is the message property that carries the signature.
const PropertySignature = "P2P_SIGNATURE"

// CredentialsFromEnv is the service's broker account, refused when either half is missing.
func CredentialsFromEnv() (primitive.Credentials, error) {
	c := primitive.Credentials{AccessKey: os.Getenv(AccessKeyEnv), SecretKey: os.Getenv(SecretKeyEnv)}
	if c.AccessKey == "" || c.SecretKey == "" {
		return c, fmt.Errorf("%s and %s: not set (the service's RocketMQ account; the local stack generates it into .run/secrets.env)",
			AccessKeyEnv, SecretKeyEnv)
	}
	return c, nil
}

// Signer signs and checks the messages of one topic.
type Signer struct {
	topic   string
	key     []byte
	dropped atomic.Int64
}

// SignerFromEnv is the signer of topic under SigningKeyEnv.
func SignerFromEnv(topic string) (*Signer, error) { return NewSigner(topic, os.Getenv(SigningKeyEnv)) }

// NewSigner refuses a missing or short key.
func NewSigner(topic, key string) (*Signer, error) {
	if len(key) < MinSigningKey {
		return nil, fmt.Errorf("%s: %d bytes, need at least %d (the message signing key of %s)", SigningKeyEnv, len(key), MinSigningKey, topic)
	}
	return &Signer{topic: topic, key: []byte(key)}, nil
}

// mac is the signature of m's keys, the named properties and body on the signer's topic.
// Every part is length-prefixed, so no two different messages sign the same bytes.
func (s *Signer) mac(keys string, m *primitive.Message, props []string) string {
	h := hmac.New(sha256.New, s.key)
	part := func(v string) { fmt.Fprintf(h, "%d:%s;", len(v), v) }
	part("p2p-dtx message v1")
	part(s.topic)
	part(keys)
	for _, p := range props {
		part(p)
		part(m.GetProperty(p))
	}
	h.Write(m.Body)
	return hex.EncodeToString(h.Sum(nil))
}

// Sign adds the signature to m; props are the properties its consumer acts on, set
// before the call.
func (s *Signer) Sign(m *primitive.Message, props ...string) {
	m.WithProperty(PropertySignature, s.mac(m.GetKeys(), m, props))
}

// ErrBadSignature is a message without a valid signature.
var ErrBadSignature = errors.New("mq: message signature missing or wrong")

// Verify checks m's signature over the same props its producer named.
func (s *Signer) Verify(m *primitive.MessageExt, props ...string) error {
	got := m.GetProperty(PropertySignature)
	if got == "" || !hmac.Equal([]byte(got), []byte(s.mac(m.GetKeys(), &m.Message, props))) {
		return ErrBadSignature
	}
	return nil
}

// Drop records a message that failed Verify: one warning line with the message's id,
// keys and the count of messages dropped so far by this process. The consumer then
// acknowledges it, so it is neither acted on nor redelivered.
func (s *Signer) Drop(logger *log.Helper, m *primitive.MessageExt, err error) {
	n := s.dropped.Add(1)
	droppedMessages.Inc(context.Background(), "topic", s.topic)
	logger.Warnw("msg", "dropped a message that fails the signature check", "topic", s.topic, "msg_id", m.MsgId,
		"keys", m.GetKeys(), "born_host", m.BornHost, "err", err, "dropped_total", n)
}

// droppedMessages counts, on /metrics, the messages dropped for a failed signature check.
var droppedMessages = telemetry.NewCounter("p2p_messages_dropped", "messages dropped because their signature did not verify, by topic")

// Dropped is how many messages this signer has dropped.
func (s *Signer) Dropped() int64 { return s.dropped.Load() }
