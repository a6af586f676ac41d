// Package service maps repayment's proto API onto its use cases.
package service

import (
	"context"

	"github.com/google/wire"

	v1 "github.com/p2p-dtx/p2p-dtx/api/repayment/v1"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz"
)

// ProviderSet is service providers.
var ProviderSet = wire.NewSet(NewRepaymentService)

const dateLayout = "2006-01-02"

// RepaymentService implements api/repayment/v1.
type RepaymentService struct {
	v1.UnimplementedRepaymentServer
	plans *biz.PlanUsecase
}

// NewRepaymentService returns the API implementation.
func NewRepaymentService(plans *biz.PlanUsecase) *RepaymentService {
	return &RepaymentService{plans: plans}
}

func (s *RepaymentService) GetRepaymentPlan(ctx context.Context, req *v1.GetRepaymentPlanRequest) (*v1.RepaymentPlan, error) {
	if req.GetProjectId() <= 0 {
		return nil, v1.ErrorInvalidArgument("projectId: must be a positive id").WithMetadata(map[string]string{"field": "projectId"})
	}
	items, err := s.plans.RepaymentPlan(ctx, req.GetProjectId())
	if err != nil {
		return nil, err
	}
	reply := &v1.RepaymentPlan{Items: make([]*v1.RepaymentPlan_Item, 0, len(items))}
	for _, it := range items {
		reply.Items = append(reply.Items, &v1.RepaymentPlan_Item{
			Period: int32(it.Period), DueDate: it.DueDate.Format(dateLayout),
			Principal: it.Principal.String(), Interest: it.Interest.String(),
			Amount: it.Amount.String(), Commission: it.Commission.String(), Status: string(it.Status),
		})
	}
	return reply, nil
}

func (s *RepaymentService) ListReceivables(ctx context.Context, req *v1.ListReceivablesRequest) (*v1.ListReceivablesReply, error) {
	if req.GetProjectId() <= 0 {
		return nil, v1.ErrorInvalidArgument("projectId: must be a positive id").WithMetadata(map[string]string{"field": "projectId"})
	}
	items, err := s.plans.Receivables(ctx, req.GetProjectId())
	if err != nil {
		return nil, err
	}
	reply := &v1.ListReceivablesReply{Items: make([]*v1.ListReceivablesReply_Item, 0, len(items))}
	for _, it := range items {
		reply.Items = append(reply.Items, &v1.ListReceivablesReply_Item{
			TenderId: it.TenderID, InvestorId: it.InvestorID, Period: int32(it.Period),
			DueDate: it.DueDate.Format(dateLayout), Principal: it.Principal.String(),
			Interest: it.Interest.String(), Amount: it.Amount.String(), Status: string(it.Status),
		})
	}
	return reply, nil
}
