//go:build integration

package data

import (
	"context"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz/biztest"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/data/ent/receivableplan"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/data/ent/repaymentplan"
	pconf "github.com/p2p-dtx/p2p-dtx/pkg/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/dbtest"
)

// The ent adapter keeps the contract the biz tests' fake keeps (biztest.PlanRepoContract).
func TestPlanRepoKeepsTheContract(t *testing.T) {
	t.Parallel()
	d, cleanup, err := NewData(&conf.Bootstrap{Database: &pconf.Database{Dsn: dbtest.DSN(t, "repayment")}}, log.NewStdLogger(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	// Negative project ids: no real project has one. Small enough that the tender ids the
	// contract derives from them (×10) stay within int64.
	base := -(time.Now().UnixMicro() % 100_000_000_000_000)
	var next atomic.Int64
	biztest.PlanRepoContract(t, func(*testing.T) biz.PlanRepo { return NewPlanRepo(d) },
		func() int64 { return base - next.Add(1) },
		func(projectID int64) {
			ctx := context.Background()
			if _, err := d.Pool().ReceivablePlan.Delete().Where(receivableplan.ProjectID(projectID)).Exec(ctx); err != nil {
				t.Errorf("forget receivables of %d: %v", projectID, err)
			}
			if _, err := d.Pool().RepaymentPlan.Delete().Where(repaymentplan.ProjectID(projectID)).Exec(ctx); err != nil {
				t.Errorf("forget plan of %d: %v", projectID, err)
			}
		})
}
