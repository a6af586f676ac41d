package biztest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
	"github.com/p2p-dtx/p2p-dtx/pkg/testkey"
)

// LendingRepos is one implementation of the bank's project and freeze ports.
type LendingRepos struct {
	Tx       biz.Transaction
	Projects biz.ProjectRepo
	Freezes  biz.FreezeRepo
	// Forget removes a project and its freezes (nil for the fake).
	Forget func(projectNo string)
}

// ProjectContract is what registration, freezes, the loan and repayments rely on from
// the project repository, run against every implementation.
func ProjectContract(t *testing.T, open func(t *testing.T) LendingRepos) {
	t.Run("a project reads back as stored; its number and its platform project are registered once", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		ctx := context.Background()
		p := newProject(t, r)
		got, err := r.Projects.Get(ctx, p.ProjectNo)
		if err != nil || got.PlatformProjectID != p.PlatformProjectID || got.BorrowerUserNo != p.BorrowerUserNo ||
			!got.Amount.Equal(p.Amount) || got.Status != biz.ProjectCollecting || !got.CreatedAt.Equal(p.CreatedAt) {
			t.Fatalf("read back %+v, %v; stored %+v", got, err, p)
		}
		sameNo := *p
		sameNo.PlatformProjectID = uniqueProjectID()
		if err := r.Projects.Create(ctx, &sameNo); !errors.Is(err, biz.ErrProjectAlreadyRegistered) {
			t.Fatalf("project number twice: %v, want ErrProjectAlreadyRegistered", err)
		}
		samePlatformProject := *p
		samePlatformProject.ProjectNo = testkey.New("PN")
		forgetProject(t, r, samePlatformProject.ProjectNo)
		if err := r.Projects.Create(ctx, &samePlatformProject); !errors.Is(err, biz.ErrProjectAlreadyRegistered) {
			t.Fatalf("platform project twice: %v, want ErrProjectAlreadyRegistered", err)
		}
		if _, err := r.Projects.Get(ctx, testkey.New("PN")); !errors.Is(err, biz.ErrProjectNotFound) {
			t.Fatalf("unknown project: %v, want ErrProjectNotFound", err)
		}
	})

	t.Run("a project is locked only in a transaction; its status changes, an unknown one's is refused", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		ctx := context.Background()
		p := newProject(t, r)
		if _, err := r.Projects.Lock(ctx, p.ProjectNo); err == nil {
			t.Error("Lock outside a transaction succeeded")
		}
		at := p.CreatedAt.Add(time.Minute)
		err := r.Tx.InTx(ctx, func(ctx context.Context) error {
			locked, err := r.Projects.Lock(ctx, p.ProjectNo)
			if err != nil {
				return err
			}
			return r.Projects.SetStatus(ctx, locked.ProjectNo, biz.ProjectLoaned, at)
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.Projects.Get(ctx, p.ProjectNo)
		if err != nil || got.Status != biz.ProjectLoaned || !got.UpdatedAt.Equal(at) {
			t.Fatalf("after SetStatus: %+v, %v; want LOANED at %s", got, err, at)
		}
		if err := r.Projects.SetStatus(ctx, testkey.New("PN"), biz.ProjectLoaned, at); err == nil {
			t.Error("SetStatus of an unknown project succeeded")
		}
	})
	projectHeldContract(t, open)
}

// projectHeldContract: what a project's freezes hold, kept by SetHeld.
func projectHeldContract(t *testing.T, open func(t *testing.T) LendingRepos) {
	t.Run("a new project holds nothing; what it holds changes in a transaction only", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		ctx := context.Background()
		p := newProject(t, r)
		if got, err := r.Projects.Get(ctx, p.ProjectNo); err != nil || !got.Held.IsZero() {
			t.Fatalf("new project: %+v, %v; want nothing held", got, err)
		}
		held := money.MustParseAmount("250.00")
		at := p.CreatedAt.Add(time.Minute)
		if err := r.Projects.SetHeld(ctx, p.ProjectNo, held, at); err == nil {
			t.Error("SetHeld outside a transaction succeeded")
		}
		if err := r.Tx.InTx(ctx, func(ctx context.Context) error {
			if _, err := r.Projects.Lock(ctx, p.ProjectNo); err != nil {
				return err
			}
			return r.Projects.SetHeld(ctx, p.ProjectNo, held, at)
		}); err != nil {
			t.Fatal(err)
		}
		if got, err := r.Projects.Get(ctx, p.ProjectNo); err != nil || !got.Held.Equal(held) {
			t.Fatalf("after SetHeld: %+v, %v; want %s held", got, err, held)
		}
	})
}

// FreezeContract is what freezes, unfreezes and the loan rely on from the freeze
// repository, run against every implementation.
func FreezeContract(t *testing.T, open func(t *testing.T) LendingRepos) {
	t.Run("a freeze reads back as stored; its request number is taken once", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		ctx := context.Background()
		p := newProject(t, r)
		f := newFreeze(t, r, p.ProjectNo, "0.05")
		got, err := r.Freezes.Get(ctx, f.RequestNo)
		if err != nil || got.ProjectNo != f.ProjectNo || got.UserNo != f.UserNo || !got.Amount.Equal(f.Amount) ||
			got.Status != biz.FreezeFrozen || !got.CreatedAt.Equal(f.CreatedAt) {
			t.Fatalf("read back %+v, %v; stored %+v", got, err, f)
		}
		twin := *f
		if err := r.Freezes.Create(ctx, &twin); !errors.Is(err, biz.ErrDuplicateRequest) {
			t.Fatalf("request number twice: %v, want ErrDuplicateRequest", err)
		}
		if _, err := r.Freezes.Get(ctx, testkey.New("FZ")); !errors.Is(err, biz.ErrFreezeNotFound) {
			t.Fatalf("unknown freeze: %v, want ErrFreezeNotFound", err)
		}
	})

	t.Run("a project's freezes are read in a transaction, by request number, whatever their status", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		ctx := context.Background()
		p, other := newProject(t, r), newProject(t, r)
		base := testkey.New("FZ")
		var want []string
		for _, suffix := range []string{"-2", "-3", "-1"} { // created out of order
			want = append(want, createFreeze(t, r, base+suffix, p.ProjectNo, "1.00").RequestNo)
		}
		newFreeze(t, r, other.ProjectNo, "1.00")
		if err := r.Freezes.SetStatus(ctx, want[:1], biz.FreezeTransferred, p.CreatedAt.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Freezes.OfProject(ctx, p.ProjectNo); err == nil {
			t.Error("OfProject outside a transaction succeeded")
		}
		err := r.Tx.InTx(ctx, func(ctx context.Context) error {
			got, err := r.Freezes.OfProject(ctx, p.ProjectNo)
			if err != nil {
				return err
			}
			if len(got) != 3 || got[0].RequestNo != base+"-1" || got[1].RequestNo != base+"-2" || got[2].RequestNo != base+"-3" ||
				got[1].Status != biz.FreezeTransferred || got[0].Status != biz.FreezeFrozen {
				return fmt.Errorf("OfProject = %v, want %s-1 FROZEN, -2 TRANSFERRED, -3 FROZEN", got, base)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})

	freezeStatusContract(t, open)
	freezeManyContract(t, open)
}

// freezeManyContract is what a batch of freezes relies on.
func freezeManyContract(t *testing.T, open func(t *testing.T) LendingRepos) {
	t.Run("freezes are stored and read many at once; a taken number stores none", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		ctx := context.Background()
		p := newProject(t, r)
		old := newFreeze(t, r, p.ProjectNo, "1.00")
		now := time.Now().UTC().Truncate(time.Second)
		fresh := func(amount string) *biz.Freeze {
			return &biz.Freeze{RequestNo: testkey.New("FZ"), ProjectNo: p.ProjectNo, UserNo: "BU0000000003",
				Amount: money.MustParseAmount(amount), Status: biz.FreezeFrozen, CreatedAt: now, UpdatedAt: now}
		}
		a, b := fresh("2.00"), fresh("3.00")
		if err := r.Freezes.CreateAll(ctx, []*biz.Freeze{a, old}); !errors.Is(err, biz.ErrDuplicateRequest) {
			t.Fatalf("a batch with a taken number: %v, want ErrDuplicateRequest", err)
		}
		if _, err := r.Freezes.Get(ctx, a.RequestNo); !errors.Is(err, biz.ErrFreezeNotFound) {
			t.Fatalf("the refused batch stored %s: %v", a.RequestNo, err)
		}
		if err := r.Freezes.CreateAll(ctx, []*biz.Freeze{a, b}); err != nil {
			t.Fatal(err)
		}
		got, err := r.Freezes.GetMany(ctx, []string{old.RequestNo, a.RequestNo, b.RequestNo, testkey.New("FZ")})
		if err != nil || len(got) != 3 {
			t.Fatalf("read %d freezes, %v; want 3", len(got), err)
		}
		for _, want := range []*biz.Freeze{old, a, b} {
			f := got[want.RequestNo]
			if f == nil || f.UserNo != want.UserNo || !f.Amount.Equal(want.Amount) || f.ProjectNo != p.ProjectNo || f.Status != biz.FreezeFrozen {
				t.Errorf("freeze %s read back %+v, stored %+v", want.RequestNo, f, want)
			}
		}
	})
}

// freezeStatusContract is what the loan and unfreezes rely on from changing statuses.
func freezeStatusContract(t *testing.T, open func(t *testing.T) LendingRepos) {
	t.Run("statuses change together; naming an unknown freeze is refused", func(t *testing.T) {
		t.Parallel()
		r := open(t)
		ctx := context.Background()
		p := newProject(t, r)
		a, b := newFreeze(t, r, p.ProjectNo, "1.00"), newFreeze(t, r, p.ProjectNo, "2.00")
		at := p.CreatedAt.Add(time.Minute)
		if err := r.Freezes.SetStatus(ctx, []string{a.RequestNo, b.RequestNo}, biz.FreezeTransferred, at); err != nil {
			t.Fatal(err)
		}
		for _, no := range []string{a.RequestNo, b.RequestNo} {
			if got, err := r.Freezes.Get(ctx, no); err != nil || got.Status != biz.FreezeTransferred || !got.UpdatedAt.Equal(at) {
				t.Fatalf("freeze %s = %+v, %v; want TRANSFERRED at %s", no, got, err, at)
			}
		}
		// Unchanged values are no error (MariaDB counts changed rows, not matched ones).
		if err := r.Freezes.SetStatus(ctx, []string{a.RequestNo}, biz.FreezeTransferred, at); err != nil {
			t.Fatalf("setting the status a freeze has: %v", err)
		}
		err := r.Tx.InTx(ctx, func(ctx context.Context) error {
			return r.Freezes.SetStatus(ctx, []string{a.RequestNo, testkey.New("FZ")}, biz.FreezeUnfrozen, at.Add(time.Second))
		})
		if err == nil {
			t.Fatal("SetStatus naming an unknown freeze succeeded")
		}
		if got, err := r.Freezes.Get(ctx, a.RequestNo); err != nil || got.Status != biz.FreezeTransferred {
			t.Fatalf("freeze %s after the refused change = %+v, %v; want TRANSFERRED", a.RequestNo, got, err)
		}
	})
}

// uniqueProjectID is a platform project id no other test or earlier run registered.
func uniqueProjectID() int64 { return time.Now().UnixNano() + testkey.Seq() }

func forgetProject(t *testing.T, r LendingRepos, projectNo string) {
	if r.Forget != nil {
		t.Cleanup(func() { r.Forget(projectNo) })
	}
}

// newProject registers a COLLECTING project, forgotten when the test ends.
func newProject(t *testing.T, r LendingRepos) *biz.Project {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	p := &biz.Project{ProjectNo: testkey.New("PN"), PlatformProjectID: uniqueProjectID(), BorrowerUserNo: "BU0000000001",
		Amount: money.MustParseAmount("12345.67"), Status: biz.ProjectCollecting, CreatedAt: now, UpdatedAt: now}
	forgetProject(t, r, p.ProjectNo)
	if err := r.Projects.Create(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return p
}

// newFreeze stores a FROZEN freeze of the project (forgotten with it).
func newFreeze(t *testing.T, r LendingRepos, projectNo, amount string) *biz.Freeze {
	t.Helper()
	return createFreeze(t, r, testkey.New("FZ"), projectNo, amount)
}

func createFreeze(t *testing.T, r LendingRepos, requestNo, projectNo, amount string) *biz.Freeze {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	f := &biz.Freeze{RequestNo: requestNo, ProjectNo: projectNo, UserNo: "BU0000000002", Amount: money.MustParseAmount(amount),
		Status: biz.FreezeFrozen, CreatedAt: now, UpdatedAt: now}
	if err := r.Freezes.Create(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	return f
}
