package service_test

import (
	"context"
	"fmt"
	"testing"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	kjwt "github.com/go-kratos/kratos/v2/middleware/auth/jwt"
	"google.golang.org/protobuf/types/known/timestamppb"

	v1 "github.com/p2p-dtx/p2p-dtx/api/trade-center/v1"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz/biztest"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/service"
	"github.com/p2p-dtx/p2p-dtx/pkg/auth"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// openDirectory says every caller has an OPEN custody account.
type openDirectory struct{}

func (openDirectory) CallerCustody(_ context.Context, c biz.Caller) (biz.Custody, error) {
	return biz.Custody{UserID: c.UserID, Status: biz.CustodyOpen, UserNo: "BU0000000007"}, nil
}

func failureService(store *biztest.Store) *service.TradeCenterService {
	rules := biz.LendingRules{CommissionRate: money.MustParseRate("0.03"), MinimumTender: money.MustParseAmount("100.00")}
	failures := biz.NewFailureUsecase(store, store, biz.NewRefundUsecase(store, store, store, nil, nil, nil, discardLogger), discardLogger)
	return service.NewTradeCenterService(biz.NewProjectUsecase(store, store, openDirectory{}, nil, rules), nil, nil, failures)
}

func asRole(role string) context.Context {
	return kjwt.NewContext(context.Background(), &auth.Claims{UserID: 7, Role: role})
}

// wantField checks a 400 INVALID_ARGUMENT that names field.
func wantField(t *testing.T, what string, err error, field string) {
	t.Helper()
	ke := kerrors.FromError(err)
	if ke.Code != 400 || ke.Reason != "INVALID_ARGUMENT" || ke.Metadata["field"] != field {
		t.Errorf("%s: %v (metadata %v), want 400 INVALID_ARGUMENT naming %s", what, err, ke.Metadata, field)
	}
}

func TestPublishCollectDays(t *testing.T) {
	t.Parallel()
	store := biztest.NewStore()
	svc := failureService(store)
	publish := func(days *int32) (*v1.CreateProjectReply, error) {
		return svc.CreateProject(asRole(biz.RoleBorrower), &v1.CreateProjectRequest{Name: "shop", Amount: "1000.00",
			AnnualRate: "0.15", Periods: 6, CollectDays: days})
	}
	for _, days := range []int32{0, -1, 91, 365} {
		_, err := publish(&days)
		wantField(t, fmt.Sprintf("collectDays %d", days), err, "collectDays")
	}
	if n := len(store.AllProjects()); n != 0 {
		t.Fatalf("%d projects stored by refused publications", n)
	}
	for _, tt := range []struct {
		days *int32
		want int32
	}{{nil, biz.DefaultCollectDays}, {ptr(1), 1}, {ptr(90), 90}} {
		reply, err := publish(tt.days)
		if err != nil {
			t.Fatalf("publish with %v days: %v", tt.days, err)
		}
		got, err := svc.GetProject(context.Background(), &v1.GetProjectRequest{ProjectId: reply.GetProjectId()})
		if err != nil || got.GetCollectDays() != tt.want || got.GetCollectDeadline() != nil {
			t.Errorf("project published with %v days: %v, %v; want %d days and no deadline before the review", tt.days, got, err, tt.want)
		}
	}
}

func ptr(v int32) *int32 { return &v }

func TestRunCollectionValidatesAsOf(t *testing.T) {
	t.Parallel()
	store := biztest.NewStore()
	svc := failureService(store)
	for _, asOf := range []string{"", "2030-1-1", "2030-02-30", "01/02/2030", "2030-01-01T00:00:00Z"} {
		_, err := svc.RunCollection(asRole(biz.RoleAdmin), &v1.RunCollectionRequest{AsOf: asOf})
		wantField(t, "asOf "+asOf, err, "asOf")
	}
	reply, err := svc.RunCollection(asRole(biz.RoleAdmin), &v1.RunCollectionRequest{AsOf: "2030-01-01"})
	if err != nil || reply.GetFailed() != 0 {
		t.Fatalf("collection run over nothing: %v, %v", reply, err)
	}
	_, err = svc.RunCollection(asRole(biz.RoleInvestor), &v1.RunCollectionRequest{AsOf: "2030-01-01"})
	if ke := kerrors.FromError(err); ke.Code != 403 || ke.Reason != "FORBIDDEN" {
		t.Errorf("collection run by an investor: %v, want 403 FORBIDDEN", err)
	}
	_, err = svc.RunCollection(context.Background(), &v1.RunCollectionRequest{AsOf: "2030-01-01"})
	if ke := kerrors.FromError(err); ke.Code != 401 {
		t.Errorf("collection run without a token: %v, want 401", err)
	}
}

func TestInstallmentBranchRefusesMalformedRequests(t *testing.T) {
	t.Parallel()
	svc := service.NewTradeCenterBranchesService(biz.NewInstallmentUsecase(nil, nil, nil, discardLogger))
	valid := func() *v1.InstallmentRepaid {
		return &v1.InstallmentRepaid{ProjectId: 3, Period: 1, RequestNo: "RP0001", Amount: "887.49", RepaidAt: timestamppb.Now()}
	}
	for _, tt := range []struct {
		field  string
		change func(*v1.InstallmentRepaid)
	}{
		{"projectId", func(r *v1.InstallmentRepaid) { r.ProjectId = 0 }},
		{"period", func(r *v1.InstallmentRepaid) { r.Period = 0 }},
		{"requestNo", func(r *v1.InstallmentRepaid) { r.RequestNo = "" }},
		{"amount", func(r *v1.InstallmentRepaid) { r.Amount = "12.345" }},
		{"amount", func(r *v1.InstallmentRepaid) { r.Amount = "0.00" }},
		{"repaidAt", func(r *v1.InstallmentRepaid) { r.RepaidAt = nil }},
	} {
		req := valid()
		tt.change(req)
		_, err := svc.RecordInstallmentRepaid(context.Background(), req)
		ke := kerrors.FromError(err)
		if ke.Code != 409 || ke.Reason != "INVALID_BRANCH_REQUEST" || ke.Metadata["field"] != tt.field {
			t.Errorf("%v: %v (metadata %v), want 409 INVALID_BRANCH_REQUEST naming %s", req, err, ke.Metadata, tt.field)
		}
	}
}

// A path id that is not positive is refused before any use case runs, naming projectId.
func TestProjectIDMustBePositive(t *testing.T) {
	t.Parallel()
	store := biztest.NewStore()
	svc := failureService(store)
	for _, id := range []int64{0, -1} {
		_, err := svc.GetProject(context.Background(), &v1.GetProjectRequest{ProjectId: id})
		wantField(t, fmt.Sprintf("GetProject %d", id), err, "projectId")
		_, err = svc.ReviewProject(asRole(biz.RoleAdmin), &v1.ReviewProjectRequest{ProjectId: id, Approve: true})
		wantField(t, fmt.Sprintf("ReviewProject %d", id), err, "projectId")
		_, err = svc.CreateTender(asRole(biz.RoleInvestor), &v1.CreateTenderRequest{ProjectId: id, Amount: "100.00"})
		wantField(t, fmt.Sprintf("CreateTender %d", id), err, "projectId")
		_, err = svc.ApproveLoan(asRole(biz.RoleAdmin), &v1.ApproveLoanRequest{ProjectId: id, Approve: true})
		wantField(t, fmt.Sprintf("ApproveLoan %d", id), err, "projectId")
	}
}
