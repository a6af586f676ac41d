// Package service maps bank-custody's APIs onto its use cases: the proto API
// (notification log), the browser gateway's pages and the signed server-to-server API.
package service

import (
	"context"
	"strings"

	"github.com/google/wire"
	"google.golang.org/protobuf/types/known/timestamppb"

	v1 "github.com/p2p-dtx/p2p-dtx/api/bank-custody/v1"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/operator"
)

// ProviderSet is service providers.
var ProviderSet = wire.NewSet(NewBankCustodyService, NewGatewayPages, NewCustodyAPI)

// BankCustodyService implements api/bank-custody/v1.
type BankCustodyService struct {
	v1.UnimplementedBankCustodyServer
	notifications *biz.NotificationUsecase
	operator      operator.Token
}

// NewBankCustodyService returns the API implementation. The notification log is for
// operators: it answers only the operator token (P2P_OPERATOR_TOKEN).
func NewBankCustodyService(notifications *biz.NotificationUsecase) *BankCustodyService {
	return &BankCustodyService{notifications: notifications, operator: operator.FromEnv()}
}

func (s *BankCustodyService) ListNotifications(ctx context.Context, req *v1.ListNotificationsRequest) (*v1.ListNotificationsReply, error) {
	if err := s.operator.CheckRequest(ctx); err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.GetRequestNo()) == "" {
		return nil, v1.ErrorInvalidArgument("requestNo: required")
	}
	attempts, err := s.notifications.Attempts(ctx, req.GetRequestNo())
	if err != nil {
		return nil, err
	}
	reply := &v1.ListNotificationsReply{Items: make([]*v1.ListNotificationsReply_Attempt, 0, len(attempts))}
	for _, a := range attempts {
		reply.Items = append(reply.Items, &v1.ListNotificationsReply_Attempt{
			RequestNo: a.RequestNo, Attempt: int32(a.Attempt), AttemptedAt: timestamppb.New(a.AttemptedAt),
			HttpStatus: int32(a.HTTPStatus), Error: a.Error,
		})
	}
	return reply, nil
}
