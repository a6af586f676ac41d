// Package service maps trade-center's proto API onto its use cases.
package service

import (
	"context"
	"errors"

	"github.com/google/wire"

	v1 "github.com/p2p-dtx/p2p-dtx/api/trade-center/v1"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
)

// ProviderSet is service providers.
var ProviderSet = wire.NewSet(NewTradeCenterService)

// TradeCenterService implements api/trade-center/v1.
type TradeCenterService struct {
	v1.UnimplementedTradeCenterServer
	projects *biz.ProjectUsecase
}

// NewTradeCenterService returns the API implementation.
func NewTradeCenterService(projects *biz.ProjectUsecase) *TradeCenterService {
	return &TradeCenterService{projects: projects}
}

func (s *TradeCenterService) GetProject(ctx context.Context, req *v1.GetProjectRequest) (*v1.Project, error) {
	if req.GetProjectId() <= 0 {
		return nil, v1.ErrorInvalidArgument("projectId: must be a positive id")
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
	if errors.Is(err, biz.ErrUnknownProjectStatus) {
		return nil, v1.ErrorInvalidArgument("status: %v", err)
	}
	if err != nil {
		return nil, err
	}
	reply := &v1.ListProjectsReply{Items: make([]*v1.Project, 0, len(projects))}
	for i := range projects {
		reply.Items = append(reply.Items, toAPIProject(&projects[i]))
	}
	return reply, nil
}

// toAPIProject prints money and rates as exact decimal strings ("10000.00", "0.15").
func toAPIProject(p *biz.Project) *v1.Project {
	return &v1.Project{
		ProjectId: p.ID, BorrowerId: p.BorrowerID, Name: p.Name,
		Amount: p.Amount.String(), Raised: p.Raised.String(), AnnualRate: p.AnnualRate.String(),
		Periods: int32(p.Periods), Status: string(p.Status),
	}
}
