package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dtm-labs/dtm/client/dtmcli"
	"github.com/dtm-labs/logger"
	"github.com/go-resty/resty/v2"
	"github.com/go-sql-driver/mysql"
	"golang.org/x/crypto/bcrypt"

	"github.com/p2p-dtx/p2p-dtx/test/stack"
)

// The peer is what DTM's own examples do, with nothing of p2p-dtx in it: an initiator
// calling two HTTP branches in this process, each doing DTM's barrier plus one INSERT
// (TCC: Try inserts PENDING, Confirm activates, Cancel deletes; XA: the INSERT inside
// DTM's stock XaLocalTransaction). Same DTM server, same MariaDB, same rows (the account
// and consumer tables of sql/, in a scratch database), same bcrypt cost in the initiator.
// It has no HTTP front, no validation, no settle wait (DTM answers Submit before phase 2
// unless WaitResult is asked for) and no tokens.
type peer struct {
	db     *sql.DB // root over the socket: setup and clean-up
	branch *sql.DB // the peer's own login over TCP (DTM's XA needs host:port)
	xaConf dtmcli.DBConf
	busi   string // base URL of the in-process branch server
	dtm    string // DTM's HTTP API
	cost   int
	srv    *http.Server
	user   string
	prefix string // this run's; the peer's gids are "peer" + prefix + n
}

const peerDB = "bench_peer"

// startPeer creates the peer's database and login, and starts its branch server.
func startPeer(socket, repo, mysqlAddr, dtmHTTP, prefix string, cost int) (*peer, error) {
	// At info, DTM's client logs every branch call and every XA connection it opens.
	logger.InitLog("warn")
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr, cfg.MultiStatements = "root", "unix", socket, true
	root, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return nil, err
	}
	p := &peer{db: root, dtm: dtmHTTP, cost: cost, user: "bench_peer", prefix: prefix}
	pw := make([]byte, 16)
	if _, err := rand.Read(pw); err != nil {
		return nil, err
	}
	password := hex.EncodeToString(pw)
	setup := fmt.Sprintf(`DROP DATABASE IF EXISTS %[1]s; CREATE DATABASE %[1]s;
		CREATE USER IF NOT EXISTS '%[2]s'@'127.0.0.1' IDENTIFIED BY '%[3]s';
		ALTER USER '%[2]s'@'127.0.0.1' IDENTIFIED BY '%[3]s';
		GRANT SELECT, INSERT, UPDATE, DELETE ON %[1]s.* TO '%[2]s'@'127.0.0.1';
		GRANT SELECT, INSERT ON dtm_barrier.barrier TO '%[2]s'@'127.0.0.1';`, peerDB, p.user, password)
	if _, err := root.Exec(setup); err != nil {
		return nil, errors.Join(fmt.Errorf("peer setup: %w", err), root.Close())
	}
	for _, f := range []string{"sql/unified_account/V001__account.sql", "sql/user_center/V001__consumer_custody.sql"} {
		ddl, err := os.ReadFile(filepath.Join(repo, f))
		if err != nil {
			return nil, errors.Join(err, p.stop())
		}
		if _, err := root.Exec("USE " + peerDB + "; " + string(ddl)); err != nil {
			return nil, errors.Join(fmt.Errorf("peer: apply %s: %w", f, err), p.stop())
		}
	}
	host, port, err := net.SplitHostPort(mysqlAddr)
	if err != nil {
		return nil, errors.Join(err, p.stop())
	}
	var portN int64
	if _, err := fmt.Sscan(port, &portN); err != nil {
		return nil, errors.Join(err, p.stop())
	}
	p.xaConf = dtmcli.DBConf{Driver: "mysql", Host: host, Port: portN, User: p.user, Password: password, Db: peerDB}
	bc := mysql.NewConfig()
	bc.User, bc.Passwd, bc.Net, bc.Addr, bc.DBName, bc.ParseTime = p.user, password, "tcp", mysqlAddr, peerDB, true
	bc.InterpolateParams = true // as DTM's own pooled connections (dtmimp.GetDsn)
	if p.branch, err = sql.Open("mysql", bc.FormatDSN()); err != nil {
		return nil, errors.Join(err, p.stop())
	}
	p.branch.SetMaxOpenConns(64)
	p.branch.SetMaxIdleConns(64)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, errors.Join(err, p.stop())
	}
	p.busi = "http://" + ln.Addr().String()
	p.srv = &http.Server{Handler: p.routes(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := p.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "bench-register: peer server:", err)
		}
	}()
	return p, nil
}

// stop shuts the branch server down and removes the peer's database and login. The
// peer's Submit returns before phase 2, so first it lets DTM finish the phase 2 of what
// it submitted while the branch server can still answer.
func (p *peer) stop() error {
	var errs []error
	errs = append(errs, p.settle(20*time.Second))
	if p.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		errs = append(errs, p.srv.Shutdown(ctx))
	}
	if p.branch != nil {
		errs = append(errs, p.branch.Close())
	}
	// A prepared XA branch of the peer would hold locks DROP DATABASE waits for.
	errs = append(errs, rollbackPrepared(p.db, "peer"))
	_, err := p.db.Exec(fmt.Sprintf("SET SESSION lock_wait_timeout = 10; DROP DATABASE IF EXISTS %s; DROP USER IF EXISTS '%s'@'127.0.0.1'", peerDB, p.user))
	errs = append(errs, err, p.db.Close())
	return errors.Join(errs...)
}

// settle lets DTM finish the peer's own transactions (gid "peer<prefix>…") for up to d,
// then force-stops whatever of the peer is still unfinished — also what an earlier run,
// killed before its phase 2 ended, left behind, at once: DTM's forceStop marks it failed,
// so DTM stops retrying, for ever, the branches of a server that is gone. The rows those
// transactions touched go with the peer's database.
func (p *peer) settle(d time.Duration) error {
	mine := func(gid string) bool { return strings.HasPrefix(gid, "peer"+p.prefix) }
	if stack.Poll(context.Background(), 200*time.Millisecond, d, func() error {
		left, err := p.stopUnfinished(mine)
		if err == nil && left > 0 {
			err = fmt.Errorf("%d of this run's peer transactions unfinished", left)
		}
		return err
	}) == nil {
		return nil
	}
	_, err := p.stopUnfinished(func(string) bool { return false })
	return err
}

// stopUnfinished force-stops every peer transaction (any run's) DTM has not finished,
// except those keep keeps, and returns how many it kept.
func (p *peer) stopUnfinished(keep func(gid string) bool) (int, error) {
	rs, err := p.db.Query("SELECT gid FROM dtm.trans_global WHERE gid LIKE 'peer%' AND status NOT IN ('succeed', 'failed')")
	if err != nil {
		return 0, err
	}
	var stop []string
	kept := 0
	for rs.Next() {
		var g string
		if err := rs.Scan(&g); err != nil {
			return 0, errors.Join(err, rs.Close())
		}
		if keep(g) {
			kept++
		} else {
			stop = append(stop, g)
		}
	}
	if err := errors.Join(rs.Err(), rs.Close()); err != nil {
		return 0, err
	}
	for _, g := range stop {
		if err := p.forceStop(g); err != nil {
			return 0, err
		}
	}
	if len(stop) > 0 {
		fmt.Fprintf(os.Stderr, "  force-stopped %d unfinished peer transactions (DTM would retry their gone branches for ever)\n", len(stop))
	}
	return kept, nil
}

// forceStop asks DTM to give the transaction up; one that finished meanwhile is fine.
func (p *peer) forceStop(gid string) error {
	resp, err := resty.New().SetTimeout(5 * time.Second).R().SetBody(map[string]string{"gid": gid}).Post(p.dtm + "/forceStop")
	if err != nil {
		return fmt.Errorf("force-stop peer transaction %s: %w", gid, err)
	}
	if resp.IsError() && !strings.Contains(resp.String(), "status: succeed") && !strings.Contains(resp.String(), "status: failed") {
		return fmt.Errorf("force-stop peer transaction %s: %s %s", gid, resp.Status(), resp.String())
	}
	return nil
}

type peerUser struct {
	ID       int64  `json:"id,omitempty"`
	Username string `json:"username"`
	Mobile   string `json:"mobile"`
	Hash     string `json:"hash,omitempty"`
}

// register runs one registration as the peer does: hash, then a TCC or XA global
// transaction over the two HTTP branches.
func (p *peer) register(mode, prefix string, n int64) error {
	username, mobile := names(prefix, n)
	hash, err := bcrypt.GenerateFromPassword([]byte("bench-password"), p.cost)
	if err != nil {
		return err
	}
	u := peerUser{Username: username, Mobile: mobile, Hash: string(hash)}
	gid := fmt.Sprintf("peer%s%d", p.prefix, n)
	if mode == "XA" {
		return dtmcli.XaGlobalTransaction(p.dtm, gid, func(xa *dtmcli.Xa) (*resty.Response, error) {
			resp, err := xa.CallBranch(u, p.busi+"/account/xa")
			if err != nil {
				return resp, err
			}
			if err := json.Unmarshal(resp.Body(), &u); err != nil {
				return resp, err
			}
			return xa.CallBranch(u, p.busi+"/consumer/xa")
		})
	}
	return dtmcli.TccGlobalTransaction(p.dtm, gid, func(tcc *dtmcli.Tcc) (*resty.Response, error) {
		resp, err := tcc.CallBranch(u, p.busi+"/account/try", p.busi+"/account/confirm", p.busi+"/account/cancel")
		if err != nil {
			return resp, err
		}
		if err := json.Unmarshal(resp.Body(), &u); err != nil {
			return resp, err
		}
		return tcc.CallBranch(u, p.busi+"/consumer/try", p.busi+"/consumer/confirm", p.busi+"/consumer/cancel")
	})
}

func (p *peer) routes() http.Handler {
	mux := http.NewServeMux()
	now := func() time.Time { return time.Now().UTC() }
	insertAccount := func(ex execer, u *peerUser, status, gid string) error {
		res, err := ex.Exec(`INSERT INTO account (username, mobile, password_hash, role, status, registration_gid, created_at, updated_at)
			VALUES (?, ?, ?, 'INVESTOR', ?, ?, ?, ?)`, u.Username, u.Mobile, u.Hash, status, gid, now(), now())
		if err == nil {
			u.ID, err = res.LastInsertId()
		}
		return err
	}
	insertConsumer := func(ex execer, u *peerUser, status, gid string) error {
		_, err := ex.Exec(`INSERT INTO consumer (id, username, mobile, role, status, custody_status, registration_gid, created_at, updated_at)
			VALUES (?, ?, ?, 'INVESTOR', ?, 'NONE', ?, ?, ?)`, u.ID, u.Username, u.Mobile, status, gid, now(), now())
		return err
	}
	for _, table := range []string{"account", "consumer"} {
		insert := insertAccount
		if table == "consumer" {
			insert = insertConsumer
		}
		mux.HandleFunc("POST /"+table+"/try", p.barrier(func(tx *sql.Tx, u *peerUser, gid string) error {
			return insert(tx, u, "PENDING", gid)
		}))
		mux.HandleFunc("POST /"+table+"/confirm", p.barrier(func(tx *sql.Tx, _ *peerUser, gid string) error {
			_, err := tx.Exec("UPDATE "+table+" SET status = 'ACTIVE' WHERE registration_gid = ? AND status = 'PENDING'", gid)
			return err
		}))
		mux.HandleFunc("POST /"+table+"/cancel", p.barrier(func(tx *sql.Tx, _ *peerUser, gid string) error {
			_, err := tx.Exec("DELETE FROM "+table+" WHERE registration_gid = ? AND status = 'PENDING'", gid)
			return err
		}))
		mux.HandleFunc("POST /"+table+"/xa", func(w http.ResponseWriter, r *http.Request) {
			var u peerUser
			err := dtmcli.XaLocalTransaction(r.URL.Query(), p.xaConf, func(db *sql.DB, xa *dtmcli.Xa) error {
				if err := json.NewDecoder(r.Body).Decode(&u); err != nil {
					return err
				}
				return insert(db, &u, "ACTIVE", xa.Gid)
			})
			answer(w, u, err)
		})
	}
	return mux
}

type execer interface {
	Exec(query string, args ...any) (sql.Result, error)
}

// barrier wraps a TCC branch in DTM's barrier, as DTM's examples do.
func (p *peer) barrier(fn func(tx *sql.Tx, u *peerUser, gid string) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var u peerUser
		bb, err := dtmcli.BarrierFromQuery(r.URL.Query())
		if err == nil {
			err = json.NewDecoder(r.Body).Decode(&u)
		}
		if err == nil {
			err = bb.CallWithDB(p.branch, func(tx *sql.Tx) error { return fn(tx, &u, bb.Gid) })
		}
		answer(w, u, err)
	}
}

// answer replies as DTM expects: 200 with the user, 409 for a duplicate (failure, roll
// back), 500 for anything else (retry).
func answer(w http.ResponseWriter, u peerUser, err error) {
	var me *mysql.MySQLError
	switch {
	case err == nil:
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(u); err != nil {
			fmt.Fprintln(os.Stderr, "bench-register: peer answer:", err)
		}
	case errors.As(err, &me) && me.Number == 1062:
		http.Error(w, dtmcli.ResultFailure, http.StatusConflict)
	default:
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

// rollbackPrepared rolls back every prepared XA branch whose xid starts with prefix, so
// nothing the benchmark started keeps its locks.
func rollbackPrepared(db *sql.DB, prefix string) error {
	rs, err := db.Query("XA RECOVER")
	if err != nil {
		return err
	}
	var xids []string
	for rs.Next() {
		var format, gl, bl int
		var data string
		if err := rs.Scan(&format, &gl, &bl, &data); err != nil {
			return errors.Join(err, rs.Close())
		}
		if strings.HasPrefix(data, prefix) && !strings.ContainsAny(data, `'\`) {
			xids = append(xids, data)
		}
	}
	if err := errors.Join(rs.Err(), rs.Close()); err != nil {
		return err
	}
	for _, x := range xids {
		if _, err := db.Exec("XA ROLLBACK '" + x + "'"); err != nil {
			return fmt.Errorf("roll back prepared %s: %w", x, err)
		}
	}
	if len(xids) > 0 {
		fmt.Fprintf(os.Stderr, "  rolled back %d prepared XA branches the %s left\n", len(xids), prefix)
	}
	return nil
}
