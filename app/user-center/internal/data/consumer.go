package data

import (
	"context"

	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/data/ent"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/data/ent/consumer"
	"github.com/p2p-dtx/p2p-dtx/pkg/entx"
)

type consumerRepo struct{ data *Data }

// NewConsumerRepo returns the ent-backed consumer repository.
func NewConsumerRepo(d *Data) biz.ConsumerRepo { return &consumerRepo{data: d} }

func (r *consumerRepo) Get(ctx context.Context, id int64) (*biz.Consumer, error) {
	return readConsumer(ctx, r.data, id, false)
}

// readConsumer is the one read of a consumer row, the custody flow's locking one too.
func readConsumer(ctx context.Context, d *Data, id int64, lock bool) (*biz.Consumer, error) {
	c, err := entx.Only(ctx, d, d.Client(ctx).Consumer.Query().Where(consumer.ID(id)), lock)
	if ent.IsNotFound(err) {
		return nil, biz.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return consumerToBiz(c), nil
}

func consumerToBiz(c *ent.Consumer) *biz.Consumer {
	out := &biz.Consumer{
		ID: c.ID, Username: c.Username, Mobile: c.Mobile, Role: c.Role, Status: biz.ConsumerStatus(c.Status),
		CustodyStatus: biz.CustodyStatus(c.CustodyStatus),
	}
	if c.CustodyUserNo != nil {
		out.CustodyUserNo = *c.CustodyUserNo
	}
	return out
}
