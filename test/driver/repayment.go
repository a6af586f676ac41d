package driver

import (
	"context"
	"net/http"
)

// Installment is an item of a project's repayment plan.
type Installment struct {
	Period     int    `json:"period"`
	DueDate    string `json:"dueDate"`
	Principal  string `json:"principal"`
	Interest   string `json:"interest"`
	Amount     string `json:"amount"`
	Commission string `json:"commission"`
	Status     string `json:"status"`
	RepaidAt   string `json:"repaidAt"`
}

// Receivable is an item of a project's receivable plans.
type Receivable struct {
	TenderID   string `json:"tenderId"`
	InvestorID string `json:"investorId"`
	Period     int    `json:"period"`
	DueDate    string `json:"dueDate"`
	Principal  string `json:"principal"`
	Interest   string `json:"interest"`
	Amount     string `json:"amount"`
	Status     string `json:"status"`
	ReceivedAt string `json:"receivedAt"`
}

// Plan reads a project's repayment plan with token (the borrower's or the admin's).
func (p *Platform) Plan(ctx context.Context, token, projectID string) ([]Installment, error) {
	var out struct {
		Items []Installment `json:"items"`
	}
	err := p.Call(ctx, http.MethodGet, p.Repayment+"/v1/projects/"+projectID+"/repayment-plan", token, nil, &out)
	return out.Items, err
}

// Receivables reads a project's receivables with token.
func (p *Platform) Receivables(ctx context.Context, token, projectID string) ([]Receivable, error) {
	var out struct {
		Items []Receivable `json:"items"`
	}
	err := p.Call(ctx, http.MethodGet, p.Repayment+"/v1/projects/"+projectID+"/receivables", token, nil, &out)
	return out.Items, err
}

// Run is a repayment run's answer.
type Run struct {
	RunID   string `json:"runId"`
	Repaid  int    `json:"repaid"`
	Overdue int    `json:"overdue"`
	Pending int    `json:"pending"`
}

// RepaymentRun executes every installment due on or before asOf (YYYY-MM-DD).
func (a *Admin) RepaymentRun(ctx context.Context, asOf string) (Run, error) {
	var r Run
	err := a.p.Call(ctx, http.MethodPost, a.p.Repayment+"/v1/repayment-runs", a.Token, map[string]string{"asOf": asOf}, &r)
	return r, err
}

// PlatformBalance is the fee account's balance (GET /v1/platform/balance).
func (a *Admin) PlatformBalance(ctx context.Context) (string, error) {
	var out struct {
		Balance string `json:"balance"`
	}
	err := a.p.Call(ctx, http.MethodGet, a.p.UserCenter+"/v1/platform/balance", a.Token, nil, &out)
	return out.Balance, err
}
