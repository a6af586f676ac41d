// Package service maps trade-center's proto API onto its use cases.
package service

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/transport"
	"github.com/google/wire"
	"google.golang.org/protobuf/types/known/timestamppb"

	v1 "github.com/p2p-dtx/p2p-dtx/api/trade-center/v1"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/auth"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
	"github.com/p2p-dtx/p2p-dtx/pkg/telemetry"
)

// ProviderSet is service providers.
var ProviderSet = wire.NewSet(NewTradeCenterService, NewTradeCenterBranchesService)

// TradeCenterService implements api/trade-center/v1.
type TradeCenterService struct {
	v1.UnimplementedTradeCenterServer
	projects *biz.ProjectUsecase
	tenders  *biz.TenderUsecase
	loans    *biz.LoanUsecase
	failures *biz.FailureUsecase
}

// NewTradeCenterService returns the API implementation.
func NewTradeCenterService(projects *biz.ProjectUsecase, tenders *biz.TenderUsecase, loans *biz.LoanUsecase,
	failures *biz.FailureUsecase) *TradeCenterService {
	return &TradeCenterService{projects: projects, tenders: tenders, loans: loans, failures: failures}
}

func (s *TradeCenterService) GetProject(ctx context.Context, req *v1.GetProjectRequest) (*v1.Project, error) {
	if req.GetProjectId() <= 0 {
		return nil, invalidProjectID()
	}
	p, err := s.projects.Project(ctx, req.GetProjectId())
	if errors.Is(err, biz.ErrProjectNotFound) {
		return nil, v1.ErrorProjectNotFound("project %d not found", req.GetProjectId())
	}
	if err != nil {
		return nil, err
	}
	return toAPIProject(p), nil
}

func (s *TradeCenterService) ListProjects(ctx context.Context, req *v1.ListProjectsRequest) (*v1.ListProjectsReply, error) {
	projects, err := s.projects.Projects(ctx, req.GetStatus())
	if err != nil {
		return nil, apiError(err)
	}
	reply := &v1.ListProjectsReply{Items: make([]*v1.Project, 0, len(projects))}
	for i := range projects {
		reply.Items = append(reply.Items, toAPIProject(&projects[i]))
	}
	return reply, nil
}

func (s *TradeCenterService) CreateProject(ctx context.Context, req *v1.CreateProjectRequest) (*v1.CreateProjectReply, error) {
	caller, err := callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	amount, err := money.ParseAmount(req.GetAmount())
	if err != nil {
		return nil, invalidArgument("amount", err)
	}
	rate, err := money.ParseRate(req.GetAnnualRate())
	if err != nil {
		return nil, invalidArgument("annualRate", err)
	}
	collectDays := biz.DefaultCollectDays
	if req.CollectDays != nil {
		collectDays = int(req.GetCollectDays())
	}
	p, err := s.projects.Publish(ctx, caller, biz.NewProject{
		Name: req.GetName(), Amount: amount, AnnualRate: rate, Periods: int(req.GetPeriods()), CollectDays: collectDays,
	})
	if err != nil {
		return nil, apiError(err)
	}
	return &v1.CreateProjectReply{ProjectId: p.ID, Status: string(p.Status)}, nil
}

func (s *TradeCenterService) ReviewProject(ctx context.Context, req *v1.ReviewProjectRequest) (*v1.ReviewProjectReply, error) {
	caller, err := callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	if req.GetProjectId() <= 0 {
		return nil, invalidProjectID()
	}
	st, err := s.projects.Review(ctx, caller, req.GetProjectId(), req.GetApprove())
	if err != nil {
		return nil, apiError(err)
	}
	return &v1.ReviewProjectReply{Status: string(st)}, nil
}

func (s *TradeCenterService) CreateTender(ctx context.Context, req *v1.CreateTenderRequest) (*v1.Tender, error) {
	caller, err := callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	if req.GetProjectId() <= 0 {
		return nil, invalidProjectID()
	}
	amount, err := money.ParseAmount(req.GetAmount())
	if err != nil {
		return nil, invalidArgument("amount", err)
	}
	t, err := s.tenders.Tender(ctx, caller, biz.NewTender{
		ProjectID: req.GetProjectId(), Amount: amount, IdempotencyKey: req.GetIdempotencyKey(),
	})
	if err != nil {
		return nil, apiError(err)
	}
	return &v1.Tender{TenderId: t.ID, ProjectId: t.ProjectID, Amount: t.Amount.String(), Status: string(t.Status)}, nil
}

func (s *TradeCenterService) ApproveLoan(ctx context.Context, req *v1.ApproveLoanRequest) (*v1.ApproveLoanReply, error) {
	caller, err := callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	if req.GetProjectId() <= 0 {
		return nil, invalidProjectID()
	}
	telemetry.Annotate(ctx, telemetry.KeyProjectID.String(strconv.FormatInt(req.GetProjectId(), 10)))
	st, err := s.loans.Approve(ctx, caller, req.GetProjectId(), req.GetApprove())
	if err != nil {
		return nil, apiError(err)
	}
	return &v1.ApproveLoanReply{Status: string(st)}, nil
}

func (s *TradeCenterService) RunCollection(ctx context.Context, req *v1.RunCollectionRequest) (*v1.RunCollectionReply, error) {
	caller, err := callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	asOf, err := time.ParseInLocation(time.DateOnly, req.GetAsOf(), time.UTC)
	if err != nil {
		return nil, v1.ErrorInvalidArgument("asOf: must be a date YYYY-MM-DD").WithMetadata(map[string]string{"field": "asOf"})
	}
	failed, err := s.failures.RunCollection(ctx, caller, asOf)
	if err != nil {
		return nil, apiError(err)
	}
	return &v1.RunCollectionReply{Failed: int32(failed)}, nil
}

// callerFrom is the caller the auth middleware verified, with the raw token to forward.
func callerFrom(ctx context.Context) (biz.Caller, error) {
	claims, ok := auth.FromContext(ctx)
	if !ok {
		return biz.Caller{}, kerrors.Unauthorized("UNAUTHORIZED", "a bearer token is required")
	}
	c := biz.Caller{UserID: claims.UserID, Role: claims.Role}
	if tr, ok := transport.FromServerContext(ctx); ok {
		h := tr.RequestHeader().Get("Authorization")
		if token, ok := strings.CutPrefix(h, "Bearer "); ok {
			c.Token = token
		}
	}
	return c, nil
}

// invalidProjectID refuses a path id that is not a positive number, naming the field as
// every other validation error does.
func invalidProjectID() error {
	return v1.ErrorInvalidArgument("projectId: must be a positive id").WithMetadata(map[string]string{"field": "projectId"})
}

func invalidArgument(field string, err error) error {
	msg := err.Error()
	var pe *money.ParseError
	if errors.As(err, &pe) {
		msg = pe.Reason
	}
	return v1.ErrorInvalidArgument("%s: %s", field, msg).WithMetadata(map[string]string{"field": field})
}

// apiError maps the use cases' failures onto the API's reasons. Errors that wrap several
// (a pending tender's unknown bank outcome) are matched most specific first.
func apiError(err error) error {
	var ia *biz.InvalidArgumentError
	switch {
	case errors.As(err, &ia):
		return v1.ErrorInvalidArgument("%s", ia.Error()).WithMetadata(map[string]string{"field": ia.Field})
	case errors.Is(err, biz.ErrUnknownProjectStatus):
		return v1.ErrorInvalidArgument("status: %v", err).WithMetadata(map[string]string{"field": "status"})
	case errors.Is(err, biz.ErrForbidden):
		return v1.ErrorForbidden("%v", err)
	case errors.Is(err, biz.ErrProjectNotFound):
		return v1.ErrorProjectNotFound("%v", err)
	case errors.Is(err, biz.ErrBelowMinimum):
		return v1.ErrorBelowMinimum("%v", err)
	case errors.Is(err, biz.ErrExceedsRemaining):
		return v1.ErrorExceedsRemaining("%v", err)
	case errors.Is(err, biz.ErrProjectNotCollecting):
		return v1.ErrorProjectNotCollecting("%v", err)
	case errors.Is(err, biz.ErrInsufficientBalance):
		return v1.ErrorInsufficientBalance("%v", err)
	case errors.Is(err, biz.ErrCustodyNotOpen):
		return v1.ErrorCustodyNotOpen("%v", err)
	case errors.Is(err, biz.ErrProjectNotPendingReview):
		return v1.ErrorProjectNotPendingReview("%v", err)
	case errors.Is(err, biz.ErrProjectNotFull):
		return v1.ErrorProjectNotFull("%v", err)
	case errors.Is(err, biz.ErrTendersUnsettled):
		return v1.ErrorTendersUnsettled("%v", err)
	case errors.Is(err, biz.ErrProjectNotFailable):
		return v1.ErrorProjectNotFailable("%v", err)
	case errors.Is(err, biz.ErrIdempotencyKeyReused):
		return v1.ErrorIdempotencyKeyReused("%v", err)
	case errors.Is(err, biz.ErrTenderPending):
		return v1.ErrorTenderPending("%v", err)
	case errors.Is(err, biz.ErrTenderNotPlaced):
		return v1.ErrorTenderNotPlaced("%v", err)
	case errors.Is(err, biz.ErrBankRefused):
		return v1.ErrorBankRefused("%v", err)
	case errors.Is(err, biz.ErrBankUnavailable):
		return v1.ErrorBankUnavailable("%v", err)
	case errors.Is(err, biz.ErrUserCenterUnavailable):
		return v1.ErrorUserCenterUnavailable("%v", err)
	case errors.Is(err, biz.ErrLoanNotCommitted):
		return v1.ErrorLoanNotCommitted("%v", err)
	case errors.Is(err, biz.ErrBrokerUnavailable):
		return v1.ErrorBrokerUnavailable("%v", err)
	}
	return err
}

// toAPIProject prints money and rates as exact decimal strings ("10000.00", "0.15").
func toAPIProject(p *biz.Project) *v1.Project {
	out := &v1.Project{
		ProjectId: p.ID, BorrowerId: p.BorrowerID, Name: p.Name,
		Amount: p.Amount.String(), Raised: p.Raised.String(), AnnualRate: p.AnnualRate.String(),
		InvestorRate: p.InvestorRate.String(), Periods: int32(p.Periods), Status: string(p.Status),
		CollectDays: int32(p.CollectDays),
	}
	if p.CollectDeadline != nil {
		out.CollectDeadline = timestamppb.New(*p.CollectDeadline)
	}
	return out
}
