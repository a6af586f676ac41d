//go:build integration

package data

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/entx"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// The check-back tells "the local transaction is running" from "nobody runs it" by a
// NOWAIT lock on the loan_message row: MariaDB must refuse at once, not wait.
func TestLockLoanMessageNowaitSeesARunningTransaction(t *testing.T) {
	t.Parallel()
	d := openTestData(t)
	repo, tx := NewLoanMessageRepo(d), NewTransaction(d)
	ctx := context.Background()
	key := fmt.Sprintf("LMtest%d", time.Now().UnixNano())
	m, err := repo.CreateLoanMessage(ctx, 1, key)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Pool().LoanMessage.DeleteOneID(m.ID).Exec(context.Background()); err != nil {
			t.Errorf("clean up loan message: %v", err)
		}
	})
	if _, err := repo.LockLoanMessage(ctx, key, false); !errors.Is(err, entx.ErrNoTx) {
		t.Fatalf("locking read outside a transaction: %v", err)
	}

	holding, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- tx.InTx(ctx, func(ctx context.Context) error {
			if _, err := repo.LockLoanMessage(ctx, key, false); err != nil {
				return err
			}
			close(holding)
			<-release
			return repo.UpdateLoanMessageState(ctx, m.ID, biz.LoanMessageCommitted)
		})
	}()
	<-holding
	start := time.Now()
	err = tx.InTx(ctx, func(ctx context.Context) error {
		_, err := repo.LockLoanMessage(ctx, key, true)
		return err
	})
	if !errors.Is(err, biz.ErrLoanMessageBusy) || time.Since(start) > 2*time.Second {
		t.Fatalf("NOWAIT lock of a held row: %v after %v, want ErrLoanMessageBusy at once", err, time.Since(start))
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var got *biz.LoanMessage
	err = tx.InTx(ctx, func(ctx context.Context) error {
		var err error
		got, err = repo.LockLoanMessage(ctx, key, true)
		return err
	})
	if err != nil || got.State != biz.LoanMessageCommitted {
		t.Fatalf("after the holder committed: %+v, %v", got, err)
	}
	if _, err := repo.LoanMessage(ctx, "LMabsent"); !errors.Is(err, biz.ErrLoanMessageNotFound) {
		t.Fatalf("absent key: %v", err)
	}
}

func TestTenderRepoRoundTrip(t *testing.T) {
	t.Parallel()
	d := openTestData(t)
	repo := NewTenderRepo(d)
	ctx := context.Background()
	p := newProject(t, d, biz.ProjectCollecting, "1000.00", "")
	requestNo := fmt.Sprintf("FZtest%d", time.Now().UnixNano())
	in := &biz.Tender{ProjectID: p.ID, InvestorID: 21, InvestorUserNo: "BU0000000021",
		Amount: money.MustParseAmount("300.00"), Status: biz.TenderPending, FreezeRequestNo: requestNo}
	created, err := repo.CreateTender(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Pool().Tender.DeleteOneID(created.ID).Exec(context.Background()); err != nil {
			t.Errorf("clean up tender: %v", err)
		}
	})
	if _, err := repo.CreateTender(ctx, in); !errors.Is(err, biz.ErrDuplicateRequestNo) {
		t.Fatalf("second tender with request number %s: %v", requestNo, err)
	}
	got, err := repo.TenderByRequestNo(ctx, requestNo)
	if err != nil || got.ID != created.ID || got.InvestorUserNo != "BU0000000021" || got.Amount.String() != "300.00" {
		t.Fatalf("by request number: %+v, %v", got, err)
	}
	pending, err := repo.PendingTenders(ctx, time.Now().Add(time.Minute), 1000)
	if err != nil || !containsTender(pending, created.ID) {
		t.Fatalf("pending tenders %v, %v", pending, err)
	}
	err = NewTransaction(d).InTx(ctx, func(ctx context.Context) error {
		tender, err := repo.LockTender(ctx, created.ID)
		if err != nil {
			return err
		}
		tender.Status, tender.FailureReason = biz.TenderFailed, biz.FailureInsufficientBalance
		return repo.UpdateTender(ctx, tender)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := repo.TenderByRequestNo(ctx, requestNo); got.Status != biz.TenderFailed || got.FailureReason != biz.FailureInsufficientBalance {
		t.Fatalf("after the update: %+v", got)
	}
}

func containsTender(ts []biz.Tender, id int64) bool {
	for _, t := range ts {
		if t.ID == id {
			return true
		}
	}
	return false
}
