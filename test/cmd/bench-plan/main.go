// Command bench-plan measures the full-loan approval → repayment plan path against the
// running local stack: a project funded by many tenders (1,000 by default) over many
// periods (36) is approved, and the command prints how long it takes from the approval
// request until the complete plan is readable through repayment's API, and how many plan
// rows per second repayment's consumer wrote (from the consumer's own log line). It
// asserts nothing.
//
//	go run ./test/cmd/bench-plan -tenders 1000 -periods 36
//
// It registers a borrower and a few investors, opens and funds their custody accounts at
// the bank (submitting the bank's gateway form as a browser would), publishes and reviews
// the project and places the tenders through trade-center, all through the public APIs.
// Afterwards it removes the users, the project and its plans (-keep leaves them).
package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
	"github.com/p2p-dtx/p2p-dtx/test/stack"
)

// The services, where the running stack has them (test/stack reads its stack.env).
var (
	userCenterURL     = stack.HTTP("user-center")
	unifiedAccountURL = stack.HTTP("unified-account")
	tradeCenterURL    = stack.HTTP("trade-center")
	repaymentURL      = stack.HTTP("repayment")
)

const tenderAmount = "100.00"

type options struct {
	tenders, periods, investors, clients int
	runDir                               string
	keep                                 bool
}

func main() {
	var o options
	flag.IntVar(&o.tenders, "tenders", 1000, "tenders in the project (100.00 each)")
	flag.IntVar(&o.periods, "periods", 36, "monthly periods of the loan")
	flag.IntVar(&o.investors, "investors", 10, "investors placing the tenders")
	flag.IntVar(&o.clients, "clients", 16, "tenders placed concurrently")
	flag.StringVar(&o.runDir, "run-dir", "", "the stack's run directory (default: $P2P_RUN_DIR or ./.run)")
	flag.BoolVar(&o.keep, "keep", false, "keep the users, the project and its plans")
	flag.Parse()
	if o.runDir == "" {
		o.runDir = os.Getenv("P2P_RUN_DIR")
	}
	if o.runDir == "" {
		o.runDir = ".run"
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench-plan:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if o.tenders < 1 || o.periods < 1 || o.investors < 1 || o.clients < 1 {
		return errors.New("-tenders, -periods, -investors and -clients must be positive")
	}
	secrets, err := readEnv(filepath.Join(o.runDir, "secrets.env"))
	if err != nil {
		return fmt.Errorf("read the stack's secrets (is the stack up? make up): %w", err)
	}
	b := &bench{o: o, http: &http.Client{Timeout: 60 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: o.clients * 2}}}
	b.prefix = fmt.Sprintf("bp%d", time.Now().Unix()%100000)
	if !o.keep {
		defer func() {
			if err := b.cleanup(filepath.Join(o.runDir, "mariadb", "mysqld.sock")); err != nil {
				fmt.Fprintln(os.Stderr, "bench-plan: cleanup:", err)
			}
		}()
	}
	adminToken, err := b.login("admin", secrets["P2P_ADMIN_PASSWORD"])
	if err != nil {
		return fmt.Errorf("admin login: %w", err)
	}
	borrower, investors, err := b.people()
	if err != nil {
		return err
	}
	if err := b.publish(borrower, adminToken); err != nil {
		return err
	}
	tendering, err := b.placeTenders(investors)
	if err != nil {
		return err
	}
	return b.approveAndReport(adminToken, tendering)
}

// people registers the borrower and the investors, each with a custody account; every
// investor is recharged with what their share of the tenders needs.
func (b *bench) people() (*person, []*person, error) {
	o := b.o
	perInvestor := (o.tenders + o.investors - 1) / o.investors
	funds := money.MustParseAmount(tenderAmount)
	for range perInvestor - 1 {
		funds = funds.Add(money.MustParseAmount(tenderAmount))
	}
	fmt.Printf("setting up: 1 borrower and %d investors with custody accounts (%s each)…\n", o.investors, funds)
	t0 := time.Now()
	borrower, err := b.person("BORROWER", 0, "")
	if err != nil {
		return nil, nil, fmt.Errorf("borrower: %w", err)
	}
	investors := make([]*person, o.investors)
	errs := make([]error, o.investors)
	var wg sync.WaitGroup
	for i := range investors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			investors[i], errs[i] = b.person("INVESTOR", i+1, funds.String())
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	fmt.Printf("  ready in %v\n", time.Since(t0).Round(100*time.Millisecond))
	return borrower, investors, nil
}

// publish publishes the project the tenders fill and has the admin review it.
func (b *bench) publish(borrower *person, adminToken string) error {
	amount := money.Amount{}
	for range b.o.tenders {
		amount = amount.Add(money.MustParseAmount(tenderAmount))
	}
	var pub struct {
		ProjectID string `json:"projectId"`
	}
	if err := b.call(http.MethodPost, tradeCenterURL+"/v1/projects", borrower.token,
		map[string]any{"name": "bench-plan " + b.prefix, "amount": amount.String(), "annualRate": "0.15", "periods": b.o.periods}, &pub); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	b.projectID = pub.ProjectID
	if err := b.call(http.MethodPost, tradeCenterURL+"/v1/projects/"+pub.ProjectID+"/review", adminToken,
		map[string]bool{"approve": true}, nil); err != nil {
		return fmt.Errorf("review: %w", err)
	}
	return nil
}

// placeTenders fills the project with o.tenders tenders from o.clients clients at once.
func (b *bench) placeTenders(investors []*person) (time.Duration, error) {
	o := b.o
	fmt.Printf("placing %d tenders of %s in project %s (%d at a time)…\n", o.tenders, tenderAmount, b.projectID, o.clients)
	t0 := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	tenderErrs := make([]error, o.clients)
	for c := range o.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := int(next.Add(1)) - 1
				if n >= o.tenders {
					return
				}
				inv := investors[n%len(investors)]
				if err := b.call(http.MethodPost, tradeCenterURL+"/v1/projects/"+b.projectID+"/tenders", inv.token,
					map[string]string{"amount": tenderAmount}, nil); err != nil {
					tenderErrs[c] = fmt.Errorf("tender %d: %w", n, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(t0), errors.Join(tenderErrs...)
}

// approveAndReport approves the loan, waits for the complete plan and prints the figures.
func (b *bench) approveAndReport(adminToken string, tendering time.Duration) error {
	o := b.o
	fmt.Println("approving the loan…")
	start := time.Now()
	var approved struct {
		Status string `json:"status"`
	}
	if err := b.call(http.MethodPost, tradeCenterURL+"/v1/projects/"+b.projectID+"/loan", adminToken,
		map[string]bool{"approve": true}, &approved); err != nil {
		return fmt.Errorf("approve the loan: %w", err)
	}
	answered := time.Since(start)
	wantRows := o.periods * (1 + o.tenders)
	readable, err := b.waitForPlan(b.projectID, o.periods, o.periods*o.tenders, start, 5*time.Minute)
	if err != nil {
		return err
	}
	consumer := consumerLine(filepath.Join(o.runDir, "logs", "repayment.log"), b.projectID)

	fmt.Println()
	fmt.Printf("project %s: %d tenders × %d periods = %d plan rows (%d repayment + %d receivable)\n",
		b.projectID, o.tenders, o.periods, wantRows, o.periods, o.periods*o.tenders)
	fmt.Printf("  %-44s %v (%.0f tenders/s, %d clients)\n", "tenders placed (each frozen at the bank)",
		tendering.Round(time.Millisecond), float64(o.tenders)/tendering.Seconds(), o.clients)
	fmt.Printf("  %-44s %v (%s)\n", "loan approval answered", answered.Round(time.Millisecond), approved.Status)
	fmt.Printf("  %-44s %v\n", "approval → complete plan readable", readable.Round(time.Millisecond))
	if consumer == nil {
		fmt.Printf("  %-44s n/a (no \"repayment plans written\" line for project %s in repayment.log)\n", "consumer", b.projectID)
		return nil
	}
	fmt.Printf("  %-44s amortize %s + write %s (one transaction)\n", "consumer",
		roundDuration(consumer["amortize"]), roundDuration(consumer["write"]))
	fmt.Printf("  %-44s %s rows → %s rows/s\n", "consumer rows written", consumer["rows"], consumer["rows_per_sec"])
	return nil
}

type bench struct {
	o         options
	http      *http.Client
	prefix    string
	mu        sync.Mutex
	usernames []string
	projectID string
}

type person struct {
	username, token, userNo string
}

// person registers a user, opens their custody account at the bank and, for an investor,
// recharges it with funds.
func (b *bench) person(role string, n int, funds string) (*person, error) {
	p := &person{username: fmt.Sprintf("%s_%d", b.prefix, n)}
	mobile := fmt.Sprintf("147%03d%05d", time.Now().Unix()%1000, n)
	b.mu.Lock()
	b.usernames = append(b.usernames, p.username)
	b.mu.Unlock()
	if err := b.call(http.MethodPost, userCenterURL+"/v1/users", "", map[string]string{"mobile": mobile,
		"username": p.username, "password": "bench-password", "role": role}, nil); err != nil {
		return nil, fmt.Errorf("register %s: %w", p.username, err)
	}
	var err error
	if p.token, err = b.login(p.username, "bench-password"); err != nil {
		return nil, err
	}
	var g gatewayReply
	if err := b.call(http.MethodPost, userCenterURL+"/v1/custody/accounts", p.token, map[string]string{
		"realName": "Bench Person", "idNumber": "11010119900101123X", "bankCardNo": "6222020000001234"}, &g); err != nil {
		return nil, fmt.Errorf("open a custody account for %s: %w", p.username, err)
	}
	if err := b.submitAtBank(g.Gateway); err != nil {
		return nil, err
	}
	if err := poll(60*time.Second, func() (bool, error) {
		var me struct {
			CustodyStatus string `json:"custodyStatus"`
			CustodyUserNo string `json:"custodyUserNo"`
		}
		if err := b.call(http.MethodGet, userCenterURL+"/v1/users/me", p.token, nil, &me); err != nil {
			return false, err
		}
		p.userNo = me.CustodyUserNo
		return me.CustodyStatus == "OPEN", nil
	}); err != nil {
		return nil, fmt.Errorf("custody account of %s: %w", p.username, err)
	}
	if funds == "" {
		return p, nil
	}
	if err := b.call(http.MethodPost, userCenterURL+"/v1/recharges", p.token, map[string]string{"amount": funds}, &g); err != nil {
		return nil, fmt.Errorf("recharge for %s: %w", p.username, err)
	}
	if err := b.submitAtBank(g.Gateway); err != nil {
		return nil, err
	}
	return p, poll(60*time.Second, func() (bool, error) {
		var r struct {
			Status string `json:"status"`
		}
		if err := b.call(http.MethodGet, userCenterURL+"/v1/custody/requests/"+g.RequestNo, p.token, nil, &r); err != nil {
			return false, err
		}
		return r.Status == "SUCCESS", nil
	})
}

type gatewayReply struct {
	RequestNo string `json:"requestNo"`
	Gateway   struct {
		URL    string            `json:"url"`
		Fields map[string]string `json:"fields"`
	} `json:"gateway"`
}

var (
	formAction = regexp.MustCompile(`<form[^>]*action="([^"]+)"`)
	formHidden = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// submitAtBank does what a person does on the bank's page: open it with the platform's
// signed form, then submit its form with the custody password twice.
func (b *bench) submitAtBank(g struct {
	URL    string            `json:"url"`
	Fields map[string]string `json:"fields"`
}) error {
	fields := url.Values{}
	for k, v := range g.Fields {
		fields.Set(k, v)
	}
	page, err := b.postForm(g.URL, fields)
	if err != nil {
		return err
	}
	action := formAction.FindStringSubmatch(page)
	if action == nil {
		return fmt.Errorf("the bank's page has no form: %.300s", page)
	}
	confirm := url.Values{}
	for _, m := range formHidden.FindAllStringSubmatch(page, -1) {
		confirm.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	confirm.Set("custodyPassword", "135790")
	confirm.Set("custodyPasswordConfirm", "135790")
	base, err := url.Parse(g.URL)
	if err != nil {
		return err
	}
	ref, err := url.Parse(html.UnescapeString(action[1]))
	if err != nil {
		return err
	}
	done, err := b.postForm(base.ResolveReference(ref).String(), confirm)
	if err != nil {
		return err
	}
	if !strings.Contains(done, "Request accepted") {
		return fmt.Errorf("the bank did not accept the request: %.300s", done)
	}
	return nil
}

func (b *bench) postForm(target string, form url.Values) (string, error) {
	resp, err := b.http.PostForm(target, form)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("POST %s: HTTP %d: %.300s", target, resp.StatusCode, body)
	}
	return string(body), nil
}

func (b *bench) login(login, password string) (string, error) {
	var sess struct {
		Token string `json:"token"`
	}
	err := b.call(http.MethodPost, unifiedAccountURL+"/v1/sessions", "", map[string]string{"login": login, "password": password}, &sess)
	return sess.Token, err
}

// call sends body as JSON and decodes a 200 answer into out.
func (b *bench) call(method, target, token string, body, out any) error {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := b.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: HTTP %d: %.300s", method, target, resp.StatusCode, raw)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// waitForPlan polls repayment's API until the borrower's plan is there, then reads the
// receivables once and checks they are complete; both are written in one transaction.
func (b *bench) waitForPlan(projectID string, periods, receivables int, start time.Time, within time.Duration) (time.Duration, error) {
	var items struct {
		Items []json.RawMessage `json:"items"`
	}
	err := pollEvery(10*time.Millisecond, within, func() (bool, error) {
		items.Items = nil
		if err := b.call(http.MethodGet, repaymentURL+"/v1/projects/"+projectID+"/repayment-plan", "", nil, &items); err != nil {
			return false, err
		}
		return len(items.Items) > 0, nil
	})
	if err != nil {
		return 0, fmt.Errorf("repayment plan of project %s: %w", projectID, err)
	}
	if len(items.Items) != periods {
		return 0, fmt.Errorf("repayment plan of project %s has %d periods, want %d", projectID, len(items.Items), periods)
	}
	items.Items = nil
	if err := b.call(http.MethodGet, repaymentURL+"/v1/projects/"+projectID+"/receivables", "", nil, &items); err != nil {
		return 0, err
	}
	readable := time.Since(start)
	if len(items.Items) != receivables {
		return 0, fmt.Errorf("project %s has %d receivable rows, want %d", projectID, len(items.Items), receivables)
	}
	return readable, nil
}

// consumerLine returns the key=value fields of repayment's "repayment plans written" log
// line for the project, or nil.
func consumerLine(path, projectID string) map[string]string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var found map[string]string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, "repayment plans written") || !strings.Contains(line, "project_id="+projectID+" ") {
			continue
		}
		found = map[string]string{}
		for _, field := range strings.Fields(line) {
			if k, v, ok := strings.Cut(field, "="); ok {
				found[k] = v
			}
		}
	}
	return found
}

// roundDuration prints a logged duration to the millisecond.
func roundDuration(s string) string {
	d, err := time.ParseDuration(s)
	if err != nil {
		return s
	}
	return d.Round(time.Millisecond).String()
}

func poll(within time.Duration, done func() (bool, error)) error {
	return pollEvery(100*time.Millisecond, within, done)
}

func pollEvery(every, within time.Duration, done func() (bool, error)) error {
	deadline := time.Now().Add(within)
	for {
		ok, err := done()
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = errors.New("not done")
			}
			return fmt.Errorf("not within %v: %w", within, err)
		}
		time.Sleep(every)
	}
}

// cleanup removes the benchmark's users, project and plans, as root over the socket.
func (b *bench) cleanup(socket string) error {
	cfg := mysql.NewConfig()
	// A default database, because MariaDB resolves a multi-table DELETE's alias in it.
	cfg.User, cfg.Net, cfg.Addr, cfg.DBName = "root", "unix", socket, "user_center"
	root, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return err
	}
	defer root.Close()
	ctx := context.Background()
	var errs []error
	exec := func(q string, args ...any) {
		if _, err := root.ExecContext(ctx, q, args...); err != nil {
			errs = append(errs, err)
		}
	}
	if b.projectID != "" {
		for _, q := range []string{
			"DELETE FROM trade_center.tender WHERE project_id = ?",
			"DELETE FROM trade_center.loan_message WHERE project_id = ?",
			"DELETE FROM trade_center.project WHERE id = ?",
			"DELETE FROM repayment.receivable_plan WHERE project_id = ?",
			"DELETE FROM repayment.repayment_plan WHERE project_id = ?",
		} {
			exec(q, b.projectID)
		}
	}
	like := b.prefix + `\_%`
	exec(`DELETE r FROM user_center.custody_request r JOIN user_center.consumer c ON c.id = r.user_id WHERE c.username LIKE ?`, like)
	exec(`DELETE r FROM user_center.recharge_record r JOIN user_center.consumer c ON c.id = r.user_id WHERE c.username LIKE ?`, like)
	exec("DELETE FROM user_center.consumer WHERE username LIKE ?", like)
	exec("DELETE FROM unified_account.account WHERE username LIKE ?", like)
	return errors.Join(errs...)
}

// readEnv parses KEY=VALUE lines (optionally "export ", optionally quoted).
func readEnv(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimPrefix(strings.TrimSpace(sc.Text()), "export ")
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			env[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	return env, sc.Err()
}
