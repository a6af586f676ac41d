package data

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/telemetry"
)

// custodyDirectory asks user-center who the caller is at the bank: GET /v1/users/me with
// the caller's own bearer token, so user-center answers about the caller and nobody else
// and trade-center needs no privileged access to user-center.
type custodyDirectory struct {
	base string
	http *http.Client
}

// NewCustodyDirectory returns user-center's client.
func NewCustodyDirectory(c *conf.Bootstrap) (biz.CustodyDirectory, error) {
	base := c.GetPeers().GetUserCenterHttp()
	if base == "" {
		return nil, errors.New("peers.user_center_http is not set")
	}
	return &custodyDirectory{base: base, http: telemetry.Client(5 * time.Second)}, nil
}

// me is the part of user-center's GET /v1/users/me answer trade-center needs.
type me struct {
	UserID        string `json:"userId"` // int64 as protojson prints it
	CustodyStatus string `json:"custodyStatus"`
	CustodyUserNo string `json:"custodyUserNo"`
}

func (d *custodyDirectory) CallerCustody(ctx context.Context, caller biz.Caller) (biz.Custody, error) {
	status, body, err := getWithToken(ctx, d.http, d.base+"/v1/users/me", caller.Token, 1<<20)
	if err != nil {
		return biz.Custody{}, fmt.Errorf("%w: %w", biz.ErrUserCenterUnavailable, err)
	}
	switch {
	case status == http.StatusNotFound:
		// No ACTIVE consumer behind the token: nobody with a custody account.
		return biz.Custody{UserID: caller.UserID, Status: "NONE"}, nil
	case status != http.StatusOK:
		return biz.Custody{}, fmt.Errorf("%w: GET /v1/users/me: HTTP %d: %s", biz.ErrUserCenterUnavailable, status, excerpt(body))
	}
	var m me
	if err := json.Unmarshal(body, &m); err != nil {
		return biz.Custody{}, fmt.Errorf("%w: GET /v1/users/me: %w", biz.ErrUserCenterUnavailable, err)
	}
	id, err := strconv.ParseInt(m.UserID, 10, 64)
	if err != nil || id != caller.UserID {
		return biz.Custody{}, fmt.Errorf("%w: GET /v1/users/me answered user %q for token of user %d",
			biz.ErrUserCenterUnavailable, m.UserID, caller.UserID)
	}
	return biz.Custody{UserID: id, Status: biz.CustodyStatus(m.CustodyStatus), UserNo: m.CustodyUserNo}, nil
}
