// Package service maps repayment's proto API onto its use cases.
package service

import (
	"context"
	"errors"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/google/wire"

	v1 "github.com/p2p-dtx/p2p-dtx/api/repayment/v1"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/auth"
)

// ProviderSet is service providers.
var ProviderSet = wire.NewSet(NewRepaymentService, NewRepaymentBranchesService)

const dateLayout = "2006-01-02"

// RepaymentService implements api/repayment/v1.
type RepaymentService struct {
	v1.UnimplementedRepaymentServer
	plans *biz.PlanUsecase
	runs  *biz.RunUsecase
}

// NewRepaymentService returns the API implementation.
func NewRepaymentService(plans *biz.PlanUsecase, runs *biz.RunUsecase) *RepaymentService {
	return &RepaymentService{plans: plans, runs: runs}
}

// CreateRepaymentRun runs the repayment run as of a date, for operators: the caller's
// token (checked by the auth middleware) must be an ADMIN's.
func (s *RepaymentService) CreateRepaymentRun(ctx context.Context, req *v1.CreateRepaymentRunRequest) (*v1.RepaymentRun, error) {
	reader, err := readerFrom(ctx)
	if err != nil {
		return nil, err
	}
	if reader.Role != auth.RoleAdmin {
		return nil, v1.ErrorForbidden("repayment runs are for operators (ADMIN)")
	}
	asOf, err := time.Parse(dateLayout, req.GetAsOf())
	if err != nil {
		return nil, v1.ErrorInvalidArgument("asOf: must be a date YYYY-MM-DD, got %q", req.GetAsOf()).
			WithMetadata(map[string]string{"field": "asOf"})
	}
	r, err := s.runs.Run(ctx, asOf)
	if err != nil {
		return nil, err
	}
	return &v1.RepaymentRun{RunId: r.RunID, Repaid: int32(r.Repaid), Overdue: int32(r.Overdue), Pending: int32(r.Pending)}, nil
}

// readerFrom is the caller the auth middleware verified; without one the call is
// answered 401 (the middleware guards every Repayment operation, this keeps a missed
// route from reading as anyone).
func readerFrom(ctx context.Context) (biz.Reader, error) {
	claims, ok := auth.FromContext(ctx)
	if !ok {
		return biz.Reader{}, kerrors.Unauthorized("UNAUTHORIZED", "a bearer token is required")
	}
	return biz.Reader{UserID: claims.UserID, Role: claims.Role}, nil
}

// apiError maps the plan reads' failures onto the API's reasons; anything else (the
// database) stays a 500.
func apiError(err error) error {
	if errors.Is(err, biz.ErrForbidden) {
		return v1.ErrorForbidden("%v", err)
	}
	return err
}

// timestamp is t in RFC 3339 (UTC), or "" for the zero time (not happened yet).
func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// GetRepaymentPlan answers the project's plan to its borrower and to ADMIN (403 FORBIDDEN
// for anyone else, 401 without a token).
func (s *RepaymentService) GetRepaymentPlan(ctx context.Context, req *v1.GetRepaymentPlanRequest) (*v1.RepaymentPlan, error) {
	reader, err := readerFrom(ctx)
	if err != nil {
		return nil, err
	}
	if req.GetProjectId() <= 0 {
		return nil, v1.ErrorInvalidArgument("projectId: must be a positive id").WithMetadata(map[string]string{"field": "projectId"})
	}
	items, err := s.plans.RepaymentPlan(ctx, reader, req.GetProjectId())
	if err != nil {
		return nil, apiError(err)
	}
	reply := &v1.RepaymentPlan{Items: make([]*v1.RepaymentPlan_Item, 0, len(items))}
	for _, it := range items {
		reply.Items = append(reply.Items, &v1.RepaymentPlan_Item{
			Period: int32(it.Period), DueDate: it.DueDate.Format(dateLayout),
			Principal: it.Principal.String(), Interest: it.Interest.String(),
			Amount: it.Amount.String(), Commission: it.Commission.String(), Status: string(it.Status),
			RepaidAt: timestamp(it.RepaidAt),
		})
	}
	return reply, nil
}

// ListReceivables answers every row to ADMIN and an investor's own rows to them (403
// FORBIDDEN for anyone else, 401 without a token).
func (s *RepaymentService) ListReceivables(ctx context.Context, req *v1.ListReceivablesRequest) (*v1.ListReceivablesReply, error) {
	reader, err := readerFrom(ctx)
	if err != nil {
		return nil, err
	}
	if req.GetProjectId() <= 0 {
		return nil, v1.ErrorInvalidArgument("projectId: must be a positive id").WithMetadata(map[string]string{"field": "projectId"})
	}
	items, err := s.plans.Receivables(ctx, reader, req.GetProjectId())
	if err != nil {
		return nil, apiError(err)
	}
	reply := &v1.ListReceivablesReply{Items: make([]*v1.ListReceivablesReply_Item, 0, len(items))}
	for _, it := range items {
		reply.Items = append(reply.Items, &v1.ListReceivablesReply_Item{
			TenderId: it.TenderID, InvestorId: it.InvestorID, Period: int32(it.Period),
			DueDate: it.DueDate.Format(dateLayout), Principal: it.Principal.String(),
			Interest: it.Interest.String(), Amount: it.Amount.String(), Status: string(it.Status),
			ReceivedAt: timestamp(it.ReceivedAt),
		})
	}
	return reply, nil
}
