package service

import (
	"context"
	"errors"

	"google.golang.org/protobuf/types/known/emptypb"

	v1 "github.com/p2p-dtx/p2p-dtx/api/user-center/v1"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/biz"
)

func (s *UserCenterService) CreateUser(ctx context.Context, req *v1.CreateUserRequest) (*v1.CreateUserReply, error) {
	c, gid, err := s.registrations.Register(ctx, biz.Registration{
		Mobile: req.GetMobile(), Username: req.GetUsername(), Password: req.GetPassword(),
		Role: req.GetRole(), Mode: biz.Mode(req.GetMode()),
	})
	if err != nil {
		return nil, registrationError(err, req, gid)
	}
	return &v1.CreateUserReply{UserId: c.ID, Status: string(c.Status), Gid: gid}, nil
}

// registrationError maps a failed registration to the API's errors.
func registrationError(err error, req *v1.CreateUserRequest, gid string) error {
	var ve *biz.ValidationError
	switch {
	case errors.As(err, &ve):
		return v1.ErrorInvalidArgument("%s", ve.Error()).WithMetadata(map[string]string{"field": ve.Field})
	case errors.Is(err, biz.ErrUsernameTaken):
		return v1.ErrorUsernameTaken("username %q is taken", req.GetUsername())
	case errors.Is(err, biz.ErrMobileTaken):
		return v1.ErrorMobileTaken("mobile %q is taken", req.GetMobile())
	case errors.Is(err, biz.ErrFaultInjected):
		return v1.ErrorFaultInjected("registration %s rolled back by fault point %s", gid, biz.FaultInitiatorFail)
	case errors.Is(err, biz.ErrRolledBack):
		return v1.ErrorRegistrationRolledBack("registration %s rolled back: %v", gid, err)
	case errors.Is(err, biz.ErrOutcomeUnknown):
		return v1.ErrorRegistrationOutcomeUnknown("registration %s not decided yet (DTM did not answer in time); it completes or rolls back on its own: log in to see which", gid).
			WithMetadata(map[string]string{"gid": gid})
	}
	return err
}

// ConsumerRegistrationService implements user-center's DTM branches of a registration.
type ConsumerRegistrationService struct {
	v1.UnimplementedConsumerRegistrationServer
	uc *biz.RegistrationUsecase
}

// NewConsumerRegistrationService returns the branch implementation.
func NewConsumerRegistrationService(uc *biz.RegistrationUsecase) *ConsumerRegistrationService {
	return &ConsumerRegistrationService{uc: uc}
}

func (s *ConsumerRegistrationService) TryCreateConsumer(ctx context.Context, req *v1.CreateConsumerRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, branchError(s.uc.TryConsumer(ctx, consumerFrom(req)))
}

func (s *ConsumerRegistrationService) ConfirmCreateConsumer(ctx context.Context, _ *v1.CreateConsumerRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, branchError(s.uc.ConfirmConsumer(ctx))
}

func (s *ConsumerRegistrationService) CancelCreateConsumer(ctx context.Context, _ *v1.CreateConsumerRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, branchError(s.uc.CancelConsumer(ctx))
}

func (s *ConsumerRegistrationService) XaCreateConsumer(ctx context.Context, req *v1.CreateConsumerRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, branchError(s.uc.CreateConsumerXA(ctx, consumerFrom(req)))
}

func consumerFrom(req *v1.CreateConsumerRequest) biz.Consumer {
	return biz.Consumer{ID: req.GetUserId(), Username: req.GetUsername(), Mobile: req.GetMobile(), Role: req.GetRole()}
}

// branchError maps business failures to the codes DTM acts on: 409 (gRPC Aborted) rolls
// the global transaction back without retry; anything else is retried.
func branchError(err error) error {
	switch {
	case errors.Is(err, biz.ErrUsernameTaken):
		return v1.ErrorUsernameTaken("username is taken")
	case errors.Is(err, biz.ErrMobileTaken):
		return v1.ErrorMobileTaken("mobile is taken")
	}
	var ve *biz.ValidationError
	if errors.As(err, &ve) {
		return v1.ErrorInvalidBranchRequest("%s", ve.Error())
	}
	return err
}
