package entx

import (
	"context"
	"errors"
	"testing"
)

type fakeTx struct{ committed, rolledBack bool }

func (f *fakeTx) Commit() error   { f.committed = true; return nil }
func (f *fakeTx) Rollback() error { f.rolledBack = true; return nil }

func TestRunInTx(t *testing.T) {
	t.Parallel()
	begin := func(tx *fakeTx) func(context.Context) (*fakeTx, error) {
		return func(context.Context) (*fakeTx, error) { return tx, nil }
	}

	ok := &fakeTx{}
	if err := RunInTx(context.Background(), begin(ok), func(*fakeTx) error { return nil }); err != nil || !ok.committed || ok.rolledBack {
		t.Fatalf("success: err=%v %+v", err, ok)
	}

	failed, boom := &fakeTx{}, errors.New("boom")
	if err := RunInTx(context.Background(), begin(failed), func(*fakeTx) error { return boom }); !errors.Is(err, boom) || failed.committed || !failed.rolledBack {
		t.Fatalf("failure: err=%v %+v", err, failed)
	}

	panicked := &fakeTx{}
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the panic was swallowed")
			}
		}()
		_ = RunInTx(context.Background(), begin(panicked), func(*fakeTx) error { panic("bad") })
	}()
	if panicked.committed || !panicked.rolledBack {
		t.Fatalf("panic: %+v", panicked)
	}
}
