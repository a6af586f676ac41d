package service_test

import (
	"context"
	"fmt"
	"testing"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"
	kjwt "github.com/go-kratos/kratos/v2/middleware/auth/jwt"

	v1 "github.com/p2p-dtx/p2p-dtx/api/trade-center/v1"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/service"
	"github.com/p2p-dtx/p2p-dtx/pkg/auth"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

var discardLogger = log.NewFilter(log.DefaultLogger, log.FilterLevel(log.LevelFatal))

// failingDirectory answers every custody question with err.
type failingDirectory struct{ err error }

func (d failingDirectory) CallerCustody(context.Context, biz.Caller) (biz.Custody, error) {
	return biz.Custody{}, d.err
}

// TestErrorsReachTheAPIWithTheirReasons drives each refusal through the service and
// checks the HTTP status and reason a client sees (API.md).
func TestErrorsReachTheAPIWithTheirReasons(t *testing.T) {
	t.Parallel()
	collecting := biz.Project{ID: 5, Amount: money.MustParseAmount("1000.00"), Raised: money.MustParseAmount("400.00"),
		Status: biz.ProjectCollecting, AnnualRate: money.MustParseRate("0.15"), InvestorRate: money.MustParseRate("0.12")}
	pending := collecting
	pending.ID, pending.Status = 6, biz.ProjectPendingReview
	repo := storeWith(pending, collecting)
	rules := biz.LendingRules{CommissionRate: money.MustParseRate("0.03"), MinimumTender: money.MustParseAmount("100.00")}
	newSvc := func(dir biz.CustodyDirectory) *service.TradeCenterService {
		tenders := biz.NewTenderUsecase(repo, nil, nil, dir, nil, rules, nil, nil, discardLogger)
		failures := biz.NewFailureUsecase(repo, repo, biz.NewRefundUsecase(repo, repo, repo, nil, nil, nil, discardLogger), discardLogger)
		loans := biz.NewLoanUsecase(repo, nil, nil, repo, nil, nil, nil, failures, nil, nil, discardLogger)
		return service.NewTradeCenterService(biz.NewProjectUsecase(repo, repo, dir, nil, rules), tenders, loans, failures)
	}
	svc := newSvc(failingDirectory{err: fmt.Errorf("%w: connection refused", biz.ErrUserCenterUnavailable)})
	as := func(role string) context.Context {
		return kjwt.NewContext(context.Background(), &auth.Claims{UserID: 21, Role: role})
	}
	tender := func(role string, project int64, amount string) error {
		_, err := svc.CreateTender(as(role), &v1.CreateTenderRequest{ProjectId: project, Amount: amount})
		return err
	}
	tests := []struct {
		name   string
		err    error
		code   int32
		reason string
	}{
		{"no token", func() error {
			_, err := svc.CreateTender(context.Background(), &v1.CreateTenderRequest{ProjectId: 5, Amount: "100.00"})
			return err
		}(), 401, "UNAUTHORIZED"},
		{"borrower tenders", tender(biz.RoleBorrower, 5, "100.00"), 403, "FORBIDDEN"},
		{"amount not money", tender(biz.RoleInvestor, 5, "1e3"), 400, "INVALID_ARGUMENT"},
		{"below minimum", tender(biz.RoleInvestor, 5, "99.99"), 400, "BELOW_MINIMUM"},
		{"above remainder", tender(biz.RoleInvestor, 5, "600.01"), 409, "EXCEEDS_REMAINING"},
		{"not collecting", tender(biz.RoleInvestor, 6, "100.00"), 409, "PROJECT_NOT_COLLECTING"},
		{"missing project", tender(biz.RoleInvestor, 9, "100.00"), 404, "PROJECT_NOT_FOUND"},
		{"user-center down", tender(biz.RoleInvestor, 5, "100.00"), 503, "USER_CENTER_UNAVAILABLE"},
		{"loan by an investor", func() error {
			_, err := svc.ApproveLoan(as(biz.RoleInvestor), &v1.ApproveLoanRequest{ProjectId: 5, Approve: true})
			return err
		}(), 403, "FORBIDDEN"},
		{"loan before full", func() error {
			_, err := svc.ApproveLoan(as(biz.RoleAdmin), &v1.ApproveLoanRequest{ProjectId: 5, Approve: true})
			return err
		}(), 409, "PROJECT_NOT_FULL"},
		{"loan of a project under review rejected", func() error {
			_, err := svc.ApproveLoan(as(biz.RoleAdmin), &v1.ApproveLoanRequest{ProjectId: 6, Approve: false})
			return err
		}(), 409, "PROJECT_NOT_FAILABLE"},

		{"review by an investor", func() error {
			_, err := svc.ReviewProject(as(biz.RoleInvestor), &v1.ReviewProjectRequest{ProjectId: 6, Approve: true})
			return err
		}(), 403, "FORBIDDEN"},
		{"review of a reviewed project", func() error {
			_, err := svc.ReviewProject(as(biz.RoleAdmin), &v1.ReviewProjectRequest{ProjectId: 5, Approve: false})
			return err
		}(), 409, "PROJECT_NOT_PENDING_REVIEW"},
		{"publish with a bad rate", func() error {
			_, err := svc.CreateProject(as(biz.RoleBorrower), &v1.CreateProjectRequest{Name: "x", Amount: "1000", AnnualRate: "0.1234567", Periods: 6})
			return err
		}(), 400, "INVALID_ARGUMENT"},
		{"publish by an admin", func() error {
			_, err := svc.CreateProject(as(biz.RoleAdmin), &v1.CreateProjectRequest{Name: "x", Amount: "1000", AnnualRate: "0.12", Periods: 6})
			return err
		}(), 403, "FORBIDDEN"},
	}
	for _, tt := range tests {
		ke := kerrors.FromError(tt.err)
		if ke.Code != tt.code || ke.Reason != tt.reason || ke.Message == "" {
			t.Errorf("%s: %v, want %d %s with a message", tt.name, tt.err, tt.code, tt.reason)
		}
	}
	// A caller user-center knows, without a custody account.
	svc = newSvc(noCustodyDirectory{})
	if err := tender(biz.RoleInvestor, 5, "100.00"); kerrors.FromError(err).Reason != "CUSTODY_NOT_OPEN" || kerrors.FromError(err).Code != 409 {
		t.Errorf("no custody account: %v", err)
	}
}

// noCustodyDirectory says no caller has a custody account.
type noCustodyDirectory struct{}

func (noCustodyDirectory) CallerCustody(_ context.Context, c biz.Caller) (biz.Custody, error) {
	return biz.Custody{UserID: c.UserID, Status: "NONE"}, nil
}
