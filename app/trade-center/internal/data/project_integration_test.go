//go:build integration

package data

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/dbtest"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/data/ent"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/data/ent/project"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/data/ent/tender"
	pconf "github.com/p2p-dtx/p2p-dtx/pkg/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// These tests run against the real trade_center database, with sql/trade_center applied:
//
//	P2P_TEST_MYSQL_ADDR=127.0.0.1:3306 (or a socket path) P2P_TEST_DB_USER=... \
//	P2P_TEST_DB_PASSWORD=... go test -tags integration ./internal/data/
//
// They fail, rather than skip, without that database: a skipped run proves nothing.
// Each test removes the rows it inserted.

func openTestData(t *testing.T) *Data {
	t.Helper()
	d, cleanup, err := NewData(&conf.Bootstrap{Database: &pconf.Database{Dsn: dbtest.DSN(t, "trade_center")}}, log.NewStdLogger(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	return d
}

// newProject inserts a project through ent and deletes it when the test ends.
func newProject(t *testing.T, d *Data, status biz.ProjectStatus, amount, raised string) *ent.Project {
	t.Helper()
	ctx := context.Background()
	create := d.Pool().Project.Create().
		SetBorrowerID(42).SetName(fmt.Sprintf("integration test %d", time.Now().UnixNano())).
		SetAmount(money.MustParseAmount(amount)).
		SetAnnualRate(money.MustParseRate("0.153")).SetInvestorRate(money.MustParseRate("0.123456")).
		SetPeriods(12).SetStatus(string(status))
	if raised != "" {
		create.SetRaised(money.MustParseAmount(raised))
	}
	p, err := create.Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Pool().Project.DeleteOneID(p.ID).Exec(context.Background()); err != nil {
			t.Errorf("clean up project %d: %v", p.ID, err)
		}
	})
	return p
}

// TestSchemaMatchesSQL asks ent what it would change to reach its schema from the
// database the versioned SQL built: nothing, or the two have drifted apart. Allowing drops
// makes an index or column that only the SQL has show up too.
func TestSchemaMatchesSQL(t *testing.T) {
	t.Parallel()
	dbtest.NoDrift(t, "trade_center", openTestData(t).Pool().Schema.WriteTo)
}

func TestProjectRoundTrip(t *testing.T) {
	t.Parallel()
	d := openTestData(t)
	repo := NewProjectRepo(d)
	ctx := context.Background()

	inserted := newProject(t, d, biz.ProjectCollecting, "12345.67", "")
	got, err := repo.Project(ctx, inserted.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Amount.String() != "12345.67" || got.Raised.String() != "0.00" {
		t.Errorf("amount, raised = %s, %s; want 12345.67, 0.00 (raised defaults to zero)", got.Amount, got.Raised)
	}
	if got.AnnualRate.String() != "0.153" || got.InvestorRate.String() != "0.123456" {
		t.Errorf("rates = %s, %s; want 0.153, 0.123456", got.AnnualRate, got.InvestorRate)
	}
	if got.Status != biz.ProjectCollecting || got.BorrowerID != 42 || got.Periods != 12 || got.Name != inserted.Name {
		t.Errorf("project = %+v", got)
	}
	if got.BankProjectNo != "" || got.LoanRequestNo != "" || got.LoanedAt != nil {
		t.Errorf("bank fields of a fresh project = %q, %q, %v; want empty", got.BankProjectNo, got.LoanRequestNo, got.LoanedAt)
	}
	if got.CreatedAt.IsZero() || got.CreatedAt.Location() != time.UTC || time.Since(got.CreatedAt) > time.Minute {
		t.Errorf("created_at = %v, want a recent UTC time", got.CreatedAt)
	}

	// The largest DECIMAL(20,2) and a full-precision rate survive too.
	loanedAt := time.Date(2025, 3, 4, 5, 6, 7, 123456000, time.UTC)
	updated, err := d.Pool().Project.UpdateOneID(inserted.ID).
		SetAmount(money.MustParseAmount("999999999999999999.99")).
		SetRaised(money.MustParseAmount("999999999999999999.98")).
		SetBankProjectNo(fmt.Sprintf("BP-%d", inserted.ID)).
		SetLoanedAt(loanedAt).
		Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err = repo.Project(ctx, inserted.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Amount.String() != "999999999999999999.99" || got.Raised.String() != "999999999999999999.98" {
		t.Errorf("amount, raised = %s, %s", got.Amount, got.Raised)
	}
	if got.BankProjectNo != *updated.BankProjectNo || got.LoanedAt == nil || !got.LoanedAt.Equal(loanedAt) {
		t.Errorf("bank_project_no, loaned_at = %q, %v; want %q, %v", got.BankProjectNo, got.LoanedAt, *updated.BankProjectNo, loanedAt)
	}
	if !got.UpdatedAt.After(inserted.UpdatedAt) && !got.UpdatedAt.Equal(inserted.UpdatedAt) {
		t.Errorf("updated_at went back: %v before %v", got.UpdatedAt, inserted.UpdatedAt)
	}
}

func TestProjectNotFound(t *testing.T) {
	t.Parallel()
	d := openTestData(t)
	p := newProject(t, d, biz.ProjectPendingReview, "100", "")
	// An id past the newest one cannot exist.
	_, err := NewProjectRepo(d).Project(context.Background(), p.ID+1_000_000_000)
	if !errors.Is(err, biz.ErrProjectNotFound) {
		t.Fatalf("error = %v, want ErrProjectNotFound", err)
	}
}

func TestProjectsByStatusNewestFirst(t *testing.T) {
	t.Parallel()
	d := openTestData(t)
	repo := NewProjectRepo(d)
	ctx := context.Background()

	a := newProject(t, d, biz.ProjectFull, "300.10", "300.10")
	b := newProject(t, d, biz.ProjectRejected, "200", "")
	c := newProject(t, d, biz.ProjectFull, "100.01", "100.01")
	mine := map[int64]bool{a.ID: true, b.ID: true, c.ID: true}

	full, err := repo.Projects(ctx, biz.ProjectFilter{Status: biz.ProjectFull, Limit: biz.MaxListedProjects})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i, p := range full {
		if p.Status != biz.ProjectFull {
			t.Errorf("project %d has status %s in a FULL listing", p.ID, p.Status)
		}
		if i > 0 && p.ID >= full[i-1].ID {
			t.Errorf("listing not newest first: %d after %d", p.ID, full[i-1].ID)
		}
		if mine[p.ID] {
			ids = append(ids, p.ID)
		}
	}
	// Other tests may add FULL projects at the same time; ours must be there in order.
	if fmt.Sprint(ids) != fmt.Sprint([]int64{c.ID, a.ID}) {
		t.Fatalf("our FULL projects = %v, want [%d %d]", ids, c.ID, a.ID)
	}
	if full[0].ID < c.ID {
		t.Fatalf("newest FULL project %d is older than ours (%d)", full[0].ID, c.ID)
	}
	for _, p := range full {
		if p.ID == c.ID && p.Raised.String() != "100.01" {
			t.Errorf("raised = %s, want 100.01", p.Raised)
		}
	}

	one, err := repo.Projects(ctx, biz.ProjectFilter{Limit: 1})
	if err != nil || len(one) != 1 || one[0].ID < c.ID {
		t.Fatalf("Projects(limit 1) = %v, %v; want the newest project", one, err)
	}
}

// The CHECK constraints refuse what no code path may ever write.
func TestProjectRaisedCheck(t *testing.T) {
	t.Parallel()
	d := openTestData(t)
	ctx := context.Background()
	p := newProject(t, d, biz.ProjectCollecting, "1000.00", "999.99")

	err := d.Pool().Project.UpdateOneID(p.ID).SetRaised(money.MustParseAmount("1000.01")).Exec(ctx)
	if err == nil {
		t.Fatal("raised above amount was accepted")
	}
	_, err = d.Pool().Project.Update().Where(project.ID(p.ID)).
		SetRaised(money.MustParseAmount("0.01").Neg()).Save(ctx)
	if err == nil {
		t.Fatal("negative raised was accepted")
	}
	got, err := NewProjectRepo(d).Project(ctx, p.ID)
	if err != nil || got.Raised.String() != "999.99" {
		t.Fatalf("raised after refused updates = %v, %v; want 999.99", got, err)
	}
}

func TestTenderFreezeRequestNoUnique(t *testing.T) {
	t.Parallel()
	d := openTestData(t)
	ctx := context.Background()
	p := newProject(t, d, biz.ProjectCollecting, "5000", "")
	requestNo := "FRZ-" + fmt.Sprint(time.Now().UnixNano())
	t.Cleanup(func() {
		if _, err := d.Pool().Tender.Delete().Where(tender.ProjectID(p.ID)).Exec(context.Background()); err != nil {
			t.Errorf("clean up tenders: %v", err)
		}
	})

	newTender := func() (*ent.Tender, error) {
		return d.Pool().Tender.Create().SetProjectID(p.ID).SetInvestorID(7).
			SetAmount(money.MustParseAmount("12345.67")).SetStatus(string(biz.TenderFrozen)).
			SetFreezeRequestNo(requestNo).Save(ctx)
	}
	first, err := newTender()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newTender(); !ent.IsConstraintError(err) {
		t.Fatalf("second tender with freeze request %s: error = %v, want a constraint error", requestNo, err)
	}
	back, err := d.Pool().Tender.Get(ctx, first.ID)
	if err != nil || back.Amount.String() != "12345.67" || back.FreezeRequestNo != requestNo {
		t.Fatalf("tender = %+v, %v", back, err)
	}
	n, err := d.Pool().Tender.Query().Where(tender.FreezeRequestNo(requestNo)).Count(ctx)
	if err != nil || n != 1 {
		t.Fatalf("tenders with freeze request %s = %d, %v; want 1", requestNo, n, err)
	}
}
