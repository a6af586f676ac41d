package entx

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"strings"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// Update is what an ent-generated update builder offers: Save returns how many rows it
// changed.
type Update interface {
	Save(ctx context.Context) (int, error)
}

// UpdateOne runs an update that must change exactly one row: it returns the update's own
// error, or missed when the count is not 1 (the row is gone, or is no longer in the state
// the update's predicate asks for). A repository writes
//
//	return entx.UpdateOne(ctx, u, fmt.Errorf("finish request %s: %w", no, biz.ErrRequestFinished))
func UpdateOne(ctx context.Context, u Update, missed error) error {
	n, err := u.Save(ctx)
	if err != nil {
		return err
	}
	if n != 1 {
		return missed
	}
	return nil
}

// Execer is an ent client built with the sql/execquery feature (a transaction's client
// runs the statement in its transaction).
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error)
}

// UpdateByKey runs one UPDATE of many rows of table named by their primary key — the
// statement set builds (its SET clauses and a WHERE on the key, e.g. an IN list) — with
// FORCE INDEX (PRIMARY), and returns how many rows it changed.
//
// Without the hint MariaDB picks a full index scan for an IN list on a small table
// (EXPLAIN: type=index), and under REPEATABLE READ that scan locks every row it passes,
// rows other transactions hold included: two transactions updating disjoint sets of rows
// they had each locked first then deadlock (error 1213 — seen with two trade-center
// instances marking two groups of one project's tenders FROZEN at once). With the hint
// the statement reads, and locks, only the rows it names (type=range).
func UpdateByKey(ctx context.Context, ex Execer, table string, set func(*entsql.UpdateBuilder)) (int, error) {
	u := entsql.Dialect(dialect.MySQL).Update(table)
	set(u)
	query, args := u.Query()
	head := "UPDATE `" + table + "` SET "
	if !strings.HasPrefix(query, head) {
		return 0, fmt.Errorf("entx: update of %s built as %.60q, not %q…", table, query, head)
	}
	res, err := ex.ExecContext(ctx, "UPDATE `"+table+"` FORCE INDEX (PRIMARY) SET "+query[len(head):], args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// Args is vs as the []any a builder's In predicate takes.
func Args[V any](vs []V) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}
