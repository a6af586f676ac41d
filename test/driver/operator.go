package driver

import (
	"fmt"
	"net/http"
	"os"

	"github.com/p2p-dtx/p2p-dtx/test/stack"
)

// OperatorHeader carries the operator token (API.md "Operator token").
const OperatorHeader = "X-P2P-Operator-Token"

// OperatorToken is the stack's operator token: P2P_OPERATOR_TOKEN, else the run
// directory's secrets.env.
func OperatorToken() (string, error) {
	if t := os.Getenv("P2P_OPERATOR_TOKEN"); t != "" {
		return t, nil
	}
	env, err := stack.ReadRunDir()
	if err != nil {
		return "", fmt.Errorf("P2P_OPERATOR_TOKEN not set and %w", err)
	}
	if env["P2P_OPERATOR_TOKEN"] == "" {
		return "", fmt.Errorf("P2P_OPERATOR_TOKEN missing from the run directory's secrets.env (run make up)")
	}
	return env["P2P_OPERATOR_TOKEN"], nil
}

// AsOperator is p whose calls carry token in OperatorHeader (the operator endpoints:
// /debug/faults, the bank's notification log); "" sends the header empty.
func (p *Platform) AsOperator(token string) *Platform {
	op := *p
	op.HTTP = &http.Client{Timeout: p.HTTP.Timeout, Transport: operatorTransport{token: token, next: p.HTTP.Transport}}
	return &op
}

// operator is p with the stack's operator token.
func (p *Platform) operator() (*Platform, error) {
	token, err := OperatorToken()
	if err != nil {
		return nil, err
	}
	return p.AsOperator(token), nil
}

// operatorTransport adds the operator token to every request.
type operatorTransport struct {
	token string
	next  http.RoundTripper
}

func (t operatorTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	next := t.next
	if next == nil {
		next = http.DefaultTransport
	}
	req = req.Clone(req.Context())
	req.Header.Set(OperatorHeader, t.token)
	return next.RoundTrip(req)
}
