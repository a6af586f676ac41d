//go:build integration

package data

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/dtm-labs/dtm/client/dtmgrpc/dtmgimp"
	"github.com/go-kratos/kratos/v2/log"
	"google.golang.org/grpc/metadata"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/conf"
	pconf "github.com/p2p-dtx/p2p-dtx/pkg/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/dbtest"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// The installment branch in DTM's real barrier (dtm_barrier.barrier) on MariaDB: the
// metadata is what DTM sends with a two-phase message's action.
func TestInstallmentBranchInTheBarrier(t *testing.T) {
	t.Parallel()
	d := openTestData(t)
	runner, cleanup, err := NewBranchRunner(&conf.Bootstrap{Database: &pconf.Database{Dsn: dbtest.DSN(t, "trade_center")}}, d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	uc := biz.NewInstallmentUsecase(runner, NewProjectRepo(d), NewInstallmentRepo(d), log.NewStdLogger(io.Discard))
	p := newProject(t, d, biz.ProjectCollecting, "1000.00", "1000.00")
	prefix := fmt.Sprintf("RPtest%d", time.Now().UnixNano())
	t.Cleanup(func() { forgetInstallments(t, d, p.ID, prefix) })
	record := func(period int, gid string) error {
		md, _ := metadata.FromOutgoingContext(dtmgimp.TransInfo2Ctx(context.Background(), gid, "msg", "01", "action", "127.0.0.1:36790"))
		return uc.RecordRepaid(metadata.NewIncomingContext(context.Background(), md), biz.Installment{ProjectID: p.ID,
			Period: period, RequestNo: gid, Amount: money.MustParseAmount("90.00"), RepaidAt: time.Now()})
	}
	// Not REPAYING yet: refused as retryable, and the barrier keeps no record of it.
	if err := record(1, prefix+"-1"); !errors.Is(err, biz.ErrProjectNotRepaying) {
		t.Fatalf("installment of a COLLECTING project: %v", err)
	}
	if err := d.Pool().Project.UpdateOneID(p.ID).SetStatus(string(biz.ProjectRepaying)).SetPeriods(2).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		period int
		gid    string
		want   biz.ProjectStatus
	}{
		{1, prefix + "-1", biz.ProjectRepaying}, // DTM's retry after the repair goes through
		{1, prefix + "-1", biz.ProjectRepaying}, // a redelivery is skipped by the barrier
		{2, prefix + "-2", biz.ProjectFinished},
	} {
		if err := record(step.period, step.gid); err != nil {
			t.Fatalf("period %d, gid %s: %v", step.period, step.gid, err)
		}
		got, err := NewProjectRepo(d).Project(context.Background(), p.ID)
		if err != nil || got.Status != step.want {
			t.Fatalf("after period %d (%s): %+v, %v; want %s", step.period, step.gid, got, err, step.want)
		}
	}
	if n, err := NewInstallmentRepo(d).CountInstallments(context.Background(), p.ID); err != nil || n != 2 {
		t.Fatalf("%d installments (%v), want 2", n, err)
	}
}

func forgetInstallments(t *testing.T, d *Data, projectID int64, gidPrefix string) {
	ctx := context.Background()
	if _, err := d.DB().ExecContext(ctx, "DELETE FROM project_installment WHERE project_id = ?", projectID); err != nil {
		t.Errorf("forget installments: %v", err)
	}
	if _, err := d.DB().ExecContext(ctx, "DELETE FROM dtm_barrier.barrier WHERE gid LIKE ?", gidPrefix+"%"); err != nil {
		t.Errorf("forget barrier rows: %v", err)
	}
}
