package service

import (
	"context"
	"errors"

	"google.golang.org/protobuf/types/known/emptypb"

	v1 "github.com/p2p-dtx/p2p-dtx/api/repayment/v1"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/dtmx"
)

// RepaymentBranchesService implements the methods DTM calls for the two-phase messages
// repayment sends (api/repayment/v1/branches.proto).
type RepaymentBranchesService struct {
	v1.UnimplementedRepaymentBranchesServer
	messages biz.RepaidMessenger
}

// NewRepaymentBranchesService returns the branch implementation.
func NewRepaymentBranchesService(messages biz.RepaidMessenger) *RepaymentBranchesService {
	return &RepaymentBranchesService{messages: messages}
}

// QueryPrepared is DTM's check-back of an installment-repaid message: OK when its local
// transaction committed, Aborted (from the barrier) when it did not. A call that is not a
// message's check-back is refused (403, gRPC PermissionDenied) and writes nothing.
func (s *RepaymentBranchesService) QueryPrepared(ctx context.Context, _ *emptypb.Empty) (*emptypb.Empty, error) {
	err := s.messages.Prepared(ctx)
	if errors.Is(err, dtmx.ErrNotMessageCheckBack) {
		return nil, v1.ErrorNotADtmCall("QueryPrepared answers DTM's check-backs only")
	}
	if err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}
