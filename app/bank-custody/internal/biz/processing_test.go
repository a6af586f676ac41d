package biz_test

import (
	"context"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz/biztest"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

func newProcessing(bank *biztest.Bank) *biz.ProcessingUsecase {
	return biz.NewProcessingUsecase(bank.Tx(), bank.RequestRepo(), bank.UserRepo(), bank.AccountRepo(), bank.Publisher(),
		testPlatforms, biz.NewUserNumbers(), nil, nil, log.NewStdLogger(io.Discard))
}

var created = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func openingRequest(no string, platformUserID int64) biz.CustodyRequest {
	return biz.CustodyRequest{
		RequestNo: no, PlatformNo: "P2PDTX", ServiceName: biz.ServiceOpenAccount, PlatformUserID: platformUserID,
		Status: biz.RequestProcessing, CallbackURL: "http://127.0.0.1:8020/v1/custody/notifications",
		Details:      biz.RequestDetails{RealName: "Alice Zhang", IDNumber: "11010119900101123X", BankCardNo: "6222020000000000"},
		PasswordHash: "hashed:135790", CreatedAt: created, UpdatedAt: created,
	}
}

func rechargeRequest(no, userNo string, platformUserID int64, amount string) biz.CustodyRequest {
	a := money.MustParseAmount(amount)
	return biz.CustodyRequest{
		RequestNo: no, PlatformNo: "P2PDTX", ServiceName: biz.ServiceRecharge, PlatformUserID: platformUserID,
		UserNo: userNo, Amount: &a, Status: biz.RequestProcessing, CreatedAt: created.Add(time.Second), UpdatedAt: created,
	}
}

func TestPollOpensTheAccountAndPublishesTheResult(t *testing.T) {
	t.Parallel()
	bank := biztest.New()
	bank.PutRequest(openingRequest("OA1", 12))
	if err := newProcessing(bank).Poll(context.Background(), 10); err != nil {
		t.Fatal(err)
	}
	r, _ := bank.Request("OA1")
	if r.Status != biz.RequestSuccess || !regexp.MustCompile(`^BU\d{10}$`).MatchString(r.UserNo) || r.PasswordHash != "" || r.NotifyPublishedAt == nil {
		t.Fatalf("request after poll: %+v", r)
	}
	u, ok := bank.Users()[r.UserNo]
	if !ok || u.PlatformUserID != 12 || u.RealName != "Alice Zhang" || u.PasswordHash != "hashed:135790" {
		t.Fatalf("bank user %+v (found %v)", u, ok)
	}
	a, ok := bank.Account(r.UserNo)
	if !ok || a.Balance.String() != "0.00" || a.Frozen.String() != "0.00" {
		t.Fatalf("account %+v (found %v)", a, ok)
	}
	if len(bank.Published) != 1 || bank.Published[0].RequestNo != "OA1" || bank.Published[0].UserNo != r.UserNo ||
		bank.Published[0].Status != biz.RequestSuccess || bank.Published[0].PlatformUserID != 12 {
		t.Fatalf("published %+v", bank.Published)
	}
	// Nothing left to do: a second poll changes and publishes nothing.
	if err := newProcessing(bank).Poll(context.Background(), 10); err != nil || len(bank.Published) != 1 || len(bank.Users()) != 1 {
		t.Fatalf("second poll: %v, published %d, users %d", err, len(bank.Published), len(bank.Users()))
	}
}

func TestRechargeCreditsTheBalanceOnce(t *testing.T) {
	t.Parallel()
	bank := biztest.New()
	bank.PutUser(biz.BankUser{UserNo: "BU0000000001", PlatformNo: "P2PDTX", PlatformUserID: 12},
		biz.Account{Balance: money.MustParseAmount("0.10")})
	bank.PutRequest(rechargeRequest("RC1", "BU0000000001", 12, "500.10"))
	bank.PutRequest(rechargeRequest("RC2", "BU0000000001", 12, "1234.56"))
	uc := newProcessing(bank)
	if err := uc.Poll(context.Background(), 10); err != nil {
		t.Fatal(err)
	}
	// Completing a finished request again (a second poller) changes nothing.
	if err := uc.Complete(context.Background(), "RC1"); err != nil {
		t.Fatal(err)
	}
	a, _ := bank.Account("BU0000000001")
	if a.Balance.String() != "1734.76" || a.Frozen.String() != "0.00" {
		t.Fatalf("balance %s frozen %s, want 1734.76 (0.10 + 500.10 + 1234.56)", a.Balance, a.Frozen)
	}
	for _, no := range []string{"RC1", "RC2"} {
		if r, _ := bank.Request(no); r.Status != biz.RequestSuccess || r.UserNo != "BU0000000001" {
			t.Errorf("%s: %+v", no, r)
		}
	}
	if len(bank.Published) != 2 || bank.Published[0].Amount.String() != "500.10" {
		t.Fatalf("published %+v", bank.Published)
	}
}

func TestRechargeOfAnUnknownOrForeignAccountFails(t *testing.T) {
	t.Parallel()
	bank := biztest.New()
	bank.PutUser(biz.BankUser{UserNo: "BU0000000001", PlatformNo: "P2PDTX", PlatformUserID: 12}, biz.Account{})
	bank.PutRequest(rechargeRequest("RC1", "BU0000009999", 12, "10.00"))
	bank.PutRequest(rechargeRequest("RC2", "BU0000000001", 13, "10.00")) // someone else's account
	if err := newProcessing(bank).Poll(context.Background(), 10); err != nil {
		t.Fatal(err)
	}
	for no, reason := range map[string]string{
		"RC1": "unknown userNo BU0000009999",
		"RC2": "userNo BU0000000001 is not the custody account of platform user 13",
	} {
		r, _ := bank.Request(no)
		if r.Status != biz.RequestFailed || r.FailureReason != reason || r.NotifyPublishedAt == nil {
			t.Errorf("%s: %+v, want FAILED %q and published", no, r, reason)
		}
	}
	if a, _ := bank.Account("BU0000000001"); !a.Balance.IsZero() {
		t.Errorf("balance %s after failed recharges", a.Balance)
	}
	if len(bank.Published) != 2 || bank.Published[0].Status != biz.RequestFailed || bank.Published[0].FailureReason == "" {
		t.Fatalf("published %+v", bank.Published)
	}
}

func TestSecondOpeningForTheSamePlatformUserFails(t *testing.T) {
	t.Parallel()
	bank := biztest.New()
	bank.PutRequest(openingRequest("OA1", 12))
	second := openingRequest("OA2", 12)
	second.CreatedAt = created.Add(time.Minute)
	bank.PutRequest(second)
	if err := newProcessing(bank).Poll(context.Background(), 10); err != nil {
		t.Fatal(err)
	}
	first, _ := bank.Request("OA1")
	r, _ := bank.Request("OA2")
	if first.Status != biz.RequestSuccess || r.Status != biz.RequestFailed ||
		!strings.Contains(r.FailureReason, "already has custody account "+first.UserNo) || len(bank.Users()) != 1 {
		t.Fatalf("first %+v, second %+v, users %d", first, r, len(bank.Users()))
	}
}

func TestResultIsPublishedAfterAFailedPublish(t *testing.T) {
	t.Parallel()
	bank := biztest.New()
	bank.PutRequest(openingRequest("OA1", 12))
	bank.PublishErr = errors.New("broker down")
	uc := newProcessing(bank)
	// The local transaction commits; the publish fails and is left for the next poll —
	// what a crash between the two would leave too.
	if err := uc.Poll(context.Background(), 10); err == nil {
		t.Fatal("poll with the broker down reported no error")
	}
	r, _ := bank.Request("OA1")
	if r.Status != biz.RequestSuccess || r.NotifyPublishedAt != nil {
		t.Fatalf("after failed publish: %+v", r)
	}
	bank.PublishErr = nil
	if err := uc.Poll(context.Background(), 10); err != nil {
		t.Fatal(err)
	}
	r, _ = bank.Request("OA1")
	if r.NotifyPublishedAt == nil || len(bank.Published) != 1 || bank.Published[0].UserNo != r.UserNo {
		t.Fatalf("after the broker came back: %+v, published %+v", r, bank.Published)
	}
}
