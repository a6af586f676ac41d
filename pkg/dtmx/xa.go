package dtmx

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/dtm-labs/dtm/client/dtmcli/dtmimp"
	"github.com/dtm-labs/dtm/client/dtmgrpc"
	"github.com/dtm-labs/dtm/client/dtmgrpc/dtmgimp"
	"github.com/dtm-labs/dtm/client/dtmgrpc/dtmgpb"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-sql-driver/mysql"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/p2p-dtx/p2p-dtx/pkg/entx"
)

// An XA branch on MariaDB, and why this file does not use dtmgrpc.XaLocalTransaction.
//
// DTM's handler prepares the branch on a connection of its own, closes that connection,
// and lets phase 2 run XA COMMIT / XA ROLLBACK from another session. On MariaDB (10.11
// here) that is unsafe in two ways, both measured (README, "XA"):
//
//  1. While the preparing session is attached — and for a moment after the client closed
//     it, until the server has processed the disconnect — XA COMMIT from another session
//     answers XAER_NOTA "Unknown XID", the same answer as for a branch already committed.
//     DTM's phase 2 (dtmimp.XaHandlePhase2) takes it for "done": under load a branch was
//     reported committed while it stayed prepared.
//  2. An XA COMMIT that meets the detach half-way can leave the InnoDB transaction
//     PREPARED, holding its row locks, while the XID is gone from XA RECOVER and every
//     later XA COMMIT/ROLLBACK answers XAER_NOTA: nothing short of a server restart
//     reaches it again. 3,200 prepare/close/commit cycles from 16 clients left 2 such
//     transactions even when the commit waited until the session had left PROCESSLIST.
//
// So the session that prepared a branch also finishes it: phase 1 keeps the connection
// (held, below) and phase 2 runs XA COMMIT or XA ROLLBACK on it — the path MariaDB has
// always handled, and a connection that goes back to the pool instead of being dropped.
// Only when this process no longer holds the branch (it restarted, or the hold expired
// because phase 2 was late) does phase 2 use another session; by then the preparing
// session is long gone. Even then XAER_NOTA is never trusted alone: the branch's own
// barrier row, written inside the XA transaction, commits or rolls back with it, so on
// commit a visible row means "committed earlier" and anything else is retried; on
// rollback the rollback's own barrier row is inserted, which waits (and is retried) while
// the prepared branch holds the row's lock, and which a late phase 1 finds and refuses.
// Every unsettled case answers gRPC Unavailable, and DTM retries it.

// The barrier row an XA branch writes in phase 1 (DTM's own values, dtmimp.XaHandleLocalTrans).
const (
	xaBarrierOp     = dtmimp.OpAction
	xaBarrierID     = dtmimp.XaBarrier1
	xaBarrierTable  = "dtm_barrier.barrier"
	xaReasonAction  = dtmimp.OpAction
	xaReasonAborted = dtmimp.OpRollback
)

// XA pool sizes: phase 1 must never wait for a connection that a prepared branch holds
// while that branch waits for its global transaction — so the XA sessions get a pool of
// their own, larger than any registration concurrency the platform expects.
const (
	xaMaxOpen = 128
	xaMaxIdle = 32
)

// How long a prepared branch's session is held for phase 2 before it is let go (phase 2
// then takes the other-session path), and how long after letting go phase 2 is still
// answered "retry" so it never meets the disconnect half-way.
const (
	xaHoldFor    = 60 * time.Second
	xaHoldRetire = 2 * time.Second
)

// ErrXARolledBackFirst is a phase 1 that arrives after DTM already rolled its branch back
// (a branch call that timed out at the initiator and ran late): it changes nothing.
var ErrXARolledBackFirst = errors.New("dtm xa: the branch was rolled back before it ran")

// InXA runs fn as the XA branch of the gRPC call in ctx (XA START … XA PREPARE on a
// session this process keeps), or performs phase 2 when DTM calls back with
// commit/rollback.
func (r *Runner) InXA(ctx context.Context, fn func(drv *entx.Driver, gid string) error) error {
	xa, err := dtmgrpc.XaGrpcFromRequest(ctx)
	if err != nil {
		return status.Errorf(codes.InvalidArgument, "dtm xa: %v", err)
	}
	b := xaBranch{gid: xa.Gid, branchID: xa.BranchID}
	if b.xid, err = xidOf(b.gid, b.branchID); err != nil {
		return err
	}
	switch xa.Op {
	case dtmimp.OpCommit:
		err = r.xaCommit(ctx, b)
	case dtmimp.OpRollback:
		err = r.xaRollback(ctx, b)
	case dtmimp.OpAction:
		return r.xaPrepare(ctx, xa, b, fn)
	default:
		return status.Errorf(codes.InvalidArgument, "dtm xa: unknown op %q", xa.Op)
	}
	if err != nil {
		return status.Errorf(codes.Unavailable, "dtm xa %s %s: %v", xa.Op, b.xid, err)
	}
	return nil
}

type xaBranch struct{ gid, branchID, xid string }

// xidOf is DTM's XA transaction id of a branch. DTM's gids and branch ids are
// alphanumeric; a quote would end the SQL literal, so it is refused before any SQL runs.
func xidOf(gid, branchID string) (string, error) {
	id := gid + "-" + branchID
	if strings.ContainsAny(id, `'\`) || len(id) > 64 {
		return "", status.Errorf(codes.InvalidArgument, "dtm xa: unusable xid %q", id)
	}
	return id, nil
}

// xaPrepare is phase 1. On success the session stays held for phase 2.
func (r *Runner) xaPrepare(ctx context.Context, xa *dtmgrpc.XaGrpc, b xaBranch, fn func(drv *entx.Driver, gid string) error) (err error) {
	conn, err := r.xaDB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("dtm xa: connection: %w", err)
	}
	// Cleanup statements run even when the caller gave up: an XA transaction left active
	// holds its locks until the session ends.
	bg := context.WithoutCancel(ctx)
	if _, err := conn.ExecContext(ctx, "XA START '"+b.xid+"'"); err != nil {
		return errors.Join(fmt.Errorf("dtm xa: start: %w", err), discard(conn))
	}
	prepared, ended := false, false
	defer func() {
		if prepared {
			r.held.hold(b.xid, conn)
			return
		}
		var endErr error
		if !ended {
			_, endErr = conn.ExecContext(bg, "XA END '"+b.xid+"'")
		}
		if _, rerr := conn.ExecContext(bg, "XA ROLLBACK '"+b.xid+"'"); rerr != nil {
			// Dropping the session rolls the branch back.
			err = errors.Join(err, fmt.Errorf("dtm xa: roll back after failure: %w", errors.Join(endErr, rerr)), discard(conn))
			return
		}
		err = errors.Join(err, conn.Close())
	}()
	res, err := conn.ExecContext(ctx, "INSERT IGNORE INTO "+xaBarrierTable+
		" (trans_type, gid, branch_id, op, barrier_id, reason) VALUES ('xa', ?, ?, ?, ?, ?)",
		b.gid, b.branchID, xaBarrierOp, xaBarrierID, xaReasonAction)
	if err != nil {
		return fmt.Errorf("dtm xa: barrier: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return errors.Join(ErrXARolledBackFirst, err)
	}
	if err := fn(entx.New(conn), b.gid); err != nil {
		return err
	}
	// Registered before PREPARE, as DTM does: a crash after PREPARE must leave a branch
	// DTM knows about and will finish, never an orphan holding locks.
	if _, err := dtmgimp.MustGetDtmClient(xa.Dtm).RegisterBranch(ctx, &dtmgpb.DtmBranchRequest{
		Gid: b.gid, BranchID: b.branchID, TransType: xa.TransType,
		Data: map[string]string{"url": xa.Phase2URL},
	}); err != nil {
		return fmt.Errorf("dtm xa: register branch: %w", err)
	}
	if _, err := conn.ExecContext(bg, "XA END '"+b.xid+"'"); err != nil {
		return fmt.Errorf("dtm xa: end: %w", err)
	}
	ended = true
	if _, err := conn.ExecContext(bg, "XA PREPARE '"+b.xid+"'"); err != nil {
		return fmt.Errorf("dtm xa: prepare: %w", err)
	}
	prepared = true
	return nil
}

// xaCommit is phase 2 commit.
func (r *Runner) xaCommit(ctx context.Context, b xaBranch) error {
	if conn, ok, err := r.held.take(b.xid); ok {
		return finishOn(ctx, conn, "XA COMMIT '"+b.xid+"'")
	} else if err != nil {
		return err
	}
	_, err := r.db.ExecContext(ctx, "XA COMMIT '"+b.xid+"'")
	if err != nil && !isUnknownXID(err) {
		return err
	}
	// Whatever MariaDB answered, the branch is done only when its barrier row (written
	// inside the XA transaction) is committed: an OK that races the preparer's disconnect
	// can leave the transaction prepared (README "XA"), and XAER_NOTA is also the answer
	// to a repeated commit.
	switch reason, err := r.barrierReason(ctx, b); {
	case err != nil:
		return err
	case reason == xaReasonAction:
		return nil // committed by an earlier call
	case reason == xaReasonAborted:
		return errors.New("commit of a branch that was rolled back")
	}
	return errors.New("XA COMMIT answered but the branch's barrier row is not committed: the branch is not settled yet")
}

// xaRollback is phase 2 rollback; it leaves the rollback's barrier row, which keeps a
// late phase 1 from running.
func (r *Runner) xaRollback(ctx context.Context, b xaBranch) error {
	if conn, ok, err := r.held.take(b.xid); ok {
		if err := finishOn(ctx, conn, "XA ROLLBACK '"+b.xid+"'"); err != nil {
			return err
		}
	} else if err != nil {
		return err
	} else if _, err := r.db.ExecContext(ctx, "XA ROLLBACK '"+b.xid+"'"); err != nil && !isUnknownXID(err) {
		return err
	}
	// A branch still running or prepared elsewhere holds the lock on its barrier row:
	// this insert waits for it and gives up after a second (DTM retries) instead of 50.
	_, err := r.db.ExecContext(ctx, "SET STATEMENT innodb_lock_wait_timeout = 1 FOR INSERT IGNORE INTO "+
		xaBarrierTable+" (trans_type, gid, branch_id, op, barrier_id, reason) VALUES ('xa', ?, ?, ?, ?, ?)",
		b.gid, b.branchID, xaBarrierOp, xaBarrierID, xaReasonAborted)
	if err != nil {
		return fmt.Errorf("barrier: %w", err)
	}
	switch reason, err := r.barrierReason(ctx, b); {
	case err != nil:
		return err
	case reason == xaReasonAborted:
		return nil
	case reason == xaReasonAction:
		return errors.New("rollback of a branch that was committed")
	}
	return errors.New("the rollback's barrier row is not visible")
}

// finishOn runs XA COMMIT or XA ROLLBACK on the session that prepared the branch and
// gives the session back to the pool. If that fails the session is dropped, the branch
// detaches, and DTM's next attempt (a second or more later) takes the other-session path.
func finishOn(ctx context.Context, conn *sql.Conn, stmt string) error {
	if _, err := conn.ExecContext(ctx, stmt); err != nil {
		return errors.Join(err, discard(conn))
	}
	return conn.Close()
}

// barrierReason reads the branch's barrier row as committed data ("" when there is none).
func (r *Runner) barrierReason(ctx context.Context, b xaBranch) (string, error) {
	var reason string
	err := r.db.QueryRowContext(ctx, "SELECT reason FROM "+xaBarrierTable+
		" WHERE gid = ? AND branch_id = ? AND op = ? AND barrier_id = ?",
		b.gid, b.branchID, xaBarrierOp, xaBarrierID).Scan(&reason)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return reason, err
}

// discard closes conn for good instead of returning it to the pool: a prepared branch
// detaches from it, an unprepared one is rolled back by the server.
func discard(conn *sql.Conn) error {
	// Answering ErrBadConn from Raw makes database/sql close the driver connection and
	// the *sql.Conn with it.
	err := conn.Raw(func(any) error { return driver.ErrBadConn })
	if errors.Is(err, driver.ErrBadConn) {
		return nil
	}
	return errors.Join(fmt.Errorf("dtm xa: discard connection: %v", err), conn.Close())
}

// heldBranches are the sessions of this process's prepared branches, by xid.
type heldBranches struct {
	mu sync.Mutex
	m  map[string]*heldBranch
}

type heldBranch struct {
	conn     *sql.Conn // nil once let go
	released time.Time
}

// hold keeps conn for phase 2; after xaHoldFor the session is let go.
func (h *heldBranches) hold(xid string, conn *sql.Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil {
		h.m = map[string]*heldBranch{}
	}
	h.m[xid] = &heldBranch{conn: conn}
	time.AfterFunc(xaHoldFor, func() { h.letGo(xid) })
}

// letGo drops a branch's session that phase 2 did not come for, and forgets the branch
// xaHoldRetire later.
func (h *heldBranches) letGo(xid string) {
	h.mu.Lock()
	hb, ok := h.m[xid]
	var conn *sql.Conn
	if ok && hb.conn != nil {
		conn, hb.conn, hb.released = hb.conn, nil, time.Now()
	}
	h.mu.Unlock()
	if conn == nil {
		return
	}
	if err := discard(conn); err != nil {
		log.Warnf("dtm xa %s: let go of the held session: %v", xid, err)
	}
	time.AfterFunc(xaHoldRetire, func() {
		h.mu.Lock()
		delete(h.m, xid)
		h.mu.Unlock()
	})
}

// take hands over the held session of xid (ok), or reports that the branch was just let
// go (err: phase 2 must wait so it never meets the disconnect), or neither: this process
// does not hold the branch.
func (h *heldBranches) take(xid string) (conn *sql.Conn, ok bool, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	hb, found := h.m[xid]
	switch {
	case !found:
		return nil, false, nil
	case hb.conn == nil:
		return nil, false, fmt.Errorf("branch session let go %v ago; retry", time.Since(hb.released).Round(time.Millisecond))
	}
	delete(h.m, xid)
	return hb.conn, true, nil
}

// MariaDB's answers this file tells apart.
const erXAERNota = 1397 // XAER_NOTA: Unknown XID

func isUnknownXID(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == erXAERNota
}
