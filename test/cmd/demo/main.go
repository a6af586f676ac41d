// Command demo walks through what the platform does today, against the running local
// stack, printing each step and the guarantee the distributed-transaction scheme gave.
// It exits non-zero when any step does not turn out as printed. `make demo` runs it.
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"time"
)

const (
	userCenter     = "http://127.0.0.1:8020"
	unifiedAccount = "http://127.0.0.1:8010"
	dtmHTTP        = "http://127.0.0.1:36789/api/dtmsvr"
)

var httpc = &http.Client{Timeout: 60 * time.Second}

func main() {
	if err := run(); err != nil {
		fmt.Printf("\n✗ demo failed: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	suffix, err := rand.Int(rand.Reader, big.NewInt(1e7))
	if err != nil {
		return err
	}
	n := suffix.Int64()

	step("1. Register a borrower with DTM TCC")
	say("POST %s/v1/users {mode: TCC}: user-center opens a TCC global transaction; each service's Try", userCenter)
	say("reserves username and mobile with a PENDING row, then DTM calls every Confirm.")
	borrower, err := register(fmt.Sprintf("demo_borrower_%d", n), fmt.Sprintf("1380%07d", n), "BORROWER", "TCC")
	if err != nil {
		return err
	}
	ok("user %s ACTIVE in both user-center and unified-account (gid %s)", borrower.UserID, borrower.Gid)

	step("2. Register an investor with DTM XA")
	say("Both inserts run as XA branches on MariaDB; DTM drives XA PREPARE, then XA COMMIT.")
	investor, err := register(fmt.Sprintf("demo_investor_%d", n), fmt.Sprintf("1381%07d", n), "INVESTOR", "XA")
	if err != nil {
		return err
	}
	ok("user %s ACTIVE (gid %s)", investor.UserID, investor.Gid)

	step("3. A registration rolled back by a fault")
	say("Arm unified-account's fault point account.try.fail, then register: its Try fails, DTM calls every Cancel.")
	if err := post(unifiedAccount+"/debug/faults", map[string]any{"point": "account.try.fail", "times": 1}, nil); err != nil {
		return fmt.Errorf("arm fault (faults.enabled must be true in the local config): %w", err)
	}
	name, mobile := fmt.Sprintf("demo_rollback_%d", n), fmt.Sprintf("1382%07d", n)
	_, rerr := register(name, mobile, "INVESTOR", "TCC")
	var he *httpError
	if !asHTTPError(rerr, &he) || he.Status != http.StatusConflict {
		return fmt.Errorf("want a 409 rollback, got %v", rerr)
	}
	ok("409 %s: rolled back — no user, no account", he.Reason)
	say("The names are free again: registering them once more succeeds.")
	again, err := register(name, mobile, "INVESTOR", "TCC")
	if err != nil {
		return err
	}
	ok("user %s ACTIVE with the same username and mobile", again.UserID)

	step("4. Log in and read the profile")
	var sess struct {
		Token string `json:"token"`
	}
	if err := post(unifiedAccount+"/v1/sessions", map[string]string{"login": fmt.Sprintf("demo_investor_%d", n), "password": "demo-password-1"}, &sess); err != nil {
		return err
	}
	var me map[string]any
	if err := get(userCenter+"/v1/users/me", sess.Token, &me); err != nil {
		return err
	}
	ok("GET /v1/users/me → %v %v, role %v, custody %v", me["username"], me["status"], me["role"], me["custodyStatus"])

	step("Summary")
	say("TCC and XA registrations committed on both services; the faulty one left nothing behind.")
	say("Look next:")
	say("  logs                 make logs   (or .run/logs/<component>.log)")
	say("  DTM's view of a gid  curl '%s/query?gid=%s'", dtmHTTP, borrower.Gid)
	say("  the stack            make status")
	return nil
}

type registered struct {
	UserID string `json:"userId"`
	Status string `json:"status"`
	Gid    string `json:"gid"`
}

func register(username, mobile, role, mode string) (registered, error) {
	var out registered
	err := post(userCenter+"/v1/users", map[string]string{"username": username, "mobile": mobile,
		"password": "demo-password-1", "role": role, "mode": mode}, &out)
	if err == nil && out.Status != "ACTIVE" {
		err = fmt.Errorf("registration %s is %s, want ACTIVE", out.Gid, out.Status)
	}
	return out, err
}

type httpError struct {
	Status  int
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

func (e *httpError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Reason, e.Message) }

func asHTTPError(err error, target **httpError) bool {
	he, ok := err.(*httpError)
	if ok {
		*target = he
	}
	return ok
}

func post(url string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	return do(req, out)
}

func get(url, token string, out any) error {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return do(req, out)
}

func do(req *http.Request, out any) error {
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
