package biztest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// PlanRepoContract is what the start-repayment consumer and the plan queries rely on from
// a biz.PlanRepo, run against every implementation. newProjectID gives a project id no
// other test uses; forget removes what a test wrote (nil for the fake).
func PlanRepoContract(t *testing.T, repo func(t *testing.T) biz.PlanRepo, newProjectID func() int64, forget func(projectID int64)) {
	schedule := func(t *testing.T) biz.Schedule {
		t.Helper()
		id := newProjectID()
		if forget != nil {
			t.Cleanup(func() { forget(id) })
		}
		return testSchedule(t, id, true)
	}

	t.Run("a schedule reads back whole, in period and tender order", func(t *testing.T) {
		t.Parallel()
		readsBackWhole(t, repo(t), schedule(t))
	})

	t.Run("a project's schedule is written once, also when two deliveries race", func(t *testing.T) {
		t.Parallel()
		r, s := repo(t), schedule(t)
		var wg sync.WaitGroup
		rows := make([]int, 4)
		errs := make([]error, 4)
		for i := range rows {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rows[i], errs[i] = r.SaveSchedule(context.Background(), s)
			}()
		}
		wg.Wait()
		wrote := 0
		for i := range rows {
			if errs[i] != nil {
				t.Fatalf("delivery %d: %v", i, errs[i])
			}
			if rows[i] > 0 {
				wrote++
			}
		}
		if wrote != 1 {
			t.Fatalf("%d deliveries wrote rows (%v), want exactly 1", wrote, rows)
		}
		plan, err := r.RepaymentPlan(context.Background(), s.Repayments[0].ProjectID)
		if err != nil || len(plan) != 3 {
			t.Fatalf("after the race: %d periods, %v; want 3", len(plan), err)
		}
	})

	t.Run("nothing to read is an empty answer, not an error", func(t *testing.T) {
		t.Parallel()
		r := repo(t)
		id := newProjectID()
		if plan, err := r.RepaymentPlan(context.Background(), id); err != nil || len(plan) != 0 {
			t.Fatalf("plan of an unknown project: %v, %v", plan, err)
		}
		if recv, err := r.Receivables(context.Background(), id); err != nil || len(recv) != 0 {
			t.Fatalf("receivables of an unknown project: %v, %v", recv, err)
		}
		if n, err := r.SaveSchedule(context.Background(), biz.Schedule{}); err != nil || n != 0 {
			t.Fatalf("an empty schedule: %d rows, %v", n, err)
		}
	})
}

// readsBackWhole saves s and reads it back: every field as written, in period (and
// tender) order.
func readsBackWhole(t *testing.T, r biz.PlanRepo, s biz.Schedule) {
	t.Helper()
	ctx := context.Background()
	n, err := r.SaveSchedule(ctx, s)
	if err != nil || n != len(s.Repayments)+len(s.Receivables) {
		t.Fatalf("SaveSchedule = %d, %v; want %d rows", n, err, len(s.Repayments)+len(s.Receivables))
	}
	id := s.Repayments[0].ProjectID
	plan, err := r.RepaymentPlan(ctx, id)
	if err != nil || len(plan) != 3 {
		t.Fatalf("plan %+v, %v; want 3 periods", plan, err)
	}
	for i, it := range plan {
		want := s.Repayments[i]
		if it.Period != i+1 || !it.Amount.Equal(want.Amount) || !it.Principal.Equal(want.Principal) ||
			!it.Commission.Equal(want.Commission) || it.Status != biz.PlanPending || !sameDay(it.DueDate, want.DueDate) ||
			it.BankProjectNo != want.BankProjectNo || it.BorrowerUserNo != "BU0000000007" || !it.RepaidAt.IsZero() {
			t.Errorf("period %d read back %+v, written %+v", i+1, it, want)
		}
	}
	recv, err := r.Receivables(ctx, id)
	if err != nil || len(recv) != 6 {
		t.Fatalf("receivables %d, %v; want 6", len(recv), err)
	}
	for i, it := range recv {
		wantTender, wantPeriod := id*10+int64(i/3+1), i%3+1
		if it.TenderID != wantTender || it.Period != wantPeriod {
			t.Fatalf("receivable %d is tender %d period %d; want tender %d period %d (tender, then period order)",
				i, it.TenderID, it.Period, wantTender, wantPeriod)
		}
		if wantUserNo := investorUserNo(it.InvestorID); it.InvestorUserNo != wantUserNo || it.Status != biz.ReceivablePending ||
			!it.ReceivedAt.IsZero() {
			t.Errorf("receivable %d read back %+v; want user number %s, PENDING, no receivedAt", i, it, wantUserNo)
		}
	}
}

// testSchedule is a 1,000.00 loan of project id over 3 periods from two tenders (ids
// derived from id: tender ids are unique platform-wide, like the project's), with the
// bank's numbers when withBank (plans written before the message carried them have none).
func testSchedule(t *testing.T, id int64, withBank bool) biz.Schedule {
	t.Helper()
	terms := biz.LoanTerms{ProjectID: id, BorrowerID: 7, Principal: money.MustParseAmount("1000.00"),
		BorrowerRate: money.MustParseRate("0.15"), InvestorRate: money.MustParseRate("0.12"), Periods: 3,
		LoanDate: time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC),
		Tenders: []biz.TenderShare{
			{TenderID: id*10 + 2, InvestorID: 22, Amount: money.MustParseAmount("400.00")},
			{TenderID: id*10 + 1, InvestorID: 21, Amount: money.MustParseAmount("600.00")},
		}}
	if withBank {
		terms.BankProjectNo, terms.BorrowerUserNo = fmt.Sprintf("BP%d", id), "BU0000000007"
		for i := range terms.Tenders {
			terms.Tenders[i].InvestorUserNo = investorUserNo(terms.Tenders[i].InvestorID)
		}
	}
	s, err := biz.Amortize(terms)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func investorUserNo(investorID int64) string { return fmt.Sprintf("BU%010d", investorID) }

func sameDay(a, b time.Time) bool {
	return a.UTC().Format(time.DateOnly) == b.UTC().Format(time.DateOnly)
}
