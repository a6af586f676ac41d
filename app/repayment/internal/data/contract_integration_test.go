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
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/data/ent/repaymentattempt"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/data/ent/repaymentplan"
	pconf "github.com/p2p-dtx/p2p-dtx/pkg/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/dbtest"
)

// The ent adapter keeps the contract the biz tests' fake keeps (biztest.PlanRepoContract).
func TestPlanRepoKeepsTheContract(t *testing.T) {
	t.Parallel()
	d := openTestData(t)
	next := testProjectIDs()
	biztest.PlanRepoContract(t, func(*testing.T) biz.PlanRepo { return NewPlanRepo(d, nil) }, next, forgetProject(t, d))
}

// The ent adapters keep the contract the biz tests' fake keeps (biztest.InstallmentRepoContract).
func TestInstallmentRepoKeepsTheContract(t *testing.T) {
	t.Parallel()
	d := openTestData(t)
	biztest.InstallmentRepoContract(t, func(*testing.T) biztest.Stores {
		return biztest.Stores{Tx: NewTransaction(d), Plans: NewPlanRepo(d, nil), Installments: NewInstallmentRepo(d)}
	}, testProjectIDs(), forgetProject(t, d))
}

func openTestData(t *testing.T) *Data {
	t.Helper()
	d, cleanup, err := NewData(&conf.Bootstrap{Database: &pconf.Database{Dsn: dbtest.DSN(t, "repayment")}}, log.NewStdLogger(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	return d
}

// testProjectIDs gives negative project ids — no real project has one — small enough that
// the tender ids the contracts derive from them (×10) stay within int64.
func testProjectIDs() func() int64 {
	base := -(time.Now().UnixMicro() % 100_000_000_000_000)
	var next atomic.Int64
	return func() int64 { return base - next.Add(1) }
}

// forgetProject removes a test project's rows: attempts, receivables, plan.
func forgetProject(t *testing.T, d *Data) func(projectID int64) {
	return func(projectID int64) {
		ctx := context.Background()
		if _, err := d.Pool().RepaymentAttempt.Delete().Where(repaymentattempt.ProjectID(projectID)).Exec(ctx); err != nil {
			t.Errorf("forget attempts of %d: %v", projectID, err)
		}
		if _, err := d.Pool().ReceivablePlan.Delete().Where(receivableplan.ProjectID(projectID)).Exec(ctx); err != nil {
			t.Errorf("forget receivables of %d: %v", projectID, err)
		}
		if _, err := d.Pool().RepaymentPlan.Delete().Where(repaymentplan.ProjectID(projectID)).Exec(ctx); err != nil {
			t.Errorf("forget plan of %d: %v", projectID, err)
		}
	}
}
