package test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
	"github.com/p2p-dtx/p2p-dtx/pkg/mq"
	"github.com/p2p-dtx/p2p-dtx/test/client"
	"github.com/p2p-dtx/p2p-dtx/test/driver"
	"github.com/p2p-dtx/p2p-dtx/test/stack"
)

// Lending scenarios (DESIGN.md "Full-loan approval"): a borrower publishes a project, an
// admin reviews it, investors with OPEN custody accounts tender (each tender freezes money
// at the bank), and the full-loan approval moves the money to the borrower and starts
// repayment with a RocketMQ transactional message that repayment consumes idempotently.
//
// Everything runs against the real stack. The borrower and five investors are set up once
// (registration, then the bank's gateway form to open and recharge their custody
// accounts) and shared by the subtests, which run one after another because fault points
// are process-wide.

var tradeCenter = client.New(stack.HTTP("trade-center"))

const (
	startRepaymentTopic = "TP_START_REPAYMENT"
	// The platform's commission and minimum tender in app/trade-center/configs/local.yaml.
	commissionRate = "0.03"
	minimumTender  = "100.00"
	// What each investor has at the bank before the subtests.
	investorRecharge = "10000.00"
)

// lender is a registered user with an OPEN custody account.
type lender struct {
	custodian
	api *client.Client // trade-center with the user's token, for raw answers
}

type lendingWorld struct {
	env       stack.Env
	admin     *driver.Admin
	adminAPI  *client.Client // trade-center with the admin's token, for raw answers
	borrower  lender
	investors []lender

	mu       sync.Mutex
	projects []string // published, for the final clean-up of repayment's rows
}

func TestLending(t *testing.T) {
	env := stack.Load(t)
	rlog.SetLogLevel("warn") // the spy consumer and the duplicate's producer chat at info
	w := newLendingWorld(t, env, 5)
	t.Run("WholePath", func(t *testing.T) { lendingWholePath(t, w) })
	t.Run("RetriedTenderFreezesOnce", func(t *testing.T) { lendingRetriedTender(t, w) })
	t.Run("UnsignedRefusalIsNoRefusal", func(t *testing.T) { lendingUnsignedRefusal(t, w) })
	t.Run("LocalTxFailRollsTheMessageBack", func(t *testing.T) { lendingLocalTxFail(t, w) })
	t.Run("LocalTxUnknownIsCommittedByCheckBack", func(t *testing.T) { lendingLocalTxUnknown(t, w) })
	t.Run("LostMessageIsSentAgainByTheOutbox", func(t *testing.T) { lendingMessageLost(t, w) })
	t.Run("ConsumerFailureIsRedelivered", func(t *testing.T) { lendingConsumerRetry(t, w) })
	t.Run("DuplicateMessageWritesOnePlan", func(t *testing.T) { lendingDuplicateMessage(t, w) })
	t.Run("DeadLetterIsRedriven", func(t *testing.T) { lendingDeadLetterIsRedriven(t, w) })
	t.Run("GivenUpDeadLetterIsRedrivenByTheOperator", func(t *testing.T) { lendingGivenUpDeadLetterIsRedrivenByTheOperator(t, w) })
	t.Run("ConcurrentTendersNeverOverRaise", func(t *testing.T) { lendingConcurrentTenders(t, w) })
	t.Run("APlanIsNeverVisibleHalfWritten", func(t *testing.T) { lendingPlanNeverHalfWritten(t, w) })
	t.Run("BadRequestsChangeNothing", func(t *testing.T) { lendingBadRequests(t, w) })
	// crash_test.go: kill -9 at a named step, restart, converge.
	t.Run("CrashAfterTenderRowIsSettled", func(t *testing.T) { lendingCrashInTender(t, w, "crash.tender.after_row") })
	t.Run("CrashAfterTenderFreezeIsSettled", func(t *testing.T) { lendingCrashInTender(t, w, "crash.tender.after_freeze") })
	t.Run("CrashAfterLoanTransferIsResumed", func(t *testing.T) { lendingCrashAfterTransfer(t, w) })
	t.Run("CrashAfterLoanLocalTxIsCommittedByCheckBack", func(t *testing.T) { lendingCrashAfterLocalTx(t, w) })
	t.Run("CrashInsidePlanTransactionIsRedelivered", func(t *testing.T) { lendingCrashInPlanTx(t, w) })
	newMoneyWorld(t).conserved(t) // the bank's books add up after all of it
}

// newLendingWorld registers a borrower and n investors (cleaned up when the test ends),
// opens their custody accounts at the bank and recharges the investors, in parallel.
//
// The bank's page is submitted over plain HTTP (atBank) rather than in Chromium: the
// custody tests drive the real page; here it is only a fixture, and several browsers at
// once make test/browser's temporary profile directories fail to clean up (Chromium is
// still writing to them when the test removes them).
func newLendingWorld(t *testing.T, env stack.Env, n int) *lendingWorld {
	t.Helper()
	admin, err := platform(t).Admin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	w := &lendingWorld{env: env, admin: admin, adminAPI: tradeCenter.WithToken(admin.Token)}
	// A project's plans are removed only when the whole test ends: the broker delivers
	// start-repayment messages at least once, and a late duplicate would write the plans
	// of a project again right after a subtest had removed them.
	rp := env.Inspect(t, "repayment")
	t.Cleanup(func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		for _, id := range w.projects {
			for _, q := range []string{"DELETE FROM receivable_plan WHERE project_id = ?", "DELETE FROM repayment_plan WHERE project_id = ?"} {
				if _, err := rp.Exec(q, id); err != nil {
					t.Errorf("cleanup: %v", err)
				}
			}
		}
	})
	w.borrower = lender{custodian: registeredUser(t, env, "BORROWER")}
	for range n {
		w.investors = append(w.investors, lender{custodian: registeredUser(t, env, "INVESTOR")})
	}
	people := append([]*lender{&w.borrower}, pointers(w.investors)...)
	ok := t.Run("custody accounts", func(t *testing.T) {
		for i, l := range people {
			t.Run(l.Username, func(t *testing.T) {
				t.Parallel()
				atBank(t, l.requestAccount(t).Gateway)
				l.UserNo = l.waitOpen(t, 60*time.Second)
				if i == 0 {
					return // the borrower needs no money of their own
				}
				r := l.requestRecharge(t, investorRecharge)
				atBank(t, r.Gateway)
				stack.Eventually(t, 60*time.Second, func() error {
					if s := l.requestStatus(t, r.RequestNo); s != "SUCCESS" {
						return fmt.Errorf("recharge %s is %s", r.RequestNo, s)
					}
					return nil
				})
			})
		}
	})
	if !ok {
		t.Fatal("the borrower and investors could not open and fund their custody accounts")
	}
	for _, l := range people {
		l.api = tradeCenter.WithToken(l.Token)
	}
	return w
}

func pointers(ls []lender) []*lender {
	out := make([]*lender, len(ls))
	for i := range ls {
		out[i] = &ls[i]
	}
	return out
}

// --- trade-center calls -------------------------------------------------------------------

// publish lists a project for the borrower and removes its rows in trade-center when the
// test ends (its plans when the whole TestLending ends).
func (w *lendingWorld) publish(t *testing.T, amount, rate string, periods int) string {
	t.Helper()
	var out struct {
		ProjectID string `json:"projectId"`
		Status    string `json:"status"`
	}
	name := t.Name()
	if len(name) > 60 {
		name = name[len(name)-60:]
	}
	body := map[string]any{"name": name, "amount": amount, "annualRate": rate, "periods": periods}
	if r := w.borrower.api.Do(t, http.MethodPost, "/v1/projects", body, &out); r.Status != http.StatusOK || out.Status != "PENDING_REVIEW" {
		t.Fatalf("publish: %v %+v", r, out)
	}
	w.mu.Lock()
	w.projects = append(w.projects, out.ProjectID)
	w.mu.Unlock()
	tc := w.env.Inspect(t, "trade_center")
	t.Cleanup(func() {
		for _, q := range []string{
			"DELETE FROM tender WHERE project_id = ?",
			"DELETE FROM loan_message WHERE project_id = ?",
			"DELETE FROM project WHERE id = ?",
		} {
			if _, err := tc.Exec(q, out.ProjectID); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
	})
	return out.ProjectID
}

func (w *lendingWorld) review(t *testing.T, id string, approve bool) string {
	t.Helper()
	st, err := w.admin.Review(context.Background(), id, approve)
	if err != nil {
		t.Fatalf("review %s: %v", id, err)
	}
	return st
}

func getProject(t *testing.T, id string) driver.Project {
	t.Helper()
	p, err := platform(t).Project(context.Background(), id)
	if err != nil {
		t.Fatalf("GET /v1/projects/%s: %v", id, err)
	}
	return p
}

func (l lender) tender(t *testing.T, id, amount string) (driver.Tender, client.Response) {
	t.Helper()
	var out driver.Tender
	r := l.api.Do(t, http.MethodPost, "/v1/projects/"+id+"/tenders", map[string]string{"amount": amount}, &out)
	return out, r
}

func (l lender) mustTender(t *testing.T, id, amount string) driver.Tender {
	t.Helper()
	out, r := l.tender(t, id, amount)
	if r.Status != http.StatusOK || out.Status != "FROZEN" || out.Amount != amount {
		t.Fatalf("tender %s in project %s: %v %+v", amount, id, r, out)
	}
	return out
}

func (w *lendingWorld) approveLoan(t *testing.T, id string) (string, client.Response) {
	t.Helper()
	var out struct {
		Status string `json:"status"`
	}
	r := w.adminAPI.Do(t, http.MethodPost, "/v1/projects/"+id+"/loan", map[string]bool{"approve": true}, &out)
	return out.Status, r
}

// fullProject publishes and approves a project of amount that the given investors fill
// with the given tenders, and returns its id.
func (w *lendingWorld) fullProject(t *testing.T, periods int, tenders map[int]string) string {
	t.Helper()
	total := money.Amount{}
	for _, a := range tenders {
		total = total.Add(money.MustParseAmount(a))
	}
	id := w.publish(t, total.String(), "0.12", periods)
	if st := w.review(t, id, true); st != "COLLECTING" {
		t.Fatalf("review: %s", st)
	}
	for i, a := range tenders {
		w.investors[i].mustTender(t, id, a)
	}
	if p := getProject(t, id); p.Status != "FULL" || p.Raised != total.String() {
		t.Fatalf("project after its tenders: %+v", p)
	}
	return id
}

// --- repayment ----------------------------------------------------------------------------

func plans(t *testing.T, id string) ([]driver.Installment, []driver.Receivable) {
	t.Helper()
	// Plans are readable by the project's borrower and the admin only (API.md).
	ctx, p, token := context.Background(), platform(t), admin(t).Token
	rp, err := p.Plan(ctx, token, id)
	if err != nil {
		t.Fatalf("GET repayment-plan: %v", err)
	}
	rc, err := p.Receivables(ctx, token, id)
	if err != nil {
		t.Fatalf("GET receivables: %v", err)
	}
	return rp, rc
}

// waitPlans waits until the project's plans are there and returns them.
func waitPlans(t *testing.T, id string, within time.Duration) ([]driver.Installment, []driver.Receivable) {
	t.Helper()
	var rp []driver.Installment
	var rc []driver.Receivable
	stack.Eventually(t, within, func() error {
		if rp, rc = plans(t, id); len(rp) == 0 {
			return fmt.Errorf("no repayment plan for project %s yet", id)
		}
		return nil
	})
	return rp, rc
}

// planRows counts the project's rows in repayment's tables, duplicates included.
func planRows(t *testing.T, env stack.Env, id string) (repayments, receivables int) {
	t.Helper()
	db := env.Inspect(t, "repayment")
	if err := db.QueryRow("SELECT COUNT(*) FROM repayment_plan WHERE project_id = ?", id).Scan(&repayments); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT COUNT(*) FROM receivable_plan WHERE project_id = ?", id).Scan(&receivables); err != nil {
		t.Fatal(err)
	}
	return repayments, receivables
}

// checkPlans asserts the plans are complete and add up: one repayment row per period, one
// receivable row per tender and period, principals summing to the loan and to each
// tender, and per period the borrower's amount equal to the investors' plus commission.
func checkPlans(t *testing.T, rp []driver.Installment, rc []driver.Receivable, principal string, periods int, tenders map[string]string) {
	t.Helper()
	if len(rp) != periods || len(rc) != periods*len(tenders) {
		t.Fatalf("plans have %d repayment and %d receivable rows, want %d and %d", len(rp), len(rc), periods, periods*len(tenders))
	}
	var sum money.Amount
	for i, it := range rp {
		if it.Period != i+1 || it.Status != "PENDING" {
			t.Errorf("repayment item %d: %+v", i, it)
		}
		sum = sum.Add(money.MustParseAmount(it.Principal))
	}
	if sum.String() != principal {
		t.Errorf("the borrower repays %s principal, borrowed %s", sum, principal)
	}
	perTender := map[string]money.Amount{}
	perPeriod := map[int]money.Amount{}
	for _, it := range rc {
		perTender[it.TenderID] = perTender[it.TenderID].Add(money.MustParseAmount(it.Principal))
		perPeriod[it.Period] = perPeriod[it.Period].Add(money.MustParseAmount(it.Amount))
	}
	for id, amount := range tenders {
		if perTender[id].String() != amount {
			t.Errorf("tender %s receives %s principal, invested %s", id, perTender[id], amount)
		}
	}
	for _, it := range rp {
		owed := perPeriod[it.Period].Add(money.MustParseAmount(it.Commission))
		if owed.String() != it.Amount || money.MustParseAmount(it.Commission).IsNegative() {
			t.Errorf("period %d: borrower pays %s, investors get %s plus commission %s", it.Period, it.Amount, perPeriod[it.Period], it.Commission)
		}
	}
}

// --- inspection -----------------------------------------------------------------------------

func tenderStatuses(t *testing.T, env stack.Env, id string) map[string]int {
	t.Helper()
	rs, err := env.Inspect(t, "trade_center").Query("SELECT status, COUNT(*) FROM tender WHERE project_id = ? GROUP BY status", id)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	out := map[string]int{}
	for rs.Next() {
		var s string
		var n int
		if err := rs.Scan(&s, &n); err != nil {
			t.Fatal(err)
		}
		out[s] = n
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func loanMessages(t *testing.T, env stack.Env, id string) map[string]string {
	t.Helper()
	rs, err := env.Inspect(t, "trade_center").Query("SELECT message_key, state FROM loan_message WHERE project_id = ?", id)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	out := map[string]string{}
	for rs.Next() {
		var k, s string
		if err := rs.Scan(&k, &s); err != nil {
			t.Fatal(err)
		}
		out[k] = s
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// bankFrozenFor sums what the bank holds frozen (or transferred) for the project.
func bankFrozenFor(t *testing.T, env stack.Env, id string) (string, int) {
	t.Helper()
	var projectNo sql.NullString
	if err := env.Inspect(t, "trade_center").QueryRow("SELECT bank_project_no FROM project WHERE id = ?", id).Scan(&projectNo); err != nil {
		t.Fatal(err)
	}
	if !projectNo.Valid {
		return "0.00", 0
	}
	var sum sql.NullString
	var n int
	if err := env.Inspect(t, "bank_custody").QueryRow("SELECT SUM(amount), COUNT(*) FROM bank_freeze WHERE project_no = ?",
		projectNo.String).Scan(&sum, &n); err != nil {
		t.Fatal(err)
	}
	if !sum.Valid {
		return "0.00", 0
	}
	return money.MustParseAmount(sum.String).String(), n
}

// logLines returns the lines of a component's log under the run directory that contain
// every one of parts.
func logLines(t *testing.T, env stack.Env, component string, parts ...string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(env["P2P_RUN_DIR"], "logs", component+".log"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
next:
	for _, line := range strings.Split(string(b), "\n") {
		for _, p := range parts {
			if !strings.Contains(line, p) {
				continue next
			}
		}
		out = append(out, line)
	}
	return out
}

// logLinesSince is logLines restricted to lines stamped (ts=…) at or after since.
func logLinesSince(t *testing.T, env stack.Env, component string, since time.Time, parts ...string) []string {
	t.Helper()
	var out []string
	for _, line := range logLines(t, env, component, parts...) {
		i := strings.Index(line, "ts=")
		if i < 0 {
			continue
		}
		stamp, _, _ := strings.Cut(line[i+3:], " ")
		if ts, err := time.Parse(time.RFC3339, stamp); err == nil && !ts.Before(since.Truncate(time.Second)) {
			out = append(out, line)
		}
	}
	return out
}

func sub(a, b string) string { return money.MustParseAmount(a).Sub(money.MustParseAmount(b)).String() }

func mustSigned(s string) money.Amount {
	a, err := money.ParseSignedAmount(s)
	if err != nil {
		panic(err)
	}
	return a
}

func add(a, b string) string { return money.MustParseAmount(a).Add(money.MustParseAmount(b)).String() }

// --- scenarios ------------------------------------------------------------------------------

func lendingWholePath(t *testing.T, w *lendingWorld) {
	a, b := w.investors[0], w.investors[1]
	before := map[string]driver.Account{}
	for _, l := range []lender{w.borrower, a, b} {
		before[l.UserNo] = bankBalance(t, l.UserNo)
	}

	id := w.publish(t, "1000.00", "0.15", 12)
	p := getProject(t, id)
	if p.Status != "PENDING_REVIEW" || p.Amount != "1000.00" || p.Raised != "0.00" || p.AnnualRate != "0.15" ||
		p.InvestorRate != "0.12" || p.BorrowerID != w.borrower.ID {
		t.Fatalf("published project %+v (investors' rate = 0.15 − commission %s)", p, commissionRate)
	}
	if st := w.review(t, id, true); st != "COLLECTING" {
		t.Fatalf("review: %s", st)
	}
	ta := a.mustTender(t, id, "600.00")
	if p := getProject(t, id); p.Status != "COLLECTING" || p.Raised != "600.00" {
		t.Fatalf("after the first tender: %+v", p)
	}
	if got := bankBalance(t, a.UserNo); got.Frozen != add(before[a.UserNo].Frozen, "600.00") || got.Balance != before[a.UserNo].Balance {
		t.Fatalf("investor A at the bank after tendering 600.00: %+v, before %+v", got, before[a.UserNo])
	}
	tb := b.mustTender(t, id, "400.00") // fills it
	if p := getProject(t, id); p.Status != "FULL" || p.Raised != "1000.00" {
		t.Fatalf("after the filling tender: %+v", p)
	}

	status, r := w.approveLoan(t, id)
	if r.Status != http.StatusOK || status != "REPAYING" {
		t.Fatalf("loan approval: %v %q", r, status)
	}
	if p := getProject(t, id); p.Status != "REPAYING" {
		t.Fatalf("after the approval: %+v", p)
	}
	if st := tenderStatuses(t, w.env, id); fmt.Sprint(st) != fmt.Sprint(map[string]int{"LOANED": 2}) {
		t.Fatalf("tenders %v, want 2 LOANED", st)
	}
	rp, rc := waitPlans(t, id, 30*time.Second)
	checkPlans(t, rp, rc, "1000.00", 12, map[string]string{ta.TenderID: "600.00", tb.TenderID: "400.00"})
	for _, it := range rc {
		want := a.ID
		if it.TenderID == tb.TenderID {
			want = b.ID
		}
		if it.InvestorID != want {
			t.Fatalf("receivable %+v belongs to investor %s", it, want)
		}
	}

	// The money went from the investors to the borrower at the bank.
	for _, c := range []struct {
		l     lender
		delta string // what the balance gained; frozen is back where it was
	}{
		{w.borrower, "1000.00"}, {a, "-600.00"}, {b, "-400.00"},
	} {
		was, now := before[c.l.UserNo], bankBalance(t, c.l.UserNo)
		want := money.MustParseAmount(was.Balance).Add(mustSigned(c.delta)).String()
		if now.Balance != want || now.Frozen != was.Frozen {
			t.Errorf("%s at the bank: %+v, before %+v; want balance %s", c.l.Username, now, was, want)
		}
	}

	// Approving again changes nothing and answers REPAYING.
	if status, r := w.approveLoan(t, id); r.Status != http.StatusOK || status != "REPAYING" {
		t.Fatalf("repeated approval: %v %q", r, status)
	}
	if now := bankBalance(t, w.borrower.UserNo); now.Balance != add(before[w.borrower.UserNo].Balance, "1000.00") {
		t.Fatalf("borrower after a repeated approval: %+v", now)
	}
}

func lendingRetriedTender(t *testing.T, w *lendingWorld) {
	inv := w.investors[2]
	id := w.publish(t, "500.00", "0.10", 3)
	w.review(t, id, true)
	before := bankBalance(t, inv.UserNo)
	body := map[string]string{"amount": "200.00", "idempotencyKey": "retried-tender-" + id}
	var first, second driver.Tender
	if r := inv.api.Do(t, http.MethodPost, "/v1/projects/"+id+"/tenders", body, &first); r.Status != http.StatusOK || first.Status != "FROZEN" {
		t.Fatalf("tender: %v %+v", r, first)
	}
	if r := inv.api.Do(t, http.MethodPost, "/v1/projects/"+id+"/tenders", body, &second); r.Status != http.StatusOK || second != first {
		t.Fatalf("retried tender: %v %+v, first %+v", r, second, first)
	}
	if p := getProject(t, id); p.Raised != "200.00" {
		t.Fatalf("project after a retried tender: %+v", p)
	}
	if got := bankBalance(t, inv.UserNo); got.Frozen != add(before.Frozen, "200.00") {
		t.Fatalf("bank after a retried tender: %+v, before %+v", got, before)
	}
	if sum, n := bankFrozenFor(t, w.env, id); sum != "200.00" || n != 1 {
		t.Fatalf("bank freezes of the project: %d adding up to %s", n, sum)
	}
	// The same key for a different tender is refused.
	body["amount"] = "300.00"
	if r := inv.api.Do(t, http.MethodPost, "/v1/projects/"+id+"/tenders", body, nil); r.Status != http.StatusConflict || r.Err.Reason != "IDEMPOTENCY_KEY_REUSED" {
		t.Fatalf("key reused for another amount: %v", r)
	}
}

// The bank freezes the money and the answer that reaches trade-center is an unsigned 422
// INSUFFICIENT_BALANCE (fault point bank.freeze.unsigned: what a proxy, a gateway or a
// forger in between could send). Only the bank's signed refusal is final, so the tender
// does not fail: asked again with the same request number the bank answers the freeze it
// holds, and the tender is FROZEN — once at the bank. Before answers were verified, the
// tender ended FAILED with the investor's money frozen at the bank.
func lendingUnsignedRefusal(t *testing.T, w *lendingWorld) {
	inv := w.investors[1]
	id := w.publish(t, "500.00", "0.10", 3)
	w.review(t, id, true)
	before := bankBalance(t, inv.UserNo)
	armFault(t, stack.HTTP("bank-custody"), "bank.freeze.unsigned", 1, 0)
	var tender driver.Tender
	body := map[string]string{"amount": "150.00", "idempotencyKey": "unsigned-refusal-" + id}
	if r := inv.api.Do(t, http.MethodPost, "/v1/projects/"+id+"/tenders", body, &tender); r.Status != http.StatusOK || tender.Status != "FROZEN" {
		t.Fatalf("tender answered by an unsigned refusal: %v %+v, want 200 FROZEN", r, tender)
	}
	if p := getProject(t, id); p.Raised != "150.00" {
		t.Fatalf("project: %+v, want raised 150.00", p)
	}
	if sum, n := bankFrozenFor(t, w.env, id); sum != "150.00" || n != 1 {
		t.Fatalf("bank freezes of the project: %d adding up to %s, want one of 150.00", n, sum)
	}
	if got := bankBalance(t, inv.UserNo); got.Frozen != add(before.Frozen, "150.00") {
		t.Fatalf("investor at the bank: %+v, before %+v", got, before)
	}
}

func lendingLocalTxFail(t *testing.T, w *lendingWorld) {
	id := w.fullProject(t, 6, map[int]string{2: "500.00"})
	borrowerBefore := bankBalance(t, w.borrower.UserNo)
	armFault(t, tradeCenter.Base, "loan.localtx.fail", 1, 0)

	_, r := w.approveLoan(t, id)
	if r.Status != http.StatusServiceUnavailable || r.Err.Reason != "LOAN_NOT_COMMITTED" {
		t.Fatalf("approval with a failing local transaction: %v", r)
	}
	if p := getProject(t, id); p.Status != "FULL" {
		t.Fatalf("project after the failed local transaction: %+v", p)
	}
	if st := tenderStatuses(t, w.env, id); fmt.Sprint(st) != fmt.Sprint(map[string]int{"FROZEN": 1}) {
		t.Fatalf("tenders %v, want 1 FROZEN", st)
	}
	msgs := loanMessages(t, w.env, id)
	if len(msgs) != 1 {
		t.Fatalf("loan messages %v", msgs)
	}
	for _, state := range msgs {
		if state != "ROLLED_BACK" {
			t.Fatalf("loan message %v, want ROLLED_BACK", msgs)
		}
	}
	// The broker checks half messages back every second: had the message been committed
	// (or left to a check-back that commits), repayment would write the plan within
	// seconds.
	stack.Consistently(t, 8*time.Second, func() error {
		if n, m := planRows(t, w.env, id); n+m != 0 {
			return fmt.Errorf("plan rows appeared: %d repayment, %d receivable", n, m)
		}
		return nil
	})
	if p := getProject(t, id); p.Status != "FULL" {
		t.Fatalf("project after waiting: %+v", p)
	}

	// The approval can be repeated: the bank's transfer is idempotent (the borrower is
	// paid once), a new message commits and the plans appear.
	if status, r := w.approveLoan(t, id); r.Status != http.StatusOK || status != "REPAYING" {
		t.Fatalf("repeated approval: %v %q", r, status)
	}
	rp, rc := waitPlans(t, id, 30*time.Second)
	if len(rp) != 6 || len(rc) != 6 {
		t.Fatalf("plans %d/%d rows", len(rp), len(rc))
	}
	if got := bankBalance(t, w.borrower.UserNo); got.Balance != add(borrowerBefore.Balance, "500.00") {
		t.Fatalf("borrower at the bank %+v, before %+v: paid once", got, borrowerBefore)
	}
}

func lendingLocalTxUnknown(t *testing.T, w *lendingWorld) {
	id := w.fullProject(t, 6, map[int]string{3: "300.00", 4: "200.00"})
	armFault(t, tradeCenter.Base, "loan.localtx.unknown", 1, 0)

	start := time.Now()
	status, r := w.approveLoan(t, id)
	if r.Status != http.StatusOK || status != "REPAYING" {
		t.Fatalf("approval whose producer reports UNKNOWN: %v %q (the local transaction committed)", r, status)
	}
	rp, rc := waitPlans(t, id, 60*time.Second)
	if len(rp) != 6 || len(rc) != 12 {
		t.Fatalf("plans %d/%d rows", len(rp), len(rc))
	}
	t.Logf("plans appeared %v after the approval", time.Since(start).Round(100*time.Millisecond))
	// The message was committed by the broker's check-back, which trade-center answered
	// from the loan_message row.
	msgs := loanMessages(t, w.env, id)
	if len(msgs) != 1 {
		t.Fatalf("loan messages %v", msgs)
	}
	for key, state := range msgs {
		if state != "COMMITTED" {
			t.Fatalf("loan message %s is %s", key, state)
		}
		if lines := logLines(t, w.env, "trade-center", "check-back answered", "key="+key, "outcome=COMMIT"); len(lines) == 0 {
			t.Fatalf("no check-back committed message %s (trade-center log)", key)
		}
	}
}

// The loan's local transaction commits and the broker drops the half message anyway
// (fault point loan.message.lost: what the broker does after transactionCheckMax
// unanswered check-backs, e.g. while trade-center is down longer than that). No broker
// mechanism brings the event back; the outbox does: trade-center finds the committed
// message without a plan at repayment and sends the event again, repayment writes the
// plan once, and the message is confirmed.
func lendingMessageLost(t *testing.T, w *lendingWorld) {
	id := w.fullProject(t, 3, map[int]string{0: "200.00", 1: "300.00"})
	armFault(t, tradeCenter.Base, "loan.message.lost", 1, 0)
	start := time.Now()
	if status, r := w.approveLoan(t, id); r.Status != http.StatusOK || status != "REPAYING" {
		t.Fatalf("approval whose half message is dropped: %v %q (the local transaction committed)", r, status)
	}
	rp, rc := waitPlans(t, id, 60*time.Second)
	if len(rp) != 3 || len(rc) != 6 {
		t.Fatalf("plans %d/%d rows, want 3 and 6", len(rp), len(rc))
	}
	t.Logf("plans appeared %v after the approval", time.Since(start).Round(100*time.Millisecond))
	if lines := logLines(t, w.env, "trade-center", "start-repayment event sent again", "project_id="+id+" "); len(lines) == 0 {
		t.Fatalf("the plan of project %s appeared without the outbox sending the event again", id)
	}
	if written := logLines(t, w.env, "repayment", "repayment plans written", "project_id="+id+" "); len(written) != 1 {
		t.Fatalf("the plans of project %s were written %d times", id, len(written))
	}
	stack.Eventually(t, 60*time.Second, func() error {
		var confirmed bool
		if err := w.env.Inspect(t, "trade_center").QueryRow(
			"SELECT confirmed_at IS NOT NULL FROM loan_message WHERE project_id = ? AND state = 'COMMITTED'", id).Scan(&confirmed); err != nil {
			return err
		}
		if !confirmed {
			return fmt.Errorf("the loan message of project %s is not confirmed yet", id)
		}
		return nil
	})
}

func lendingConsumerRetry(t *testing.T, w *lendingWorld) {
	id := w.fullProject(t, 12, map[int]string{0: "250.00", 1: "250.00"})
	since := time.Now().Add(-time.Second)
	armFault(t, stack.HTTP("repayment"), "plan.consume.fail", 3, 0)

	if status, r := w.approveLoan(t, id); r.Status != http.StatusOK || status != "REPAYING" {
		t.Fatalf("approval: %v %q", r, status)
	}
	// Three deliveries fail; the broker redelivers (retry delays 3s, 4s, 5s… on the local
	// stack) until one succeeds.
	waitPlans(t, id, 90*time.Second)
	project := "project_id=" + id + " "
	key := "keys=PROJECT_" + id + " "
	stack.Eventually(t, 60*time.Second, func() error {
		if n := len(logLinesSince(t, w.env, "repayment", since, "start-repayment message failed")); n != 3 {
			return fmt.Errorf("%d failed deliveries logged since the fault was armed, want 3", n)
		}
		for _, l := range logLines(t, w.env, "repayment", key, "start-repayment message failed") {
			if !strings.Contains(l, "reconsume_times=0 ") {
				return nil // a failed redelivery
			}
		}
		for _, l := range logLines(t, w.env, "repayment", project) {
			if !strings.Contains(l, "reconsume_times=0") {
				return nil // the broker redelivered the message after a failure
			}
		}
		return fmt.Errorf("no redelivery (reconsume_times ≥ 1) of project %s's message logged yet", id)
	})
	if fails := logLines(t, w.env, "repayment", key, "start-repayment message failed"); len(fails) == 0 {
		t.Fatalf("the fault never struck project %s's message", id)
	}
	// Exactly once, however many deliveries (the broker delivers a transactional message
	// at least once) and redeliveries there were.
	stack.Consistently(t, 3*time.Second, func() error {
		if n, m := planRows(t, w.env, id); n != 12 || m != 24 {
			return fmt.Errorf("plan rows %d repayment, %d receivable; want 12 and 24 exactly once", n, m)
		}
		return nil
	})
	if written := logLines(t, w.env, "repayment", "repayment plans written", project); len(written) != 1 {
		t.Fatalf("the plans of project %s were written %d times:\n%s", id, len(written), strings.Join(written, "\n"))
	}
}

// spy is a consumer group of its own on TP_START_REPAYMENT: it sees every message the
// broker delivers, which lets the test copy the real message.
type spy struct {
	mu   sync.Mutex
	msgs []*primitive.MessageExt
}

func (s *spy) withKey(key string) []*primitive.MessageExt {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*primitive.MessageExt
	for _, m := range s.msgs {
		if m.GetKeys() == key {
			out = append(out, m)
		}
	}
	return out
}

func startSpy(t *testing.T) *spy {
	t.Helper()
	s := &spy{}
	suffix := strconv.FormatInt(time.Now().UnixNano(), 36)
	c, err := rocketmq.NewPushConsumer(
		consumer.WithNameServer(primitive.NamesrvAddr{stack.RocketMQNamesrv}),
		consumer.WithCredentials(testBrokerAccount(t)),
		consumer.WithGroupName("CID_TEST_SPY_"+suffix),
		consumer.WithInstance("lending-spy-"+suffix),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromTimestamp),
		consumer.WithConsumeTimestamp(time.Now().UTC().Add(-time.Minute).Format("20060102150405")),
	)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Subscribe(startRepaymentTopic, consumer.MessageSelector{}, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		s.mu.Lock()
		s.msgs = append(s.msgs, msgs...)
		s.mu.Unlock()
		return consumer.ConsumeSuccess, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shutdown(t, "spy consumer", c.Shutdown) })
	return s
}

// testProducer is a started producer of the test's broker account in group, shut down
// when the test ends; instance prefixes its client instance name.
func testProducer(t *testing.T, group, instance string) rocketmq.Producer {
	t.Helper()
	p, err := rocketmq.NewProducer(
		producer.WithNameServer(primitive.NamesrvAddr{stack.RocketMQNamesrv}),
		producer.WithCredentials(testBrokerAccount(t)),
		producer.WithGroupName(group),
		producer.WithInstanceName(instance+"-"+strconv.FormatInt(time.Now().UnixNano(), 36)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shutdown(t, "producer", p.Shutdown) })
	return p
}

func lendingDuplicateMessage(t *testing.T, w *lendingWorld) {
	s := startSpy(t)
	id := w.fullProject(t, 6, map[int]string{0: "100.00", 1: "150.00", 2: "250.00"})
	if status, r := w.approveLoan(t, id); r.Status != http.StatusOK || status != "REPAYING" {
		t.Fatalf("approval: %v %q", r, status)
	}
	waitPlans(t, id, 30*time.Second)
	key := "PROJECT_" + id
	var original *primitive.MessageExt
	stack.Eventually(t, 30*time.Second, func() error {
		if got := s.withKey(key); len(got) > 0 {
			original = got[0]
			return nil
		}
		return fmt.Errorf("the spy has not seen the message of project %s", id)
	})
	// The body carries the tenders and the bank identities repayment executes the
	// installments with (user numbers are identifiers, not credentials), and nothing
	// secret: no password (hash), no token.
	body := string(original.Body)
	if !strings.Contains(body, `"tenders"`) || !strings.Contains(body, `"investorUserNo":"BU`) ||
		strings.Contains(strings.ToLower(body), "password") || strings.Contains(body, "eyJ") {
		t.Fatalf("message body %s: want tenders with the investors' bank user numbers and nothing secret", original.Body)
	}

	// The broker delivers the same body again (what a producer retry or a broker
	// failover does).
	p := testProducer(t, "PID_TEST_DUPLICATE", "lending-duplicate")
	dup := primitive.NewMessage(startRepaymentTopic, original.Body)
	dup.WithKeys([]string{key})
	// A redelivered copy carries the original's signature.
	dup.WithProperty(mq.PropertySignature, original.GetProperty(mq.PropertySignature))
	res, err := p.SendSync(context.Background(), dup)
	if err != nil || res.Status != primitive.SendOK {
		t.Fatalf("send the duplicate: %v %v", res, err)
	}
	stack.Eventually(t, 30*time.Second, func() error {
		if lines := logLines(t, w.env, "repayment", "duplicate start-repayment message", "project_id="+id+" ", "msg_id="+res.MsgID); len(lines) == 0 {
			return fmt.Errorf("repayment has not consumed the duplicate %s of project %s yet", res.MsgID, id)
		}
		return nil
	})
	if n, m := planRows(t, w.env, id); n != 6 || m != 18 {
		t.Fatalf("plan rows %d repayment, %d receivable after the duplicate; want 6 and 18", n, m)
	}
	if written := logLines(t, w.env, "repayment", "repayment plans written", "project_id="+id+" "); len(written) != 1 {
		t.Fatalf("the plans of project %s were written %d times", id, len(written))
	}
}

// 200 investors' tenders of 100.00 race for a project of 15,000.00 (room for 150): exactly
// 150 are FROZEN, the 50 others refused, the project raised to its amount and no more, and
// the bank holds exactly 150 freezes adding up to it.
func lendingConcurrentTenders(t *testing.T, w *lendingWorld) {
	const racers, fits, amount = 200, 150, "15000.00"
	id := w.publish(t, amount, "0.12", 6)
	w.review(t, id, true)
	before := map[string]driver.Account{}
	for _, inv := range w.investors {
		before[inv.UserNo] = bankBalance(t, inv.UserNo)
	}

	groupedBefore := groupedTenders(t)
	codes := make([]client.Response, racers)
	replies := make([]driver.Tender, racers)
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			replies[i], codes[i] = w.investors[i%len(w.investors)].tender(t, id, "100.00")
		}()
	}
	close(gate)
	wg.Wait()

	frozen, conflicts := 0, 0
	for i, r := range codes {
		switch {
		case r.Status == http.StatusOK && replies[i].Status == "FROZEN":
			frozen++
		case r.Status == http.StatusConflict && (r.Err.Reason == "EXCEEDS_REMAINING" || r.Err.Reason == "PROJECT_NOT_COLLECTING"):
			conflicts++
		default:
			t.Errorf("racer %d: %v %+v", i, r, replies[i])
		}
	}
	if frozen != fits || conflicts != racers-fits {
		t.Fatalf("%d FROZEN and %d conflicts, want %d and %d", frozen, conflicts, fits, racers-fits)
	}
	if p := getProject(t, id); p.Raised != amount || p.Status != "FULL" {
		t.Fatalf("project after the race: %+v", p)
	}
	if st := tenderStatuses(t, w.env, id); fmt.Sprint(st) != fmt.Sprint(map[string]int{"FROZEN": fits}) {
		t.Fatalf("tenders %v, want %d FROZEN and nothing else", st, fits)
	}
	if sum, n := bankFrozenFor(t, w.env, id); sum != amount || n != fits {
		t.Fatalf("the bank holds %d freezes adding up to %s for the project, want %d adding up to %s", n, sum, fits, amount)
	}
	total := money.Amount{}
	for _, inv := range w.investors {
		total = total.Add(money.MustParseAmount(sub(bankBalance(t, inv.UserNo).Frozen, before[inv.UserNo].Frozen)))
	}
	if total.String() != amount {
		t.Fatalf("the investors' frozen money grew by %s, want %s", total, amount)
	}
	// So many at once queue on the project: some went in groups (one reservation and one
	// batched freeze for many), which is what the checks above held for.
	if grouped := groupedTenders(t); grouped <= groupedBefore {
		t.Errorf("none of the %d racing tenders went in a group: p2p_tender_groups_tenders_total{size≠1} stayed %v", racers, grouped)
	}
}

// groupedTenders is how many tenders trade-center (its first instance) reserved and froze
// in groups of more than one.
func groupedTenders(t *testing.T) float64 {
	t.Helper()
	const name = "p2p_tender_groups_tenders_total"
	f := scrape(t, tradeCenter.Base)
	return counterSum(f, name, nil) - counterSum(f, name, map[string]string{"size": "1"})
}

func lendingBadRequests(t *testing.T, w *lendingWorld) {
	inv := w.investors[4]
	id := w.publish(t, "1000.00", "0.12", 6)
	pending := w.publish(t, "1000.00", "0.12", 6) // left PENDING_REVIEW
	rejected := w.publish(t, "1000.00", "0.12", 6)
	if st := w.review(t, rejected, false); st != "REJECTED" {
		t.Fatalf("rejection: %s", st)
	}
	w.review(t, id, true)
	w.investors[3].mustTender(t, id, "600.00")

	outsider := lender{custodian: registeredUser(t, w.env, "INVESTOR")} // no custody account
	outsider.api = tradeCenter.WithToken(outsider.Token)

	type snapshot struct {
		project              driver.Project
		tenders              map[string]int
		bankSum              string
		bankFreezes          int
		investor, borrower   driver.Account
		pendingP, rejectedP  driver.Project
		repayRows, recvRows  int
		messages             int
		investorBankRequests int
	}
	take := func(t *testing.T) snapshot {
		var s snapshot
		s.project, s.pendingP, s.rejectedP = getProject(t, id), getProject(t, pending), getProject(t, rejected)
		s.tenders = tenderStatuses(t, w.env, id)
		s.bankSum, s.bankFreezes = bankFrozenFor(t, w.env, id)
		s.investor, s.borrower = bankBalance(t, inv.UserNo), bankBalance(t, w.borrower.UserNo)
		s.repayRows, s.recvRows = planRows(t, w.env, id)
		s.messages = len(loanMessages(t, w.env, id))
		if err := w.env.Inspect(t, "bank_custody").QueryRow("SELECT COUNT(*) FROM bank_request WHERE user_no = ?",
			inv.UserNo).Scan(&s.investorBankRequests); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := take(t)

	noToken := tradeCenter
	for _, c := range []struct {
		name   string
		call   func(t *testing.T) client.Response
		status int
		reason string
	}{
		{"below minimum", func(t *testing.T) client.Response { _, r := inv.tender(t, id, "50.00"); return r }, 400, "BELOW_MINIMUM"},
		{"above the remainder", func(t *testing.T) client.Response { _, r := inv.tender(t, id, "500.00"); return r }, 409, "EXCEEDS_REMAINING"},
		{"no custody account", func(t *testing.T) client.Response { _, r := outsider.tender(t, id, "100.00"); return r }, 409, "CUSTODY_NOT_OPEN"},
		{"project pending review", func(t *testing.T) client.Response { _, r := inv.tender(t, pending, "100.00"); return r }, 409, "PROJECT_NOT_COLLECTING"},
		{"project rejected", func(t *testing.T) client.Response { _, r := inv.tender(t, rejected, "100.00"); return r }, 409, "PROJECT_NOT_COLLECTING"},
		{"borrower tenders", func(t *testing.T) client.Response { _, r := w.borrower.tender(t, id, "100.00"); return r }, 403, "FORBIDDEN"},
		{"admin tenders", func(t *testing.T) client.Response {
			return w.adminAPI.Do(t, http.MethodPost, "/v1/projects/"+id+"/tenders", map[string]string{"amount": "100.00"}, nil)
		}, 403, "FORBIDDEN"},
		{"no token", func(t *testing.T) client.Response {
			return noToken.Do(t, http.MethodPost, "/v1/projects/"+id+"/tenders", map[string]string{"amount": "100.00"}, nil)
		}, 401, ""},
		{"bad amount", func(t *testing.T) client.Response { _, r := inv.tender(t, id, "1.005"); return r }, 400, "INVALID_ARGUMENT"},
		{"more than the balance", func(t *testing.T) client.Response {
			big := w.publish(t, "50000.00", "0.12", 6)
			w.review(t, big, true)
			_, r := inv.tender(t, big, "20000.00")
			return r
		}, 422, "INSUFFICIENT_BALANCE"},
		{"loan before full", func(t *testing.T) client.Response { _, r := w.approveLoan(t, id); return r }, 409, "PROJECT_NOT_FULL"},
		{"loan of a pending project", func(t *testing.T) client.Response { _, r := w.approveLoan(t, pending); return r }, 409, "PROJECT_NOT_FULL"},
		{"loan by an investor", func(t *testing.T) client.Response {
			return inv.api.Do(t, http.MethodPost, "/v1/projects/"+id+"/loan", map[string]bool{"approve": true}, nil)
		}, 403, "FORBIDDEN"},
		{"loan by the borrower", func(t *testing.T) client.Response {
			return w.borrower.api.Do(t, http.MethodPost, "/v1/projects/"+id+"/loan", map[string]bool{"approve": true}, nil)
		}, 403, "FORBIDDEN"},
		{"review by the borrower", func(t *testing.T) client.Response {
			return w.borrower.api.Do(t, http.MethodPost, "/v1/projects/"+pending+"/review", map[string]bool{"approve": true}, nil)
		}, 403, "FORBIDDEN"},
		{"review of a reviewed project", func(t *testing.T) client.Response {
			return w.adminAPI.Do(t, http.MethodPost, "/v1/projects/"+rejected+"/review", map[string]bool{"approve": true}, nil)
		}, 409, "PROJECT_NOT_PENDING_REVIEW"},
		{"publish by an investor", func(t *testing.T) client.Response {
			return inv.api.Do(t, http.MethodPost, "/v1/projects", map[string]any{"name": "x", "amount": "1000.00", "annualRate": "0.1", "periods": 6}, nil)
		}, 403, "FORBIDDEN"},
		{"publish at a rate below the commission", func(t *testing.T) client.Response {
			return w.borrower.api.Do(t, http.MethodPost, "/v1/projects", map[string]any{"name": "x", "amount": "1000.00", "annualRate": commissionRate, "periods": 6}, nil)
		}, 400, "INVALID_ARGUMENT"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := c.call(t)
			if r.Status != c.status || (c.reason != "" && r.Err.Reason != c.reason) {
				t.Fatalf("%v, want %d %s", r, c.status, c.reason)
			}
			if r.Err.Message == "" {
				t.Errorf("no message explains the error: %v", r)
			}
			after := take(t)
			if fmt.Sprintf("%+v", after) != fmt.Sprintf("%+v", before) {
				t.Fatalf("something changed:\nbefore %+v\nafter  %+v", before, after)
			}
		})
	}
}

// lendingPlanNeverHalfWritten holds repayment's plan transaction open for 3 s after every
// row is written (plan.commit.delay): a dirty reader (READ UNCOMMITTED) sees all the rows
// while the API and a committed reader see none, and then both see all of them at once.
// A plan written in separately committed chunks fails it.
func lendingPlanNeverHalfWritten(t *testing.T, w *lendingWorld) {
	const periods, tenders = 12, 3
	id := w.fullProject(t, periods, map[int]string{0: "100.00", 1: "200.00", 2: "300.00"})
	armFault(t, stack.HTTP("repayment"), "plan.commit.delay", 1, 3000)
	ctx := context.Background()
	dirty, err := w.env.Inspect(t, "repayment").Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer dirty.Close()
	if _, err := dirty.ExecContext(ctx, "SET SESSION TRANSACTION ISOLATION LEVEL READ UNCOMMITTED"); err != nil {
		t.Fatal(err)
	}
	committed := w.env.Inspect(t, "repayment")
	// One statement is one snapshot: both counts are of the same moment.
	const counts = "SELECT (SELECT COUNT(*) FROM repayment_plan WHERE project_id = ?), " +
		"(SELECT COUNT(*) FROM receivable_plan WHERE project_id = ?)"
	if status, r := w.approveLoan(t, id); r.Status != http.StatusOK || status != "REPAYING" {
		t.Fatalf("approval: %v %q", r, status)
	}
	hidden := 0 // samples with every row written and none of them visible
	stack.Eventually(t, convergeWithin, func() error {
		var dn, dm, n, m int
		if err := dirty.QueryRowContext(ctx, counts, id, id).Scan(&dn, &dm); err != nil {
			t.Fatal(err)
		}
		if err := committed.QueryRow(counts, id, id).Scan(&n, &m); err != nil {
			t.Fatal(err)
		}
		rp, rc := plans(t, id)
		if (n != 0 || m != 0) && (n != periods || m != periods*tenders) {
			t.Fatalf("a committed reader sees %d repayment and %d receivable rows: half a plan", n, m)
		}
		if (len(rp) != 0 && len(rp) != periods) || (len(rc) != 0 && len(rc) != periods*tenders) {
			t.Fatalf("the API answers %d repayment and %d receivable rows: half a plan", len(rp), len(rc))
		}
		if dn == periods && dm == periods*tenders && n == 0 && len(rp) == 0 {
			hidden++
		}
		if n == 0 || len(rp) == 0 || len(rc) == 0 {
			return fmt.Errorf("plan of project %s not committed yet (%d/%d rows written)", id, dn, dm)
		}
		return nil
	})
	if hidden == 0 {
		t.Fatal("no sample saw the written rows uncommitted: the transaction was not held open")
	}
	t.Logf("%d samples saw the whole plan written and none of it visible", hidden)
}
