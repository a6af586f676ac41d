// Package claims hands the due rows of a background job to one instance at a time, so
// two instances of a service running the same job (the tender settler, the custody
// reconciler, the repayment runner, the refund job, the loan recovery and outbox job,
// the bank's back office) never do the same row's work side by side.
//
// A job lists its due rows as before, asks Claim which of them it holds, and works only
// on those. A claim is a lease in the service's own database (table job_claim, see
// sql/shared/V001__job_claim.sql): (job, row key) → owner until a time on the database's clock,
// so the instances' clocks do not matter. The holder renews its lease by claiming the row
// again in its next round; another instance takes the row over only after the lease ran
// out, i.e. after the holder died or stopped working on it. A row finished by its holder
// is no longer due and is never listed again; its claim expires and is purged.
//
// The lease only keeps instances apart; it is not what makes the work correct. Every
// job's step stays idempotent (a request number at the bank, a row lock, a unique key),
// so a holder that stalls past its lease and another that takes over still have one
// effect between them.
package claims

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Claimer tells a job which of its due rows this instance holds now.
type Claimer interface {
	// Claim takes (or renews) job's lease on each key that is free, expired or this
	// instance's own, and returns the keys it holds, in the order given.
	Claim(ctx context.Context, job string, keys []string) ([]string, error)
}

// All is the Claimer of a single instance: it holds every key. For unit tests of the
// jobs' logic; services use SQL.
type All struct{}

// Claim returns keys unchanged.
func (All) Claim(_ context.Context, _ string, keys []string) ([]string, error) { return keys, nil }

// Or is c, or All when c is nil: a use case given no Claimer (a unit test, one instance)
// holds every row.
func Or(c Claimer) Claimer {
	if c == nil {
		return All{}
	}
	return c
}

// DefaultLease is how long a claim holds without renewal: longer than any job's pass
// (their timeouts are at most 30 s), short enough that a row of an instance that died
// for good is taken over within a minute or so.
const DefaultLease = 45 * time.Second

// Table is the claims table every service database has.
const Table = "job_claim"

// purgeEvery is how often Claim also deletes claims expired for an hour.
const purgeEvery = 10 * time.Minute

// maxKeys bounds one statement; longer lists are claimed in chunks.
const maxKeys = 500

// SQL is the Claimer on the job_claim table of a MariaDB database.
type SQL struct {
	DB    *sql.DB
	Owner string        // this instance, e.g. "trade-center-2" (Instance)
	Lease time.Duration // DefaultLease when zero

	mu         sync.Mutex
	lastPurged time.Time
}

// Claim implements Claimer. Keys are upserted in sorted order (two instances claiming
// overlapping sets lock the same rows in the same order); a deadlock the database still
// reports is retried.
func (s *SQL) Claim(ctx context.Context, job string, keys []string) ([]string, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	if s.Owner == "" {
		return nil, errors.New("claims: no owner set")
	}
	s.purge(ctx)
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	held := make(map[string]bool, len(sorted))
	for chunk := range slices.Chunk(sorted, maxKeys) {
		got, err := s.claimChunk(ctx, job, chunk)
		if err != nil {
			return nil, err
		}
		for _, k := range got {
			held[k] = true
		}
	}
	out := make([]string, 0, len(held))
	for _, k := range keys {
		if held[k] {
			out = append(out, k)
			delete(held, k) // a key listed twice is returned once
		}
	}
	return out, nil
}

func (s *SQL) claimChunk(ctx context.Context, job string, keys []string) ([]string, error) {
	lease := s.Lease
	if lease <= 0 {
		lease = DefaultLease
	}
	// ON DUPLICATE KEY UPDATE assigns left to right: owner changes only when the lease ran
	// out (or is ours already), and until is renewed only when owner is now ours.
	var b strings.Builder
	args := make([]any, 0, 4*len(keys))
	b.WriteString("INSERT INTO " + Table + " (job, row_key, owner, until) VALUES ")
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?, ?, ?, NOW(6) + INTERVAL ? MICROSECOND)")
		args = append(args, job, k, s.Owner, lease.Microseconds())
	}
	b.WriteString(" ON DUPLICATE KEY UPDATE" +
		" owner = IF(until < NOW(6) OR owner = VALUES(owner), VALUES(owner), owner)," +
		" until = IF(owner = VALUES(owner), VALUES(until), until)")
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if _, err = s.DB.ExecContext(ctx, b.String(), args...); !isDeadlock(err) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("claim %d %s rows: %w", len(keys), job, err)
	}
	q := "SELECT row_key FROM " + Table + " WHERE job = ? AND owner = ? AND row_key IN (?" +
		strings.Repeat(", ?", len(keys)-1) + ")"
	qargs := make([]any, 0, len(keys)+2)
	qargs = append(qargs, job, s.Owner)
	for _, k := range keys {
		qargs = append(qargs, k)
	}
	rows, err := s.DB.QueryContext(ctx, q, qargs...)
	if err != nil {
		return nil, fmt.Errorf("read %s claims: %w", job, err)
	}
	defer rows.Close()
	held := make([]string, 0, len(keys))
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("read %s claims: %w", job, err)
		}
		held = append(held, k)
	}
	return held, rows.Err()
}

// purge deletes claims expired for an hour, at most every purgeEvery. It is housekeeping
// the claim does not depend on: a failed delete is not the claim's failure (the claim's
// own statements report a database that is down), so it is only tried again on the next
// Claim instead of after purgeEvery.
func (s *SQL) purge(ctx context.Context) {
	s.mu.Lock()
	due := time.Since(s.lastPurged) >= purgeEvery
	if due {
		s.lastPurged = time.Now()
	}
	s.mu.Unlock()
	if !due {
		return
	}
	if _, err := s.DB.ExecContext(ctx, "DELETE FROM "+Table+" WHERE until < NOW(6) - INTERVAL 1 HOUR"); err != nil {
		s.mu.Lock()
		s.lastPurged = time.Time{}
		s.mu.Unlock()
	}
}

func isDeadlock(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1213 || me.Number == 1205)
}

// Instance names this process among the instances of its service: P2P_INSTANCE when set
// (the local stack sets "trade-center-2" for a second instance), else the host name and
// the HTTP port, which stay the same when the instance restarts — so a restarted instance
// takes its own claims back at once instead of waiting for their leases.
func Instance(service string) string {
	if v := os.Getenv("P2P_INSTANCE"); v != "" {
		return v
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	return service + "@" + host + ":" + os.Getenv("P2P_HTTP_PORT")
}

// Filter keeps the items whose key (key(item)) this instance holds for job, in order.
func Filter[T any](ctx context.Context, c Claimer, job string, items []T, key func(*T) string) ([]T, error) {
	if len(items) == 0 {
		return items, nil
	}
	keys := make([]string, len(items))
	for i := range items {
		keys[i] = key(&items[i])
	}
	held, err := c.Claim(ctx, job, keys)
	if err != nil {
		return nil, err
	}
	mine := make(map[string]bool, len(held))
	for _, k := range held {
		mine[k] = true
	}
	out := make([]T, 0, len(held))
	for i := range items {
		if mine[keys[i]] {
			out = append(out, items[i])
		}
	}
	return out, nil
}

// New is the Claimer of service's instance on db's job_claim table, with DefaultLease.
func New(db *sql.DB, service string) *SQL { return &SQL{DB: db, Owner: Instance(service)} }
