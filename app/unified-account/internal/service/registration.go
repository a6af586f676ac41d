package service

import (
	"context"
	"errors"

	"google.golang.org/protobuf/types/known/emptypb"

	v1 "github.com/p2p-dtx/p2p-dtx/api/unified-account/v1"
	"github.com/p2p-dtx/p2p-dtx/app/unified-account/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/dtmx"
)

// AccountRegistrationService implements the DTM branches of a registration.
type AccountRegistrationService struct {
	v1.UnimplementedAccountRegistrationServer
	uc  *biz.RegistrationUsecase
	key *dtmx.BranchKey // opens the password hash the initiator sealed for the transaction
}

// NewAccountRegistrationService returns the branch implementation.
func NewAccountRegistrationService(uc *biz.RegistrationUsecase, key *dtmx.BranchKey) *AccountRegistrationService {
	return &AccountRegistrationService{uc: uc, key: key}
}

func (s *AccountRegistrationService) TryCreateAccount(ctx context.Context, req *v1.CreateAccountRequest) (*v1.CreateAccountReply, error) {
	a, err := s.accountFrom(ctx, req)
	if err != nil {
		return nil, branchError(err)
	}
	id, err := s.uc.Try(ctx, a)
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
	a, err := s.accountFrom(ctx, req)
	if err != nil {
		return nil, branchError(err)
	}
	id, err := s.uc.CreateXA(ctx, a)
	if err != nil {
		return nil, branchError(err)
	}
	return &v1.CreateAccountReply{UserId: id}, nil
}

// accountFrom opens the request's sealed password hash with the call's gid. An XA phase-2
// call carries no payload: its account is empty and never used.
func (s *AccountRegistrationService) accountFrom(ctx context.Context, req *v1.CreateAccountRequest) (biz.Account, error) {
	a := biz.Account{Username: req.GetUsername(), Mobile: req.GetMobile(), Role: req.GetRole()}
	if sealed := req.GetSealedPasswordHash(); sealed != "" {
		hash, err := s.key.Open(dtmx.GID(ctx), sealed)
		if err != nil {
			return a, &biz.ValidationError{Field: "sealedPasswordHash", Problem: "does not open for this transaction"}
		}
		a.PasswordHash = string(hash)
	}
	return a, nil
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
