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
	"github.com/p2p-dtx/p2p-dtx/pkg/auth"
	"github.com/p2p-dtx/p2p-dtx/pkg/telemetry"
)

// planToken bounds the life of the token the outbox asks repayment with.
const planToken = time.Minute

// repaymentPlans asks repayment whether a project's plan is written: GET
// /v1/projects/{id}/repayment-plan as ADMIN, with a one-minute token trade-center signs
// with the platform's token secret (which every service already holds to verify tokens,
// so this adds no trust).
type repaymentPlans struct {
	base   string
	http   *http.Client
	issuer *auth.Issuer
}

// NewPlanChecker returns repayment's client for the outbox.
func NewPlanChecker(c *conf.Bootstrap) (biz.PlanChecker, error) {
	base := c.GetPeers().GetRepaymentHttp()
	if base == "" {
		return nil, errors.New("peers.repayment_http is not set")
	}
	issuer, err := auth.NewIssuer(c.GetAuth().GetTokenSecret(), planToken)
	if err != nil {
		return nil, err
	}
	return &repaymentPlans{base: base, http: telemetry.Client(5 * time.Second), issuer: issuer}, nil
}

func (r *repaymentPlans) PlanWritten(ctx context.Context, projectID int64) (bool, error) {
	token, _, err := r.issuer.Issue(0, auth.RoleAdmin)
	if err != nil {
		return false, err
	}
	path := "/v1/projects/" + strconv.FormatInt(projectID, 10) + "/repayment-plan"
	status, body, err := getWithToken(ctx, r.http, r.base+path, token, 8<<20)
	if err != nil {
		return false, err
	}
	if status != http.StatusOK {
		return false, fmt.Errorf("GET %s: HTTP %d: %s", path, status, excerpt(body))
	}
	var plan struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(body, &plan); err != nil {
		return false, fmt.Errorf("GET %s: %w", path, err)
	}
	return len(plan.Items) > 0, nil
}
