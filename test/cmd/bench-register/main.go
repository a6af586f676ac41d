// Command bench-register measures registration throughput and latency against the running
// local stack: p2p-dtx's DTM TCC and DTM XA, the same two schemes done the way DTM's own
// examples do them (the peer, peer.go: two HTTP branches, barrier + insert, same DTM and
// MariaDB), and a baseline that does the same work (bcrypt hash, then insert the login
// account and the consumer) in one local transaction of a single database. Every mode
// hashes at the same bcrypt cost. It prints a table; it asserts nothing.
//
//	go run ./test/cmd/bench-register -clients 16 -duration 20s -cost 10
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
	"golang.org/x/crypto/bcrypt"
)

func main() {
	clients := flag.Int("clients", 16, "concurrent clients")
	duration := flag.Duration("duration", 20*time.Second, "how long each mode runs")
	base := flag.String("user-center", "http://127.0.0.1:8020", "user-center base URL")
	socket := flag.String("socket", "", "MariaDB socket for the baseline (default: <run dir>/mariadb/mysqld.sock)")
	repo := flag.String("repo", ".", "repository root (for sql/)")
	cost := flag.Int("cost", 10, "bcrypt cost of the baseline and the peer: user-center's P2P_BCRYPT_COST")
	mysqlAddr := flag.String("mysql", "127.0.0.1:3306", "MariaDB host:port for the peer's XA branches")
	dtmHTTP := flag.String("dtm", "http://127.0.0.1:36789/api/dtmsvr", "DTM's HTTP API for the peer")
	only := flag.String("only", "", "run only the modes whose name contains this (e.g. \"p2p-dtx TCC\"), for profiling")
	untraced := flag.String("untraced", "", "shell command that restarts the services with tracing off; when set, p2p-dtx TCC and XA run again after it, to measure what tracing costs")
	flag.Parse()
	if *socket == "" {
		run := os.Getenv("P2P_RUN_DIR")
		if run == "" {
			run = filepath.Join(*repo, ".run")
		}
		*socket = filepath.Join(run, "mariadb", "mysqld.sock")
	}
	if err := run(settings{*clients, *duration, *base, *socket, *repo, *cost, *mysqlAddr, *dtmHTTP, *only, *untraced}); err != nil {
		fmt.Fprintln(os.Stderr, "bench-register:", err)
		os.Exit(1)
	}
}

type result struct {
	mode      string
	ok, fail  int64
	latencies []time.Duration
	elapsed   time.Duration
}

func (r result) rate() float64 { return float64(r.ok) / r.elapsed.Seconds() }

func (r result) pct(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[int(p*float64(len(r.latencies)-1))]
}

type settings struct {
	clients            int
	duration           time.Duration
	base, socket       string
	repo               string
	cost               int
	mysqlAddr, dtmHTTP string
	only               string
	untraced           string
}

func run(s settings) (err error) {
	baseline, cleanup, err := openBaseline(s.socket, s.repo, s.cost)
	if err != nil {
		return err
	}
	defer cleanup()
	prefix := fmt.Sprintf("b%d", time.Now().Unix()%100000)
	p, err := startPeer(s.socket, s.repo, s.mysqlAddr, s.dtmHTTP, prefix, s.cost)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, p.stop()) }()

	// Whatever happens below, the users the run registered are removed.
	defer func() { err = errors.Join(err, removeUsers(s.socket, prefix)) }()
	httpc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: s.clients}}
	type mode struct {
		name, peer string // peer: the row this one is compared with
		do         func(ctx context.Context, n int64) error
		before     func() error // run once before the mode (the untraced rows' restart)
	}
	modes := []mode{
		{"baseline (1 local tx)", "", func(ctx context.Context, n int64) error { return baselineInsert(ctx, baseline, prefix, n) }, nil},
		{"peer TCC (bare DTM)", "", func(_ context.Context, n int64) error { return p.register("TCC", prefix, n) }, nil},
		{"p2p-dtx TCC", "peer TCC (bare DTM)", func(ctx context.Context, n int64) error { return register(ctx, httpc, s.base, "TCC", prefix, n) }, nil},
		{"peer XA (bare DTM)", "", func(_ context.Context, n int64) error { return p.register("XA", prefix, n) }, nil},
		{"p2p-dtx XA", "peer XA (bare DTM)", func(ctx context.Context, n int64) error { return register(ctx, httpc, s.base, "XA", prefix, n) }, nil},
	}
	if s.untraced != "" {
		// Same load with no trace recorded: the "vs peer" column of these rows compares
		// with the traced rows above, which is what tracing costs.
		modes = append(modes,
			mode{"p2p-dtx TCC untraced", "p2p-dtx TCC", func(ctx context.Context, n int64) error { return register(ctx, httpc, s.base, "TCC", prefix, n) },
				func() error { return restartUntraced(s.untraced) }},
			mode{"p2p-dtx XA untraced", "p2p-dtx XA", func(ctx context.Context, n int64) error { return register(ctx, httpc, s.base, "XA", prefix, n) }, nil})
	}
	fmt.Printf("registration benchmark: %d clients, %v per mode, bcrypt cost %d in every mode\n\n", s.clients, s.duration, s.cost)
	results := map[string]result{}
	var seq atomic.Int64
	// Mobile numbers come from this sequence: start where an earlier run is unlikely to have been.
	seq.Store((time.Now().Unix() % 900) * 1_000_000)
	if s.only != "" {
		var kept []mode
		for _, m := range modes {
			if strings.Contains(m.name, s.only) {
				kept = append(kept, m)
			}
		}
		modes = kept
	}
	for _, m := range modes {
		if m.before != nil {
			if err := m.before(); err != nil {
				return err
			}
		}
		r := measure(m.name, s.clients, s.duration, &seq, m.do)
		results[m.name] = r
		fmt.Fprintf(os.Stderr, "  %s done (%d ok, %d failed)\n", m.name, r.ok, r.fail)
	}
	fmt.Printf("%-24s %10s %10s %10s %10s %10s %10s\n", "mode", "reg/s", "p50", "p99", "failed", "vs base", "vs peer")
	base := results[modes[0].name]
	for _, m := range modes {
		r := results[m.name]
		vsPeer := "-"
		if _, measured := results[m.peer]; measured && m.peer != "" {
			vsPeer = fmt.Sprintf("%.2fx", r.rate()/results[m.peer].rate())
		}
		fmt.Printf("%-24s %10.1f %10s %10s %10d %9.2fx %10s\n", r.mode, r.rate(),
			r.pct(0.50).Round(time.Millisecond), r.pct(0.99).Round(time.Millisecond), r.fail,
			r.rate()/base.rate(), vsPeer)
	}
	fmt.Printf("\nvs base = throughput relative to the baseline; vs peer = relative to the same scheme done the bare-DTM way")
	if s.untraced != "" {
		fmt.Printf(";\nthe untraced rows ran with tracing off (P2P_TRACE_SAMPLE_RATIO=0) and compare with the traced rows above them")
	}
	fmt.Printf(".\n")
	return nil
}

// restartUntraced runs the command that restarts the services with tracing off and waits
// for it (the stack scripts return once the services are healthy).
func restartUntraced(command string) error {
	fmt.Fprintf(os.Stderr, "  restarting the services with tracing off: %s\n", command)
	cmd := exec.Command("bash", "-c", command)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("restart untraced: %w", err)
	}
	return nil
}

func measure(name string, clients int, d time.Duration, seq *atomic.Int64, do func(context.Context, int64) error) result {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	r := result{mode: name}
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				t0 := time.Now()
				err := do(context.Background(), seq.Add(1))
				lat := time.Since(t0)
				mu.Lock()
				if err != nil {
					r.fail++
				} else {
					r.ok++
					r.latencies = append(r.latencies, lat)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	sort.Slice(r.latencies, func(i, j int) bool { return r.latencies[i] < r.latencies[j] })
	return r
}

func names(prefix string, n int64) (username, mobile string) {
	return fmt.Sprintf("%s_%d", prefix, n), fmt.Sprintf("13%09d", n%1_000_000_000)
}

func register(ctx context.Context, c *http.Client, base, mode, prefix string, n int64) error {
	username, mobile := names(prefix, n)
	body, err := json.Marshal(map[string]string{"mobile": mobile, "username": username,
		"password": "bench-password", "role": "INVESTOR", "mode": mode})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/users", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// openBaseline creates a scratch database holding the account and consumer tables from
// sql/, so the baseline writes the very same rows into one database.
func openBaseline(socket, repo string, cost int) (*sql.DB, func(), error) {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr = "root", "unix", socket
	cfg.MultiStatements = true
	root, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return nil, nil, err
	}
	const db = "bench_baseline"
	if _, err := root.Exec("DROP DATABASE IF EXISTS " + db + "; CREATE DATABASE " + db); err != nil {
		return nil, nil, fmt.Errorf("create %s (is the stack up?): %w", db, err)
	}
	for _, f := range []string{"sql/unified_account/V001__account.sql", "sql/user_center/V001__consumer_custody.sql"} {
		ddl, err := os.ReadFile(filepath.Join(repo, f))
		if err != nil {
			return nil, nil, err
		}
		if _, err := root.Exec("USE " + db + "; " + string(ddl)); err != nil {
			return nil, nil, fmt.Errorf("apply %s: %w", f, err)
		}
	}
	cfg.DBName = db
	cfg.MultiStatements = false
	conn, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return nil, nil, err
	}
	conn.SetMaxOpenConns(64)
	conn.SetMaxIdleConns(64)
	baselineCost = cost
	return conn, func() {
		if err := errors.Join(conn.Close(), dropAndClose(root, db)); err != nil {
			fmt.Fprintln(os.Stderr, "bench-register: cleanup:", err)
		}
	}, nil
}

// removeUsers deletes the users the TCC and XA runs registered.
func removeUsers(socket, prefix string) error {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr = "root", "unix", socket
	root, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return err
	}
	defer root.Close()
	like := prefix + `\_%`
	for _, q := range []string{
		"DELETE FROM unified_account.account WHERE username LIKE ?",
		"DELETE FROM user_center.consumer WHERE username LIKE ?",
	} {
		if _, err := root.Exec(q, like); err != nil {
			return fmt.Errorf("remove benchmark users: %w", err)
		}
	}
	return nil
}

func dropAndClose(root *sql.DB, db string) error {
	_, err := root.Exec("DROP DATABASE IF EXISTS " + db)
	return errors.Join(err, root.Close())
}

// baselineCost is the bcrypt cost of the baseline (-cost).
var baselineCost = bcrypt.DefaultCost

func baselineInsert(ctx context.Context, db *sql.DB, prefix string, n int64) error {
	username, mobile := names(prefix, n)
	hash, err := bcrypt.GenerateFromPassword([]byte("bench-password"), baselineCost)
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	res, err := tx.ExecContext(ctx, `INSERT INTO account (username, mobile, password_hash, role, status, created_at, updated_at)
		VALUES (?, ?, ?, 'INVESTOR', 'ACTIVE', ?, ?)`, username, mobile, string(hash), now, now)
	if err == nil {
		var id int64
		if id, err = res.LastInsertId(); err == nil {
			_, err = tx.ExecContext(ctx, `INSERT INTO consumer (id, username, mobile, role, status, custody_status, registration_gid, created_at, updated_at)
				VALUES (?, ?, ?, 'INVESTOR', 'ACTIVE', 'NONE', ?, ?, ?)`, id, username, mobile, strings.Repeat("0", 22), now, now)
		}
	}
	if err != nil {
		return errors.Join(err, tx.Rollback())
	}
	return tx.Commit()
}
