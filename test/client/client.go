// Package client is the acceptance tests' raw view of an HTTP call: the status and Kratos
// error body a test asserts, where test/driver's typed methods would turn an answer into
// a value or an error. It sends through driver.Platform.Call, so there is one HTTP client
// of the platform; only what the test asserts is different.
package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/test/driver"
	"github.com/p2p-dtx/p2p-dtx/test/stack"
)

// Response is the status and, on failure, the error body.
type Response struct {
	Status int
	Err    driver.Error
	Body   []byte
}

// Client calls one service.
type Client struct {
	Base  string
	Token string
	p     *driver.Platform
}

// New returns a client for base (e.g. http://127.0.0.1:8020).
func New(base string) *Client {
	return &Client{Base: base, p: &driver.Platform{HTTP: &http.Client{Timeout: 60 * time.Second, Transport: stack.Transport(nil)}}}
}

// WithToken returns a copy that sends Authorization: Bearer token.
func (c *Client) WithToken(token string) *Client {
	cp := *c
	cp.Token = token
	return &cp
}

// Do sends body as JSON and decodes a 2xx answer into out (when not nil). Transport
// failures fail the test; HTTP errors are returned for the test to assert.
func (c *Client) Do(t testing.TB, method, path string, body, out any) Response {
	t.Helper()
	var raw json.RawMessage
	status, err := c.p.CallStatus(context.Background(), method, c.Base+path, c.Token, body, &raw)
	var answer *driver.Error
	switch {
	case errors.As(err, &answer):
		return Response{Status: status, Err: *answer}
	case err != nil:
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	return Response{Status: status, Body: raw}
}

// String describes a response for failure messages.
func (r Response) String() string {
	if r.Status >= 300 {
		return fmt.Sprintf("%d %s: %s", r.Status, r.Err.Reason, r.Err.Message)
	}
	return fmt.Sprintf("%d %s", r.Status, r.Body)
}
