package biztest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/testkey"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// Repos is one implementation of trade-center's repository ports.
type Repos struct {
	Tx           biz.Transaction
	Projects     biz.ProjectRepo
	Tenders      biz.TenderRepo
	Messages     biz.LoanMessageRepo
	Installments biz.InstallmentRepo
	// Forget removes what a test stored for a project (the database keeps rows between
	// tests; the fake needs nothing).
	Forget func(projectID int64)
}

// RepositoryContract is what the biz use cases rely on from the repositories, run against
// every implementation — the fake (Store) and the ent adapters — so a fake can never
// allow what the database refuses, or the other way round.
func RepositoryContract(t *testing.T, open func(t *testing.T) Repos) {
	failureContract(t, open)
	lockingReadContract(t, open)
	projectReadContract(t, open)
	raisedBoundsContract(t, open)
	rollbackContract(t, open)
	tenderRequestNoContract(t, open)
	tenderListContract(t, open)
	tenderGroupContract(t, open)
	tenderBulkContract(t, open)
	loanMessageContract(t, open)
	outboxContract(t, open)
	projectListContract(t, open)
}

func lockingReadContract(t *testing.T, open func(t *testing.T) Repos) {
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
}

func projectReadContract(t *testing.T, open func(t *testing.T) Repos) {
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
}

func raisedBoundsContract(t *testing.T, open func(t *testing.T) Repos) {
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
}

func rollbackContract(t *testing.T, open func(t *testing.T) Repos) {
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
}

func tenderGroupContract(t *testing.T, open func(t *testing.T) Repos) {
	t.Run("tenders lock and change status together", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		p := newProject(t, r, "1000.00")
		a := newTender(t, r, p.ID, "100.00", biz.TenderPending)
		b := newTender(t, r, p.ID, "200.00", biz.TenderPending)
		c := newTender(t, r, p.ID, "300.00", biz.TenderPending)
		ctx := context.Background()
		if _, err := r.Tenders.LockTenders(ctx, []int64{a.ID}); err == nil {
			t.Error("LockTenders outside a transaction succeeded")
		}
		err := r.Tx.InTx(ctx, func(ctx context.Context) error {
			locked, err := r.Tenders.LockTenders(ctx, []int64{c.ID, a.ID, -1})
			if err != nil {
				return err
			}
			if len(locked) != 2 || locked[0].ID != a.ID || locked[1].ID != c.ID || !locked[1].Amount.Equal(c.Amount) {
				t.Errorf("locked %+v, want tenders %d and %d by id", locked, a.ID, c.ID)
			}
			return r.Tenders.SetTendersStatus(ctx, []int64{a.ID, c.ID}, biz.TenderFrozen)
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []struct {
			tender *biz.Tender
			status biz.TenderStatus
		}{{a, biz.TenderFrozen}, {b, biz.TenderPending}, {c, biz.TenderFrozen}} {
			got, err := r.Tenders.TenderByRequestNo(ctx, want.tender.FreezeRequestNo)
			if err != nil || got.Status != want.status {
				t.Errorf("tender %d: %+v, %v, want %s", want.tender.ID, got, err, want.status)
			}
		}
	})
}

func tenderBulkContract(t *testing.T, open func(t *testing.T) Repos) {
	t.Run("tenders are inserted many at once in a transaction; a taken request number inserts none", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		p := newProject(t, r, "1000.00")
		old := newTender(t, r, p.ID, "100.00", biz.TenderPending)
		ctx := context.Background()
		fresh := func(amount string) *biz.Tender {
			return &biz.Tender{ProjectID: p.ID, InvestorID: 22, InvestorUserNo: "BU0000000022",
				Amount: money.MustParseAmount(amount), Status: biz.TenderPending, FreezeRequestNo: testkey.New("FZ")}
		}
		a, b := fresh("200.00"), fresh("300.00")
		if _, err := r.Tenders.CreateTenders(ctx, []*biz.Tender{a}); err == nil {
			t.Error("CreateTenders outside a transaction succeeded")
		}
		err := r.Tx.InTx(ctx, func(ctx context.Context) error {
			twin := *old
			_, err := r.Tenders.CreateTenders(ctx, []*biz.Tender{a, &twin})
			return err
		})
		if !errors.Is(err, biz.ErrDuplicateRequestNo) {
			t.Fatalf("a batch with a taken request number: %v, want ErrDuplicateRequestNo", err)
		}
		if _, err := r.Tenders.TenderByRequestNo(ctx, a.FreezeRequestNo); !errors.Is(err, biz.ErrTenderNotFound) {
			t.Fatalf("the refused batch stored %s: %v", a.FreezeRequestNo, err)
		}
		var stored []biz.Tender
		err = r.Tx.InTx(ctx, func(ctx context.Context) error {
			var err error
			stored, err = r.Tenders.CreateTenders(ctx, []*biz.Tender{b, a})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range []*biz.Tender{b, a} {
			got, err := r.Tenders.TenderByRequestNo(ctx, want.FreezeRequestNo)
			if err != nil || len(stored) != 2 || stored[i].ID != got.ID || stored[i].ID <= old.ID || !got.Amount.Equal(want.Amount) ||
				got.InvestorUserNo != want.InvestorUserNo || got.Status != biz.TenderPending {
				t.Errorf("tender %d: answered %+v, stored %+v, %v", i, stored, got, err)
			}
		}
	})
}

func tenderRequestNoContract(t *testing.T, open func(t *testing.T) Repos) {
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
}

func tenderListContract(t *testing.T, open func(t *testing.T) Repos) {
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
}

func loanMessageContract(t *testing.T, open func(t *testing.T) Repos) {
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
}

func outboxContract(t *testing.T, open func(t *testing.T) Repos) {
	t.Run("a committed message is due until confirmed, again after each re-send", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		p := newProject(t, r, "1000.00")
		ctx := context.Background()
		due := func(before time.Time) bool {
			t.Helper()
			list, err := r.Messages.Unconfirmed(ctx, before, 10000)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range list {
				if m.ProjectID == p.ID {
					return true
				}
			}
			return false
		}
		m, err := r.Messages.CreateLoanMessage(ctx, p.ID, testkey.New("LM"))
		if err != nil {
			t.Fatal(err)
		}
		later := time.Now().Add(time.Hour)
		if due(later) {
			t.Fatal("a PENDING message is due")
		}
		if err := r.Messages.UpdateLoanMessageState(ctx, m.ID, biz.LoanMessageCommitted); err != nil {
			t.Fatal(err)
		}
		if !due(later) || due(time.Now().Add(-time.Hour)) {
			t.Fatal("a committed message is due exactly once its commit is older than the cut-off")
		}
		sent := time.Now().Add(2 * time.Hour)
		if err := r.Messages.MarkRepublished(ctx, m.ID, sent); err != nil {
			t.Fatal(err)
		}
		if due(later) || !due(sent.Add(time.Second)) {
			t.Fatal("a re-sent message is due again only once the re-send is older than the cut-off")
		}
		if err := r.Messages.ConfirmLoanMessage(ctx, m.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		if due(sent.Add(time.Hour)) {
			t.Fatal("a confirmed message is due")
		}
		got, err := r.Messages.LoanMessage(ctx, m.Key)
		if err != nil || got.ConfirmedAt == nil || got.RepublishedAt == nil || got.Republished != 1 {
			t.Fatalf("read back %+v, %v", got, err)
		}
	})
}

func projectListContract(t *testing.T, open func(t *testing.T) Repos) {
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

// failureContract is what failed projects, refunds and installments rely on.
func failureContract(t *testing.T, open func(t *testing.T) Repos) {
	collectionFieldsContract(t, open)
	overdueContract(t, open)
	refundContract(t, open)
	installmentContract(t, open)
}

func collectionFieldsContract(t *testing.T, open func(t *testing.T) Repos) {
	t.Run("a project's collection and failure fields read back as stored", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		ctx := context.Background()
		p := newProject(t, r, "1000.00")
		if p.CollectDays != biz.DefaultCollectDays || p.CollectDeadline != nil || p.FailedAt != nil {
			t.Fatalf("fresh project: %d days, deadline %v, failed %v; want the default %d and neither date",
				p.CollectDays, p.CollectDeadline, p.FailedAt, biz.DefaultCollectDays)
		}
		opened := time.Date(2026, 5, 6, 7, 8, 9, 123456000, time.UTC)
		p.Open(opened)
		if err := p.Fail(opened.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := r.Projects.UpdateProject(ctx, p); err != nil {
			t.Fatal(err)
		}
		got, err := r.Projects.Project(ctx, p.ID)
		if err != nil || got.Status != biz.ProjectFailed || got.CollectDeadline == nil || got.FailedAt == nil ||
			!got.CollectDeadline.Equal(opened.AddDate(0, 0, 7)) || !got.FailedAt.Equal(opened.Add(time.Hour)) {
			t.Fatalf("read back %+v, %v", got, err)
		}
	})
}

func overdueContract(t *testing.T, open func(t *testing.T) Repos) {
	t.Run("overdue projects are the COLLECTING ones whose deadline is before the day", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		ctx := context.Background()
		// Deadlines long past and unique to this run, so no other project interferes.
		opened := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(time.Now().UnixNano()%1e9) * time.Microsecond)
		asOf := opened.AddDate(0, 0, 7).Add(time.Second)
		overdue, onTime, full := newProject(t, r, "1000.00"), newProject(t, r, "1000.00"), newProject(t, r, "1000.00")
		for _, p := range []*biz.Project{overdue, onTime, full} {
			p.Open(opened)
		}
		onTime.Open(opened.Add(time.Second)) // its deadline is asOf itself: not before it
		full.Reserve(full.Amount)
		for _, p := range []*biz.Project{overdue, onTime, full} {
			if err := r.Projects.UpdateProject(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		got, err := r.Projects.OverdueProjects(ctx, asOf, 1000)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for i, p := range got {
			if !p.CollectionOverdue(asOf) || (i > 0 && got[i-1].ID >= p.ID) {
				t.Fatalf("overdue list %+v: not overdue, or not by id", got)
			}
			found = found || p.ID == overdue.ID
			if p.ID == onTime.ID || p.ID == full.ID {
				t.Fatalf("project %d listed as overdue", p.ID)
			}
		}
		if !found {
			t.Fatalf("overdue project %d missing from %d listed", overdue.ID, len(got))
		}
	})
}

func refundContract(t *testing.T, open func(t *testing.T) Repos) {
	t.Run("tenders to refund are the FROZEN and PENDING ones of FAILED projects", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		ctx := context.Background()
		failed, collecting := newProject(t, r, "1000.00"), newProject(t, r, "1000.00")
		frozen := newTender(t, r, failed.ID, "100.00", biz.TenderFrozen)
		pending := newTender(t, r, failed.ID, "100.00", biz.TenderPending)
		newTender(t, r, failed.ID, "100.00", biz.TenderRefunded)
		newTender(t, r, failed.ID, "100.00", biz.TenderFailed)
		other := newTender(t, r, collecting.ID, "100.00", biz.TenderFrozen)
		if err := failed.Fail(time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := r.Projects.UpdateProject(ctx, failed); err != nil {
			t.Fatal(err)
		}
		got, err := r.Tenders.TendersToRefund(ctx, frozen.ID-1, 1000)
		if err != nil {
			t.Fatal(err)
		}
		var ours []int64
		for _, tender := range got {
			if tender.ProjectID == failed.ID || tender.ID == other.ID {
				ours = append(ours, tender.ID)
			}
		}
		if len(ours) != 2 || ours[0] != frozen.ID || ours[1] != pending.ID {
			t.Fatalf("tenders to refund %v, want %d and %d in id order", ours, frozen.ID, pending.ID)
		}
		page, err := r.Tenders.TendersToRefund(ctx, frozen.ID, 1)
		if err != nil || len(page) != 1 || page[0].ID != pending.ID {
			t.Fatalf("the page after %d: %+v, %v; want %d only", frozen.ID, page, err, pending.ID)
		}
	})
}

func installmentContract(t *testing.T, open func(t *testing.T) Repos) {
	t.Run("an installment is recorded once per period, and a repeat keeps the transaction", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		ctx := context.Background()
		p := newProject(t, r, "1000.00")
		in := biz.Installment{ProjectID: p.ID, Period: 1, RequestNo: testkey.New("RP"),
			Amount: money.MustParseAmount("171.56"), RepaidAt: time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)}
		var first, repeat bool
		err := r.Tx.InTx(ctx, func(ctx context.Context) error {
			var err error
			if first, err = r.Installments.RecordInstallment(ctx, in); err != nil {
				return err
			}
			again := in
			again.RequestNo = testkey.New("RP")
			if repeat, err = r.Installments.RecordInstallment(ctx, again); err != nil {
				return err
			}
			second := in
			second.Period = 2
			_, err = r.Installments.RecordInstallment(ctx, second)
			return err
		})
		if err != nil || !first || repeat {
			t.Fatalf("first %v, repeat %v, %v: want the first recorded, the repeat not, the transaction committed", first, repeat, err)
		}
		if n, err := r.Installments.CountInstallments(ctx, p.ID); err != nil || n != 2 {
			t.Fatalf("%d installments (%v), want 2", n, err)
		}
		if n, err := r.Installments.CountInstallments(ctx, -1); err != nil || n != 0 {
			t.Fatalf("%d installments of no project (%v)", n, err)
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
