package entx

import (
	"context"
	"errors"
	"testing"

	entsql "entgo.io/ent/dialect/sql"
)

// fakeQuery records what Only asked of it, as an ent query would run it.
type fakeQuery struct{ forUpdate, read bool }

func (q *fakeQuery) ForUpdate(...entsql.LockOption) *fakeQuery { q.forUpdate = true; return q }

func (q *fakeQuery) Only(context.Context) (string, error) { q.read = true; return "row", nil }

type guard struct{ inTx bool }

func (g guard) RequireTx(context.Context) error {
	if !g.inTx {
		return ErrNoTx
	}
	return nil
}

func TestOnlyLocksInsideATransactionOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tt := range []struct {
		name            string
		inTx, lock      bool
		err             error
		read, forUpdate bool
	}{
		{name: "plain read outside a transaction", read: true},
		{name: "plain read inside a transaction", inTx: true, read: true},
		{name: "locking read inside a transaction", inTx: true, lock: true, read: true, forUpdate: true},
		{name: "locking read outside a transaction", lock: true, err: ErrNoTx},
	} {
		q := &fakeQuery{}
		row, err := Only(ctx, guard{inTx: tt.inTx}, q, tt.lock)
		if !errors.Is(err, tt.err) || q.read != tt.read || q.forUpdate != tt.forUpdate {
			t.Errorf("%s: row %q, err %v, read %v, FOR UPDATE %v", tt.name, row, err, q.read, q.forUpdate)
		}
		if tt.read && row != "row" {
			t.Errorf("%s: row %q, want the query's", tt.name, row)
		}
	}
}

func TestRowsKeepsTheOrder(t *testing.T) {
	t.Parallel()
	got := Rows([]int{3, 1, 2}, func(n int) string { return string(rune('a' + n)) })
	if len(got) != 3 || got[0] != "d" || got[1] != "b" || got[2] != "c" {
		t.Fatalf("Rows = %q, want [d b c]", got)
	}
	if none := Rows([]int(nil), func(int) string { return "" }); none == nil || len(none) != 0 {
		t.Fatalf("Rows(nil) = %#v, want an empty list (JSON [] rather than null)", none)
	}
}
