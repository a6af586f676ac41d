//go:build integration

package data

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz/biztest"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent/apinonce"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent/bankaccount"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent/bankfreeze"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent/bankproject"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent/bankrequest"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent/bankuser"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// testPlatform owns every user these tests create; the running bank never serves it.
const testPlatform = "ITEST"

// errRollback ends a test transaction without keeping anything: gateway requests a test
// commits would be picked up by a running bank's poller.
var errRollback = errors.New("roll back the test transaction")

func inRolledBackTx(t *testing.T, d *Data, fn func(ctx context.Context)) {
	t.Helper()
	err := NewTransaction(d).InTx(context.Background(), func(ctx context.Context) error {
		fn(ctx)
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("test transaction: %v", err)
	}
}

// longAgo sorts the test's rows before any real request.
var longAgo = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

func TestRequestLogRoundTrip(t *testing.T) {
	t.Parallel()
	d := openTestData(t)
	repo := NewRequestRepo(d)
	opening, recharge := uniqueNo("OA"), uniqueNo("RC")
	inRolledBackTx(t, d, func(ctx context.Context) {
		err := repo.Create(ctx, &biz.CustodyRequest{
			RequestNo: opening, PlatformNo: testPlatform, ServiceName: biz.ServiceOpenAccount, PlatformUserID: 12,
			Status: biz.RequestProcessing, CallbackURL: "http://127.0.0.1:8020/v1/custody/notifications",
			Details: biz.RequestDetails{RealName: "Alice Zhang", IDNumber: "11010119900101123X", BankCardNo: "6222020000000000",
				Mobile: "13912345678", ReturnURL: "http://127.0.0.1:8020/custody/return"},
			PasswordHash: "$2a$10$abcdefghijklmnopqrstuv", CreatedAt: longAgo, UpdatedAt: longAgo,
		})
		if err != nil {
			t.Fatal(err)
		}
		amount := money.MustParseAmount("500.10")
		if err := repo.Create(ctx, &biz.CustodyRequest{
			RequestNo: recharge, PlatformNo: testPlatform, ServiceName: biz.ServiceRecharge, PlatformUserID: 12,
			UserNo: "BU0000000001", Amount: &amount, Status: biz.RequestProcessing,
			CreatedAt: longAgo.Add(time.Second), UpdatedAt: longAgo.Add(time.Second),
		}); err != nil {
			t.Fatal(err)
		}
		if err := repo.Create(ctx, &biz.CustodyRequest{RequestNo: opening, PlatformNo: testPlatform, ServiceName: biz.ServiceFreeze,
			Status: biz.RequestSuccess, CreatedAt: longAgo, UpdatedAt: longAgo}); !errors.Is(err, biz.ErrDuplicateRequest) {
			t.Fatalf("second %s: %v, want ErrDuplicateRequest", opening, err)
		}

		got, err := repo.Lock(ctx, opening)
		if err != nil {
			t.Fatal(err)
		}
		if got.Details.IDNumber != "11010119900101123X" || got.Details.ReturnURL != "http://127.0.0.1:8020/custody/return" ||
			got.PasswordHash != "$2a$10$abcdefghijklmnopqrstuv" || got.Amount != nil || got.PlatformUserID != 12 ||
			!got.CreatedAt.Equal(longAgo) || got.NotifyPublishedAt != nil {
			t.Fatalf("read back %+v", got)
		}
		nos, err := repo.Processing(ctx, []string{testPlatform}, 2)
		if err != nil || len(nos) != 2 || nos[0] != opening || nos[1] != recharge {
			t.Fatalf("Processing = %v, %v; want [%s %s]", nos, err, opening, recharge)
		}

		// Finishing clears the hash; the result then waits to be published.
		at := longAgo.Add(time.Minute)
		if err := got.Succeed("BU0000000077", at); err != nil {
			t.Fatal(err)
		}
		if err := repo.SaveResult(ctx, got); err != nil {
			t.Fatal(err)
		}
		if err := repo.SaveResult(ctx, got); !errors.Is(err, biz.ErrRequestFinished) {
			t.Fatalf("second SaveResult: %v, want ErrRequestFinished", err)
		}
		back, err := repo.Get(ctx, opening)
		if err != nil || back.Status != biz.RequestSuccess || back.UserNo != "BU0000000077" || back.PasswordHash != "" || !back.UpdatedAt.Equal(at) {
			t.Fatalf("finished request %+v, %v", back, err)
		}
		unpublished, err := repo.Unpublished(ctx, []string{testPlatform}, 1)
		if err != nil || len(unpublished) != 1 || unpublished[0].RequestNo != opening {
			t.Fatalf("Unpublished = %v, %v", unpublished, err)
		}
		if err := repo.MarkPublished(ctx, opening, at); err != nil {
			t.Fatal(err)
		}
		if unpublished, err := repo.Unpublished(ctx, []string{testPlatform}, 1); err != nil || (len(unpublished) == 1 && unpublished[0].RequestNo == opening) {
			t.Fatalf("after MarkPublished: %v, %v", unpublished, err)
		}
	})
	if _, err := repo.Get(context.Background(), opening); !errors.Is(err, biz.ErrRequestNotFound) {
		t.Fatalf("after roll back: %v, want ErrRequestNotFound", err)
	}
}

func TestLockingReadsNeedATransaction(t *testing.T) {
	t.Parallel()
	d := openTestData(t)
	ctx := context.Background()
	if _, err := NewRequestRepo(d).Lock(ctx, "OA1"); err == nil {
		t.Error("request Lock outside a transaction")
	}
	if _, err := NewAccountRepo(d).Lock(ctx, "BU1"); err == nil {
		t.Error("account Lock outside a transaction")
	}
	if _, err := NewProjectRepo(d).Lock(ctx, "PN1"); err == nil {
		t.Error("project Lock outside a transaction")
	}
}

// newTestUser opens a user of the test platform with balance, removed when the test ends.
func newTestUser(t *testing.T, d *Data, balance string) string {
	t.Helper()
	ctx := context.Background()
	userNo := uniqueNo("IT")
	platformUserID := time.Now().UnixNano() + serial.Add(1)
	cleanup(t, "user "+userNo, func(ctx context.Context) error {
		if _, err := d.Pool().BankUser.Delete().Where(bankuser.UserNo(userNo)).Exec(ctx); err != nil {
			return err
		}
		_, err := d.Pool().BankAccount.Delete().Where(bankaccount.ID(userNo)).Exec(ctx)
		return err
	})
	if err := NewUserRepo(d).Create(ctx, biz.BankUser{UserNo: userNo, PlatformNo: testPlatform, PlatformUserID: platformUserID,
		RealName: "Test", IDNumber: "110101199001011234", BankCardNo: "6222020000000000", PasswordHash: "$2a$10$x",
		CreatedAt: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	if err := NewAccountRepo(d).Open(ctx, userNo, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	if err := NewAccountRepo(d).Save(ctx, &biz.Account{UserNo: userNo, Balance: money.MustParseAmount(balance), UpdatedAt: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	return userNo
}

func TestUsersAndAccounts(t *testing.T) {
	t.Parallel()
	d := openTestData(t)
	ctx := context.Background()
	users, accounts := NewUserRepo(d), NewAccountRepo(d)
	a, b := newTestUser(t, d, "10.00"), newTestUser(t, d, "20.00")

	u, err := users.ByUserNo(ctx, a)
	if err != nil || u.PlatformNo != testPlatform || u.PasswordHash != "$2a$10$x" {
		t.Fatalf("ByUserNo: %+v, %v", u, err)
	}
	byPlatform, err := users.ByPlatformUser(ctx, testPlatform, u.PlatformUserID)
	if err != nil || byPlatform.UserNo != a {
		t.Fatalf("ByPlatformUser: %+v, %v", byPlatform, err)
	}
	if _, err := users.ByUserNo(ctx, uniqueNo("IT")); !errors.Is(err, biz.ErrAccountNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	again := *u
	if err := users.Create(ctx, again); !errors.Is(err, biz.ErrUserNoTaken) {
		t.Errorf("same user number: %v, want ErrUserNoTaken", err)
	}
	again.UserNo = uniqueNo("IT")
	if err := users.Create(ctx, again); !errors.Is(err, biz.ErrPlatformUserHasAccount) {
		t.Errorf("same platform user: %v, want ErrPlatformUserHasAccount", err)
	}

	err = NewTransaction(d).InTx(ctx, func(ctx context.Context) error {
		locked, err := accounts.LockAll(ctx, []string{a, b, uniqueNo("IT")})
		if err != nil {
			return err
		}
		if len(locked) != 2 || locked[a].Balance.String() != "10.00" || locked[b].Balance.String() != "20.00" {
			return fmt.Errorf("LockAll = %+v", locked)
		}
		locked[a].Credit(money.MustParseAmount("0.01"))
		if err := locked[a].Freeze(money.MustParseAmount("10.01")); err != nil {
			return err
		}
		return accounts.Save(ctx, locked[a])
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := accounts.Get(ctx, a)
	if err != nil || got.Balance.String() != "10.01" || got.Frozen.String() != "10.01" {
		t.Fatalf("account %+v, %v", got, err)
	}
}

func TestNonceClaimedOnce(t *testing.T) {
	t.Parallel()
	d := openTestData(t)
	ctx := context.Background()
	nonce := uniqueNo("N")
	cleanup(t, "nonce", func(ctx context.Context) error {
		_, err := d.Pool().APINonce.Delete().Where(apinonce.ID(nonce)).Exec(ctx)
		return err
	})
	repo := NewNonceRepo(d)
	for i, want := range []bool{true, false} {
		fresh, err := repo.Claim(ctx, nonce, time.Now().Add(5*time.Minute))
		if err != nil || fresh != want {
			t.Fatalf("claim %d: %v, %v; want %v", i+1, fresh, err, want)
		}
	}
	// The signed API's store shares the table: a gateway nonce cannot be reused there.
	fresh, err := NewAPINonceStore(d).Claim(ctx, nonce, time.Now().Add(5*time.Minute))
	if err != nil || fresh {
		t.Fatalf("API store claim of a used nonce: %v, %v", fresh, err)
	}
}

// lendingCleanup removes a project and everything recorded for it.
func lendingCleanup(t *testing.T, d *Data, projectNo string) {
	cleanup(t, "project "+projectNo, func(ctx context.Context) error {
		freezes, err := d.Pool().BankFreeze.Query().Where(bankfreeze.ProjectNo(projectNo)).IDs(ctx)
		if err != nil {
			return err
		}
		if _, err := d.Pool().BankFreeze.Delete().Where(bankfreeze.ProjectNo(projectNo)).Exec(ctx); err != nil {
			return err
		}
		if _, err := d.Pool().BankRequest.Delete().Where(bankrequest.Or(bankrequest.IDIn(freezes...),
			bankrequest.PayloadContains(`"projectNo":"`+projectNo+`"`))).Exec(ctx); err != nil {
			return err
		}
		_, err = d.Pool().BankProject.Delete().Where(bankproject.ID(projectNo)).Exec(ctx)
		return err
	})
}

// lendingWorld is a borrower, an investor and a project registered for the borrower,
// all of the test platform, with the lending use case on the real tables.
type lendingWorld struct {
	d                  *Data
	uc                 *biz.LendingUsecase
	borrower, investor string
	projectNo          string
	registration       biz.ProjectRegistration
}

// newLendingWorld registers a project of amount; the investor holds balance. Everything
// is removed when the test ends.
func newLendingWorld(t *testing.T, balance, amount string) *lendingWorld {
	t.Helper()
	d := openTestData(t)
	w := &lendingWorld{d: d, projectNo: uniqueNo("PN"),
		uc: biz.NewLendingUsecase(NewTransaction(d), NewRequestRepo(d), NewUserRepo(d), NewAccountRepo(d), NewProjectRepo(d), NewFreezeRepo(d))}
	w.borrower, w.investor = newTestUser(t, d, "0.00"), newTestUser(t, d, balance)
	lendingCleanup(t, d, w.projectNo)
	w.registration = biz.ProjectRegistration{RequestNo: uniqueNo("PJ"), ProjectNo: w.projectNo, PlatformProjectID: time.Now().UnixNano(),
		BorrowerUserNo: w.borrower, Amount: money.MustParseAmount(amount)}
	if _, err := w.uc.RegisterProject(context.Background(), testPlatform, w.registration); err != nil {
		t.Fatal(err)
	}
	return w
}

// newProcessing is the poller's use case on the real tables, for one platform.
func newProcessing(d *Data, platformNo string) *biz.ProcessingUsecase {
	return biz.NewProcessingUsecase(NewTransaction(d), NewRequestRepo(d), NewUserRepo(d), NewAccountRepo(d), nil,
		biztest.Platforms{platformNo: {No: platformNo}}, biz.NewUserNumbers(), nil, nil, log.NewStdLogger(io.Discard))
}

func wantBalance(t *testing.T, d *Data, userNo, balance, frozen string) {
	t.Helper()
	a, err := NewAccountRepo(d).Get(context.Background(), userNo)
	if err != nil || a.Balance.String() != balance || a.Frozen.String() != frozen {
		t.Errorf("account %s = %+v, %v; want balance %s frozen %s", userNo, a, err, balance, frozen)
	}
}

// TestLendingOnMariaDB runs a project's life on the real tables: concurrent freezes under
// row locks never overdraw an account, repeats change nothing, the loan moves the money.
func TestLendingOnMariaDB(t *testing.T) {
	t.Parallel()
	w := newLendingWorld(t, "550.00", "2000.00")
	d, uc, borrower, investor, projectNo := w.d, w.uc, w.borrower, w.investor, w.projectNo
	ctx := context.Background()
	if p, err := uc.RegisterProject(ctx, testPlatform, w.registration); err != nil || p.ProjectNo != projectNo {
		t.Fatalf("repeated registration: %+v, %v", p, err)
	}

	// Ten tenders of 100.00 at once against 550.00: exactly five fit.
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = uc.Freeze(ctx, testPlatform, biz.FreezeOrder{RequestNo: fmt.Sprintf("FZ%s-%d", projectNo, i),
				ProjectNo: projectNo, UserNo: investor, Amount: money.MustParseAmount("100.00")})
		}()
	}
	wg.Wait()
	var ok, short int
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, biz.ErrInsufficientBalance):
			short++
		default:
			t.Errorf("freeze: %v", err)
		}
	}
	if ok != 5 || short != 5 {
		t.Fatalf("%d freezes succeeded, %d were short; want 5 and 5", ok, short)
	}
	wantBalance(t, d, investor, "550.00", "500.00")

	// A repeat of a successful freeze answers it again and holds nothing more.
	var done string
	for i, err := range errs {
		if err == nil {
			done = fmt.Sprintf("FZ%s-%d", projectNo, i)
			break
		}
	}
	if f, err := uc.Freeze(ctx, testPlatform, biz.FreezeOrder{RequestNo: done, ProjectNo: projectNo, UserNo: investor,
		Amount: money.MustParseAmount("100.00")}); err != nil || f.RequestNo != done {
		t.Fatalf("repeated freeze: %+v, %v", f, err)
	}
	wantBalance(t, d, investor, "550.00", "500.00")

	loanNo := uniqueNo("LN")
	cleanup(t, "loan request", func(ctx context.Context) error { return d.Pool().BankRequest.DeleteOneID(loanNo).Exec(ctx) })
	loan, err := uc.ConfirmLoan(ctx, testPlatform, loanNo, projectNo)
	if err != nil || loan.Amount.String() != "500.00" {
		t.Fatalf("loan: %+v, %v", loan, err)
	}
	if again, err := uc.ConfirmLoan(ctx, testPlatform, loanNo, projectNo); err != nil || again.Amount.String() != "500.00" {
		t.Fatalf("repeated loan: %+v, %v", again, err)
	}
	wantBalance(t, d, investor, "50.00", "0.00")
	wantBalance(t, d, borrower, "500.00", "0.00")
	n, err := d.Pool().BankFreeze.Query().Where(bankfreeze.ProjectNo(projectNo), bankfreeze.Status(string(biz.FreezeTransferred))).Count(ctx)
	if err != nil || n != 5 {
		t.Fatalf("%d freezes TRANSFERRED, %v; want 5", n, err)
	}
	p, err := NewProjectRepo(d).Get(ctx, projectNo)
	if err != nil || p.Status != biz.ProjectLoaned {
		t.Fatalf("project %+v, %v", p, err)
	}
}

// TestOpeningCompletesInOneTransaction runs the poller's step on real tables, inside a
// transaction rolled back at the end so a running bank never sees the request.
func TestOpeningCompletesInOneTransaction(t *testing.T) {
	t.Parallel()
	d := openTestData(t)
	requests, uc := NewRequestRepo(d), newProcessing(d, testPlatform)
	requestNo := uniqueNo("OA")
	var userNo string
	inRolledBackTx(t, d, func(ctx context.Context) {
		now := time.Now().UTC()
		if err := requests.Create(ctx, &biz.CustodyRequest{RequestNo: requestNo, PlatformNo: testPlatform, ServiceName: biz.ServiceOpenAccount,
			PlatformUserID: now.UnixNano(), Status: biz.RequestProcessing, PasswordHash: "$2a$10$hash",
			Details:   biz.RequestDetails{RealName: "Alice Zhang", IDNumber: "11010119900101123X", BankCardNo: "6222020000000000"},
			CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
		if err := uc.Complete(ctx, requestNo); err != nil {
			t.Fatal(err)
		}
		r, err := requests.Get(ctx, requestNo)
		if err != nil || r.Status != biz.RequestSuccess || r.PasswordHash != "" || r.UserNo == "" {
			t.Fatalf("request %+v, %v", r, err)
		}
		userNo = r.UserNo
		u, err := NewUserRepo(d).ByUserNo(ctx, userNo)
		if err != nil || u.PasswordHash != "$2a$10$hash" || u.RealName != "Alice Zhang" {
			t.Fatalf("user %+v, %v", u, err)
		}
		a, err := NewAccountRepo(d).Get(ctx, userNo)
		if err != nil || a.Balance.String() != "0.00" {
			t.Fatalf("account %+v, %v", a, err)
		}
	})
	if _, err := NewUserRepo(d).ByUserNo(context.Background(), userNo); !errors.Is(err, biz.ErrAccountNotFound) {
		t.Fatalf("after roll back: %v", err)
	}
}
