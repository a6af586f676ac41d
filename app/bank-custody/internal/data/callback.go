package data

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/keyring"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
	"github.com/p2p-dtx/p2p-dtx/pkg/telemetry"
)

// DefaultCallbackTimeout bounds one POST to a platform (docs/custody-protocol.md: no
// answer within 5 s is a failed attempt).
const DefaultCallbackTimeout = 5 * time.Second

type platformCallback struct {
	signer *signing.Signer
	http   *http.Client
}

// NewPlatformCallback POSTs notifications signed with the bank's key.
func NewPlatformCallback(c *conf.Bootstrap, k *keyring.Keyring) biz.PlatformCallback {
	timeout := DefaultCallbackTimeout
	if t := c.GetNotifier().GetTimeout(); t != nil && t.AsDuration() > 0 {
		timeout = t.AsDuration()
	}
	return &platformCallback{signer: k.Bank(), http: telemetry.Client(timeout)}
}

func (c *platformCallback) Post(ctx context.Context, url string, n biz.Notification) (int, error) {
	body, err := EncodeNotification(n)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	// Signed for this call: POST to the callback's own path, so the signature is good for
	// nothing else.
	h, err := c.signer.SignRequest(http.MethodPost, req.URL.RequestURI(), body)
	if err != nil {
		return 0, err
	}
	h.Set(req.Header)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	// Read (a bounded part of) the answer so the connection can be reused; only the
	// status counts.
	if _, err := io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)); err != nil {
		return resp.StatusCode, nil
	}
	return resp.StatusCode, nil
}
