// Command bench-register measures registration throughput and latency against the running
// local stack: DTM TCC, DTM XA, and a baseline that does the same work (bcrypt hash, then
// insert the login account and the consumer) in one local transaction of a single
// database. It prints a table; it asserts nothing.
//
//	go run ./test/cmd/bench-register -clients 16 -duration 20s
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
	flag.Parse()
	if *socket == "" {
		run := os.Getenv("P2P_RUN_DIR")
		if run == "" {
			run = filepath.Join(*repo, ".run")
		}
		*socket = filepath.Join(run, "mariadb", "mysqld.sock")
	}
	if err := run(*clients, *duration, *base, *socket, *repo); err != nil {
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

func run(clients int, d time.Duration, base, socket, repo string) error {
	baseline, cleanup, err := openBaseline(socket, repo)
	if err != nil {
		return err
	}
	defer cleanup()

	prefix := fmt.Sprintf("b%d", time.Now().Unix()%100000)
	httpc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	modes := []struct {
		name string
		do   func(ctx context.Context, n int64) error
	}{
		{"baseline (1 local tx)", func(ctx context.Context, n int64) error { return baselineInsert(ctx, baseline, prefix, n) }},
		{"DTM TCC", func(ctx context.Context, n int64) error { return register(ctx, httpc, base, "TCC", prefix, n) }},
		{"DTM XA", func(ctx context.Context, n int64) error { return register(ctx, httpc, base, "XA", prefix, n) }},
	}
	fmt.Printf("registration benchmark: %d clients, %v per mode, bcrypt cost 10 in every mode\n\n", clients, d)
	var results []result
	var seq atomic.Int64
	// Mobile numbers come from this sequence: start where an earlier run is unlikely to have been.
	seq.Store((time.Now().Unix() % 900) * 1_000_000)
	for _, m := range modes {
		r := measure(m.name, clients, d, &seq, m.do)
		results = append(results, r)
		fmt.Fprintf(os.Stderr, "  %s done (%d ok, %d failed)\n", m.name, r.ok, r.fail)
	}
	fmt.Printf("%-22s %10s %10s %10s %10s %8s\n", "mode", "reg/s", "p50", "p99", "failed", "ratio")
	for _, r := range results {
		fmt.Printf("%-22s %10.1f %10s %10s %10d %7.2fx\n", r.mode, r.rate(),
			r.pct(0.50).Round(time.Millisecond), r.pct(0.99).Round(time.Millisecond), r.fail, r.rate()/results[0].rate())
	}
	fmt.Printf("\nratio = throughput relative to the baseline.\n")
	return removeUsers(socket, prefix)
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
func openBaseline(socket, repo string) (*sql.DB, func(), error) {
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

func baselineInsert(ctx context.Context, db *sql.DB, prefix string, n int64) error {
	username, mobile := names(prefix, n)
	hash, err := bcrypt.GenerateFromPassword([]byte("bench-password"), 10)
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
