// Package biztest holds the one in-memory fake of user-center's custody store — the
// Transaction, CustodyRepo and ConsumerRepo the custody use cases need — and the contract
// suite every implementation passes: the fake in the biz tests, the ent adapters in the
// data package's integration tests. It also holds the one fake of the custody bank
// (Bank).
package biztest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/biz"
)

// Custody is the in-memory biz.Transaction, biz.CustodyRepo and biz.ConsumerRepo. A transaction
// holds the store's lock from start to end (as row locks would, for these tests) and
// restores the previous state when fn fails, so "nothing changed" can be checked.
type Custody struct {
	mu          sync.Mutex
	consumers   map[int64]biz.Consumer
	requests    map[string]biz.CustodyRequest
	recharges   []biz.Recharge
	withdrawals []biz.Withdrawal
}

type inTxKey struct{}

// NewCustody returns a store holding the consumers cs.
func NewCustody(cs ...biz.Consumer) *Custody {
	s := &Custody{consumers: map[int64]biz.Consumer{}, requests: map[string]biz.CustodyRequest{}}
	for _, c := range cs {
		s.consumers[c.ID] = c
	}
	return s
}

func (s *Custody) InTx(ctx context.Context, fn func(context.Context) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	consumers := make(map[int64]biz.Consumer, len(s.consumers))
	for k, v := range s.consumers {
		consumers[k] = v
	}
	requests := make(map[string]biz.CustodyRequest, len(s.requests))
	for k, v := range s.requests {
		requests[k] = v
	}
	recharges := append([]biz.Recharge(nil), s.recharges...)
	withdrawals := append([]biz.Withdrawal(nil), s.withdrawals...)
	if err := fn(context.WithValue(ctx, inTxKey{}, true)); err != nil {
		s.consumers, s.requests, s.recharges, s.withdrawals = consumers, requests, recharges, withdrawals
		return err
	}
	return nil
}

// locked runs f under the store's lock unless ctx is inside InTx, which holds it.
func (s *Custody) locked(ctx context.Context, f func()) {
	if ctx.Value(inTxKey{}) == nil {
		s.mu.Lock()
		defer s.mu.Unlock()
	}
	f()
}

func (s *Custody) Get(ctx context.Context, id int64) (c *biz.Consumer, err error) {
	s.locked(ctx, func() {
		v, ok := s.consumers[id]
		if !ok {
			err = biz.ErrNotFound
			return
		}
		c = &v
	})
	return c, err
}

func (s *Custody) LockConsumer(ctx context.Context, id int64) (*biz.Consumer, error) {
	if ctx.Value(inTxKey{}) == nil {
		return nil, errors.New("LockConsumer outside a transaction")
	}
	return s.Get(ctx, id)
}

func (s *Custody) SetCustody(ctx context.Context, id int64, status biz.CustodyStatus, userNo string) (err error) {
	s.locked(ctx, func() {
		c, ok := s.consumers[id]
		if !ok {
			err = biz.ErrNotFound
			return
		}
		c.CustodyStatus = status
		if userNo != "" {
			c.CustodyUserNo = userNo
		}
		s.consumers[id] = c
	})
	return err
}

func (s *Custody) CreateRequest(ctx context.Context, r *biz.CustodyRequest) (err error) {
	s.locked(ctx, func() {
		if _, ok := s.requests[r.RequestNo]; ok {
			err = errors.New("duplicate request_no")
			return
		}
		s.requests[r.RequestNo] = *r
	})
	return err
}

func (s *Custody) Request(ctx context.Context, no string) (r *biz.CustodyRequest, err error) {
	s.locked(ctx, func() {
		v, ok := s.requests[no]
		if !ok {
			err = biz.ErrNotFound
			return
		}
		r = &v
	})
	return r, err
}

func (s *Custody) LockRequest(ctx context.Context, no string) (*biz.CustodyRequest, error) {
	if ctx.Value(inTxKey{}) == nil {
		return nil, errors.New("LockRequest outside a transaction")
	}
	return s.Request(ctx, no)
}

func (s *Custody) SaveCompletion(ctx context.Context, r *biz.CustodyRequest) (err error) {
	s.locked(ctx, func() {
		if s.requests[r.RequestNo].Status != biz.RequestPending {
			err = fmt.Errorf("%s is no longer PENDING", r.RequestNo)
			return
		}
		s.requests[r.RequestNo] = *r
	})
	return err
}

func (s *Custody) CreateRecharge(ctx context.Context, rc biz.Recharge) (err error) {
	s.locked(ctx, func() {
		for _, x := range s.recharges {
			if x.RequestNo == rc.RequestNo {
				err = errors.New("duplicate recharge request_no")
				return
			}
		}
		s.recharges = append(s.recharges, rc)
	})
	return err
}

func (s *Custody) Recharges(ctx context.Context, userID int64) (out []biz.Recharge, err error) {
	s.locked(ctx, func() {
		for _, r := range s.recharges {
			if r.UserID == userID {
				out = append(out, r)
			}
		}
	})
	return out, nil
}

func (s *Custody) CreateWithdrawal(ctx context.Context, w biz.Withdrawal) (err error) {
	s.locked(ctx, func() {
		for _, x := range s.withdrawals {
			if x.RequestNo == w.RequestNo {
				err = errors.New("duplicate withdrawal request_no")
				return
			}
		}
		s.withdrawals = append(s.withdrawals, w)
	})
	return err
}

func (s *Custody) UserRequests(ctx context.Context, userID int64, kind string) (out []*biz.CustodyRequest, err error) {
	s.locked(ctx, func() {
		for _, r := range s.requests {
			if r.UserID == userID && r.Kind == kind {
				r := r
				out = append(out, &r)
			}
		}
	})
	sortByAge(out)
	return out, nil
}

func (s *Custody) PendingRequests(ctx context.Context, before time.Time, after *biz.PageKey, limit int) (out []*biz.CustodyRequest, err error) {
	s.locked(ctx, func() {
		for _, r := range s.requests {
			if r.Status != biz.RequestPending || !r.CreatedAt.Before(before) {
				continue
			}
			if after != nil && (r.CreatedAt.Before(after.CreatedAt) ||
				r.CreatedAt.Equal(after.CreatedAt) && r.RequestNo <= after.RequestNo) {
				continue
			}
			r := r
			out = append(out, &r)
		}
	})
	sortByAge(out)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// sortByAge orders requests by (created_at, request_no), as the ent queries do.
func sortByAge(rs []*biz.CustodyRequest) {
	sort.Slice(rs, func(i, j int) bool {
		if !rs[i].CreatedAt.Equal(rs[j].CreatedAt) {
			return rs[i].CreatedAt.Before(rs[j].CreatedAt)
		}
		return rs[i].RequestNo < rs[j].RequestNo
	})
}

// ConsumerNow is a consumer as stored now.
func (s *Custody) ConsumerNow(id int64) biz.Consumer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.consumers[id]
}

// RequestNow is a request as stored now; false when there is none.
func (s *Custody) RequestNow(no string) (biz.CustodyRequest, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.requests[no]
	return r, ok
}

// RechargeCount is how many recharges are stored.
func (s *Custody) RechargeCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.recharges)
}

// WithdrawalCount is how many withdrawal records are stored.
func (s *Custody) WithdrawalCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.withdrawals)
}

// RequestCount is how many requests are stored.
func (s *Custody) RequestCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// PutConsumer stores a consumer as given (a test's arrangement).
func (s *Custody) PutConsumer(c biz.Consumer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.consumers[c.ID] = c
}

// PutRequest stores a request as given (a test's arrangement).
func (s *Custody) PutRequest(r biz.CustodyRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests[r.RequestNo] = r
}
