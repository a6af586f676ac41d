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

// CustodyService implements the Custody API: account opening and recharge through the
// bank's gateway, and the caller's requests and recharges.
type CustodyService struct {
	v1.UnimplementedCustodyServer
	uc *biz.CustodyUsecase
}

// NewCustodyService returns the Custody API implementation.
func NewCustodyService(uc *biz.CustodyUsecase) *CustodyService { return &CustodyService{uc: uc} }

func caller(ctx context.Context) (int64, error) {
	claims, ok := auth.FromContext(ctx)
	if !ok {
		return 0, v1.ErrorUnauthenticated("a bearer token is required")
	}
	return claims.UserID, nil
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
	case errors.Is(err, biz.ErrNotFound):
		return v1.ErrorUserNotFound("no active user %d", userID)
	}
	return err
}
