//go:build integration

package data

import (
	"context"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/pkg/dbtest"

	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/data/ent/receivableplan"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/data/ent/repaymentplan"
	pconf "github.com/p2p-dtx/p2p-dtx/pkg/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// A redelivered start-repayment message, even one processed at the same moment as the
// first delivery, must leave exactly one set of plans.
func TestSaveScheduleOnceUnderDuplicates(t *testing.T) {
	t.Parallel()
	d, cleanup, err := NewData(&conf.Bootstrap{Database: &pconf.Database{Dsn: dbtest.DSN(t, "repayment")}}, log.NewStdLogger(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	client := d.Pool()
	repo := &planRepo{data: d}
	ctx := context.Background()
	projectID := -time.Now().UnixNano() // no real project has a negative id
	tenders := make([]biz.TenderShare, 0, 30)
	for i := range 30 {
		tenders = append(tenders, biz.TenderShare{TenderID: projectID*100 - int64(i), InvestorID: int64(i + 1), Amount: money.MustParseAmount("100.00")})
	}
	s, err := biz.Amortize(biz.LoanTerms{
		ProjectID: projectID, BorrowerID: 7, Principal: money.MustParseAmount("3000.00"),
		BorrowerRate: money.MustParseRate("0.15"), InvestorRate: money.MustParseRate("0.12"), Periods: 36,
		LoanDate: time.Now(), Tenders: tenders,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		if _, err := client.ReceivablePlan.Delete().Where(receivableplan.ProjectID(projectID)).Exec(ctx); err != nil {
			t.Errorf("clean up receivables: %v", err)
		}
		if _, err := client.RepaymentPlan.Delete().Where(repaymentplan.ProjectID(projectID)).Exec(ctx); err != nil {
			t.Errorf("clean up repayment plan: %v", err)
		}
	})

	var wg sync.WaitGroup
	written := make([]int, 4)
	errs := make([]error, 4)
	for i := range written {
		wg.Add(1)
		go func() {
			defer wg.Done()
			written[i], errs[i] = repo.SaveSchedule(ctx, s)
		}()
	}
	wg.Wait()
	total := 0
	for i, err := range errs {
		if err != nil {
			t.Fatalf("delivery %d: %v", i, err)
		}
		total += written[i]
	}
	if want := 36 + 36*30; total != want {
		t.Fatalf("the deliveries report %v rows written, want one of them %d and the others 0", written, want)
	}
	if n, err := repo.SaveSchedule(ctx, s); err != nil || n != 0 {
		t.Fatalf("a later duplicate wrote %d rows, %v", n, err)
	}
	rp, err := repo.RepaymentPlan(ctx, projectID)
	if err != nil || len(rp) != 36 {
		t.Fatalf("repayment plan %d rows, %v", len(rp), err)
	}
	rc, err := repo.Receivables(ctx, projectID)
	if err != nil || len(rc) != 36*30 {
		t.Fatalf("receivables %d rows, %v", len(rc), err)
	}
	if rp[35].Period != 36 || !rp[0].Principal.Equal(s.Repayments[0].Principal) || rc[0].Status != biz.ReceivablePending {
		t.Fatalf("stored plan differs: %+v", rp[0])
	}
}
