package entx

import (
	"context"
	stdsql "database/sql"
	"slices"
	"testing"

	entsql "entgo.io/ent/dialect/sql"
)

type recordingExecer struct {
	query string
	args  []any
}

func (r *recordingExecer) ExecContext(_ context.Context, query string, args ...any) (stdsql.Result, error) {
	r.query, r.args = query, args
	return driverResult(2), nil
}

type driverResult int64

func (n driverResult) LastInsertId() (int64, error) { return 0, nil }
func (n driverResult) RowsAffected() (int64, error) { return int64(n), nil }

// The statement ent builds goes out with the primary key forced, its arguments unchanged
// (EXPLAIN on MariaDB 10.11: type=index without the hint on a small table, range with it).
func TestUpdateByKeyForcesThePrimaryKey(t *testing.T) {
	t.Parallel()
	ex := &recordingExecer{}
	n, err := UpdateByKey(context.Background(), ex, "tender", func(u *entsql.UpdateBuilder) {
		u.Set("status", "FROZEN").Where(entsql.In("id", Args([]int64{7, 9})...))
	})
	if err != nil || n != 2 {
		t.Fatalf("UpdateByKey = %d, %v", n, err)
	}
	want := "UPDATE `tender` FORCE INDEX (PRIMARY) SET `status` = ? WHERE `id` IN (?, ?)"
	if ex.query != want {
		t.Errorf("query\n  %s\nwant\n  %s", ex.query, want)
	}
	if !slices.Equal(ex.args, []any{"FROZEN", int64(7), int64(9)}) {
		t.Errorf("args %v", ex.args)
	}
}
