//go:build integration

package data

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent/bankaccount"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent/bankproject"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent/bankrepayment"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent/bankrequest"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent/bankuser"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// repaymentWorld is a platform of its own (so its fee account is the test's alone), a
// borrower, investors and a LOANED project, all removed when the test ends.
type repaymentWorld struct {
	d          *Data
	platformNo string
	borrower   string
	investors  []string
	projectNo  string
	uc         *biz.RepaymentUsecase
}

func newRepaymentWorld(t *testing.T, investors int, borrowerBalance string) *repaymentWorld {
	t.Helper()
	d := openTestData(t)
	ctx := context.Background()
	w := &repaymentWorld{d: d, platformNo: uniqueNo("R"), projectNo: uniqueNo("PN")}
	now := time.Now().UTC()
	nos := make([]string, investors+1)
	users := make([]*ent.BankUserCreate, len(nos))
	accounts := make([]*ent.BankAccountCreate, len(nos)+1)
	for i := range nos {
		nos[i] = fmt.Sprintf("%s-%04d", w.platformNo, i)
		users[i] = d.Pool().BankUser.Create().SetUserNo(nos[i]).SetPlatformNo(w.platformNo).SetPlatformUserID(int64(i + 1)).
			SetRealName("Test").SetIDNumber("110101199001011234").SetBankCardNo("6222020000000000").SetPasswordHash("$2a$10$x").
			SetCreatedAt(now)
		accounts[i] = d.Pool().BankAccount.Create().SetID(nos[i]).SetUpdatedAt(now).SetBalance(money.MustParseAmount("100.00"))
	}
	accounts[0].SetBalance(money.MustParseAmount(borrowerBalance))
	fee := biz.FeeAccountNo(w.platformNo)
	cleanup(t, "repayment world "+w.platformNo, func(ctx context.Context) error {
		if _, err := d.Pool().BankRepayment.Delete().Where(bankrepayment.ProjectNo(w.projectNo)).Exec(ctx); err != nil {
			return err
		}
		if _, err := d.Pool().BankRequest.Delete().Where(bankrequest.PlatformNo(w.platformNo)).Exec(ctx); err != nil {
			return err
		}
		if _, err := d.Pool().BankProject.Delete().Where(bankproject.ID(w.projectNo)).Exec(ctx); err != nil {
			return err
		}
		if _, err := d.Pool().BankAccount.Delete().Where(bankaccount.IDIn(append(nos, fee)...)).Exec(ctx); err != nil {
			return err
		}
		_, err := d.Pool().BankUser.Delete().Where(bankuser.PlatformNo(w.platformNo)).Exec(ctx)
		return err
	})
	if err := d.Pool().BankUser.CreateBulk(users...).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.Pool().BankAccount.CreateBulk(accounts[:len(nos)]...).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if err := newProcessing(d, w.platformNo).OpenFeeAccounts(ctx); err != nil {
		t.Fatal(err)
	}
	createLoanedProject(t, d, w.projectNo, nos[0])
	w.borrower, w.investors = nos[0], nos[1:]
	w.uc = biz.NewRepaymentUsecase(NewTransaction(d), NewRequestRepo(d), NewUserRepo(d), NewAccountRepo(d), NewProjectRepo(d), NewRepaymentRepo(d))
	return w
}

// createLoanedProject stores a LOANED project of the borrower (removed by the caller's
// cleanup).
func createLoanedProject(t *testing.T, d *Data, projectNo, borrower string) {
	t.Helper()
	now := time.Now().UTC()
	if err := NewProjectRepo(d).Create(context.Background(), &biz.Project{ProjectNo: projectNo, PlatformProjectID: now.UnixNano() + serial.Add(1),
		BorrowerUserNo: borrower, Amount: money.MustParseAmount("1.00"), Status: biz.ProjectLoaned, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
}

// order pays each investor perCredit twice (two tenders each) and commission.
func (w *repaymentWorld) order(requestNo string, period int, perCredit, commission string) biz.RepaymentOrder {
	o := biz.RepaymentOrder{InstallmentPayment: biz.InstallmentPayment{RequestNo: requestNo, ProjectNo: w.projectNo,
		Period: period, BorrowerUserNo: w.borrower, Commission: money.MustParseAmount(commission)}}
	c := money.MustParseAmount(perCredit)
	for range 2 {
		for _, inv := range w.investors {
			o.Credits = append(o.Credits, biz.Credit{UserNo: inv, Amount: c})
		}
	}
	o.Amount = o.Commission
	for _, cr := range o.Credits {
		o.Amount = o.Amount.Add(cr.Amount)
	}
	return o
}

// TestRepaymentOfAThousandCreditsOnMariaDB pays 1,200 credits to 600 investors (more
// accounts than one UPDATE of SaveAll sets) in one transaction.
func TestRepaymentOfAThousandCreditsOnMariaDB(t *testing.T) {
	t.Parallel()
	w := newRepaymentWorld(t, 600, "2000.00")
	ctx := context.Background()
	o := w.order(uniqueNo("RP"), 1, "1.11", "12.34") // 1,200 × 1.11 + 12.34 = 1,344.34
	started := time.Now()
	rp, err := w.uc.Repay(ctx, w.platformNo, o)
	if err != nil || rp.Amount.String() != "1344.34" {
		t.Fatalf("repay: %+v, %v", rp, err)
	}
	t.Logf("one installment of %d credits to %d accounts: %s", len(o.Credits), len(w.investors), time.Since(started))
	wantBalance(t, w.d, w.borrower, "655.66", "0.00")
	wantBalance(t, w.d, biz.FeeAccountNo(w.platformNo), "12.34", "0.00")
	var sums []struct {
		Balances money.Amount `sql:"balances"`
	}
	if err := w.d.Pool().BankAccount.Query().Where(bankaccount.IDIn(w.investors...)).
		Aggregate(coalescedSum(bankaccount.FieldBalance, "balances")).Scan(ctx, &sums); err != nil {
		t.Fatal(err)
	}
	if len(sums) != 1 || sums[0].Balances.String() != "61332.00" { // 600 × (100.00 + 2 × 1.11)
		t.Fatalf("investors hold %v, want 61332.00", sums)
	}
	wantBalance(t, w.d, w.investors[599], "102.22", "0.00")
	// Repeats: the same number answers and moves nothing; another number is refused.
	if again, err := w.uc.Repay(ctx, w.platformNo, o); err != nil || again.RequestNo != o.RequestNo {
		t.Fatalf("repeat: %+v, %v", again, err)
	}
	other := o
	other.RequestNo = uniqueNo("RP")
	if _, err := w.uc.Repay(ctx, w.platformNo, other); !errors.Is(err, biz.ErrPeriodAlreadyRepaid) {
		t.Fatalf("the period under another number: %v, want ErrPeriodAlreadyRepaid", err)
	}
	wantBalance(t, w.d, w.borrower, "655.66", "0.00")
	r, err := NewRequestRepo(w.d).Get(ctx, o.RequestNo)
	if err != nil || r.Status != biz.RequestSuccess || r.Details.Period != 1 || r.Details.Commission.String() != "12.34" {
		t.Fatalf("request log %+v, %v", r, err)
	}
}

// TestShortRepaymentIsRecordedAndRetriedOnMariaDB: a refusal commits the FAILED record
// and nothing else; the same number succeeds once the money is there.
func TestShortRepaymentIsRecordedAndRetriedOnMariaDB(t *testing.T) {
	t.Parallel()
	w := newRepaymentWorld(t, 2, "10.00")
	ctx := context.Background()
	o := w.order(uniqueNo("RP"), 3, "2.50", "0.01") // 10.01
	if _, err := w.uc.Repay(ctx, w.platformNo, o); !errors.Is(err, biz.ErrInsufficientBalance) {
		t.Fatalf("short: %v, want ErrInsufficientBalance", err)
	}
	wantBalance(t, w.d, w.borrower, "10.00", "0.00")
	wantBalance(t, w.d, w.investors[0], "100.00", "0.00")
	r, err := NewRequestRepo(w.d).Get(ctx, o.RequestNo)
	if err != nil || r.Status != biz.RequestFailed || r.FailureReason != biz.ReasonInsufficientBalance {
		t.Fatalf("refused request %+v, %v", r, err)
	}
	if err := NewAccountRepo(w.d).Save(ctx, &biz.Account{UserNo: w.borrower, Balance: money.MustParseAmount("10.01"), UpdatedAt: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.uc.Repay(ctx, w.platformNo, o); err != nil {
		t.Fatalf("again: %v", err)
	}
	wantBalance(t, w.d, w.borrower, "0.00", "0.00")
	wantBalance(t, w.d, w.investors[1], "105.00", "0.00")
	if r, err := NewRequestRepo(w.d).Get(ctx, o.RequestNo); err != nil || r.Status != biz.RequestSuccess || r.FailureReason != "" {
		t.Fatalf("request after the retry %+v, %v", r, err)
	}
}

// TestRepaymentsSharingAccountsDoNotDeadlock runs repayments of two projects at once
// whose credits name the same accounts in opposite orders: accounts are locked in user
// number order, so none waits for the other in a cycle.
func TestRepaymentsSharingAccountsDoNotDeadlock(t *testing.T) {
	t.Parallel()
	w := newRepaymentWorld(t, 20, "1000.00")
	ctx := context.Background()
	second := uniqueNo("PN")
	lendingCleanup(t, w.d, second)
	cleanup(t, "repayments of "+second, func(ctx context.Context) error {
		_, err := w.d.Pool().BankRepayment.Delete().Where(bankrepayment.ProjectNo(second)).Exec(ctx)
		return err
	})
	createLoanedProject(t, w.d, second, w.borrower)
	var wg sync.WaitGroup
	errs := make([]error, 12)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := w.order(uniqueNo("RP"), i/2+1, "0.50", "1.00") // 21.00
			if i%2 == 1 {
				o.ProjectNo = second
				for a, b := 0, len(o.Credits)-1; a < b; a, b = a+1, b-1 {
					o.Credits[a], o.Credits[b] = o.Credits[b], o.Credits[a]
				}
			}
			_, errs[i] = w.uc.Repay(ctx, w.platformNo, o)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("repayment %d: %v", i, err)
		}
	}
	wantBalance(t, w.d, w.borrower, "748.00", "0.00") // 1000.00 − 12 × 21.00
	wantBalance(t, w.d, biz.FeeAccountNo(w.platformNo), "12.00", "0.00")
	wantBalance(t, w.d, w.investors[7], "112.00", "0.00")
}

// TestUnfreezeOnMariaDB: a frozen tender comes back once; an unfreeze first voids the
// freeze, which is then refused.
func TestUnfreezeOnMariaDB(t *testing.T) {
	t.Parallel()
	w := newLendingWorld(t, "300.00", "1000.00")
	d, uc, investor, projectNo := w.d, w.uc, w.investor, w.projectNo
	ctx := context.Background()
	frozen, voided := uniqueNo("FZ"), uniqueNo("FZ")
	if _, err := uc.Freeze(ctx, testPlatform, biz.FreezeOrder{RequestNo: frozen, ProjectNo: projectNo, UserNo: investor,
		Amount: money.MustParseAmount("200.00")}); err != nil {
		t.Fatal(err)
	}
	unfreeze := func(freezeNo, amount string) (*biz.Unfreeze, error) {
		return uc.Unfreeze(ctx, testPlatform, biz.UnfreezeOrder{RequestNo: "UF" + freezeNo, FreezeRequestNo: freezeNo, ProjectNo: projectNo,
			UserNo: investor, Amount: money.MustParseAmount(amount)})
	}
	for range 2 {
		if u, err := unfreeze(frozen, "200.00"); err != nil || u.Status != biz.FreezeUnfrozen {
			t.Fatalf("unfreeze: %+v, %v", u, err)
		}
	}
	wantBalance(t, d, investor, "300.00", "0.00")
	if u, err := unfreeze(voided, "50.00"); err != nil || u.Status != biz.FreezeVoided {
		t.Fatalf("unfreeze first: %+v, %v", u, err)
	}
	_, err := uc.Freeze(ctx, testPlatform, biz.FreezeOrder{RequestNo: voided, ProjectNo: projectNo, UserNo: investor, Amount: money.MustParseAmount("50.00")})
	if !errors.Is(err, biz.ErrFreezeVoided) {
		t.Fatalf("late freeze: %v, want ErrFreezeVoided", err)
	}
	wantBalance(t, d, investor, "300.00", "0.00")
	r, err := NewRequestRepo(d).Get(ctx, "UF"+frozen)
	if err != nil || r.ServiceName != biz.ServiceUnfreeze || r.Details.FreezeRequestNo != frozen || r.Details.ProjectNo != projectNo {
		t.Fatalf("request log %+v, %v", r, err)
	}
}

// TestTotalsAreOneSnapshot: a change committed while the snapshot is open is not seen by
// it, so the sums it reads agree with each other.
func TestTotalsAreOneSnapshot(t *testing.T) {
	t.Parallel()
	d := openTestData(t)
	ctx := context.Background()
	userNo := newTestUser(t, d, "10.00")
	inquiry := biz.NewInquiryUsecase(NewSnapshot(d), NewRequestRepo(d), NewUserRepo(d), NewAccountRepo(d))
	err := NewSnapshot(d).InSnapshot(ctx, func(sctx context.Context) error {
		first, err := inquiry.Totals(sctx)
		if err != nil {
			return err
		}
		// Committed outside, after the snapshot's first read.
		if err := NewAccountRepo(d).Save(ctx, &biz.Account{UserNo: userNo, Balance: money.MustParseAmount("99.99"), UpdatedAt: time.Now().UTC()}); err != nil {
			return err
		}
		second, err := inquiry.Totals(sctx)
		if err != nil {
			return err
		}
		if !second.Balances.Equal(first.Balances) || second.Accounts != first.Accounts {
			return fmt.Errorf("inside one snapshot the totals moved: %+v → %+v", first, second)
		}
		// A write in the read-only transaction is refused.
		if err := NewAccountRepo(d).Save(sctx, &biz.Account{UserNo: userNo, UpdatedAt: time.Now().UTC()}); err == nil {
			return errors.New("the snapshot accepted a write")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wantBalance(t, d, userNo, "99.99", "0.00")
}

// TestWithdrawalCompletesOnMariaDB runs the poller's step on real tables, rolled back at
// the end so a running bank never sees the requests.
func TestWithdrawalCompletesOnMariaDB(t *testing.T) {
	t.Parallel()
	d := openTestData(t)
	requests, uc := NewRequestRepo(d), newProcessing(d, testPlatform)
	userNo := newTestUser(t, d, "100.00")
	u, err := NewUserRepo(d).ByUserNo(context.Background(), userNo)
	if err != nil {
		t.Fatal(err)
	}
	inRolledBackTx(t, d, func(ctx context.Context) {
		// 60.00 of 100.00 first, then 40.01 of what is left.
		base := uniqueNo("WD")
		nos := []string{base + "-1", base + "-2"}
		for i, amount := range []string{"60.00", "40.01"} {
			a := money.MustParseAmount(amount)
			now := time.Now().UTC()
			if err := requests.Create(ctx, &biz.CustodyRequest{RequestNo: nos[i], PlatformNo: testPlatform,
				ServiceName: biz.ServiceWithdraw, PlatformUserID: u.PlatformUserID, UserNo: userNo, Amount: &a,
				Status: biz.RequestProcessing, CreatedAt: now, UpdatedAt: now}); err != nil {
				t.Error(err)
				return
			}
		}
		for _, no := range nos {
			if err := uc.Complete(ctx, no); err != nil {
				t.Error(err)
				return
			}
		}
		// t.Error, not t.Fatal, inside the transaction: it must still be rolled back.
		a, err := NewAccountRepo(d).Get(ctx, userNo)
		if err != nil || a.Balance.String() != "40.00" {
			t.Errorf("account after withdrawing 60.00 of 100.00: %+v, %v", a, err)
		}
		ok, _ := requests.Get(ctx, nos[0])
		short, _ := requests.Get(ctx, nos[1])
		if ok.Status != biz.RequestSuccess || short.Status != biz.RequestFailed || short.FailureReason != biz.ReasonInsufficientBalance {
			t.Errorf("withdrawals: %+v, %+v", ok, short)
		}
	})
	wantBalance(t, d, userNo, "100.00", "0.00")
}
