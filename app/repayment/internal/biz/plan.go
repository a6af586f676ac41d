// Package biz holds repayment's domain: repayment plans and receivable plans, their
// execution at the bank, and the interfaces it needs from storage, the bank and DTM.
package biz

import (
	"context"
	"time"

	"github.com/google/wire"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// ProviderSet is biz providers.
var ProviderSet = wire.NewSet(NewPlanUsecase, NewStartRepaymentUsecase, NewRunUsecase)

// PlanStatus is where one period of the borrower's plan stands.
type PlanStatus string

// The plan statuses: PENDING until executed, REPAID once the bank moved the money and the
// platform recorded it, OVERDUE while the bank refuses it for the borrower's balance.
const (
	PlanPending PlanStatus = "PENDING"
	PlanRepaid  PlanStatus = "REPAID"
	PlanOverdue PlanStatus = "OVERDUE"
)

// ReceivableStatus is where one period of an investor's receivable plan stands; it
// follows its installment's status.
type ReceivableStatus string

// The receivable statuses.
const (
	ReceivablePending  ReceivableStatus = "PENDING"
	ReceivableReceived ReceivableStatus = "RECEIVED"
	ReceivableOverdue  ReceivableStatus = "OVERDUE"
)

// RepaymentItem is one period of what the borrower pays.
type RepaymentItem struct {
	ProjectID  int64
	BorrowerID int64
	Period     int
	DueDate    time.Time
	Principal  money.Amount
	Interest   money.Amount
	Amount     money.Amount
	Commission money.Amount
	Status     PlanStatus
	// Who the bank knows the project and the borrower as; empty on plans written before
	// the start-repayment message carried them (such installments are not executed).
	BankProjectNo  string
	BorrowerUserNo string
	// RepaidAt is when the installment became REPAID; zero until then.
	RepaidAt time.Time
}

// ReceivableItem is one period of what one tender's investor receives.
type ReceivableItem struct {
	ProjectID  int64
	TenderID   int64
	InvestorID int64
	Period     int
	DueDate    time.Time
	Principal  money.Amount
	Interest   money.Amount
	Amount     money.Amount
	Status     ReceivableStatus
	// InvestorUserNo is the investor's custody user number at the bank, which the
	// installment credits; empty on plans written before the message carried it.
	InvestorUserNo string
	// ReceivedAt is when the receivable became RECEIVED; zero until then.
	ReceivedAt time.Time
}

// PlanRepo reads and writes the plans.
type PlanRepo interface {
	RepaymentPlan(ctx context.Context, projectID int64) ([]RepaymentItem, error)
	Receivables(ctx context.Context, projectID int64) ([]ReceivableItem, error)
	// SaveSchedule writes the borrower's plan and every receivable plan of one project
	// in one local transaction and reports how many rows it wrote. A project whose plan
	// exists already is left alone (0 rows): the unique keys (project, period) and
	// (tender, period) make a redelivered message harmless even when two deliveries
	// race (the second waits for the first and then writes nothing).
	SaveSchedule(ctx context.Context, s Schedule) (int, error)
}

// PlanUsecase answers plan queries.
type PlanUsecase struct {
	repo PlanRepo
}

// NewPlanUsecase returns the plan use cases.
func NewPlanUsecase(repo PlanRepo) *PlanUsecase {
	return &PlanUsecase{repo: repo}
}

// RepaymentPlan is the borrower's plan ordered by period, empty until it is generated,
// for a reader who may see it (Reader.MayReadPlan, else ErrForbidden).
func (uc *PlanUsecase) RepaymentPlan(ctx context.Context, reader Reader, projectID int64) ([]RepaymentItem, error) {
	plan, err := uc.repo.RepaymentPlan(ctx, projectID)
	if err != nil {
		return nil, err
	}
	if err := reader.MayReadPlan(plan); err != nil {
		return nil, err
	}
	return plan, nil
}

// Receivables are the investors' plans ordered by tender, then period, narrowed to what
// the reader may see (Reader.VisibleReceivables, else ErrForbidden).
func (uc *PlanUsecase) Receivables(ctx context.Context, reader Reader, projectID int64) ([]ReceivableItem, error) {
	all, err := uc.repo.Receivables(ctx, projectID)
	if err != nil {
		return nil, err
	}
	return reader.VisibleReceivables(all)
}
