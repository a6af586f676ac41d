package test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/p2p-dtx/p2p-dtx/test/driver"
)

// Scoped reads (DESIGN.md "Trust boundaries", API.md "repayment", "user-center"): every
// read answers its caller only — a project's plan to its borrower and ADMIN, receivables
// to their investors (their own rows) and ADMIN, user-center's reads per caller; 401
// without a token. trade-center's project reads are public by design. No fault point is
// armed, so the subtests may run beside other tests.

// readers is one loaned project and everyone who may or may not read about it.
type readers struct {
	w                      *moneyWorld
	l                      loan
	otherBorrower, outside *driver.User // a borrower and an investor with nothing to do with it
}

func TestScopedReads(t *testing.T) {
	w := newMoneyWorld(t)
	ctx := context.Background()
	borrower, investors := w.people(t, 2, "600.00", "")
	r := &readers{w: w, l: w.lend(t, borrower, investors, []string{"400.00", "200.00"}, 2)}
	var err error
	r.otherBorrower, err = w.p.Register(ctx, driver.NewUser{Role: "BORROWER"})
	must(t, err)
	r.outside, err = w.p.Register(ctx, driver.NewUser{Role: "INVESTOR"})
	must(t, err)
	w.forget(t, r.otherBorrower, r.outside)

	t.Run("RepaymentPlanIsTheBorrowersAndTheAdmins", r.plan)
	t.Run("ReceivablesAreTheirInvestorsAndTheAdmins", r.receivables)
	t.Run("UserCenterReadsAnswerTheCallerOnly", r.userCenter)
	t.Run("ProjectReadsArePublic", r.projects)
}

// refused checks err is the documented refusal: status, and reason when want names one.
func refused(t *testing.T, who string, err error, status int, reason string) {
	t.Helper()
	if driver.Status(err) != status || (reason != "" && driver.Reason(err) != reason) {
		t.Errorf("%s: %v, want %d %s", who, err, status, reason)
	}
}

func (r *readers) plan(t *testing.T) {
	ctx, p, id := context.Background(), r.w.p, r.l.id
	_, err := p.Plan(ctx, "", id)
	refused(t, "no token", err, http.StatusUnauthorized, "")
	for who, token := range map[string]string{"an investor of the project": r.l.investors[0].Token,
		"another borrower": r.otherBorrower.Token, "an investor outside it": r.outside.Token} {
		items, err := p.Plan(ctx, token, id)
		refused(t, who, err, http.StatusForbidden, "FORBIDDEN")
		if len(items) != 0 {
			t.Errorf("%s: refused but read %d installments", who, len(items))
		}
	}
	for who, token := range map[string]string{"the borrower": r.l.borrower.Token, "the admin": r.w.admin.Token} {
		items, err := p.Plan(ctx, token, id)
		if err != nil || !slices.Equal(items, r.l.plan) || len(items) != 2 {
			t.Errorf("%s: %+v, %v; want the project's 2 installments %+v", who, items, err, r.l.plan)
		}
	}
}

func (r *readers) receivables(t *testing.T) {
	ctx, p, id := context.Background(), r.w.p, r.l.id
	_, err := p.Receivables(ctx, "", id)
	refused(t, "no token", err, http.StatusUnauthorized, "")
	for who, token := range map[string]string{"the project's borrower": r.l.borrower.Token, "another borrower": r.otherBorrower.Token} {
		items, err := p.Receivables(ctx, token, id)
		refused(t, who, err, http.StatusForbidden, "FORBIDDEN")
		if len(items) != 0 {
			t.Errorf("%s: refused but read %d receivables", who, len(items))
		}
	}
	all, err := p.Receivables(ctx, r.w.admin.Token, id)
	if err != nil || len(all) != 4 || !slices.Equal(all, r.l.recv) {
		t.Fatalf("the admin: %+v, %v; want every row (2 tenders × 2 periods)", all, err)
	}
	for _, inv := range r.l.investors {
		want := slices.DeleteFunc(slices.Clone(all), func(it driver.Receivable) bool { return it.InvestorID != inv.ID })
		got, err := p.Receivables(ctx, inv.Token, id)
		if err != nil || len(want) != 2 || !slices.Equal(got, want) {
			t.Errorf("investor %s: %+v, %v; want their own 2 rows %+v", inv.ID, got, err, want)
		}
	}
	if got, err := p.Receivables(ctx, r.outside.Token, id); err != nil || len(got) != 0 {
		t.Errorf("an investor without a tender: %+v, %v; want an empty list", got, err)
	}
}

func (r *readers) userCenter(t *testing.T) {
	ctx, p := context.Background(), r.w.p
	owner, other := r.l.investors[0], r.l.investors[1]
	uc := p.UserCenter
	for _, path := range []string{"/v1/users/me", "/v1/users/me/balance", "/v1/recharges", "/v1/withdrawals", "/v1/platform/balance"} {
		refused(t, path+" without a token", p.Call(ctx, http.MethodGet, uc+path, "", nil, nil), http.StatusUnauthorized, "")
	}
	for _, u := range []*driver.User{owner, other} {
		if me, err := u.Me(ctx); err != nil || me.UserID != u.ID {
			t.Errorf("/v1/users/me of %s: %+v, %v", u.ID, me, err)
		}
		bal, err := u.Balance(ctx)
		acct := r.w.accounts(t, u)[0]
		if err != nil || bal.Balance != acct.Balance || bal.Frozen != acct.Frozen {
			t.Errorf("balance of %s: %+v, %v; the bank says %+v", u.ID, bal, err, acct)
		}
	}
	// A custody request is its owner's: anyone else is told it does not exist.
	g, err := owner.RequestRecharge(ctx, "1.00")
	must(t, err)
	// Its status is not the point (the reconciler may settle an unsubmitted request).
	if st, err := owner.RequestStatus(ctx, g.RequestNo); err != nil || st == "" {
		t.Errorf("the owner's request: %q, %v; want its status", st, err)
	}
	_, err = other.RequestStatus(ctx, g.RequestNo)
	refused(t, "another user's custody request", err, http.StatusNotFound, "REQUEST_NOT_FOUND")
	err = p.Call(ctx, http.MethodGet, uc+"/v1/custody/requests/"+g.RequestNo, r.w.admin.Token, nil, nil)
	refused(t, "the admin reading a user's custody request", err, http.StatusNotFound, "REQUEST_NOT_FOUND")
	// The recharge list holds credited recharges (not the pending request): each investor
	// recharged once, and sees that one only.
	if mine, theirs := r.recharges(t, owner), r.recharges(t, other); len(mine) != 1 || len(theirs) != 1 || mine[0] == theirs[0] {
		t.Errorf("recharges listed: %v for %s, %v for %s; want each their own one", mine, owner.ID, theirs, other.ID)
	}
	err = p.Call(ctx, http.MethodGet, uc+"/v1/platform/balance", owner.Token, nil, nil)
	refused(t, "an investor reading the platform's balance", err, http.StatusForbidden, "")
	if _, err := r.w.admin.PlatformBalance(ctx); err != nil {
		t.Errorf("the admin reading the platform's balance: %v", err)
	}
}

// recharges are the request numbers GET /v1/recharges lists for u.
func (r *readers) recharges(t *testing.T, u *driver.User) []string {
	t.Helper()
	var out struct {
		Items []struct {
			RequestNo string `json:"requestNo"`
		} `json:"items"`
	}
	must(t, r.w.p.Call(context.Background(), http.MethodGet, r.w.p.UserCenter+"/v1/recharges", u.Token, nil, &out))
	nos := make([]string, 0, len(out.Items))
	for _, it := range out.Items {
		nos = append(nos, it.RequestNo)
	}
	return nos
}

// projects: a project is a public listing (no bank numbers, no tenders), read without a
// token.
func (r *readers) projects(t *testing.T) {
	ctx, p := context.Background(), r.w.p
	if got, err := p.Project(ctx, r.l.id); err != nil || got.ProjectID != r.l.id || got.BorrowerID != r.l.borrower.ID {
		t.Errorf("GET /v1/projects/%s without a token: %+v, %v", r.l.id, got, err)
	}
	var list struct {
		Items []driver.Project `json:"items"`
	}
	err := p.Call(ctx, http.MethodGet, p.TradeCenter+"/v1/projects?status=REPAYING", "", nil, &list)
	if err != nil || !slices.ContainsFunc(list.Items, func(it driver.Project) bool { return it.ProjectID == r.l.id }) {
		t.Errorf("GET /v1/projects?status=REPAYING without a token: %d items, %v; want project %s among them", len(list.Items), err, r.l.id)
	}
}
