package data

import (
	"context"
	"fmt"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/data/ent"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/data/ent/consumer"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/data/ent/custodyrequest"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/data/ent/recharge"
	"github.com/p2p-dtx/p2p-dtx/pkg/entx"
)

// NewTransaction runs use cases in local transactions on the service's database.
func NewTransaction(d *Data) biz.Transaction { return d }

type custodyRepo struct{ data *Data }

// NewCustodyRepo returns the ent-backed repository of custody requests, recharges and
// withdrawals.
func NewCustodyRepo(d *Data) biz.CustodyRepo { return &custodyRepo{data: d} }

func (r *custodyRepo) LockConsumer(ctx context.Context, userID int64) (*biz.Consumer, error) {
	return readConsumer(ctx, r.data, userID, true)
}

func (r *custodyRepo) SetCustody(ctx context.Context, userID int64, status biz.CustodyStatus, userNo string) error {
	u := r.data.Client(ctx).Consumer.Update().Where(consumer.ID(userID)).
		SetCustodyStatus(string(status)).SetUpdatedAt(time.Now().UTC())
	if userNo != "" {
		u.SetCustodyUserNo(userNo)
	}
	return entx.UpdateOne(ctx, u, fmt.Errorf("set custody status of consumer %d: %w", userID, biz.ErrNotFound))
}

func (r *custodyRepo) CreateRequest(ctx context.Context, req *biz.CustodyRequest) error {
	c := r.data.Client(ctx).CustodyRequest.Create().
		SetID(req.RequestNo).
		SetUserID(req.UserID).
		SetKind(req.Kind).
		SetStatus(string(req.Status)).
		SetCreatedAt(req.CreatedAt).
		SetUpdatedAt(req.UpdatedAt)
	if req.Amount != nil {
		c.SetAmount(*req.Amount)
	}
	if req.BankUserNo != "" {
		c.SetBankUserNo(req.BankUserNo)
	}
	return c.Exec(ctx)
}

func (r *custodyRepo) Request(ctx context.Context, requestNo string) (*biz.CustodyRequest, error) {
	return r.request(ctx, requestNo, false)
}

func (r *custodyRepo) LockRequest(ctx context.Context, requestNo string) (*biz.CustodyRequest, error) {
	return r.request(ctx, requestNo, true)
}

func (r *custodyRepo) request(ctx context.Context, requestNo string, lock bool) (*biz.CustodyRequest, error) {
	q := r.data.Client(ctx).CustodyRequest.Query().Where(custodyrequest.ID(requestNo))
	c, err := entx.Only(ctx, r.data, q, lock)
	if ent.IsNotFound(err) {
		return nil, biz.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return requestToBiz(c), nil
}

func (r *custodyRepo) SaveCompletion(ctx context.Context, req *biz.CustodyRequest) error {
	u := r.data.Client(ctx).CustodyRequest.Update().
		Where(custodyrequest.ID(req.RequestNo), custodyrequest.Status(string(biz.RequestPending))).
		SetStatus(string(req.Status)).
		SetUpdatedAt(req.UpdatedAt)
	if req.CompletedAt != nil {
		u.SetCompletedAt(*req.CompletedAt)
	}
	if req.BankUserNo != "" {
		u.SetBankUserNo(req.BankUserNo)
	}
	if req.FailureReason != "" {
		u.SetFailureReason(req.FailureReason)
	}
	// Only reachable without LockRequest's lock: someone else completed it meanwhile.
	return entx.UpdateOne(ctx, u, fmt.Errorf("complete custody request %s: it is no longer PENDING", req.RequestNo))
}

func (r *custodyRepo) CreateRecharge(ctx context.Context, rc biz.Recharge) error {
	return r.data.Client(ctx).Recharge.Create().
		SetRequestNo(rc.RequestNo).
		SetUserID(rc.UserID).
		SetAmount(rc.Amount).
		SetCreatedAt(rc.CreatedAt).
		Exec(ctx)
}

func (r *custodyRepo) Recharges(ctx context.Context, userID int64) ([]biz.Recharge, error) {
	rows, err := r.data.Client(ctx).Recharge.Query().
		Where(recharge.UserID(userID)).
		Order(recharge.ByCreatedAt(), recharge.ByID()).
		All(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]biz.Recharge, 0, len(rows))
	for _, rc := range rows {
		out = append(out, biz.Recharge{RequestNo: rc.RequestNo, UserID: rc.UserID, Amount: rc.Amount, CreatedAt: rc.CreatedAt})
	}
	return out, nil
}

func (r *custodyRepo) CreateWithdrawal(ctx context.Context, w biz.Withdrawal) error {
	return r.data.Client(ctx).Withdrawal.Create().
		SetRequestNo(w.RequestNo).
		SetUserID(w.UserID).
		SetAmount(w.Amount).
		SetCreatedAt(w.CreatedAt).
		Exec(ctx)
}

func (r *custodyRepo) UserRequests(ctx context.Context, userID int64, kind string) ([]*biz.CustodyRequest, error) {
	// idx_custody_request_user narrows to the user's few requests; kind filters those.
	rows, err := r.data.Client(ctx).CustodyRequest.Query().
		Where(custodyrequest.UserID(userID), custodyrequest.Kind(kind)).
		Order(custodyrequest.ByCreatedAt(entsql.OrderAsc()), custodyrequest.ByID(entsql.OrderAsc())).
		All(ctx)
	if err != nil {
		return nil, err
	}
	return entx.Rows(rows, requestToBiz), nil
}

func (r *custodyRepo) PendingRequests(ctx context.Context, createdBefore time.Time, after *biz.PageKey, limit int) ([]*biz.CustodyRequest, error) {
	q := r.data.Client(ctx).CustodyRequest.Query().
		Where(custodyrequest.Status(string(biz.RequestPending)), custodyrequest.CreatedAtLT(createdBefore))
	if after != nil {
		q.Where(custodyrequest.Or(
			custodyrequest.CreatedAtGT(after.CreatedAt),
			custodyrequest.And(custodyrequest.CreatedAt(after.CreatedAt), custodyrequest.IDGT(after.RequestNo)),
		))
	}
	rows, err := q.Order(custodyrequest.ByCreatedAt(entsql.OrderAsc()), custodyrequest.ByID(entsql.OrderAsc())).
		Limit(limit).All(ctx)
	if err != nil {
		return nil, err
	}
	return entx.Rows(rows, requestToBiz), nil
}

func requestToBiz(c *ent.CustodyRequest) *biz.CustodyRequest {
	out := &biz.CustodyRequest{
		RequestNo: c.ID, UserID: c.UserID, Kind: c.Kind, Status: biz.RequestStatus(c.Status), Amount: c.Amount,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, CompletedAt: c.CompletedAt,
	}
	if c.BankUserNo != nil {
		out.BankUserNo = *c.BankUserNo
	}
	if c.FailureReason != nil {
		out.FailureReason = *c.FailureReason
	}
	return out
}
