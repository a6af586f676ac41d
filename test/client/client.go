// Package client is a small JSON-over-HTTP client for acceptance tests: it sends what a
// browser or curl would and decodes the Kratos error body on failure.
package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"
)

// Error is the Kratos error body every service answers with.
type Error struct {
	Code     int               `json:"code"`
	Reason   string            `json:"reason"`
	Message  string            `json:"message"`
	Metadata map[string]string `json:"metadata"`
}

// Response is the status and, on failure, the error body.
type Response struct {
	Status int
	Err    Error
	Body   []byte
}

// Client calls one service.
type Client struct {
	Base  string
	Token string
	HTTP  *http.Client
}

// New returns a client for base (e.g. http://127.0.0.1:8020).
func New(base string) *Client {
	return &Client{Base: base, HTTP: &http.Client{Timeout: 60 * time.Second}}
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
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.Base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := Response{Status: resp.StatusCode, Body: raw}
	if resp.StatusCode >= 300 {
		if len(raw) > 0 && json.Unmarshal(raw, &r.Err) != nil {
			r.Err.Message = string(raw)
		}
		return r
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	return r
}

// String describes a response for failure messages.
func (r Response) String() string {
	if r.Status >= 300 {
		return fmt.Sprintf("%d %s: %s", r.Status, r.Err.Reason, r.Err.Message)
	}
	return fmt.Sprintf("%d %s", r.Status, r.Body)
}
