package biz_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz/biztest"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// installmentFixture is a project in status with three periods, and the branch's use case
// behind a barrier that runs each gid once.
func installmentFixture(status biz.ProjectStatus) (*biztest.Store, *onceBarrier, *biz.InstallmentUsecase, biz.Project) {
	s := biztest.NewStore()
	p, _ := s.CreateProject(context.Background(), &biz.Project{BorrowerID: 7, Name: "shop", Amount: money.MustParseAmount("3000.00"),
		Raised: money.MustParseAmount("3000.00"), Periods: 3, Status: status})
	barrier := &onceBarrier{store: s, done: map[string]bool{}}
	return s, barrier, biz.NewInstallmentUsecase(barrier, s, s, discard), *p
}

func repaid(projectID int64, period int, requestNo string) biz.Installment {
	return biz.Installment{ProjectID: projectID, Period: period, RequestNo: requestNo,
		Amount: money.MustParseAmount("1030.01"), RepaidAt: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
}

func TestTheLastInstallmentFinishesTheProject(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, barrier, uc, p := installmentFixture(biz.ProjectRepaying)
	record := func(period int, gid string) error {
		barrier.gid = gid
		return uc.RecordRepaid(ctx, repaid(p.ID, period, gid))
	}
	for period, gid := range map[int]string{1: "RP1", 2: "RP2"} {
		if err := record(period, gid); err != nil {
			t.Fatalf("period %d: %v", period, err)
		}
	}
	// DTM delivers the same message again, and another request number reports a period
	// that is recorded already: neither counts twice.
	if err := record(2, "RP2"); err != nil {
		t.Fatal(err)
	}
	if err := record(2, "RP2-other"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Project(ctx, p.ID); got.Status != biz.ProjectRepaying || len(s.Installments(p.ID)) != 2 {
		t.Fatalf("after two periods: %s, %d installments; want REPAYING, 2", got.Status, len(s.Installments(p.ID)))
	}
	if err := record(3, "RP3"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Project(ctx, p.ID); got.Status != biz.ProjectFinished {
		t.Fatalf("after the last period: %s, want FINISHED", got.Status)
	}
	if in := s.Installments(p.ID); len(in) != 3 || in[1].RequestNo != "RP2" || in[2].Amount.String() != "1030.01" {
		t.Fatalf("installments %+v", in)
	}
	// A late redelivery to a FINISHED project is answered with success.
	if err := record(3, "RP3-late"); err != nil {
		t.Fatalf("late redelivery: %v", err)
	}
}

func TestAnInstallmentOfAProjectNotRepayingIsRetried(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, barrier, uc, p := installmentFixture(biz.ProjectCollecting)
	barrier.gid = "RP1"
	if err := uc.RecordRepaid(ctx, repaid(p.ID, 1, "RP1")); !errors.Is(err, biz.ErrProjectNotRepaying) {
		t.Fatalf("installment of a COLLECTING project: %v, want ErrProjectNotRepaying", err)
	}
	if err := uc.RecordRepaid(ctx, repaid(99, 1, "RP1")); !errors.Is(err, biz.ErrProjectNotRepaying) {
		t.Fatalf("installment of a missing project: %v, want ErrProjectNotRepaying", err)
	}
	if len(s.Installments(p.ID)) != 0 {
		t.Fatal("a refused installment was recorded")
	}
	// Once the project is repaired, DTM's next retry of the same gid goes through: a
	// failed branch leaves no barrier record behind.
	p.Status = biz.ProjectRepaying
	s.PutProject(p)
	var ia *biz.InvalidArgumentError
	if err := uc.RecordRepaid(ctx, repaid(p.ID, 4, "RP1")); !errors.As(err, &ia) || ia.Field != "period" {
		t.Fatalf("period beyond the project's: %v", err)
	}
	if err := uc.RecordRepaid(ctx, repaid(p.ID, 1, "RP1")); err != nil || len(s.Installments(p.ID)) != 1 {
		t.Fatalf("retry after the repair: %v, %d installments", err, len(s.Installments(p.ID)))
	}
}
