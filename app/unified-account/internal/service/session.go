// Package service maps unified-account's proto API onto its use cases.
package service

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/go-kratos/kratos/v2/transport"
	"github.com/google/wire"
	"google.golang.org/protobuf/types/known/timestamppb"

	v1 "github.com/p2p-dtx/p2p-dtx/api/unified-account/v1"
	"github.com/p2p-dtx/p2p-dtx/app/unified-account/internal/biz"
)

// ProviderSet is service providers.
var ProviderSet = wire.NewSet(NewUnifiedAccountService, NewAccountRegistrationService)

// UnifiedAccountService implements api/unified-account/v1.
type UnifiedAccountService struct {
	v1.UnimplementedUnifiedAccountServer
	sessions *biz.SessionUsecase
}

// NewUnifiedAccountService returns the API implementation.
func NewUnifiedAccountService(sessions *biz.SessionUsecase) *UnifiedAccountService {
	return &UnifiedAccountService{sessions: sessions}
}

func (s *UnifiedAccountService) CreateSession(ctx context.Context, req *v1.CreateSessionRequest) (*v1.CreateSessionReply, error) {
	switch {
	case req.GetLogin() == "":
		return nil, v1.ErrorInvalidArgument("login: required").WithMetadata(map[string]string{"field": "login"})
	case req.GetPassword() == "":
		return nil, v1.ErrorInvalidArgument("password: required").WithMetadata(map[string]string{"field": "password"})
	}
	sess, err := s.sessions.Login(ctx, req.GetLogin(), req.GetPassword())
	if err != nil {
		return nil, sessionError(ctx, err)
	}
	return &v1.CreateSessionReply{
		Token: sess.Token, ExpiresAt: timestamppb.New(sess.ExpiresAt), UserId: sess.UserID, Role: sess.Role,
	}, nil
}

// sessionError maps a failed login to the API's errors. Which of login, password or
// account status was wrong is not said. A locked login's answer carries Retry-After.
func sessionError(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, biz.ErrTooManyAttempts):
		secs := retryAfter(err)
		if tr, ok := transport.FromServerContext(ctx); ok {
			tr.ReplyHeader().Set("Retry-After", secs)
		}
		return v1.ErrorTooManyAttempts("login: too many wrong passwords, retry after %s seconds", secs).
			WithMetadata(map[string]string{"field": "login", "retry_after": secs})
	case errors.Is(err, biz.ErrInvalidCredentials):
		return v1.ErrorInvalidCredentials("wrong login or password, or the account is not active")
	}
	return err
}

// retryAfter is a lock's time left in whole seconds, rounded up so that a retry at
// Retry-After is not refused again; at least 1.
func retryAfter(err error) string {
	secs := int64(1)
	var locked *biz.LockedError
	if errors.As(err, &locked) {
		secs = max(secs, int64((locked.RetryAfter+time.Second-1)/time.Second))
	}
	return strconv.FormatInt(secs, 10)
}
