// Command demo walks the whole lending lifecycle through the public API of a running
// stack, printing each step, the distributed-transaction scheme at work and what it
// guaranteed. It exits non-zero as soon as a step does not turn out as printed.
// `make demo` starts the stack and runs it; it needs headless Chromium for the bank's
// pages (scripts/ensure-chromium.sh).
//
// Endpoints come from test/stack: P2P_<SERVICE>_HTTP and P2P_DTM_HTTP when set (the compose
// demo container sets them), else the run directory's stack.env; P2P_KEYS_DIR and
// P2P_ADMIN_PASSWORD likewise when set;
// otherwise keys and the admin password come from the run directory (P2P_RUN_DIR, .run).
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
	"github.com/p2p-dtx/p2p-dtx/test/browser"
	"github.com/p2p-dtx/p2p-dtx/test/stack"
)

var (
	unifiedAccount = stack.HTTP("unified-account")
	userCenter     = stack.HTTP("user-center")
	tradeCenter    = stack.HTTP("trade-center")
	repayment      = stack.HTTP("repayment")
	bankCustody    = stack.HTTP("bank-custody")
	dtmHTTP        = stack.DTMHTTP
)

var httpc = &http.Client{Timeout: 60 * time.Second}

func main() {
	start := time.Now()
	if err := run(); err != nil {
		fmt.Printf("\n✗ demo failed: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("\n✓ demo finished in %s\n", time.Since(start).Round(time.Second))
}

// person is a registered, logged-in user.
type person struct {
	label, username, mobile, role, mode string
	id, token, userNo                   string
}

func run() error {
	n, err := rand.Int(rand.Reader, big.NewInt(1e7))
	if err != nil {
		return err
	}
	seq := n.Int64()
	borrower := &person{label: "borrower", role: "BORROWER", mode: "TCC"}
	alice := &person{label: "investor Alice", role: "INVESTOR", mode: "XA"}
	bob := &person{label: "investor Bob", role: "INVESTOR", mode: "TCC"}
	for i, p := range []*person{borrower, alice, bob} {
		p.username = fmt.Sprintf("demo%d_%s", seq, strings.Fields(p.label)[len(strings.Fields(p.label))-1])
		p.mobile = fmt.Sprintf("13%d%08d", 7+i%3, seq)
	}

	step("1. Registration — DTM TCC and DTM XA across user-center and unified-account")
	for _, p := range []*person{borrower, alice, bob} {
		var out struct{ UserID, Status, Gid string }
		if err := post(userCenter+"/v1/users", "", map[string]string{"username": p.username, "mobile": p.mobile,
			"password": "demo-password-1", "role": p.role, "mode": p.mode}, &out); err != nil {
			return fmt.Errorf("register %s: %w", p.label, err)
		}
		if out.Status != "ACTIVE" {
			return fmt.Errorf("register %s: status %s", p.label, out.Status)
		}
		p.id = out.UserID
		ok("%-15s %-22s %s  user %s ACTIVE in both services (gid %s)", p.label, p.username, p.mode, p.id, out.Gid)
	}
	say("Now one that fails: arm unified-account's fault point account.try.fail and register.")
	if err := post(unifiedAccount+"/debug/faults", "", map[string]any{"point": "account.try.fail", "times": 1}, nil); err != nil {
		return fmt.Errorf("arm fault (faults.enabled must be true): %w", err)
	}
	var he *httpError
	err = post(userCenter+"/v1/users", "", map[string]string{"username": fmt.Sprintf("demo%d_rollback", seq),
		"mobile": fmt.Sprintf("1360%07d", seq), "password": "demo-password-1", "role": "INVESTOR"}, nil)
	if !errors.As(err, &he) || he.Status != http.StatusConflict {
		return fmt.Errorf("want the faulty registration rolled back with 409, got %v", err)
	}
	ok("409 %s — DTM called every Cancel: no user, no account, the names are free again", he.Reason)

	for _, p := range []*person{borrower, alice, bob} {
		var sess struct{ Token string }
		if err := post(unifiedAccount+"/v1/sessions", "", map[string]string{"login": p.username, "password": "demo-password-1"}, &sess); err != nil {
			return fmt.Errorf("log in %s: %w", p.label, err)
		}
		p.token = sess.Token
	}
	admin, err := adminToken()
	if err != nil {
		return err
	}
	ok("everyone logged in at unified-account (and the admin, provisioned from configuration)")

	step("2. Custody accounts — best-effort notification from the bank")
	say("Each user gets a signed form from user-center, the (headless) browser carries it to the")
	say("bank's page, a custody password is typed twice, the bank answers \"Request accepted\" at once,")
	say("opens the account asynchronously and notifies user-center with a signed callback")
	say("(retried with growing intervals; a reconciliation job closes anything the notification misses).")
	bctx, closeBrowser, err := browser.Start(5 * time.Minute)
	if err != nil {
		return err
	}
	defer closeBrowser()
	for _, p := range []*person{borrower, alice, bob} {
		var g gatewayReply
		if err := post(userCenter+"/v1/custody/accounts", p.token, map[string]string{"realName": "Demo " + p.username,
			"idNumber": fmt.Sprintf("1101011990%08d", seq%1e8), "bankCardNo": fmt.Sprintf("62220200%08d", seq)}, &g); err != nil {
			return fmt.Errorf("custody request for %s: %w", p.label, err)
		}
		if err := throughBank(bctx, g); err != nil {
			return fmt.Errorf("%s at the bank: %w", p.label, err)
		}
		if err := waitFor(30*time.Second, "custody OPEN for "+p.label, func() (bool, error) {
			var me map[string]string
			if err := get(userCenter+"/v1/users/me", p.token, &me); err != nil {
				return false, err
			}
			p.userNo = me["custodyUserNo"]
			return me["custodyStatus"] == "OPEN", nil
		}); err != nil {
			return err
		}
		var attempts struct{ Items []map[string]any }
		if err := get(bankCustody+"/v1/notifications?requestNo="+g.RequestNo, "", &attempts); err != nil {
			return err
		}
		ok("%-15s custody OPEN, bank user %s (request %s, %d notification attempt(s))", p.label, p.userNo, g.RequestNo, len(attempts.Items))
	}

	step("3. Recharges — the same pattern; money lands at the bank")
	bank, err := bankClient()
	if err != nil {
		return err
	}
	for _, r := range []struct {
		p      *person
		amount string
	}{{alice, "6000.00"}, {bob, "5000.00"}} {
		var g gatewayReply
		if err := post(userCenter+"/v1/recharges", r.p.token, map[string]string{"amount": r.amount}, &g); err != nil {
			return fmt.Errorf("recharge for %s: %w", r.p.label, err)
		}
		if err := throughBank(bctx, g); err != nil {
			return err
		}
		if err := waitFor(30*time.Second, "recharge "+g.RequestNo, func() (bool, error) {
			var req struct{ Status string }
			if err := get(userCenter+"/v1/custody/requests/"+g.RequestNo, r.p.token, &req); err != nil {
				return false, err
			}
			return req.Status == "SUCCESS", nil
		}); err != nil {
			return err
		}
		acct, err := balance(bank, r.p.userNo)
		if err != nil {
			return err
		}
		ok("%-15s recharged %s → bank balance %s", r.p.label, r.amount, acct.Balance)
	}

	step("4. A project is published, reviewed and filled by tenders")
	var created struct{ ProjectID, Status string }
	if err := post(tradeCenter+"/v1/projects", borrower.token, map[string]any{"name": fmt.Sprintf("Demo bakery oven %d", seq),
		"amount": "10000.00", "annualRate": "0.12", "periods": 6}, &created); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	ok("project %s: 10000.00 at 12%% for 6 months — %s", created.ProjectID, created.Status)
	var reviewed struct{ Status string }
	if err := post(tradeCenter+"/v1/projects/"+created.ProjectID+"/review", admin, map[string]bool{"approve": true}, &reviewed); err != nil {
		return fmt.Errorf("review: %w", err)
	}
	ok("admin approved it; the bank registered it — %s", reviewed.Status)
	for _, t := range []struct {
		p      *person
		amount string
	}{{alice, "6000.00"}, {bob, "4000.00"}} {
		var tender struct{ TenderID, Status string }
		if err := post(tradeCenter+"/v1/projects/"+created.ProjectID+"/tenders", t.p.token, map[string]string{"amount": t.amount}, &tender); err != nil {
			return fmt.Errorf("tender by %s: %w", t.p.label, err)
		}
		ok("%-15s tendered %s — tender %s %s (money frozen at the bank by request number)", t.p.label, t.amount, tender.TenderID, tender.Status)
	}
	var proj map[string]any
	if err := get(tradeCenter+"/v1/projects/"+created.ProjectID, "", &proj); err != nil {
		return err
	}
	if proj["status"] != "FULL" {
		return fmt.Errorf("project is %v after the tenders, want FULL", proj["status"])
	}
	ok("raised %v of %v — FULL", proj["raised"], proj["amount"])

	step("5. Full-loan approval — RocketMQ transactional message")
	say("The bank moves the frozen money to the borrower; trade-center sends a half message on")
	say("TP_START_REPAYMENT, marks the project REPAYING and its tenders LOANED in one local")
	say("transaction, then commits the message (the broker checks back if it never hears).")
	var loan struct{ Status string }
	if err := post(tradeCenter+"/v1/projects/"+created.ProjectID+"/loan", admin, map[string]bool{"approve": true}, &loan); err != nil {
		return fmt.Errorf("loan approval: %w", err)
	}
	ok("loan approved — project %s", loan.Status)
	var plan struct {
		Items []struct {
			Period                                                   int
			DueDate, Principal, Interest, Amount, Commission, Status string
		}
	}
	began := time.Now()
	if err := waitFor(30*time.Second, "the repayment plan", func() (bool, error) {
		if err := get(repayment+"/v1/projects/"+created.ProjectID+"/repayment-plan", "", &plan); err != nil {
			return false, err
		}
		return len(plan.Items) == 6, nil
	}); err != nil {
		return err
	}
	ok("repayment consumed the message and wrote the plans in one local transaction (%s after approval)", time.Since(began).Round(time.Millisecond))

	step("6. The borrower's repayment plan (equal installments, exact to the cent)")
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "   period\tdue\tprincipal\tinterest\tamount\tcommission\t")
	var principal money.Amount
	for _, it := range plan.Items {
		fmt.Fprintf(tw, "   %d\t%s\t%s\t%s\t%s\t%s\t\n", it.Period, it.DueDate, it.Principal, it.Interest, it.Amount, it.Commission)
		principal = principal.Add(money.MustParseAmount(it.Principal))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if principal.String() != "10000.00" {
		return fmt.Errorf("plan principal sums to %s, want 10000.00", principal)
	}
	ok("principal sums to %s exactly", principal)

	step("7. The investors' receivables (investors' rate = 12% − 3% commission)")
	var recv struct {
		Items []struct {
			TenderID, InvestorID                 string
			Period                               int
			DueDate, Principal, Interest, Amount string
		}
	}
	if err := get(repayment+"/v1/projects/"+created.ProjectID+"/receivables", "", &recv); err != nil {
		return err
	}
	tw = tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "   tender\tinvestor\tperiod\tdue\tprincipal\tinterest\tamount\t")
	for _, it := range recv.Items {
		fmt.Fprintf(tw, "   %s\t%s\t%d\t%s\t%s\t%s\t%s\t\n", it.TenderID, it.InvestorID, it.Period, it.DueDate, it.Principal, it.Interest, it.Amount)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(recv.Items) != 12 {
		return fmt.Errorf("%d receivable rows, want 12 (2 tenders × 6 periods)", len(recv.Items))
	}
	toInvestors := map[int]money.Amount{}
	for _, it := range recv.Items {
		toInvestors[it.Period] = toInvestors[it.Period].Add(money.MustParseAmount(it.Amount))
	}
	for _, it := range plan.Items {
		if got := toInvestors[it.Period].Add(money.MustParseAmount(it.Commission)); !got.Equal(money.MustParseAmount(it.Amount)) {
			return fmt.Errorf("period %d: investors %s + commission %s ≠ borrower %s", it.Period, toInvestors[it.Period], it.Commission, it.Amount)
		}
	}
	ok("per period: borrower's amount = investors' amounts + the platform's commission, to the cent")

	step("8. Where the money is now (the bank's books, signed answers)")
	for _, w := range []struct {
		p      *person
		expect string
	}{{borrower, "10000.00"}, {alice, "0.00"}, {bob, "1000.00"}} {
		acct, err := balance(bank, w.p.userNo)
		if err != nil {
			return err
		}
		if acct.Balance != w.expect || acct.Frozen != "0.00" {
			return fmt.Errorf("%s at the bank: balance %s frozen %s, want %s and 0.00", w.p.label, acct.Balance, acct.Frozen, w.expect)
		}
		ok("%-15s bank %s: balance %s, frozen %s", w.p.label, w.p.userNo, acct.Balance, acct.Frozen)
	}

	step("Summary")
	say("registration    TCC and XA committed both sides; the faulty one left nothing behind")
	say("custody         3 accounts opened and 2 recharges applied exactly once from the bank's notifications")
	say("lending         tenders froze money at the bank; the loan moved it to the borrower and the")
	say("                transactional message made repayment write the plans")
	say("Look next:")
	say("  make logs                                      every component's log (.run/logs)")
	say("  curl '%s/query?gid=<gid>'    DTM's record of a registration", dtmHTTP)
	say("  curl '%s/v1/notifications?requestNo=<no>'  the bank's delivery attempts", bankCustody)
	say("  scripts/stack.sh mqadmin topicList             RocketMQ's topics")
	return nil
}

type gatewayReply struct {
	RequestNo string          `json:"requestNo"`
	Gateway   browser.Gateway `json:"gateway"`
}

func throughBank(ctx context.Context, g gatewayReply) error {
	if err := browser.OpenGateway(ctx, g.Gateway); err != nil {
		return err
	}
	if err := browser.SubmitPasswords(ctx, "135790", "135790"); err != nil {
		return err
	}
	_, err := browser.WaitForText(ctx, "Request accepted")
	return err
}

// adminToken logs the admin in with the password the stack generated.
func adminToken() (string, error) {
	pw := os.Getenv("P2P_ADMIN_PASSWORD")
	if pw == "" {
		v, err := runDirValue("secrets.env", "P2P_ADMIN_PASSWORD")
		if err != nil {
			return "", err
		}
		pw = v
	}
	var sess struct{ Token string }
	if err := post(unifiedAccount+"/v1/sessions", "", map[string]string{"login": "admin", "password": pw}, &sess); err != nil {
		return "", fmt.Errorf("admin login: %w", err)
	}
	return sess.Token, nil
}

func runDir() string {
	if d := os.Getenv("P2P_RUN_DIR"); d != "" {
		return d
	}
	return ".run"
}

func runDirValue(file, key string) (string, error) {
	f, err := os.Open(filepath.Join(runDir(), file))
	if err != nil {
		return "", fmt.Errorf("%s not set and %w", key, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "export "), "="); ok && k == key {
			return strings.Trim(v, `"'`), nil
		}
	}
	return "", fmt.Errorf("%s not found in %s", key, file)
}

// bankClient signs as the platform and checks the bank's signature on every answer.
func bankClient() (*signing.Client, error) {
	dir := os.Getenv("P2P_KEYS_DIR")
	if dir == "" {
		dir = filepath.Join(runDir(), "keys")
	}
	priv, err := signing.LoadPrivateKey(filepath.Join(dir, "platform_private.pem"))
	if err != nil {
		return nil, err
	}
	pub, err := signing.LoadPublicKey(filepath.Join(dir, "bank_public.pem"))
	if err != nil {
		return nil, err
	}
	return &signing.Client{BaseURL: bankCustody, HTTP: httpc, Signer: signing.NewSigner(priv),
		Verifier: signing.NewVerifier(pub, &signing.MemoryNonceStore{})}, nil
}

type account struct{ Balance, Frozen string }

func balance(c *signing.Client, userNo string) (account, error) {
	resp, err := c.Do(context.Background(), http.MethodGet, "/v1/accounts/"+userNo, nil)
	if err != nil {
		return account{}, err
	}
	if resp.Status != http.StatusOK {
		return account{}, fmt.Errorf("bank account %s: %d %s", userNo, resp.Status, resp.Body)
	}
	var a account
	return a, json.Unmarshal(resp.Body, &a)
}

// waitFor polls cond every 200ms, printing a dot a second so waits are visible.
func waitFor(within time.Duration, what string, cond func() (bool, error)) error {
	deadline := time.Now().Add(within)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	// On a terminal the dots show progress and are erased once done; in a log they would
	// only be noise.
	tty := isTerminal()
	if tty {
		fmt.Print("   … waiting for " + what)
		defer fmt.Print("\r\033[K")
	}
	last := time.Now()
	for {
		done, err := cond()
		if err == nil && done {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not happen within %v (last error: %v)", what, within, err)
		}
		if tty && time.Since(last) >= time.Second {
			fmt.Print(".")
			last = time.Now()
		}
		<-tick.C
	}
}

func isTerminal() bool {
	fi, err := os.Stdout.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

type httpError struct {
	Status  int
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

func (e *httpError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Reason, e.Message) }

func post(url, token string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	return do(req, token, out)
}

func get(url, token string, out any) error {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	return do(req, token, out)
}

func do(req *http.Request, token string, out any) error {
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := httpc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		he := &httpError{Status: resp.StatusCode}
		if err := json.Unmarshal(raw, he); err != nil {
			he.Message = string(raw)
		}
		return he
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}

func step(title string)      { fmt.Printf("\n== %s\n", title) }
func say(f string, a ...any) { fmt.Printf("   "+f+"\n", a...) }
func ok(f string, a ...any)  { fmt.Printf("   ✓ "+f+"\n", a...) }
