package service

import (
	"context"
	"io"
	"testing"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"
	kjwt "github.com/go-kratos/kratos/v2/middleware/auth/jwt"

	v1 "github.com/p2p-dtx/p2p-dtx/api/repayment/v1"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz/biztest"
	"github.com/p2p-dtx/p2p-dtx/pkg/auth"
	"github.com/p2p-dtx/p2p-dtx/pkg/dtmx"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// newTestService is the service over the fakes, with one project's plan written: a
// 1,000.00 loan over 2 periods due 2026-02-28 and 2026-03-31.
func newTestService(t *testing.T) (*RepaymentService, *biztest.Plans) {
	t.Helper()
	plans := biztest.NewPlans()
	s, err := biz.Amortize(biz.LoanTerms{ProjectID: 9, BorrowerID: 7, Principal: money.MustParseAmount("1000.00"),
		BorrowerRate: money.MustParseRate("0.15"), InvestorRate: money.MustParseRate("0.12"), Periods: 2,
		LoanDate: time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC), BankProjectNo: "BP9", BorrowerUserNo: "BU0000000007",
		Tenders: []biz.TenderShare{{TenderID: 91, InvestorID: 21, Amount: money.MustParseAmount("1000.00"), InvestorUserNo: "BU0000000021"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plans.SaveSchedule(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	bank := biztest.NewBank(map[string]string{"BU0000000007": "5000.00", "BU0000000021": "0.00"})
	runs := biz.NewRunUsecase(plans, plans, bank, biztest.NewMessages(plans), biz.RunSettings{}, nil, nil, log.NewStdLogger(io.Discard))
	return NewRepaymentService(biz.NewPlanUsecase(plans), runs), plans
}

func as(role string) context.Context {
	return asUser(1, role)
}

// asUser is a context carrying the claims of user id with role, as the auth middleware
// leaves them.
func asUser(id int64, role string) context.Context {
	return kjwt.NewContext(context.Background(), &auth.Claims{UserID: id, Role: role})
}

func TestRepaymentRunNeedsAnAdminAndADate(t *testing.T) {
	t.Parallel()
	svc, plans := newTestService(t)
	for _, c := range []struct {
		name   string
		ctx    context.Context
		asOf   string
		code   int
		reason string
	}{
		{"no token", context.Background(), "2026-03-01", 401, "UNAUTHORIZED"},
		{"an investor", as(auth.RoleInvestor), "2026-03-01", 403, v1.ErrorReason_FORBIDDEN.String()},
		{"a borrower", as(auth.RoleBorrower), "2026-03-01", 403, v1.ErrorReason_FORBIDDEN.String()},
		{"no date", as(auth.RoleAdmin), "", 400, v1.ErrorReason_INVALID_ARGUMENT.String()},
		{"month 13", as(auth.RoleAdmin), "2026-13-01", 400, v1.ErrorReason_INVALID_ARGUMENT.String()},
		{"a timestamp", as(auth.RoleAdmin), "2026-03-01T00:00:00Z", 400, v1.ErrorReason_INVALID_ARGUMENT.String()},
	} {
		_, err := svc.CreateRepaymentRun(c.ctx, &v1.CreateRepaymentRunRequest{AsOf: c.asOf})
		e := kerrors.FromError(err)
		if int(e.Code) != c.code || e.Reason != c.reason {
			t.Errorf("%s: %v, want %d %s", c.name, err, c.code, c.reason)
		}
		if c.code == 400 && e.Metadata["field"] != "asOf" {
			t.Errorf("%s: metadata %v, want field asOf", c.name, e.Metadata)
		}
	}
	// Refused runs changed nothing.
	if inst, err := plans.Installment(context.Background(), 9, 1); err != nil || inst.Status != biz.PlanPending {
		t.Fatalf("after the refused runs: %+v, %v", inst, err)
	}
}

func TestRepaymentRunAnswersAndTheReadsShowTheTimes(t *testing.T) {
	t.Parallel()
	svc, _ := newTestService(t)
	r, err := svc.CreateRepaymentRun(as(auth.RoleAdmin), &v1.CreateRepaymentRunRequest{AsOf: "2026-03-01"})
	if err != nil || r.GetRunId() == "" || r.GetRepaid() != 1 || r.GetOverdue() != 0 || r.GetPending() != 0 {
		t.Fatalf("run = %+v, %v; want period 1 repaid", r, err)
	}
	plan, err := svc.GetRepaymentPlan(asUser(7, auth.RoleBorrower), &v1.GetRepaymentPlanRequest{ProjectId: 9})
	if err != nil || len(plan.GetItems()) != 2 {
		t.Fatalf("plan %v, %v", plan, err)
	}
	first, second := plan.GetItems()[0], plan.GetItems()[1]
	if _, err := time.Parse(time.RFC3339, first.GetRepaidAt()); err != nil || first.GetStatus() != "REPAID" ||
		second.GetRepaidAt() != "" || second.GetStatus() != "PENDING" {
		t.Fatalf("plan items %v / %v: want period 1 REPAID with an RFC 3339 repaidAt, period 2 PENDING without", first, second)
	}
	recv, err := svc.ListReceivables(asUser(21, auth.RoleInvestor), &v1.ListReceivablesRequest{ProjectId: 9})
	if err != nil || len(recv.GetItems()) != 2 {
		t.Fatalf("receivables %v, %v", recv, err)
	}
	if got := recv.GetItems()[0]; got.GetStatus() != "RECEIVED" || got.GetReceivedAt() != first.GetRepaidAt() {
		t.Fatalf("receivable of period 1: %v, want RECEIVED at %s", got, first.GetRepaidAt())
	}
	if got := recv.GetItems()[1]; got.GetStatus() != "PENDING" || got.GetReceivedAt() != "" {
		t.Fatalf("receivable of period 2: %v, want PENDING without receivedAt", got)
	}
}

func TestThePlanReadsAnswerTheirCallersOnly(t *testing.T) {
	t.Parallel()
	svc, _ := newTestService(t)
	forbidden := v1.ErrorReason_FORBIDDEN.String()
	for _, c := range []struct {
		name           string
		ctx            context.Context
		plan, recv     int // rows answered
		planErr, recvE string
	}{
		{"no token", context.Background(), 0, 0, "UNAUTHORIZED", "UNAUTHORIZED"},
		{"the borrower", asUser(7, auth.RoleBorrower), 2, 0, "", forbidden},
		{"another borrower", asUser(8, auth.RoleBorrower), 0, 0, forbidden, forbidden},
		{"the investor", asUser(21, auth.RoleInvestor), 0, 2, forbidden, ""},
		{"another investor", asUser(22, auth.RoleInvestor), 0, 0, forbidden, ""},
		{"an admin", asUser(1, auth.RoleAdmin), 2, 2, "", ""},
	} {
		plan, err := svc.GetRepaymentPlan(c.ctx, &v1.GetRepaymentPlanRequest{ProjectId: 9})
		if reasonOf(err) != c.planErr || len(plan.GetItems()) != c.plan {
			t.Errorf("%s: plan %d rows, %v; want %d rows, reason %q", c.name, len(plan.GetItems()), err, c.plan, c.planErr)
		}
		recv, err := svc.ListReceivables(c.ctx, &v1.ListReceivablesRequest{ProjectId: 9})
		if reasonOf(err) != c.recvE || len(recv.GetItems()) != c.recv {
			t.Errorf("%s: receivables %d rows, %v; want %d rows, reason %q", c.name, len(recv.GetItems()), err, c.recv, c.recvE)
		}
		for _, it := range recv.GetItems() {
			if c.name == "the investor" && it.GetInvestorId() != 21 {
				t.Errorf("%s: sees investor %d's receivable", c.name, it.GetInvestorId())
			}
		}
	}
	// Refusals are 403 and 401, and an invalid id is not looked at before the token.
	if _, err := svc.GetRepaymentPlan(asUser(8, auth.RoleBorrower), &v1.GetRepaymentPlanRequest{ProjectId: 9}); kerrors.FromError(err).Code != 403 {
		t.Errorf("another borrower's plan: %v, want 403", err)
	}
	if _, err := svc.ListReceivables(context.Background(), &v1.ListReceivablesRequest{}); kerrors.FromError(err).Code != 401 {
		t.Errorf("receivables without a token or an id: %v, want 401", err)
	}
}

// reasonOf is err's API reason, "" for no error.
func reasonOf(err error) string {
	if err == nil {
		return ""
	}
	return kerrors.FromError(err).Reason
}

func TestQueryPreparedRefusesCallsThatAreNotCheckBacks(t *testing.T) {
	t.Parallel()
	plans := biztest.NewPlans()
	svc := NewRepaymentBranchesService(notACheckBack{biztest.NewMessages(plans)})
	_, err := svc.QueryPrepared(context.Background(), nil)
	if e := kerrors.FromError(err); e.Code != 403 || e.Reason != v1.ErrorReason_NOT_A_DTM_CALL.String() {
		t.Fatalf("a direct call: %v, want 403 NOT_A_DTM_CALL", err)
	}
}

// notACheckBack answers check-backs the way data's messenger does, with no database: a
// call without DTM's metadata never reaches it.
type notACheckBack struct{ biz.RepaidMessenger }

func (notACheckBack) Prepared(ctx context.Context) error { return dtmx.QueryPrepared(ctx, nil) }
