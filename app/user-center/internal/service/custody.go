package service

import (
	"context"
	"errors"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	v1 "github.com/p2p-dtx/p2p-dtx/api/user-center/v1"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/auth"
)

// CustodyService implements the Custody API: account opening, recharge and withdrawal
// through the bank's gateway, the caller's requests, recharges and withdrawals, and the
// balances the bank reports.
type CustodyService struct {
	v1.UnimplementedCustodyServer
	uc *biz.CustodyUsecase
}

// NewCustodyService returns the Custody API implementation.
func NewCustodyService(uc *biz.CustodyUsecase) *CustodyService { return &CustodyService{uc: uc} }

func caller(ctx context.Context) (int64, error) {
	claims, err := callerClaims(ctx)
	if err != nil {
		return 0, err
	}
	return claims.UserID, nil
}

func callerClaims(ctx context.Context) (*auth.Claims, error) {
	claims, ok := auth.FromContext(ctx)
	if !ok {
		return nil, v1.ErrorUnauthenticated("a bearer token is required")
	}
	return claims, nil
}

func (s *CustodyService) OpenCustodyAccount(ctx context.Context, req *v1.OpenCustodyAccountRequest) (*v1.GatewayRedirect, error) {
	userID, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.uc.OpenAccount(ctx, userID, biz.AccountOpening{
		RealName: req.GetRealName(), IDNumber: req.GetIdNumber(), BankCardNo: req.GetBankCardNo()})
	if err != nil {
		return nil, custodyError(err, userID)
	}
	return redirectToProto(r), nil
}

func (s *CustodyService) CreateRecharge(ctx context.Context, req *v1.CreateRechargeRequest) (*v1.GatewayRedirect, error) {
	userID, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.uc.Recharge(ctx, userID, req.GetAmount())
	if err != nil {
		return nil, custodyError(err, userID)
	}
	return redirectToProto(r), nil
}

func (s *CustodyService) GetCustodyRequest(ctx context.Context, req *v1.GetCustodyRequestRequest) (*v1.CustodyRequest, error) {
	userID, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.uc.Request(ctx, userID, req.GetRequestNo())
	if err != nil {
		return nil, custodyError(err, userID)
	}
	out := &v1.CustodyRequest{RequestNo: r.RequestNo, Kind: r.Kind, Status: string(r.Status),
		UpdatedAt: timestamppb.New(r.UpdatedAt), CreatedAt: timestamppb.New(r.CreatedAt)}
	if r.Amount != nil {
		out.Amount = proto.String(r.Amount.String())
	}
	if r.BankUserNo != "" {
		out.BankUserNo = proto.String(r.BankUserNo)
	}
	if r.FailureReason != "" {
		out.FailureReason = proto.String(r.FailureReason)
	}
	return out, nil
}

func (s *CustodyService) ListRecharges(ctx context.Context, _ *v1.ListRechargesRequest) (*v1.ListRechargesReply, error) {
	userID, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	rs, err := s.uc.Recharges(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := &v1.ListRechargesReply{Items: make([]*v1.Recharge, 0, len(rs))}
	for _, r := range rs {
		out.Items = append(out.Items, &v1.Recharge{RequestNo: r.RequestNo, Amount: r.Amount.String(),
			CreatedAt: timestamppb.New(r.CreatedAt)})
	}
	return out, nil
}

func (s *CustodyService) CreateWithdrawal(ctx context.Context, req *v1.CreateWithdrawalRequest) (*v1.GatewayRedirect, error) {
	userID, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.uc.Withdraw(ctx, userID, req.GetAmount())
	if err != nil {
		return nil, custodyError(err, userID)
	}
	return redirectToProto(r), nil
}

func (s *CustodyService) ListWithdrawals(ctx context.Context, _ *v1.ListWithdrawalsRequest) (*v1.ListWithdrawalsReply, error) {
	userID, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	rs, err := s.uc.Withdrawals(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := &v1.ListWithdrawalsReply{Items: make([]*v1.Withdrawal, 0, len(rs))}
	for _, r := range rs {
		w := &v1.Withdrawal{RequestNo: r.RequestNo, Status: string(r.Status),
			CreatedAt: timestamppb.New(r.CreatedAt), UpdatedAt: timestamppb.New(r.UpdatedAt)}
		if r.Amount != nil {
			w.Amount = r.Amount.String()
		}
		if r.FailureReason != "" {
			w.FailureReason = proto.String(r.FailureReason)
		}
		out.Items = append(out.Items, w)
	}
	return out, nil
}

func (s *CustodyService) GetMyBalance(ctx context.Context, _ *v1.GetMyBalanceRequest) (*v1.Balance, error) {
	userID, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.uc.Balance(ctx, userID)
	if err != nil {
		return nil, custodyError(err, userID)
	}
	return &v1.Balance{Balance: a.Balance.String(), Frozen: a.Frozen.String()}, nil
}

func (s *CustodyService) GetPlatformBalance(ctx context.Context, _ *v1.GetPlatformBalanceRequest) (*v1.PlatformBalance, error) {
	claims, err := callerClaims(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.uc.PlatformBalance(ctx, claims.Role)
	if err != nil {
		return nil, custodyError(err, claims.UserID)
	}
	return &v1.PlatformBalance{Balance: a.Balance.String()}, nil
}

func redirectToProto(r *biz.Redirect) *v1.GatewayRedirect {
	return &v1.GatewayRedirect{RequestNo: r.RequestNo,
		Gateway: &v1.Gateway{Url: r.Form.URL, Method: r.Form.Method, Fields: r.Form.Fields}}
}

// custodyError maps the use cases' failures to the API's errors.
func custodyError(err error, userID int64) error {
	var ve *biz.ValidationError
	switch {
	case errors.As(err, &ve):
		return v1.ErrorInvalidArgument("%s", ve.Error()).WithMetadata(map[string]string{"field": ve.Field})
	case errors.Is(err, biz.ErrCustodyAlreadyRequested):
		return v1.ErrorCustodyAlreadyRequested("a custody account opening is already waiting for the bank")
	case errors.Is(err, biz.ErrCustodyAlreadyOpen):
		return v1.ErrorCustodyAlreadyOpen("the custody account is already open")
	case errors.Is(err, biz.ErrCustodyNotOpen):
		return v1.ErrorCustodyNotOpen("open a custody account first")
	case errors.Is(err, biz.ErrRequestNotFound):
		return v1.ErrorRequestNotFound("no such custody request")
	case errors.Is(err, biz.ErrInsufficientBalance):
		// The message holds only the two amounts, which are the caller's own.
		return v1.ErrorInsufficientBalance("%v", err).WithMetadata(map[string]string{"field": "amount"})
	case errors.Is(err, biz.ErrForbidden):
		return v1.ErrorForbidden("only an admin may see the platform's balance")
	case errors.Is(err, biz.ErrBankUnavailable):
		// The cause (the bank's answer) reaches the access log, not the caller.
		return v1.ErrorBankUnavailable("the custody bank did not answer; try again later").WithCause(err)
	case errors.Is(err, biz.ErrNotFound):
		return v1.ErrorUserNotFound("no active user %d", userID)
	}
	return err
}
