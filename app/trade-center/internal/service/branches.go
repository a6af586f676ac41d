package service

import (
	"context"
	"errors"

	"google.golang.org/protobuf/types/known/emptypb"

	v1 "github.com/p2p-dtx/p2p-dtx/api/trade-center/v1"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// TradeCenterBranchesService implements the DTM branches other services' global
// transactions call (api/trade-center/v1/branches.proto).
type TradeCenterBranchesService struct {
	v1.UnimplementedTradeCenterBranchesServer
	installments *biz.InstallmentUsecase
}

// NewTradeCenterBranchesService returns the branch implementation.
func NewTradeCenterBranchesService(installments *biz.InstallmentUsecase) *TradeCenterBranchesService {
	return &TradeCenterBranchesService{installments: installments}
}

func (s *TradeCenterBranchesService) RecordInstallmentRepaid(ctx context.Context, req *v1.InstallmentRepaid) (*emptypb.Empty, error) {
	amount, err := money.ParseAmount(req.GetAmount())
	if err != nil {
		return nil, v1.ErrorInvalidBranchRequest("amount: %v", err).WithMetadata(map[string]string{"field": "amount"})
	}
	in := biz.Installment{ProjectID: req.GetProjectId(), Period: int(req.GetPeriod()), RequestNo: req.GetRequestNo(), Amount: amount}
	if req.GetRepaidAt() != nil {
		in.RepaidAt = req.GetRepaidAt().AsTime()
	}
	if err := s.installments.RecordRepaid(ctx, in); err != nil {
		return nil, branchError(err)
	}
	return &emptypb.Empty{}, nil
}

// branchError maps the branch's failures for DTM. DTM retries a two-phase message's
// action whatever it answers (Aborted included), so the codes are for the people reading
// DTM's store and logs: 409 INVALID_BRANCH_REQUEST for a request that can never succeed,
// 503 PROJECT_NOT_REPAYING for a project in the wrong state, anything else as it is.
func branchError(err error) error {
	var ia *biz.InvalidArgumentError
	switch {
	case errors.As(err, &ia):
		return v1.ErrorInvalidBranchRequest("%s", ia.Error()).WithMetadata(map[string]string{"field": ia.Field})
	case errors.Is(err, biz.ErrProjectNotRepaying):
		return v1.ErrorProjectNotRepaying("%v", err)
	}
	return err
}
