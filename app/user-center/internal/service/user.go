// Package service maps user-center's proto API onto its use cases.
package service

import (
	"context"
	"errors"

	"github.com/google/wire"
	"google.golang.org/protobuf/types/known/emptypb"

	v1 "github.com/p2p-dtx/p2p-dtx/api/user-center/v1"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/auth"
)

// ProviderSet is service providers.
var ProviderSet = wire.NewSet(NewUserCenterService, NewConsumerRegistrationService, NewCustodyService,
	NewCustodyNotifications)

// UserCenterService implements api/user-center/v1.
type UserCenterService struct {
	v1.UnimplementedUserCenterServer
	consumers     *biz.ConsumerUsecase
	registrations *biz.RegistrationUsecase
}

// NewUserCenterService returns the API implementation.
func NewUserCenterService(consumers *biz.ConsumerUsecase, registrations *biz.RegistrationUsecase) *UserCenterService {
	return &UserCenterService{consumers: consumers, registrations: registrations}
}

func (s *UserCenterService) GetMe(ctx context.Context, _ *emptypb.Empty) (*v1.User, error) {
	claims, ok := auth.FromContext(ctx)
	if !ok {
		return nil, v1.ErrorUnauthenticated("a bearer token is required")
	}
	c, err := s.consumers.Me(ctx, claims.UserID)
	if errors.Is(err, biz.ErrNotFound) {
		return nil, v1.ErrorUserNotFound("no active user %d", claims.UserID)
	}
	if err != nil {
		return nil, err
	}
	return &v1.User{
		UserId: c.ID, Mobile: c.Mobile, Username: c.Username, Role: c.Role, Status: string(c.Status),
		CustodyStatus: string(c.CustodyStatus), CustodyUserNo: c.CustodyUserNo,
	}, nil
}
