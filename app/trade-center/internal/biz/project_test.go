package biz_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz/biztest"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

var (
	borrower = biz.Caller{UserID: 7, Role: biz.RoleBorrower, Token: "borrower-token"}
	admin    = biz.Caller{UserID: 1, Role: biz.RoleAdmin, Token: "admin-token"}
)

func openCustody() *fakeDirectory {
	return &fakeDirectory{custody: map[string]biz.Custody{
		"borrower-token": {UserID: 7, Status: biz.CustodyOpen, UserNo: "BU0000000007"},
		"alice-token":    {UserID: 21, Status: biz.CustodyOpen, UserNo: "BU0000000021"},
		"bob-token":      {UserID: 22, Status: biz.CustodyOpen, UserNo: "BU0000000022"},
		"pending-token":  {UserID: 23, Status: "PENDING"},
	}}
}

func newProjects(s *biztest.Store, b *fakeBank, d *fakeDirectory) *biz.ProjectUsecase {
	return biz.NewProjectUsecase(s, s, d, b, rules)
}

func TestParseProjectStatus(t *testing.T) {
	t.Parallel()
	for _, st := range biz.ProjectStatuses {
		got, err := biz.ParseProjectStatus(string(st))
		if err != nil || got != st {
			t.Errorf("ParseProjectStatus(%q) = %q, %v", st, got, err)
		}
	}
	for _, bad := range []string{"", "collecting", "OPEN", " FULL", "FULL "} {
		_, err := biz.ParseProjectStatus(bad)
		if !errors.Is(err, biz.ErrUnknownProjectStatus) {
			t.Errorf("ParseProjectStatus(%q) error = %v, want ErrUnknownProjectStatus", bad, err)
			continue
		}
		if !strings.Contains(err.Error(), "PENDING_REVIEW, COLLECTING, FULL, REPAYING, FINISHED, FAILED, REJECTED") {
			t.Errorf("error %q does not list the valid statuses", err)
		}
	}
}

func TestProjectsFilter(t *testing.T) {
	t.Parallel()
	s := biztest.NewStore()
	uc := newProjects(s, newFakeBank(), openCustody())
	for _, st := range []biz.ProjectStatus{biz.ProjectCollecting, biz.ProjectRepaying, biz.ProjectCollecting} {
		if _, err := s.CreateProject(context.Background(), &biz.Project{Status: st}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := uc.Projects(context.Background(), "COLLECTING")
	if err != nil || len(got) != 2 || got[0].ID != 3 || got[1].ID != 1 {
		t.Fatalf("Projects(COLLECTING) = %+v, %v; want 3 then 1", got, err)
	}
	if all, err := uc.Projects(context.Background(), ""); err != nil || len(all) != 3 {
		t.Fatalf("Projects() = %d, %v", len(all), err)
	}
	if _, err := uc.Projects(context.Background(), "BOGUS"); !errors.Is(err, biz.ErrUnknownProjectStatus) {
		t.Fatalf("Projects(BOGUS) error = %v", err)
	}
}

func validProject() biz.NewProject {
	return biz.NewProject{Name: "shop fit-out", Amount: money.MustParseAmount("10000.00"),
		AnnualRate: money.MustParseRate("0.15"), Periods: 12, CollectDays: biz.DefaultCollectDays}
}

func TestPublish(t *testing.T) {
	t.Parallel()
	s, d := biztest.NewStore(), openCustody()
	p, err := newProjects(s, newFakeBank(), d).Publish(context.Background(), borrower, validProject())
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != biz.ProjectPendingReview || p.BorrowerID != 7 || p.BorrowerUserNo != "BU0000000007" ||
		p.InvestorRate.String() != "0.12" || !p.Raised.IsZero() {
		t.Fatalf("published %+v; want PENDING_REVIEW, investors' rate 0.15 − 0.03", p)
	}
}

func TestPublishRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		caller biz.Caller
		edit   func(*biz.NewProject)
		field  string
		err    error
	}{
		{name: "investor", caller: biz.Caller{UserID: 21, Role: biz.RoleInvestor, Token: "alice-token"}, err: biz.ErrForbidden},
		{name: "admin", caller: admin, err: biz.ErrForbidden},
		{name: "no custody account", caller: biz.Caller{UserID: 9, Role: biz.RoleBorrower, Token: "nobody"}, err: biz.ErrCustodyNotOpen},
		{name: "custody pending", caller: biz.Caller{UserID: 23, Role: biz.RoleBorrower, Token: "pending-token"}, err: biz.ErrCustodyNotOpen},
		{name: "empty name", edit: func(n *biz.NewProject) { n.Name = "" }, field: "name"},
		{name: "padded name", edit: func(n *biz.NewProject) { n.Name = " x" }, field: "name"},
		{name: "long name", edit: func(n *biz.NewProject) { n.Name = strings.Repeat("é", 65) }, field: "name"},
		{name: "zero amount", edit: func(n *biz.NewProject) { n.Amount = money.Amount{} }, field: "amount"},
		{name: "below one minimum tender", edit: func(n *biz.NewProject) { n.Amount = money.MustParseAmount("99.99") }, field: "amount"},
		{name: "huge amount", edit: func(n *biz.NewProject) { n.Amount = money.MustParseAmount("100000000.01") }, field: "amount"},
		{name: "rate at the commission", edit: func(n *biz.NewProject) { n.AnnualRate = money.MustParseRate("0.03") }, field: "annualRate"},
		{name: "usurious rate", edit: func(n *biz.NewProject) { n.AnnualRate = money.MustParseRate("0.360001") }, field: "annualRate"},
		{name: "no periods", edit: func(n *biz.NewProject) { n.Periods = 0 }, field: "periods"},
		{name: "too many periods", edit: func(n *biz.NewProject) { n.Periods = 361 }, field: "periods"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, d := biztest.NewStore(), openCustody()
			n := validProject()
			if tt.edit != nil {
				tt.edit(&n)
			}
			caller := borrower
			if tt.caller.Role != "" {
				caller = tt.caller
			}
			_, err := newProjects(s, newFakeBank(), d).Publish(context.Background(), caller, n)
			var ia *biz.InvalidArgumentError
			switch {
			case tt.field != "" && (!errors.As(err, &ia) || ia.Field != tt.field):
				t.Fatalf("error %v, want an invalid %s", err, tt.field)
			case tt.err != nil && !errors.Is(err, tt.err):
				t.Fatalf("error %v, want %v", err, tt.err)
			}
			if stored, err := s.Projects(context.Background(), biz.ProjectFilter{}); err != nil || len(stored) != 0 {
				t.Fatalf("a refused publication stored %+v (%v)", stored, err)
			}
		})
	}
}

// publishedForReview is the borrower's valid project, published and waiting for review,
// with the store, bank and use case it was published through.
func publishedForReview(t *testing.T) (*biztest.Store, *fakeBank, *biz.ProjectUsecase, *biz.Project) {
	t.Helper()
	s, b := biztest.NewStore(), newFakeBank()
	uc := newProjects(s, b, openCustody())
	p, err := uc.Publish(context.Background(), borrower, validProject())
	if err != nil {
		t.Fatal(err)
	}
	return s, b, uc, p
}

func TestReviewApprovalRegistersAtTheBankFirst(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, b, uc, p := publishedForReview(t)

	b.registerErr = biz.ErrBankUnavailable
	if _, err := uc.Review(ctx, admin, p.ID, true); !errors.Is(err, biz.ErrBankUnavailable) {
		t.Fatalf("review with the bank down: %v", err)
	}
	if got, _ := s.Project(ctx, p.ID); got.Status != biz.ProjectPendingReview || got.BankProjectNo != "" {
		t.Fatalf("after a failed registration: %+v; want it still PENDING_REVIEW", got)
	}

	b.registerErr = nil
	st, err := uc.Review(ctx, admin, p.ID, true)
	if err != nil || st != biz.ProjectCollecting {
		t.Fatalf("review = %s, %v", st, err)
	}
	got, _ := s.Project(ctx, p.ID)
	if got.Status != biz.ProjectCollecting || got.BankProjectNo != "PRJ000000000001" {
		t.Fatalf("approved project %+v", got)
	}
	reg := b.registered[0]
	if reg.RequestNo != "PJ000000000001" || reg.ProjectNo != "PRJ000000000001" || reg.PlatformProjectID != p.ID ||
		reg.BorrowerUserNo != "BU0000000007" || reg.Amount.String() != "10000.00" {
		t.Fatalf("registered %+v", reg)
	}

	// The same decision again answers the status; the opposite one is refused.
	if st, err := uc.Review(ctx, admin, p.ID, true); err != nil || st != biz.ProjectCollecting {
		t.Fatalf("repeated approval = %s, %v", st, err)
	}
	if _, err := uc.Review(ctx, admin, p.ID, false); !errors.Is(err, biz.ErrProjectNotPendingReview) {
		t.Fatalf("rejecting an approved project: %v", err)
	}
	if len(b.registered) != 1 {
		t.Fatalf("the bank was asked to register %d times after approval", len(b.registered))
	}
}

func TestReviewRejection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, b, uc, p := publishedForReview(t)
	if _, err := uc.Review(ctx, borrower, p.ID, false); !errors.Is(err, biz.ErrForbidden) {
		t.Fatalf("review by the borrower: %v", err)
	}
	if st, err := uc.Review(ctx, admin, p.ID, false); err != nil || st != biz.ProjectRejected {
		t.Fatalf("rejection = %s, %v", st, err)
	}
	if st, err := uc.Review(ctx, admin, p.ID, false); err != nil || st != biz.ProjectRejected {
		t.Fatalf("repeated rejection = %s, %v", st, err)
	}
	if _, err := uc.Review(ctx, admin, p.ID, true); !errors.Is(err, biz.ErrProjectNotPendingReview) {
		t.Fatalf("approving a rejected project: %v", err)
	}
	if _, err := uc.Review(ctx, admin, 99, true); !errors.Is(err, biz.ErrProjectNotFound) {
		t.Fatalf("reviewing a missing project: %v", err)
	}
	if len(b.registered) != 0 {
		t.Fatalf("a rejected project was registered at the bank: %+v", b.registered)
	}
}

func TestProjectReserveAndReleaseMoveRaisedAndStatus(t *testing.T) {
	t.Parallel()
	p := &biz.Project{Amount: money.MustParseAmount("1000.00"), Raised: money.MustParseAmount("700.00"), Status: biz.ProjectCollecting}
	p.Reserve(money.MustParseAmount("200.00"))
	if p.Raised.String() != "900.00" || p.Status != biz.ProjectCollecting {
		t.Fatalf("after a partial reserve: raised %s, %s", p.Raised, p.Status)
	}
	p.Reserve(money.MustParseAmount("100.00"))
	if p.Raised.String() != "1000.00" || p.Status != biz.ProjectFull {
		t.Fatalf("after the last reserve: raised %s, %s; want 1000.00 FULL", p.Raised, p.Status)
	}
	p.Release(money.MustParseAmount("100.00"))
	if p.Raised.String() != "900.00" || p.Status != biz.ProjectCollecting {
		t.Fatalf("after a release: raised %s, %s; want 900.00 COLLECTING", p.Raised, p.Status)
	}
	p.StartRepaying()
	if p.Status != biz.ProjectRepaying {
		t.Fatalf("status %s, want REPAYING", p.Status)
	}
}
