package mq

import (
	"io"
	"strings"
	"testing"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/go-kratos/kratos/v2/log"
)

func TestAClientNeedsItsAccountAndSigningKey(t *testing.T) {
	ep := Endpoint{Topic: "T", Group: "G", NameServers: []string{"ns:9876"}}
	for name, env := range map[string][3]string{
		"no account":          {"", "", strings.Repeat("k", 32)},
		"no secret":           {"repayment", "", strings.Repeat("k", 32)},
		"no signing key":      {"repayment", "s", ""},
		"a short signing key": {"repayment", "s", strings.Repeat("k", 31)},
	} {
		t.Setenv(AccessKeyEnv, env[0])
		t.Setenv(SecretKeyEnv, env[1])
		t.Setenv(SigningKeyEnv, env[2])
		if _, err := NewClient[fakeClient]("c", ep, "s", "g", log.NewStdLogger(io.Discard)); err == nil {
			t.Errorf("%s: the client was built", name)
		}
	}
}

func TestOnlyAMessageSignedForItsTopicWithItsPropertiesVerifies(t *testing.T) {
	key := strings.Repeat("k", 32)
	s, err := NewSigner("TP_A", key)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewSigner("TP_B", key)
	otherKey, _ := NewSigner("TP_A", strings.Repeat("j", 32))
	signed := func() *primitive.MessageExt {
		m := &primitive.MessageExt{MsgId: "id"}
		m.Topic, m.Body = "TP_A", []byte(`{"projectId":"7"}`)
		m.WithKeys([]string{"PROJECT_7"})
		m.WithProperty("platformNo", "P2PDTX")
		s.Sign(&m.Message, "platformNo")
		return m
	}
	if err := s.Verify(signed(), "platformNo"); err != nil {
		t.Fatalf("a signed message: %v", err)
	}
	for name, m := range map[string]func() *primitive.MessageExt{
		"unsigned": func() *primitive.MessageExt {
			m := signed()
			m.RemoveProperty(PropertySignature)
			return m
		},
		"another body":     func() *primitive.MessageExt { m := signed(); m.Body = []byte(`{"projectId":"8"}`); return m },
		"another keys":     func() *primitive.MessageExt { m := signed(); m.WithKeys([]string{"PROJECT_8"}); return m },
		"another platform": func() *primitive.MessageExt { m := signed(); m.WithProperty("platformNo", "OTHER"); return m },
	} {
		if err := s.Verify(m(), "platformNo"); err != ErrBadSignature {
			t.Errorf("%s: %v, want ErrBadSignature", name, err)
		}
	}
	if err := other.Verify(signed(), "platformNo"); err != ErrBadSignature {
		t.Errorf("signed for another topic: %v", err)
	}
	if err := otherKey.Verify(signed(), "platformNo"); err != ErrBadSignature {
		t.Errorf("signed under another key: %v", err)
	}
	s.Drop(log.NewHelper(log.NewStdLogger(io.Discard)), signed(), ErrBadSignature)
	if s.Dropped() != 1 {
		t.Fatalf("dropped %d, want 1", s.Dropped())
	}
}
