package driver

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// Project is GET /v1/projects/{id}.
type Project struct {
	ProjectID    string `json:"projectId"`
	Name         string `json:"name"`
	Amount       string `json:"amount"`
	Raised       string `json:"raised"`
	AnnualRate   string `json:"annualRate"`
	InvestorRate string `json:"investorRate"`
	Periods      int    `json:"periods"`
	Status       string `json:"status"`
	BorrowerID   string `json:"borrowerId"`
}

// NewProject is what a borrower publishes. CollectDays 0 leaves the platform's default.
type NewProject struct {
	Name        string `json:"name"`
	Amount      string `json:"amount"`
	AnnualRate  string `json:"annualRate"`
	Periods     int    `json:"periods"`
	CollectDays int    `json:"collectDays,omitempty"`
}

// Publish lists a project for the borrower and returns its id.
func (u *User) Publish(ctx context.Context, n NewProject) (string, error) {
	var out struct {
		ProjectID string `json:"projectId"`
		Status    string `json:"status"`
	}
	if err := u.call(ctx, http.MethodPost, u.p.TradeCenter+"/v1/projects", n, &out); err != nil {
		return "", err
	}
	if out.Status != "PENDING_REVIEW" {
		return "", fmt.Errorf("published project %s is %s", out.ProjectID, out.Status)
	}
	return out.ProjectID, nil
}

// Tender is a tender's answer.
type Tender struct {
	TenderID  string `json:"tenderId"`
	ProjectID string `json:"projectId"`
	Amount    string `json:"amount"`
	Status    string `json:"status"`
}

// Tender invests amount in the project.
func (u *User) Tender(ctx context.Context, projectID, amount string) (Tender, error) {
	var t Tender
	err := u.call(ctx, http.MethodPost, u.p.TradeCenter+"/v1/projects/"+projectID+"/tenders", map[string]string{"amount": amount}, &t)
	return t, err
}

// Project reads a project (public).
func (p *Platform) Project(ctx context.Context, id string) (Project, error) {
	var pr Project
	err := p.Call(ctx, http.MethodGet, p.TradeCenter+"/v1/projects/"+id, "", nil, &pr)
	return pr, err
}

// WaitProject waits until the project's status is want.
func (p *Platform) WaitProject(ctx context.Context, id, want string, within time.Duration) error {
	return WaitFor(ctx, within, func() error {
		pr, err := p.Project(ctx, id)
		if err != nil {
			return err
		}
		if pr.Status != want {
			return fmt.Errorf("project %s is %s, want %s", id, pr.Status, want)
		}
		return nil
	})
}

func (a *Admin) status(ctx context.Context, path string, body any) (string, error) {
	var out struct {
		Status string `json:"status"`
	}
	err := a.p.Call(ctx, http.MethodPost, a.p.TradeCenter+path, a.Token, body, &out)
	return out.Status, err
}

// Review approves (COLLECTING) or rejects (REJECTED) a published project.
func (a *Admin) Review(ctx context.Context, id string, approve bool) (string, error) {
	return a.status(ctx, "/v1/projects/"+id+"/review", map[string]bool{"approve": approve})
}

// ApproveLoan is the full-loan approval (REPAYING).
func (a *Admin) ApproveLoan(ctx context.Context, id string) (string, error) {
	return a.status(ctx, "/v1/projects/"+id+"/loan", map[string]bool{"approve": true})
}

// RejectLoan fails the project (FAILED); its tenders are refunded.
func (a *Admin) RejectLoan(ctx context.Context, id string) (string, error) {
	return a.status(ctx, "/v1/projects/"+id+"/loan", map[string]bool{"approve": false})
}

// CollectionRun fails every project still COLLECTING past its deadline as of asOf
// (YYYY-MM-DD) and returns how many it failed.
func (a *Admin) CollectionRun(ctx context.Context, asOf string) (int, error) {
	var out struct {
		Failed int `json:"failed"`
	}
	err := a.p.Call(ctx, http.MethodPost, a.p.TradeCenter+"/v1/collection-runs", a.Token, map[string]string{"asOf": asOf}, &out)
	return out.Failed, err
}
