package data

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent/bankrequest"
	"github.com/p2p-dtx/p2p-dtx/pkg/entx"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
	"github.com/p2p-dtx/p2p-dtx/pkg/telemetry"
)

type requestRepo struct{ data *Data }

// NewRequestRepo returns the ent-backed request log.
func NewRequestRepo(d *Data) biz.RequestRepo { return &requestRepo{data: d} }

// payload is bank_request.payload: the request's business fields, never a password.
type payload struct {
	RealName   string `json:"realName,omitempty"`
	IDNumber   string `json:"idNumber,omitempty"`
	BankCardNo string `json:"bankCardNo,omitempty"`
	Mobile     string `json:"mobile,omitempty"`
	ReturnURL  string `json:"returnUrl,omitempty"`
	ProjectNo  string `json:"projectNo,omitempty"`
	// An unfreeze's freeze; a repayment's installment and commission.
	FreezeRequestNo string        `json:"freezeRequestNo,omitempty"`
	Period          int           `json:"period,omitempty"`
	Commission      *money.Amount `json:"commission,omitempty"`
}

func payloadOf(d biz.RequestDetails) (string, error) {
	p, err := json.Marshal(payload{
		RealName: d.RealName, IDNumber: d.IDNumber, BankCardNo: d.BankCardNo, Mobile: d.Mobile, ReturnURL: d.ReturnURL,
		ProjectNo: d.ProjectNo, FreezeRequestNo: d.FreezeRequestNo, Period: d.Period, Commission: d.Commission,
	})
	return string(p), err
}

func gatewayServices() []string {
	out := make([]string, len(biz.GatewayServices))
	for i, s := range biz.GatewayServices {
		out[i] = string(s)
	}
	return out
}

func (r *requestRepo) Get(ctx context.Context, requestNo string) (*biz.CustodyRequest, error) {
	return r.get(ctx, requestNo, false)
}

func (r *requestRepo) Lock(ctx context.Context, requestNo string) (*biz.CustodyRequest, error) {
	if err := r.data.RequireTx(ctx); err != nil {
		return nil, err
	}
	return r.get(ctx, requestNo, true)
}

func (r *requestRepo) get(ctx context.Context, requestNo string, lock bool) (*biz.CustodyRequest, error) {
	q := r.data.Client(ctx).BankRequest.Query().Where(bankrequest.ID(requestNo))
	if lock {
		q.ForUpdate()
	}
	row, err := q.Only(ctx)
	if ent.IsNotFound(err) {
		return nil, fmt.Errorf("%w: %s", biz.ErrRequestNotFound, requestNo)
	}
	if err != nil {
		return nil, err
	}
	return requestToBiz(row)
}

func (r *requestRepo) Create(ctx context.Context, req *biz.CustodyRequest) error {
	c, err := r.create(ctx, req)
	if err != nil {
		return err
	}
	if err := c.Exec(ctx); err != nil {
		if _, dup := duplicateKey(err); dup {
			return fmt.Errorf("%w: %s", biz.ErrDuplicateRequest, req.RequestNo)
		}
		return err
	}
	return nil
}

func (r *requestRepo) CreateAll(ctx context.Context, reqs []*biz.CustodyRequest) error {
	builders := make([]*ent.BankRequestCreate, len(reqs))
	for i, req := range reqs {
		c, err := r.create(ctx, req)
		if err != nil {
			return err
		}
		builders[i] = c
	}
	err := r.data.Client(ctx).BankRequest.CreateBulk(builders...).Exec(ctx)
	if _, dup := duplicateKey(err); dup {
		return fmt.Errorf("%w: one of %d requests", biz.ErrDuplicateRequest, len(reqs))
	}
	return err
}

func (r *requestRepo) Taken(ctx context.Context, requestNos []string) (map[string]bool, error) {
	ids, err := r.data.Client(ctx).BankRequest.Query().Where(bankrequest.IDIn(requestNos...)).IDs(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// create is the insert of req (without running it).
func (r *requestRepo) create(ctx context.Context, req *biz.CustodyRequest) (*ent.BankRequestCreate, error) {
	p, err := payloadOf(req.Details)
	if err != nil {
		return nil, err
	}
	c := r.data.Client(ctx).BankRequest.Create().
		SetID(req.RequestNo).
		SetPlatformNo(req.PlatformNo).
		SetServiceName(string(req.ServiceName)).
		SetStatus(string(req.Status)).
		SetPayload(p).
		SetCreatedAt(req.CreatedAt).
		SetUpdatedAt(req.UpdatedAt).
		SetNillableAmount(req.Amount)
	if req.PlatformUserID != 0 {
		c.SetPlatformUserID(req.PlatformUserID)
	}
	if req.UserNo != "" {
		c.SetUserNo(req.UserNo)
	}
	if req.CallbackURL != "" {
		c.SetCallbackURL(req.CallbackURL)
	}
	if req.FailureReason != "" {
		c.SetFailureReason(req.FailureReason)
	}
	if req.PasswordHash != "" {
		c.SetPasswordHash(req.PasswordHash)
	}
	if tp := telemetry.Header(ctx)[telemetry.TraceParentHeader]; tp != "" {
		c.SetTraceParent(tp)
	}
	return c, nil
}

func (r *requestRepo) SaveResult(ctx context.Context, req *biz.CustodyRequest) error {
	u := r.data.Client(ctx).BankRequest.Update().
		Where(bankrequest.ID(req.RequestNo), bankrequest.Status(string(biz.RequestProcessing))).
		SetStatus(string(req.Status)).
		SetUpdatedAt(req.UpdatedAt).
		ClearPasswordHash()
	if req.UserNo != "" {
		u.SetUserNo(req.UserNo)
	}
	if req.FailureReason != "" {
		u.SetFailureReason(req.FailureReason)
	}
	// Only reachable without Lock: someone else finished it meanwhile.
	return entx.UpdateOne(ctx, u, fmt.Errorf("finish request %s: %w", req.RequestNo, biz.ErrRequestFinished))
}

func (r *requestRepo) SaveRetry(ctx context.Context, req *biz.CustodyRequest) error {
	p, err := payloadOf(req.Details)
	if err != nil {
		return err
	}
	u := r.data.Client(ctx).BankRequest.Update().
		Where(bankrequest.ID(req.RequestNo), bankrequest.Status(string(biz.RequestFailed)),
			bankrequest.ServiceName(string(req.ServiceName))).
		SetStatus(string(req.Status)).
		SetNillableAmount(req.Amount).
		SetPayload(p).
		SetUpdatedAt(req.UpdatedAt)
	if req.UserNo != "" {
		u.SetUserNo(req.UserNo)
	}
	if req.FailureReason != "" {
		u.SetFailureReason(req.FailureReason)
	} else {
		u.ClearFailureReason()
	}
	return entx.UpdateOne(ctx, u, fmt.Errorf("retry request %s: %w", req.RequestNo, biz.ErrRequestFinished))
}

func (r *requestRepo) SumSucceeded(ctx context.Context, service biz.ServiceName) (money.Amount, error) {
	var sums []struct {
		Sum money.Amount `sql:"sum"`
	}
	err := r.data.Client(ctx).BankRequest.Query().
		Where(bankrequest.ServiceName(string(service)), bankrequest.Status(string(biz.RequestSuccess))).
		Aggregate(coalescedSum(bankrequest.FieldAmount, "sum")).
		Scan(ctx, &sums)
	if err != nil {
		return money.Amount{}, err
	}
	if len(sums) != 1 {
		return money.Amount{}, fmt.Errorf("sum of %s requests: %d rows", service, len(sums))
	}
	return sums[0].Sum, nil
}

func (r *requestRepo) Processing(ctx context.Context, platforms []string, limit int) ([]string, error) {
	return r.data.Client(ctx).BankRequest.Query().
		Where(bankrequest.Status(string(biz.RequestProcessing)), bankrequest.ServiceNameIn(gatewayServices()...),
			bankrequest.PlatformNoIn(platforms...)).
		Order(ent.Asc(bankrequest.FieldCreatedAt), ent.Asc(bankrequest.FieldID)).
		Limit(limit).
		IDs(ctx)
}

func (r *requestRepo) Unpublished(ctx context.Context, platforms []string, limit int) ([]*biz.CustodyRequest, error) {
	rows, err := r.data.Client(ctx).BankRequest.Query().
		Where(
			bankrequest.StatusIn(string(biz.RequestSuccess), string(biz.RequestFailed)),
			bankrequest.NotifyPublishedAtIsNil(),
			bankrequest.ServiceNameIn(gatewayServices()...),
			bankrequest.PlatformNoIn(platforms...),
		).
		Order(ent.Asc(bankrequest.FieldUpdatedAt), ent.Asc(bankrequest.FieldID)).
		Limit(limit).
		All(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*biz.CustodyRequest, 0, len(rows))
	for _, row := range rows {
		req, err := requestToBiz(row)
		if err != nil {
			return nil, err
		}
		out = append(out, req)
	}
	return out, nil
}

func (r *requestRepo) MarkPublished(ctx context.Context, requestNo string, at time.Time) error {
	return r.data.Client(ctx).BankRequest.Update().
		Where(bankrequest.ID(requestNo), bankrequest.NotifyPublishedAtIsNil()).
		SetNotifyPublishedAt(at).
		Exec(ctx)
}

func requestToBiz(row *ent.BankRequest) (*biz.CustodyRequest, error) {
	req := &biz.CustodyRequest{
		RequestNo: row.ID, PlatformNo: row.PlatformNo, ServiceName: biz.ServiceName(row.ServiceName),
		Amount: row.Amount, Status: biz.RequestStatus(row.Status), CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt,
		NotifyPublishedAt: row.NotifyPublishedAt,
	}
	if row.PlatformUserID != nil {
		req.PlatformUserID = *row.PlatformUserID
	}
	if row.UserNo != nil {
		req.UserNo = *row.UserNo
	}
	if row.CallbackURL != nil {
		req.CallbackURL = *row.CallbackURL
	}
	if row.FailureReason != nil {
		req.FailureReason = *row.FailureReason
	}
	if row.PasswordHash != nil {
		req.PasswordHash = *row.PasswordHash
	}
	if row.TraceParent != nil {
		req.TraceParent = *row.TraceParent
	}
	if row.Payload != nil && *row.Payload != "" {
		var p payload
		if err := json.Unmarshal([]byte(*row.Payload), &p); err != nil {
			return nil, fmt.Errorf("request %s: payload: %w", row.ID, err)
		}
		req.Details = biz.RequestDetails{
			RealName: p.RealName, IDNumber: p.IDNumber, BankCardNo: p.BankCardNo, Mobile: p.Mobile,
			ReturnURL: p.ReturnURL, ProjectNo: p.ProjectNo, FreezeRequestNo: p.FreezeRequestNo, Period: p.Period,
			Commission: p.Commission,
		}
	}
	return req, nil
}
