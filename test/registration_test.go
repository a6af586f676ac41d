package test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dtm-labs/dtm/client/dtmgrpc/dtmgimp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	uav1 "github.com/p2p-dtx/p2p-dtx/api/unified-account/v1"
	"github.com/p2p-dtx/p2p-dtx/pkg/dtmx"
	"github.com/p2p-dtx/p2p-dtx/test/client"
	"github.com/p2p-dtx/p2p-dtx/test/driver"
	"github.com/p2p-dtx/p2p-dtx/test/stack"
)

// Registration scenarios (DESIGN.md "Registration"): a user-center consumer and a
// unified-account login account are created together by one DTM global transaction, in
// TCC or XA mode, or not at all. Fault points are process-wide, so these tests run one at
// a time.

var (
	userCenter     = client.New(stack.HTTP("user-center"))
	unifiedAccount = client.New(stack.HTTP("unified-account"))
)

type registerReply struct {
	UserID string `json:"userId"` // int64 is a JSON string in protojson
	Status string `json:"status"`
	Gid    string `json:"gid"`
}

type newUser struct {
	Mobile   string `json:"mobile"`
	Username string `json:"username"`
	Password string `json:"password"`
	Role     string `json:"role"`
	Mode     string `json:"mode,omitempty"`
}

// freshUser returns a user whose names no other test uses, and removes whatever rows
// carry those names when the test ends.
func freshUser(t *testing.T, env stack.Env, mode string) newUser {
	t.Helper()
	n, err := rand.Int(rand.Reader, big.NewInt(1e8))
	if err != nil {
		t.Fatal(err)
	}
	u := newUser{
		Mobile:   fmt.Sprintf("139%08d", n.Int64()),
		Username: fmt.Sprintf("u%08d_%s", n.Int64(), mode),
		Password: fmt.Sprintf("pw-%08d-secret", n.Int64()),
		Role:     "INVESTOR",
		Mode:     mode,
	}
	ua, uc := env.Inspect(t, "unified_account"), env.Inspect(t, "user_center")
	t.Cleanup(func() {
		for _, q := range []struct {
			db    *sql.DB
			query string
		}{
			{ua, "DELETE FROM account WHERE username = ? OR mobile = ?"},
			{uc, "DELETE FROM consumer WHERE username = ? OR mobile = ?"},
		} {
			if _, err := q.db.Exec(q.query, u.Username, u.Mobile); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
	})
	return u
}

// rows counts the rows for the user's names in each service, by status.
type rows struct{ accounts, consumers map[string]int }

func countRows(t *testing.T, env stack.Env, u newUser) rows {
	t.Helper()
	count := func(db, query string) map[string]int {
		rs, err := env.Inspect(t, db).Query(query, u.Username, u.Mobile)
		if err != nil {
			t.Fatal(err)
		}
		defer rs.Close()
		out := map[string]int{}
		for rs.Next() {
			var status string
			var n int
			if err := rs.Scan(&status, &n); err != nil {
				t.Fatal(err)
			}
			out[status] = n
		}
		if err := rs.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	return rows{
		accounts:  count("unified_account", "SELECT status, COUNT(*) FROM account WHERE username = ? OR mobile = ? GROUP BY status"),
		consumers: count("user_center", "SELECT status, COUNT(*) FROM consumer WHERE username = ? OR mobile = ? GROUP BY status"),
	}
}

func (r rows) none() error {
	if len(r.accounts) != 0 || len(r.consumers) != 0 {
		return fmt.Errorf("rows left behind: accounts %v, consumers %v", r.accounts, r.consumers)
	}
	return nil
}

func (r rows) oneActiveEach() error {
	want := map[string]int{"ACTIVE": 1}
	if fmt.Sprint(r.accounts) != fmt.Sprint(want) || fmt.Sprint(r.consumers) != fmt.Sprint(want) {
		return fmt.Errorf("want one ACTIVE row each, got accounts %v, consumers %v", r.accounts, r.consumers)
	}
	return nil
}

func register(t *testing.T, u newUser) (registerReply, client.Response) {
	t.Helper()
	var out registerReply
	resp := userCenter.Do(t, http.MethodPost, "/v1/users", u, &out)
	return out, resp
}

var modes = []string{"TCC", "XA"}

func TestRegistrationSucceeds(t *testing.T) {
	env := stack.Load(t)
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			u := freshUser(t, env, mode)
			out, resp := register(t, u)
			if resp.Status != http.StatusOK || out.Status != "ACTIVE" || out.UserID == "" || out.Gid == "" {
				t.Fatalf("register: %v %+v", resp, out)
			}
			if err := countRows(t, env, u).oneActiveEach(); err != nil {
				t.Fatal(err)
			}
			noPreparedXA(t, env, out.Gid)
			passwordNowhere(t, env, out.Gid, u.Password)
			passwordNowhere(t, env, out.Gid, storedHash(t, env, u))

			var sess driver.Session
			if r := unifiedAccount.Do(t, http.MethodPost, "/v1/sessions", map[string]string{"login": u.Username, "password": u.Password}, &sess); r.Status != http.StatusOK {
				t.Fatalf("login by username: %v", r)
			}
			if sess.UserID != out.UserID || sess.Role != "INVESTOR" || sess.Token == "" {
				t.Fatalf("session %+v for user %s", sess, out.UserID)
			}
			if r := unifiedAccount.Do(t, http.MethodPost, "/v1/sessions", map[string]string{"login": u.Mobile, "password": u.Password}, nil); r.Status != http.StatusOK {
				t.Fatalf("login by mobile: %v", r)
			}
			if r := unifiedAccount.Do(t, http.MethodPost, "/v1/sessions", map[string]string{"login": u.Mobile, "password": "wrong-password"}, nil); r.Status != http.StatusUnauthorized || r.Err.Reason != "INVALID_CREDENTIALS" {
				t.Fatalf("wrong password: %v", r)
			}

			var me map[string]string
			if r := userCenter.WithToken(sess.Token).Do(t, http.MethodGet, "/v1/users/me", nil, &me); r.Status != http.StatusOK {
				t.Fatalf("GET /v1/users/me: %v", r)
			}
			want := map[string]string{"userId": out.UserID, "mobile": u.Mobile, "username": u.Username,
				"role": "INVESTOR", "status": "ACTIVE", "custodyStatus": "NONE"}
			for k, v := range want {
				if me[k] != v {
					t.Errorf("me.%s = %q, want %q (%v)", k, me[k], v, me)
				}
			}
		})
	}
}

func TestRegistrationRejectsInvalidInputNamingTheField(t *testing.T) {
	env := stack.Load(t)
	u := freshUser(t, env, "TCC")
	for field, edit := range map[string]func(*newUser){
		"mobile":   func(n *newUser) { n.Mobile = "123" },
		"username": func(n *newUser) { n.Username = "x" },
		"password": func(n *newUser) { n.Password = "short" },
		"role":     func(n *newUser) { n.Role = "ADMIN" },
		"mode":     func(n *newUser) { n.Mode = "SAGA" },
	} {
		bad := u
		edit(&bad)
		_, resp := register(t, bad)
		if resp.Status != http.StatusBadRequest || resp.Err.Metadata["field"] != field {
			t.Errorf("%s: %v metadata %v", field, resp, resp.Err.Metadata)
		}
	}
	if err := countRows(t, env, u).none(); err != nil {
		t.Fatal(err)
	}
}

func TestRegistrationRollsBackWhenAccountTryFails(t *testing.T) {
	env := stack.Load(t)
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			u := freshUser(t, env, mode)
			armFault(t, unifiedAccount.Base, "account.try.fail", 1, 0)
			_, resp := register(t, u)
			if resp.Status != http.StatusConflict || resp.Err.Reason != "REGISTRATION_ROLLED_BACK" {
				t.Fatalf("register with failing account try: %v", resp)
			}
			if err := countRows(t, env, u).none(); err != nil {
				t.Fatal(err)
			}
			noPreparedXA(t, env, "")
			// The names are free again.
			if out, resp := register(t, u); resp.Status != http.StatusOK || out.Status != "ACTIVE" {
				t.Fatalf("register again: %v", resp)
			}
		})
	}
}

func TestRegistrationRollsBackWhenNameTaken(t *testing.T) {
	env := stack.Load(t)
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			first := freshUser(t, env, mode)
			if _, resp := register(t, first); resp.Status != http.StatusOK {
				t.Fatalf("first registration: %v", resp)
			}
			second := freshUser(t, env, mode)
			second.Username = first.Username
			_, resp := register(t, second)
			if resp.Status != http.StatusConflict || resp.Err.Reason != "USERNAME_TAKEN" {
				t.Fatalf("taken username: %v", resp)
			}
			third := freshUser(t, env, mode)
			third.Mobile = first.Mobile
			_, resp = register(t, third)
			if resp.Status != http.StatusConflict || resp.Err.Reason != "MOBILE_TAKEN" {
				t.Fatalf("taken mobile: %v", resp)
			}
			// Nothing of the rejected registrations is left: only the first user's rows.
			for _, u := range []newUser{{Username: "-", Mobile: second.Mobile}, {Username: third.Username, Mobile: "-"}} {
				if err := countRows(t, env, u).none(); err != nil {
					t.Fatal(err)
				}
			}
			if err := countRows(t, env, first).oneActiveEach(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestRegistrationRollsBackWhenInitiatorFails(t *testing.T) {
	env := stack.Load(t)
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			u := freshUser(t, env, mode)
			armFault(t, userCenter.Base, "register.initiator.fail", 1, 0)
			_, resp := register(t, u)
			if resp.Status != http.StatusConflict || resp.Err.Reason != "FAULT_INJECTED" {
				t.Fatalf("register with failing initiator: %v", resp)
			}
			if err := countRows(t, env, u).none(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestRegistrationRollsBackWhenAccountTryTimesOut(t *testing.T) {
	env := stack.Load(t)
	const delay = 5 * time.Second // the initiator gives up on a Try after 3s (dtm.branch_timeout)
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			u := freshUser(t, env, mode)
			armFault(t, unifiedAccount.Base, "account.try.delay", 1, int(delay/time.Millisecond))
			start := time.Now()
			_, resp := register(t, u)
			if resp.Status != http.StatusConflict || resp.Err.Reason != "REGISTRATION_ROLLED_BACK" {
				t.Fatalf("register with slow account try: %v", resp)
			}
			// The late Try wakes up after the rollback; the barrier must turn it into a
			// no-op. Watch until well after it woke.
			stack.Consistently(t, delay-time.Since(start)+2*time.Second, func() error {
				return countRows(t, env, u).none()
			})
		})
	}
}

func TestRegistrationConfirmIsRetriedUntilItSucceeds(t *testing.T) {
	env := stack.Load(t)
	u := freshUser(t, env, "TCC")
	armFault(t, unifiedAccount.Base, "account.confirm.fail", 2, 0)
	out, resp := register(t, u)
	if resp.Status != http.StatusOK {
		t.Fatalf("register with failing confirm: %v", resp)
	}
	// DTM retries the Confirm (1s, then 2s): the user ends ACTIVE exactly once.
	stack.Eventually(t, 30*time.Second, func() error { return countRows(t, env, u).oneActiveEach() })
	var status string
	if err := env.Inspect(t, "dtm").QueryRow("SELECT status FROM trans_global WHERE gid = ?", out.Gid).Scan(&status); err != nil {
		t.Fatal(err)
	}
	if status != "succeed" {
		t.Fatalf("dtm status %q", status)
	}
}

// branchKey is the stack's internal DTM branch key (secrets.env).
func branchKey(t *testing.T, env stack.Env) *dtmx.BranchKey {
	t.Helper()
	k, err := dtmx.NewBranchKey(env[dtmx.BranchKeyEnv])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// branchCall invokes unified-account's TCC branch directly, the way DTM would: the
// barrier reads gid, branch id and op from the gRPC metadata, and the branch answers
// only with the transaction's credential (key; nil sends none).
func branchCall(t *testing.T, conn *grpc.ClientConn, key *dtmx.BranchKey, gid, op string, req *uav1.CreateAccountRequest) (*uav1.CreateAccountReply, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ctx = dtmgimp.TransInfo2Ctx(ctx, gid, "tcc", "01", op, stack.DTMGRPC)
	if key != nil {
		ctx = metadata.AppendToOutgoingContext(ctx, dtmx.CredentialHeader, key.Credential("tcc", gid))
	}
	c := uav1.NewAccountRegistrationClient(conn)
	switch op {
	case "try":
		return c.TryCreateAccount(ctx, req)
	case "confirm":
		_, err := c.ConfirmCreateAccount(ctx, req)
		return nil, err
	case "cancel":
		_, err := c.CancelCreateAccount(ctx, req)
		return nil, err
	}
	t.Fatalf("unknown op %s", op)
	return nil, nil
}

func TestRegistrationBarrier(t *testing.T) {
	env := stack.Load(t)
	conn, err := grpc.NewClient(stack.GRPC("unified-account"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	key := branchKey(t, env)

	t.Run("empty rollback then hanging try", func(t *testing.T) {
		u := freshUser(t, env, "TCC")
		gid := "barrier-hang-" + u.Username
		req := accountRequest(t, key, gid, u)
		if _, err := branchCall(t, conn, key, gid, "cancel", req); err != nil {
			t.Fatalf("cancel before try: %v", err)
		}
		if _, err := branchCall(t, conn, key, gid, "try", req); err != nil {
			t.Fatalf("try after cancel: %v", err)
		}
		if err := countRows(t, env, u).none(); err != nil {
			t.Fatalf("a try after its cancel reserved the names: %v", err)
		}
		// The names are free for a real registration.
		if _, resp := register(t, u); resp.Status != http.StatusOK {
			t.Fatalf("register: %v", resp)
		}
	})

	t.Run("repeated try and confirm", func(t *testing.T) {
		u := freshUser(t, env, "TCC")
		gid := "barrier-repeat-" + u.Username
		req := accountRequest(t, key, gid, u)
		for range 2 {
			if _, err := branchCall(t, conn, key, gid, "try", req); err != nil {
				t.Fatalf("try: %v", err)
			}
		}
		if got := countRows(t, env, u).accounts; fmt.Sprint(got) != "map[PENDING:1]" {
			t.Fatalf("after two tries: %v", got)
		}
		for range 2 {
			if _, err := branchCall(t, conn, key, gid, "confirm", req); err != nil {
				t.Fatalf("confirm: %v", err)
			}
		}
		if got := countRows(t, env, u).accounts; fmt.Sprint(got) != "map[ACTIVE:1]" {
			t.Fatalf("after two confirms: %v", got)
		}
		if _, err := env.Inspect(t, "dtm_barrier").Exec("DELETE FROM barrier WHERE gid = ?", gid); err != nil {
			t.Errorf("cleanup barrier: %v", err)
		}
	})
}

// passwordHash is a bcrypt hash of "correct-horse-1"; participants refuse anything that
// is not a hash.
const passwordHash = "$2a$10$2bEiSjb4SmjmuVKY9qOmmeIW1c1EqRXNKuQzVsDaDkWvkFo8LmV7S"

// accountRequest is the Try payload of u in transaction gid, its hash sealed as the
// initiator seals it.
func accountRequest(t *testing.T, key *dtmx.BranchKey, gid string, u newUser) *uav1.CreateAccountRequest {
	t.Helper()
	sealed, err := key.Seal(gid, []byte(passwordHash))
	if err != nil {
		t.Fatal(err)
	}
	return &uav1.CreateAccountRequest{Username: u.Username, Mobile: u.Mobile, SealedPasswordHash: sealed, Role: "INVESTOR"}
}

func TestRegistrationConcurrentSameUsername(t *testing.T) {
	env := stack.Load(t)
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			base := freshUser(t, env, mode)
			const n = 20
			var wg sync.WaitGroup
			results := make([]client.Response, n)
			users := make([]newUser, n)
			for i := range n {
				users[i] = freshUser(t, env, mode)
				users[i].Username = base.Username
			}
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, results[i] = register(t, users[i])
				}()
			}
			wg.Wait()
			var ok, taken int
			for _, r := range results {
				switch {
				case r.Status == http.StatusOK:
					ok++
				case r.Status == http.StatusConflict && r.Err.Reason == "USERNAME_TAKEN":
					taken++
				default:
					t.Errorf("unexpected answer: %v", r)
				}
			}
			if ok != 1 || taken != n-1 {
				t.Fatalf("%d succeeded, %d USERNAME_TAKEN; want 1 and %d", ok, taken, n-1)
			}
			stack.Eventually(t, 30*time.Second, func() error {
				return countRows(t, env, base).oneActiveEach()
			})
			noPreparedXA(t, env, "")
		})
	}
}

// noPreparedXA fails when an XA branch (of gid, or of any transaction when gid is empty)
// is still prepared: DTM must always finish phase 2.
func noPreparedXA(t *testing.T, env stack.Env, gid string) {
	t.Helper()
	db := env.Inspect(t, "dtm")
	stack.Eventually(t, 15*time.Second, func() error {
		prepared, err := preparedXA(db)
		if err != nil {
			return err
		}
		var left []string
		for _, xid := range prepared {
			if gid == "" || strings.HasPrefix(xid, gid+"-") {
				left = append(left, xid)
			}
		}
		if len(left) > 0 {
			return fmt.Errorf("prepared XA branches left: %v", left)
		}
		return nil
	})
}

// storedHash is the bcrypt hash unified-account stored for u: it too must be nowhere
// else (the initiator seals it for the branch payload).
func storedHash(t *testing.T, env stack.Env, u newUser) string {
	t.Helper()
	var h string
	if err := env.Inspect(t, "unified_account").QueryRow("SELECT password_hash FROM account WHERE username = ?", u.Username).Scan(&h); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$2") {
		t.Fatalf("stored hash %.4s... is not bcrypt", h)
	}
	return h
}

// passwordNowhere checks a secret (the plaintext password, the stored hash) reached
// neither DTM's store (the branch payloads of gid) nor any log of the stack.
func passwordNowhere(t *testing.T, env stack.Env, gid, password string) {
	t.Helper()
	var n int
	if err := env.Inspect(t, "dtm").QueryRow(
		"SELECT COUNT(*) FROM trans_branch_op WHERE gid = ? AND INSTR(bin_data, ?) > 0", gid, password).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("secret in %d DTM branch payloads of %s", n, gid)
	}
	logs, err := filepath.Glob(filepath.Join(env["P2P_RUN_DIR"], "logs", "*.log"))
	if err != nil || len(logs) == 0 {
		t.Fatalf("no logs found: %v", err)
	}
	for _, f := range logs {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), password) {
			t.Errorf("secret in %s", f)
		}
	}
}
