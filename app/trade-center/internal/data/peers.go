package data

import (
	"context"
	"io"
	"net/http"

	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
)

// trade-center's calls to its peers (user-center in usercenter.go, repayment in
// repayment_plans.go) are GETs with a bearer token, answered in the Kratos JSON shape.

// getWithToken is GET url with "Authorization: Bearer token": the answer's status and at
// most limit bytes of its body. An error means no answer was read.
func getWithToken(ctx context.Context, c *http.Client, url, token string, limit int64) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, body, nil
}

// excerpt cuts a peer's answer for an error message as signing cuts the bank's.
func excerpt(b []byte) string { return signing.Excerpt(b) }
