// Package biz holds user-center's domain: consumers (borrowers and investors), their
// registration and their custody status.
package biz

import (
	"context"
	"errors"

	"github.com/google/wire"
)

// ProviderSet is biz providers.
var ProviderSet = wire.NewSet(NewConsumerUsecase, NewRegistrationUsecase, NewCustodyUsecase)

// ConsumerStatus: a registration's Try creates PENDING, its Confirm makes it ACTIVE.
type ConsumerStatus string

// The consumer statuses.
const (
	StatusPending ConsumerStatus = "PENDING"
	StatusActive  ConsumerStatus = "ACTIVE"
)

// CustodyStatus is where a consumer's custody account stands.
type CustodyStatus string

// The custody statuses.
const (
	CustodyNone    CustodyStatus = "NONE"
	CustodyPending CustodyStatus = "PENDING"
	CustodyOpen    CustodyStatus = "OPEN"
	CustodyFailed  CustodyStatus = "FAILED"
)

// Consumer is a borrower or an investor. ID is the login account's id.
type Consumer struct {
	ID            int64
	Username      string
	Mobile        string
	Role          string
	Status        ConsumerStatus
	CustodyStatus CustodyStatus
	CustodyUserNo string
}

// ErrNotFound is returned by repositories when nothing matches.
var ErrNotFound = errors.New("not found")

// ConsumerRepo stores consumers.
type ConsumerRepo interface {
	Get(ctx context.Context, id int64) (*Consumer, error)
}

// ConsumerUsecase answers profile queries.
type ConsumerUsecase struct {
	consumers ConsumerRepo
}

// NewConsumerUsecase returns the consumer use cases.
func NewConsumerUsecase(consumers ConsumerRepo) *ConsumerUsecase {
	return &ConsumerUsecase{consumers: consumers}
}

// Me returns the caller's profile. A registration still in flight (PENDING) is not a
// user yet, so it is not found.
func (uc *ConsumerUsecase) Me(ctx context.Context, userID int64) (*Consumer, error) {
	c, err := uc.consumers.Get(ctx, userID)
	if err != nil {
		return nil, err
	}
	if c.Status != StatusActive {
		return nil, ErrNotFound
	}
	return c, nil
}
