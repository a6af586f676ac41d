//go:build integration

package claims

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/dbtest"
)

// Run against a service database that has job_claim (sql/shared/V001__job_claim.sql):
//
//	P2P_TEST_MYSQL_ADDR=… P2P_TEST_DB_USER=trade_center P2P_TEST_DB_PASSWORD=… \
//	go test -tags integration ./pkg/claims/
const testDB = "trade_center"

// job is a job name of this test run only, so runs never see each other's claims.
func job(t *testing.T) string {
	return fmt.Sprintf("t%d-%.30s", time.Now().UnixNano(), t.Name()) // at most 51 characters: job is VARCHAR(64)
}

func keys(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("k%03d", i)
	}
	return out
}

func TestTwoInstancesClaimingTheSameRowsAtOnceSplitThem(t *testing.T) {
	db := dbtest.Open(t, testDB)
	j, all := job(t), keys(200)
	a, b := &SQL{DB: db, Owner: "a"}, &SQL{DB: db, Owner: "b"}
	var wg sync.WaitGroup
	held := make([][]string, 2)
	errs := make([]error, 2)
	for i, c := range []*SQL{a, b} {
		wg.Go(func() {
			// Each asks for the whole list, in its own order, as two settlers' rounds would.
			ask := slices.Clone(all)
			if i == 1 {
				slices.Reverse(ask)
			}
			held[i], errs[i] = c.Claim(context.Background(), j, ask)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
	}
	seen := map[string]string{}
	for i, h := range held {
		for _, k := range h {
			if other, dup := seen[k]; dup {
				t.Fatalf("row %s held by %s and %d", k, other, i)
			}
			seen[k] = fmt.Sprint(i)
		}
	}
	if len(seen) != len(all) {
		t.Fatalf("%d of %d rows held by somebody", len(seen), len(all))
	}
	t.Logf("a holds %d rows, b holds %d", len(held[0]), len(held[1]))
}

func TestAHeldRowIsRenewedByItsOwnerAndRefusedToOthers(t *testing.T) {
	db := dbtest.Open(t, testDB)
	j := job(t)
	ctx := context.Background()
	a, b := &SQL{DB: db, Owner: "a"}, &SQL{DB: db, Owner: "b"}
	if got, err := a.Claim(ctx, j, []string{"x", "y"}); err != nil || !slices.Equal(got, []string{"x", "y"}) {
		t.Fatalf("a's first claim = %v, %v", got, err)
	}
	if got, err := b.Claim(ctx, j, []string{"y", "z"}); err != nil || !slices.Equal(got, []string{"z"}) {
		t.Fatalf("b's claim of y and z = %v, %v; want only z", got, err)
	}
	if got, err := a.Claim(ctx, j, []string{"y", "x", "y"}); err != nil || !slices.Equal(got, []string{"y", "x"}) {
		t.Fatalf("a's renewal = %v, %v; want y, x in the order asked", got, err)
	}
}

func TestAnExpiredLeaseIsTakenOver(t *testing.T) {
	db := dbtest.Open(t, testDB)
	j := job(t)
	ctx := context.Background()
	a := &SQL{DB: db, Owner: "a", Lease: 300 * time.Millisecond}
	b := &SQL{DB: db, Owner: "b"}
	if got, err := a.Claim(ctx, j, []string{"x"}); err != nil || len(got) != 1 {
		t.Fatalf("a's claim = %v, %v", got, err)
	}
	if got, err := b.Claim(ctx, j, []string{"x"}); err != nil || len(got) != 0 {
		t.Fatalf("b's claim inside a's lease = %v, %v", got, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, err := b.Claim(ctx, j, []string{"x"})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("b never took x over after a's lease of 300 ms")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got, err := a.Claim(ctx, j, []string{"x"}); err != nil || len(got) != 0 {
		t.Fatalf("a's claim after b took over = %v, %v", got, err)
	}
}
