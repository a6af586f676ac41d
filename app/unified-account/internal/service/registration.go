package service

import (
	"context"
	"errors"

	"google.golang.org/protobuf/types/known/emptypb"

	v1 "github.com/p2p-dtx/p2p-dtx/api/unified-account/v1"
	"github.com/p2p-dtx/p2p-dtx/app/unified-account/internal/biz"
)

// AccountRegistrationService implements the DTM branches of a registration.
type AccountRegistrationService struct {
	v1.UnimplementedAccountRegistrationServer
	uc *biz.RegistrationUsecase
}

// NewAccountRegistrationService returns the branch implementation.
func NewAccountRegistrationService(uc *biz.RegistrationUsecase) *AccountRegistrationService {
	return &AccountRegistrationService{uc: uc}
}

func (s *AccountRegistrationService) TryCreateAccount(ctx context.Context, req *v1.CreateAccountRequest) (*v1.CreateAccountReply, error) {
	id, err := s.uc.Try(ctx, accountFrom(req))
	if err != nil {
		return nil, branchError(err)
	}
	return &v1.CreateAccountReply{UserId: id}, nil
}

func (s *AccountRegistrationService) ConfirmCreateAccount(ctx context.Context, _ *v1.CreateAccountRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, branchError(s.uc.Confirm(ctx))
}

func (s *AccountRegistrationService) CancelCreateAccount(ctx context.Context, _ *v1.CreateAccountRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, branchError(s.uc.Cancel(ctx))
}

func (s *AccountRegistrationService) XaCreateAccount(ctx context.Context, req *v1.CreateAccountRequest) (*v1.CreateAccountReply, error) {
	id, err := s.uc.CreateXA(ctx, accountFrom(req))
	if err != nil {
		return nil, branchError(err)
	}
	return &v1.CreateAccountReply{UserId: id}, nil
}

func accountFrom(req *v1.CreateAccountRequest) biz.Account {
	return biz.Account{
		Username: req.GetUsername(), Mobile: req.GetMobile(), PasswordHash: req.GetPasswordHash(), Role: req.GetRole(),
	}
}

// branchError maps business failures to the codes DTM acts on: 409 (gRPC Aborted) rolls
// the global transaction back without retry; 503 (Unavailable) and anything else is
// retried.
func branchError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, biz.ErrUsernameTaken):
		return v1.ErrorUsernameTaken("username is taken")
	case errors.Is(err, biz.ErrMobileTaken):
		return v1.ErrorMobileTaken("mobile is taken")
	case errors.Is(err, biz.ErrFaultInjected):
		return v1.ErrorFaultInjected("fault point fired")
	case errors.Is(err, biz.ErrFaultRetryable):
		return v1.ErrorFaultRetryable("fault point fired; retry")
	}
	var ve *biz.ValidationError
	if errors.As(err, &ve) {
		return v1.ErrorInvalidBranchRequest("%s", ve.Error())
	}
	return err
}
