//go:build integration

package dtmx

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/dbtest"
)

// These tests run phase 2 the way a second instance (or a restarted process) would: from
// a session other than the one that prepared the branch, while that one is still
// attached. MariaDB answers XAER_NOTA then; the runner must not take it for "done".
//
//	P2P_TEST_MYSQL_ADDR=… P2P_TEST_DB_USER=unified_account P2P_TEST_DB_PASSWORD=… \
//	go test -tags integration ./pkg/dtmx/

const testDB = "unified_account"

func openRunner(t *testing.T) *Runner {
	t.Helper()
	pool := dbtest.Open(t, testDB)
	r, cleanup, err := NewRunner(context.Background(), pool, &conf.Database{Dsn: dbtest.DSN(t, testDB)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	return r
}

// prepareElsewhere runs a branch's phase 1 on a session of its own — barrier row and
// XA PREPARE, as xaPrepare does — and keeps that session attached. detach ends it.
func prepareElsewhere(t *testing.T, r *Runner) (b xaBranch, detach func()) {
	t.Helper()
	ctx := context.Background()
	gid := fmt.Sprintf("it%d", time.Now().UnixNano())
	b = xaBranch{gid: gid, branchID: "01", xid: gid + "-01"}
	conn, err := r.xaDB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{"XA START '" + b.xid + "'",
		fmt.Sprintf("INSERT INTO %s (trans_type, gid, branch_id, op, barrier_id, reason) VALUES ('xa', '%s', '01', 'action', '01', 'action')", xaBarrierTable, gid),
		"XA END '" + b.xid + "'", "XA PREPARE '" + b.xid + "'"} {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	var id int64
	if err := conn.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		t.Fatal(err)
	}
	done := false
	// detach ends the session and waits until the server has processed the disconnect
	// (the session left PROCESSLIST): MariaDB can orphan a branch whose commit from
	// another session races the disconnect, which is the runner's concern, not these
	// tests'.
	detach = func() {
		if done {
			return
		}
		done = true
		if err := discard(conn); err != nil {
			t.Error(err)
		}
		waitFor(t, func() error {
			var n int
			if err := r.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ?", id).Scan(&n); err != nil || n == 0 {
				return err
			}
			return fmt.Errorf("session %d is still attached", id)
		})
	}
	t.Cleanup(func() {
		detach()
		// Whatever the test left prepared is rolled back (by the runner: a bare XA
		// ROLLBACK could meet the detach half-way), then its barrier rows go.
		waitFor(t, func() error {
			err := r.xaRollback(ctx, b)
			if err != nil && barrierRow(t, r.db, b) == xaReasonAction {
				return nil // committed by the test
			}
			return err
		})
		if _, err := r.db.ExecContext(ctx, "DELETE FROM "+xaBarrierTable+" WHERE gid = ?", gid); err != nil {
			t.Errorf("clean barrier rows: %v", err)
		}
	})
	return b, detach
}

// waitFor polls check until it succeeds, for at most five seconds.
func waitFor(t *testing.T, check func() error) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not within 5s: %v", err)
		}
		<-tick.C
	}
}

func barrierRow(t *testing.T, db *sql.DB, b xaBranch) string {
	t.Helper()
	var reason string
	err := db.QueryRow("SELECT reason FROM "+xaBarrierTable+" WHERE gid = ? AND branch_id = ?", b.gid, b.branchID).Scan(&reason)
	if err == sql.ErrNoRows {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return reason
}

func TestCommitFromAnotherSessionIsNotDoneWhileTheBranchIsAttached(t *testing.T) {
	t.Parallel()
	r := openRunner(t)
	b, detach := prepareElsewhere(t, r)
	ctx := context.Background()
	// MariaDB's answer here is XAER_NOTA, exactly as for a branch committed already.
	if _, err := r.db.ExecContext(ctx, "XA COMMIT '"+b.xid+"'"); !isUnknownXID(err) {
		t.Fatalf("XA COMMIT from another session while attached: %v; the premise of this test is XAER_NOTA", err)
	}
	if err := r.xaCommit(ctx, b); err == nil {
		t.Fatal("xaCommit reported a branch committed while it is still prepared and attached")
	}
	if got := barrierRow(t, r.db, b); got != "" {
		t.Fatalf("the branch's barrier row is visible (%q) before any commit", got)
	}
	detach()
	waitFor(t, func() error { return r.xaCommit(ctx, b) })
	if got := barrierRow(t, r.db, b); got != xaReasonAction {
		t.Fatalf("after the commit the barrier row is %q, want %q", got, xaReasonAction)
	}
	// A repeated commit (DTM retries) is answered done: the barrier row proves it.
	if err := r.xaCommit(ctx, b); err != nil {
		t.Fatalf("repeated commit: %v", err)
	}
}

func TestRollbackFromAnotherSessionWaitsForTheAttachedBranch(t *testing.T) {
	t.Parallel()
	r := openRunner(t)
	b, detach := prepareElsewhere(t, r)
	ctx := context.Background()
	err := r.xaRollback(ctx, b)
	if err == nil {
		t.Fatal("xaRollback reported a branch rolled back while it is still prepared and attached")
	}
	detach()
	waitFor(t, func() error { return r.xaRollback(ctx, b) })
	if got := barrierRow(t, r.db, b); got != xaReasonAborted {
		t.Fatalf("after the rollback the barrier row is %q, want %q (it keeps a late phase 1 out)", got, xaReasonAborted)
	}
	if err := r.xaRollback(ctx, b); err != nil {
		t.Fatalf("repeated rollback: %v", err)
	}
	if err := r.xaCommit(ctx, b); err == nil {
		t.Fatal("commit of a rolled-back branch reported done")
	}
}

func TestHeldBranchIsFinishedOnItsOwnSession(t *testing.T) {
	t.Parallel()
	r := openRunner(t)
	b, _ := prepareElsewhere(t, r)
	// A second branch of the same transaction, prepared on a session the runner holds
	// as xaPrepare leaves it.
	conn, err := r.xaDB.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	held := xaBranch{gid: b.gid, branchID: "02", xid: b.gid + "-02"}
	for _, stmt := range []string{"XA START '" + held.xid + "'",
		fmt.Sprintf("INSERT INTO %s (trans_type, gid, branch_id, op, barrier_id, reason) VALUES ('xa', '%s', '02', 'action', '01', 'action')", xaBarrierTable, b.gid),
		"XA END '" + held.xid + "'", "XA PREPARE '" + held.xid + "'"} {
		if _, err := conn.ExecContext(context.Background(), stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	r.held.hold(held.xid, conn)
	t.Cleanup(func() {
		if _, err := r.db.Exec("XA ROLLBACK '" + held.xid + "'"); err != nil && !isUnknownXID(err) {
			t.Errorf("clean %s: %v", held.xid, err)
		}
	})
	// No waiting for a detach: the commit runs on the session that prepared it.
	if err := r.xaCommit(context.Background(), held); err != nil {
		t.Fatalf("commit on the held session: %v", err)
	}
	if got := barrierRow(t, r.db, held); got != xaReasonAction {
		t.Fatalf("held branch's barrier row %q after commit, want %q", got, xaReasonAction)
	}
}
