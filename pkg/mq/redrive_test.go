package mq

import (
	"testing"

	"github.com/apache/rocketmq-client-go/v2/primitive"
)

func TestARedrivenMessageKeepsWhatItsConsumerChecksAndDropsTheBrokersProperties(t *testing.T) {
	dead := &primitive.MessageExt{Message: primitive.Message{Topic: DLQ("CID_X"), Body: []byte(`{"projectId":7}`)}}
	dead.WithKeys([]string{"LM7"})
	dead.WithTag("plan")
	dead.WithProperty(PropertySignature, "sig")
	dead.WithProperty("LOAN_MESSAGE_KEY", "LM7")
	dead.WithProperty(traceParent, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	dead.WithProperty(PropertyRedrives, "2")
	dead.WithProperty(primitive.PropertyRetryTopic, "TP_X")
	dead.WithProperty(primitive.PropertyReconsumeTime, "16")
	dead.WithProperty(primitive.PropertyMaxOffset, "99")

	out := Redriven(dead, "TP_X", []string{PropertySignature, "LOAN_MESSAGE_KEY"}, 3)
	if out.Topic != "TP_X" || string(out.Body) != `{"projectId":7}` || out.GetKeys() != "LM7" || out.GetTags() != "plan" {
		t.Fatalf("redriven %s %q keys %q tags %q", out.Topic, out.Body, out.GetKeys(), out.GetTags())
	}
	for k, want := range map[string]string{PropertySignature: "sig", "LOAN_MESSAGE_KEY": "LM7", PropertyRedrives: "3",
		traceParent:                  "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
		primitive.PropertyRetryTopic: "", primitive.PropertyReconsumeTime: "", primitive.PropertyMaxOffset: ""} {
		if got := out.GetProperty(k); got != want {
			t.Errorf("property %s = %q, want %q", k, got, want)
		}
	}
}

func TestASignedMessageStillVerifiesAfterARedrive(t *testing.T) {
	s, err := NewSigner("TP_X", "0123456789abcdef0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	dead := &primitive.MessageExt{Message: primitive.Message{Topic: DLQ("CID_X"), Body: []byte("body")}}
	dead.WithKeys([]string{"K1"})
	dead.WithProperty("platformNo", "P1")
	s.Sign(&dead.Message, "platformNo")
	out := Redriven(dead, "TP_X", []string{PropertySignature, "platformNo"}, 1)
	back := &primitive.MessageExt{Message: primitive.Message{Topic: out.Topic, Body: out.Body}}
	for k, v := range out.GetProperties() {
		back.WithProperty(k, v)
	}
	if err := s.Verify(back, "platformNo"); err != nil {
		t.Fatalf("the redriven message no longer verifies: %v", err)
	}
}
