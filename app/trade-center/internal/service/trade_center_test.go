package service_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"google.golang.org/protobuf/proto"

	v1 "github.com/p2p-dtx/p2p-dtx/api/trade-center/v1"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz/biztest"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/service"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// storeWith is biz's shared fake (biztest.Store) holding projects.
func storeWith(projects ...biz.Project) *biztest.Store {
	s := biztest.NewStore()
	for _, p := range projects {
		s.PutProject(p)
	}
	return s
}

// downRepo is a project store whose database is down: every call fails with err.
type downRepo struct {
	biz.ProjectRepo
	err error
}

func (d downRepo) Project(context.Context, int64) (*biz.Project, error) { return nil, d.err }

func newService(repo biz.ProjectRepo) *service.TradeCenterService {
	return service.NewTradeCenterService(biz.NewProjectUsecase(repo, nil, nil, nil, biz.LendingRules{}), nil, nil, nil)
}

func sampleProjects() []biz.Project {
	return []biz.Project{
		{
			ID: 2, BorrowerID: 7, Name: "shop fit-out", Amount: money.MustParseAmount("10000"),
			Raised: money.MustParseAmount("2500.5"), AnnualRate: money.MustParseRate("0.150000"),
			InvestorRate: money.MustParseRate("0.12"), Periods: 12, Status: biz.ProjectCollecting,
		},
		{
			ID: 1, BorrowerID: 8, Name: "truck", Amount: money.MustParseAmount("12345.67"),
			AnnualRate: money.MustParseRate("0.085"), InvestorRate: money.MustParseRate("0.07"),
			Periods: 6, Status: biz.ProjectPendingReview,
		},
	}
}

func TestGetProject(t *testing.T) {
	t.Parallel()
	svc := newService(storeWith(sampleProjects()...))
	got, err := svc.GetProject(context.Background(), &v1.GetProjectRequest{ProjectId: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := &v1.Project{
		ProjectId: 2, BorrowerId: 7, Name: "shop fit-out", Amount: "10000.00", Raised: "2500.50",
		AnnualRate: "0.15", InvestorRate: "0.12", Periods: 12, Status: "COLLECTING",
	}
	if !proto.Equal(got, want) {
		t.Fatalf("GetProject = %v\nwant          %v", got, want)
	}
	got, err = svc.GetProject(context.Background(), &v1.GetProjectRequest{ProjectId: 1})
	if err != nil || got.GetRaised() != "0.00" || got.GetAmount() != "12345.67" || got.GetAnnualRate() != "0.085" {
		t.Fatalf("GetProject(1) = %v, %v; want raised 0.00, amount 12345.67, rate 0.085", got, err)
	}
}

func TestGetProjectErrors(t *testing.T) {
	t.Parallel()
	storeDown := errors.New("connection refused")
	tests := []struct {
		name       string
		repo       biz.ProjectRepo
		id         int64
		wantCode   int
		wantReason string
		wantErr    error
	}{
		{name: "absent", repo: storeWith(sampleProjects()...), id: 99, wantCode: 404, wantReason: "PROJECT_NOT_FOUND"},
		{name: "zero id", repo: storeWith(), id: 0, wantCode: 400, wantReason: "INVALID_ARGUMENT"},
		{name: "negative id", repo: storeWith(), id: -3, wantCode: 400, wantReason: "INVALID_ARGUMENT"},
		// A storage failure is not a missing project.
		{name: "store down", repo: downRepo{err: storeDown}, id: 1, wantErr: storeDown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := newService(tt.repo).GetProject(context.Background(), &v1.GetProjectRequest{ProjectId: tt.id})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || v1.IsProjectNotFound(err) {
					t.Fatalf("error = %v, want %v passed through", err, tt.wantErr)
				}
				return
			}
			ke := kerrors.FromError(err)
			if ke.Code != int32(tt.wantCode) || ke.Reason != tt.wantReason {
				t.Fatalf("error = %v, want %d %s", err, tt.wantCode, tt.wantReason)
			}
		})
	}
}

func TestListProjects(t *testing.T) {
	t.Parallel()
	svc := newService(storeWith(sampleProjects()...))
	all, err := svc.ListProjects(context.Background(), &v1.ListProjectsRequest{})
	if err != nil || len(all.GetItems()) != 2 || all.GetItems()[0].GetProjectId() != 2 || all.GetItems()[1].GetProjectId() != 1 {
		t.Fatalf("ListProjects() = %v, %v; want projects 2 then 1", all, err)
	}
	pending, err := svc.ListProjects(context.Background(), &v1.ListProjectsRequest{Status: "PENDING_REVIEW"})
	if err != nil || len(pending.GetItems()) != 1 || pending.GetItems()[0].GetAmount() != "12345.67" {
		t.Fatalf("ListProjects(PENDING_REVIEW) = %v, %v; want project 1 only", pending, err)
	}
	full, err := svc.ListProjects(context.Background(), &v1.ListProjectsRequest{Status: "FULL"})
	if err != nil || full.GetItems() == nil || len(full.GetItems()) != 0 {
		t.Fatalf("ListProjects(FULL) = %v, %v; want an empty list", full, err)
	}
}

func TestListProjectsUnknownStatus(t *testing.T) {
	t.Parallel()
	svc := newService(storeWith(sampleProjects()...))
	for _, status := range []string{"collecting", "OPEN", "FULL;DROP"} {
		_, err := svc.ListProjects(context.Background(), &v1.ListProjectsRequest{Status: status})
		ke := kerrors.FromError(err)
		if ke.Code != 400 || !v1.IsInvalidArgument(err) || !strings.HasPrefix(ke.Message, "status: ") {
			t.Errorf("ListProjects(%q) error = %v; want 400 INVALID_ARGUMENT naming status", status, err)
		}
	}
}
