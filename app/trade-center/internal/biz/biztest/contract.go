package biztest

import (
	"context"
	"errors"
	"testing"

	"github.com/p2p-dtx/p2p-dtx/pkg/testkey"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// Repos is one implementation of trade-center's repository ports.
type Repos struct {
	Tx       biz.Transaction
	Projects biz.ProjectRepo
	Tenders  biz.TenderRepo
	Messages biz.LoanMessageRepo
	// Forget removes what a test stored for a project (the database keeps rows between
	// tests; the fake needs nothing).
	Forget func(projectID int64)
}

// RepositoryContract is what the biz use cases rely on from the repositories, run against
// every implementation — the fake (Store) and the ent adapters — so a fake can never
// allow what the database refuses, or the other way round.
func RepositoryContract(t *testing.T, open func(t *testing.T) Repos) {
	t.Run("a locking read needs a transaction", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		p := newProject(t, r, "1000.00")
		ctx := context.Background()
		if _, err := r.Projects.LockProject(ctx, p.ID); err == nil {
			t.Error("LockProject outside a transaction succeeded")
		}
		tender := newTender(t, r, p.ID, "100.00", biz.TenderPending)
		if _, err := r.Tenders.LockTender(ctx, tender.ID); err == nil {
			t.Error("LockTender outside a transaction succeeded")
		}
		key := testkey.New("LM")
		if _, err := r.Messages.CreateLoanMessage(ctx, p.ID, key); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Messages.LockLoanMessage(ctx, key, false); err == nil {
			t.Error("LockLoanMessage outside a transaction succeeded")
		}
		err := r.Tx.InTx(ctx, func(ctx context.Context) error {
			if _, err := r.Projects.LockProject(ctx, p.ID); err != nil {
				return err
			}
			if _, err := r.Tenders.LockTender(ctx, tender.ID); err != nil {
				return err
			}
			_, err := r.Messages.LockLoanMessage(ctx, key, true)
			return err
		})
		if err != nil {
			t.Fatalf("locking reads inside a transaction: %v", err)
		}
	})

	t.Run("a project reads back as stored; unknown ids are not found", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		p := newProject(t, r, "1000.00")
		got, err := r.Projects.Project(context.Background(), p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != p.Name || !got.Amount.Equal(p.Amount) || !got.Raised.IsZero() || got.Status != biz.ProjectCollecting ||
			got.Periods != 6 || got.AnnualRate.String() != "0.15" || got.InvestorRate.String() != "0.12" {
			t.Fatalf("read back %+v, stored %+v", got, p)
		}
		if _, err := r.Projects.Project(context.Background(), -1); !errors.Is(err, biz.ErrProjectNotFound) {
			t.Fatalf("unknown project: %v, want ErrProjectNotFound", err)
		}
		if err := r.Projects.UpdateProject(context.Background(), &biz.Project{ID: -1}); !errors.Is(err, biz.ErrProjectNotFound) {
			t.Fatalf("update of an unknown project: %v, want ErrProjectNotFound", err)
		}
	})

	t.Run("raised never exceeds the amount, nor goes below zero", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		p := newProject(t, r, "1000.00")
		for _, raised := range []money.Amount{money.MustParseAmount("1000.01"), money.MustParseAmount("0.01").Neg()} {
			over := *p
			over.Raised = raised
			if err := r.Projects.UpdateProject(context.Background(), &over); err == nil {
				t.Errorf("raised %s of %s was stored", raised, p.Amount)
			}
		}
		full := *p
		full.Reserve(p.Amount)
		if err := r.Projects.UpdateProject(context.Background(), &full); err != nil {
			t.Fatalf("raised = amount: %v", err)
		}
		got, err := r.Projects.Project(context.Background(), p.ID)
		if err != nil || !got.Raised.Equal(p.Amount) || got.Status != biz.ProjectFull {
			t.Fatalf("after filling: %+v, %v", got, err)
		}
	})

	t.Run("a failed transaction changes nothing", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		p := newProject(t, r, "1000.00")
		boom := errors.New("boom")
		err := r.Tx.InTx(context.Background(), func(ctx context.Context) error {
			locked, err := r.Projects.LockProject(ctx, p.ID)
			if err != nil {
				return err
			}
			locked.Reserve(money.MustParseAmount("100.00"))
			if err := r.Projects.UpdateProject(ctx, locked); err != nil {
				return err
			}
			if _, err := r.Tenders.CreateTender(ctx, &biz.Tender{ProjectID: p.ID, InvestorID: 21, InvestorUserNo: "BU1",
				Amount: money.MustParseAmount("100.00"), Status: biz.TenderPending, FreezeRequestNo: testkey.New("FZ")}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v, want the function's error", err)
		}
		got, err := r.Projects.Project(context.Background(), p.ID)
		if err != nil || !got.Raised.IsZero() {
			t.Fatalf("after a rolled-back reservation: %+v, %v", got, err)
		}
		if n, err := r.Tenders.CountTenders(context.Background(), p.ID, biz.TenderPending); err != nil || n != 0 {
			t.Fatalf("%d tenders after a rolled-back reservation (%v)", n, err)
		}
	})

	t.Run("a freeze request number makes one tender", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		p := newProject(t, r, "1000.00")
		first := newTender(t, r, p.ID, "100.00", biz.TenderPending)
		twin := *first
		twin.ID = 0
		if _, err := r.Tenders.CreateTender(context.Background(), &twin); !errors.Is(err, biz.ErrDuplicateRequestNo) {
			t.Fatalf("second tender with %s: %v, want ErrDuplicateRequestNo", first.FreezeRequestNo, err)
		}
		got, err := r.Tenders.TenderByRequestNo(context.Background(), first.FreezeRequestNo)
		if err != nil || got.ID != first.ID || !got.Amount.Equal(first.Amount) || got.Status != biz.TenderPending {
			t.Fatalf("by request number: %+v, %v", got, err)
		}
		if _, err := r.Tenders.TenderByRequestNo(context.Background(), testkey.New("FZ")); !errors.Is(err, biz.ErrTenderNotFound) {
			t.Fatalf("unknown request number: %v, want ErrTenderNotFound", err)
		}
	})

	t.Run("tenders are listed by status and loaned together", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		p := newProject(t, r, "1000.00")
		a := newTender(t, r, p.ID, "100.00", biz.TenderFrozen)
		b := newTender(t, r, p.ID, "200.00", biz.TenderFrozen)
		newTender(t, r, p.ID, "300.00", biz.TenderFailed)
		ctx := context.Background()
		frozen, err := r.Tenders.Tenders(ctx, p.ID, biz.TenderFrozen)
		if err != nil || len(frozen) != 2 || frozen[0].ID != a.ID || frozen[1].ID != b.ID {
			t.Fatalf("FROZEN tenders %+v (%v), want %d and %d in id order", frozen, err, a.ID, b.ID)
		}
		var loaned int
		err = r.Tx.InTx(ctx, func(ctx context.Context) error {
			var err error
			loaned, err = r.Tenders.LoanTenders(ctx, p.ID)
			return err
		})
		if err != nil || loaned != 2 {
			t.Fatalf("LoanTenders = %d, %v; want 2", loaned, err)
		}
		for status, want := range map[biz.TenderStatus]int{biz.TenderFrozen: 0, biz.TenderLoaned: 2, biz.TenderFailed: 1} {
			if n, err := r.Tenders.CountTenders(ctx, p.ID, status); err != nil || n != want {
				t.Errorf("%s: %d (%v), want %d", status, n, err, want)
			}
		}
	})

	t.Run("a loan message is found by its key and changes state", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		p := newProject(t, r, "1000.00")
		ctx := context.Background()
		key := testkey.New("LM")
		m, err := r.Messages.CreateLoanMessage(ctx, p.ID, key)
		if err != nil || m.Key != key || m.ProjectID != p.ID || m.State != biz.LoanMessagePending {
			t.Fatalf("created %+v, %v", m, err)
		}
		if err := r.Messages.UpdateLoanMessageState(ctx, m.ID, biz.LoanMessageCommitted); err != nil {
			t.Fatal(err)
		}
		got, err := r.Messages.LoanMessage(ctx, key)
		if err != nil || got.ID != m.ID || got.State != biz.LoanMessageCommitted {
			t.Fatalf("read back %+v, %v", got, err)
		}
		if _, err := r.Messages.LoanMessage(ctx, testkey.New("LM")); !errors.Is(err, biz.ErrLoanMessageNotFound) {
			t.Fatalf("unknown key: %v, want ErrLoanMessageNotFound", err)
		}
	})

	t.Run("projects are listed newest first, by status, within the limit", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		older, newer := newProject(t, r, "1000.00"), newProject(t, r, "2000.00")
		list, err := r.Projects.Projects(context.Background(), biz.ProjectFilter{Status: biz.ProjectCollecting, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		at := map[int64]int{}
		for i, p := range list {
			if p.Status != biz.ProjectCollecting {
				t.Fatalf("status filter let %s through", p.Status)
			}
			at[p.ID] = i
		}
		io, okOld := at[older.ID]
		in, okNew := at[newer.ID]
		if !okOld || !okNew || in > io {
			t.Fatalf("newer %d at %d, older %d at %d (%v %v): want both, newest first", newer.ID, in, older.ID, io, okNew, okOld)
		}
		one, err := r.Projects.Projects(context.Background(), biz.ProjectFilter{Limit: 1})
		if err != nil || len(one) != 1 {
			t.Fatalf("limit 1: %d projects (%v)", len(one), err)
		}
	})
}

func newProject(t *testing.T, r Repos, amount string) *biz.Project {
	t.Helper()
	p, err := r.Projects.CreateProject(context.Background(), &biz.Project{
		BorrowerID: 11, BorrowerUserNo: "BU0000000011", Name: testkey.New("contract "),
		Amount: money.MustParseAmount(amount), AnnualRate: money.MustParseRate("0.15"),
		InvestorRate: money.MustParseRate("0.12"), Periods: 6, Status: biz.ProjectCollecting,
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Forget != nil {
		t.Cleanup(func() { r.Forget(p.ID) })
	}
	return p
}

func newTender(t *testing.T, r Repos, projectID int64, amount string, status biz.TenderStatus) *biz.Tender {
	t.Helper()
	tender, err := r.Tenders.CreateTender(context.Background(), &biz.Tender{ProjectID: projectID, InvestorID: 21,
		InvestorUserNo: "BU0000000021", Amount: money.MustParseAmount(amount), Status: status,
		FreezeRequestNo: testkey.New("FZ")})
	if err != nil {
		t.Fatal(err)
	}
	return tender
}
