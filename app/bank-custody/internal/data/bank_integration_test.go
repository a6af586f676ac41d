//go:build integration

package data

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/dbtest"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent/bankrequest"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent/bankuser"
	pconf "github.com/p2p-dtx/p2p-dtx/pkg/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// These tests run against the real bank_custody database, with sql/bank_custody applied:
//
//	P2P_TEST_MYSQL_ADDR=127.0.0.1:3306 (or a socket path) P2P_TEST_DB_USER=... \
//	P2P_TEST_DB_PASSWORD=... go test -tags integration ./internal/data/
//
// They fail, rather than skip, without that database: a skipped run proves nothing.
// Each test removes the rows it inserted.

func openTestData(t *testing.T) *Data {
	t.Helper()
	d, cleanup, err := NewData(&conf.Bootstrap{Database: &pconf.Database{Dsn: dbtest.DSN(t, "bank_custody")}}, log.NewStdLogger(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	return d
}

var serial atomic.Int64

// uniqueNo returns a key no other test or earlier run uses: prefix, time, counter.
func uniqueNo(prefix string) string {
	return fmt.Sprintf("%s%d%03d", prefix, time.Now().UnixNano(), serial.Add(1)%1000)
}

// cleanup runs del when the test ends and reports a failure to delete.
func cleanup(t *testing.T, what string, del func(ctx context.Context) error) {
	t.Cleanup(func() {
		if err := del(context.Background()); err != nil {
			t.Errorf("clean up %s: %v", what, err)
		}
	})
}

// TestSchemaMatchesSQL asks ent what it would change to reach its schema from the
// database the versioned SQL built: nothing, or the two have drifted apart.
func TestSchemaMatchesSQL(t *testing.T) {
	t.Parallel()
	dbtest.NoDrift(t, "bank_custody", openTestData(t).Pool().Schema.WriteTo)
}

func TestAttemptRecordedOnce(t *testing.T) {
	t.Parallel()
	d := openTestData(t)
	ctx := context.Background()
	requestNo := uniqueNo("NT")
	cleanup(t, "attempts", forgetAttempts(d, requestNo))
	record := func() error {
		return d.Pool().NotificationAttempt.Create().SetRequestNo(requestNo).SetAttempt(1).
			SetAttemptedAt(time.Now()).SetHTTPStatus(200).Exec(ctx)
	}
	if err := record(); err != nil {
		t.Fatal(err)
	}
	if err := record(); !ent.IsConstraintError(err) {
		t.Fatalf("second attempt 1 of %s: error = %v, want a constraint error", requestNo, err)
	}
	got, err := NewNotificationRepo(d).Attempts(ctx, requestNo)
	if err != nil || len(got) != 1 {
		t.Fatalf("attempts = %v, %v; want exactly one", got, err)
	}
}

func TestAccountMoneyExact(t *testing.T) {
	t.Parallel()
	d := openTestData(t)
	ctx := context.Background()
	userNo := uniqueNo("U")
	cleanup(t, "account", func(ctx context.Context) error { return d.Pool().BankAccount.DeleteOneID(userNo).Exec(ctx) })

	opened, err := d.Pool().BankAccount.Create().SetID(userNo).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if opened.Balance.String() != "0.00" || opened.Frozen.String() != "0.00" {
		t.Errorf("new account = %s / %s, want 0.00 / 0.00", opened.Balance, opened.Frozen)
	}
	err = d.Pool().BankAccount.UpdateOneID(userNo).
		SetBalance(money.MustParseAmount("12345.67")).SetFrozen(money.MustParseAmount("0.01")).Exec(ctx)
	if err != nil {
		t.Fatal(err)
	}
	back, err := d.Pool().BankAccount.Get(ctx, userNo)
	if err != nil {
		t.Fatal(err)
	}
	if back.Balance.String() != "12345.67" || back.Frozen.String() != "0.01" {
		t.Errorf("account = %s / %s, want 12345.67 / 0.01", back.Balance, back.Frozen)
	}

	// The CHECK constraints refuse what no code path may ever write.
	if err := d.Pool().BankAccount.UpdateOneID(userNo).SetBalance(money.MustParseAmount("0.01").Neg()).Exec(ctx); err == nil {
		t.Error("negative balance was accepted")
	}
	if err := d.Pool().BankAccount.UpdateOneID(userNo).SetFrozen(money.MustParseAmount("0.01").Neg()).Exec(ctx); err == nil {
		t.Error("negative frozen was accepted")
	}
	back, err = d.Pool().BankAccount.Get(ctx, userNo)
	if err != nil || back.Balance.String() != "12345.67" || back.Frozen.String() != "0.01" {
		t.Fatalf("account after refused updates = %+v, %v", back, err)
	}
}

func TestRequestNullableFields(t *testing.T) {
	t.Parallel()
	d := openTestData(t)
	ctx := context.Background()
	recharge, registration := uniqueNo("RQ"), uniqueNo("RQ")
	cleanup(t, "requests", func(ctx context.Context) error {
		_, err := d.Pool().BankRequest.Delete().Where(bankrequest.IDIn(recharge, registration)).Exec(ctx)
		return err
	})

	err := d.Pool().BankRequest.Create().SetID(recharge).SetPlatformNo("P2P").
		SetServiceName(string(biz.ServiceRecharge)).SetPlatformUserID(7).SetUserNo("U7").
		SetAmount(money.MustParseAmount("12345.67")).SetStatus(string(biz.RequestProcessing)).
		SetCallbackURL("http://127.0.0.1:8020/v1/custody/notifications").
		SetPayload(`{"amount":"12345.67"}`).Exec(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A project registration names no user and no amount of its own.
	err = d.Pool().BankRequest.Create().SetID(registration).SetPlatformNo("P2P").
		SetServiceName(string(biz.ServiceRegisterProject)).SetStatus(string(biz.RequestProcessing)).Exec(ctx)
	if err != nil {
		t.Fatal(err)
	}

	r, err := d.Pool().BankRequest.Get(ctx, recharge)
	if err != nil {
		t.Fatal(err)
	}
	if r.Amount == nil || r.Amount.String() != "12345.67" || r.PlatformUserID == nil || *r.PlatformUserID != 7 ||
		r.Payload == nil || *r.Payload != `{"amount":"12345.67"}` || r.FailureReason != nil {
		t.Errorf("recharge request = %v", r)
	}
	r, err = d.Pool().BankRequest.Get(ctx, registration)
	if err != nil {
		t.Fatal(err)
	}
	if r.Amount != nil || r.PlatformUserID != nil || r.UserNo != nil || r.CallbackURL != nil || r.Payload != nil {
		t.Errorf("registration request = %v, want NULL user, amount, callback and payload", r)
	}
	// A request number is taken once.
	err = d.Pool().BankRequest.Create().SetID(recharge).SetPlatformNo("P2P").
		SetServiceName(string(biz.ServiceRecharge)).SetStatus(string(biz.RequestProcessing)).Exec(ctx)
	if !ent.IsConstraintError(err) {
		t.Errorf("second request %s: error = %v, want a constraint error", recharge, err)
	}
}

func TestUserKeys(t *testing.T) {
	t.Parallel()
	d := openTestData(t)
	ctx := context.Background()
	platformUserID := time.Now().UnixNano()
	userNo := uniqueNo("U")
	cleanup(t, "users", func(ctx context.Context) error {
		_, err := d.Pool().BankUser.Delete().Where(bankuser.PlatformUserIDIn(platformUserID, platformUserID+1)).Exec(ctx)
		return err
	})
	open := func(userNo string, platformUserID int64) error {
		return d.Pool().BankUser.Create().SetUserNo(userNo).SetPlatformNo("P2P").SetPlatformUserID(platformUserID).
			SetRealName("Zhang San").SetIDNumber("110101199001011234").SetBankCardNo("6222020000000000").
			SetPasswordHash("$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA").Exec(ctx)
	}
	if err := open(userNo, platformUserID); err != nil {
		t.Fatal(err)
	}
	if err := open(uniqueNo("U"), platformUserID); !ent.IsConstraintError(err) {
		t.Errorf("second account for platform user %d: error = %v, want a constraint error", platformUserID, err)
	}
	if err := open(userNo, platformUserID+1); !ent.IsConstraintError(err) {
		t.Errorf("user number %s given twice: error = %v, want a constraint error", userNo, err)
	}
	u, err := d.Pool().BankUser.Query().Where(bankuser.UserNo(userNo)).Only(ctx)
	if err != nil || u.PlatformUserID != platformUserID || u.CreatedAt.IsZero() {
		t.Fatalf("user = %v, %v", u, err)
	}
	if strings.Contains(u.String(), "argon2id") {
		t.Errorf("the password hash shows in %s", u)
	}
}

func TestProjectFreezeAndNonce(t *testing.T) {
	t.Parallel()
	d := openTestData(t)
	ctx := context.Background()
	projectNo, freezeNo, nonce := uniqueNo("BP"), uniqueNo("FRZ"), uniqueNo("N")
	platformProjectID := time.Now().UnixNano()
	cleanup(t, "project", func(ctx context.Context) error { return d.Pool().BankProject.DeleteOneID(projectNo).Exec(ctx) })
	cleanup(t, "freeze", func(ctx context.Context) error { return d.Pool().BankFreeze.DeleteOneID(freezeNo).Exec(ctx) })
	cleanup(t, "nonce", func(ctx context.Context) error { return d.Pool().APINonce.DeleteOneID(nonce).Exec(ctx) })

	err := d.Pool().BankProject.Create().SetID(projectNo).SetPlatformProjectID(platformProjectID).
		SetBorrowerUserNo("U1").SetAmount(money.MustParseAmount("12345.67")).SetStatus("COLLECTING").Exec(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Registering the same platform project again is refused.
	err = d.Pool().BankProject.Create().SetID(uniqueNo("BP")).SetPlatformProjectID(platformProjectID).
		SetBorrowerUserNo("U1").SetAmount(money.MustParseAmount("1")).SetStatus("COLLECTING").Exec(ctx)
	if !ent.IsConstraintError(err) {
		t.Errorf("second registration of project %d: error = %v, want a constraint error", platformProjectID, err)
	}
	err = d.Pool().BankFreeze.Create().SetID(freezeNo).SetProjectNo(projectNo).SetUserNo("U2").
		SetAmount(money.MustParseAmount("0.05")).SetStatus("FROZEN").Exec(ctx)
	if err != nil {
		t.Fatal(err)
	}
	expires := time.Date(2030, 1, 1, 0, 5, 0, 1000, time.UTC)
	if err := d.Pool().APINonce.Create().SetID(nonce).SetExpiresAt(expires).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	// A replayed nonce cannot be recorded twice.
	if err := d.Pool().APINonce.Create().SetID(nonce).SetExpiresAt(expires).Exec(ctx); !ent.IsConstraintError(err) {
		t.Errorf("replayed nonce: error = %v, want a constraint error", err)
	}

	p, err := d.Pool().BankProject.Get(ctx, projectNo)
	if err != nil || p.Amount.String() != "12345.67" || p.PlatformProjectID != platformProjectID {
		t.Fatalf("project = %v, %v", p, err)
	}
	f, err := d.Pool().BankFreeze.Get(ctx, freezeNo)
	if err != nil || f.Amount.String() != "0.05" || f.ProjectNo != projectNo {
		t.Fatalf("freeze = %v, %v", f, err)
	}
	n, err := d.Pool().APINonce.Get(ctx, nonce)
	if err != nil || !n.ExpiresAt.Equal(expires) {
		t.Fatalf("nonce = %v, %v; want expiry %v", n, err, expires)
	}
}
