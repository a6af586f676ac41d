package test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
	"github.com/p2p-dtx/p2p-dtx/test/browser"
	"github.com/p2p-dtx/p2p-dtx/test/driver"
	"github.com/p2p-dtx/p2p-dtx/test/stack"
)

// Withdrawal (DESIGN.md "Withdrawal and failed projects"): recharge in reverse. The bank's
// page asks for the custody password set at account opening and refuses more than the
// available balance; the bank processes the request asynchronously and notifies the
// result with the same signed, retried best-effort notification, which reconciliation
// backs up. Fault points are process-wide, so the subtests run one after another.

func TestWithdrawal(t *testing.T) {
	w := newMoneyWorld(t)
	_, investors := w.people(t, 1, "1000.00", "")
	u := investors[0]
	t.Run("ThroughTheBankPageInTheBrowser", func(t *testing.T) { withdrawInBrowser(t, w, u) })
	t.Run("WrongCustodyPasswordChangesNothing", func(t *testing.T) { withdrawWrongPassword(t, w, u) })
	t.Run("AboveTheBalanceIsRefused", func(t *testing.T) { withdrawAboveBalance(t, w, u) })
	t.Run("NotificationIsRetried", func(t *testing.T) { withdrawNotificationRetried(t, w, u) })
	t.Run("ReconciliationClosesASuppressedNotification", func(t *testing.T) { withdrawReconciled(t, w, u) })
	t.Run("CrashAfterTheBankDebitedIsPublishedAfterTheRestart", func(t *testing.T) { withdrawCrashAfterDebit(t, w, u) })
	w.conserved(t)
}

func balanceOf(t *testing.T, u *driver.User) driver.Balance {
	t.Helper()
	b, err := u.Balance(context.Background())
	must(t, err)
	return b
}

func withdrawInBrowser(t *testing.T, w *moneyWorld, u *driver.User) {
	ctx := context.Background()
	before := balanceOf(t, u)
	g, err := u.RequestWithdrawal(ctx, "250.00")
	must(t, err)
	if g.Gateway.Fields["serviceName"] != "WITHDRAW" || g.Gateway.Fields["signature"] == "" {
		t.Fatalf("gateway form %+v", g.Gateway)
	}
	b := browser.New(t)
	must(t, browser.OpenGateway(b, g.Gateway))
	if text, err := browser.WaitForText(b, "250.00"); err != nil {
		t.Fatalf("the bank's page does not show the amount: %v %.300s", err, text)
	}
	must(t, browser.SubmitPassword(b, driver.CustodyPassword))
	if _, err := browser.WaitForText(b, "Request accepted"); err != nil {
		t.Fatal(err)
	}
	must(t, u.WaitRequest(ctx, g.RequestNo, "SUCCESS", 60*time.Second))
	after := balanceOf(t, u)
	wantAmount(t, "balance after withdrawing 250.00", after.Balance, money.MustParseAmount(before.Balance).Sub(money.MustParseAmount("250.00")))
	list, err := u.Withdrawals(ctx)
	must(t, err)
	found := false
	for _, wd := range list {
		if wd.RequestNo == g.RequestNo {
			found = wd.Status == "SUCCESS" && wd.Amount == "250.00"
		}
	}
	if !found {
		t.Errorf("GET /v1/withdrawals %+v lacks %s SUCCESS 250.00", list, g.RequestNo)
	}
}

func withdrawWrongPassword(t *testing.T, w *moneyWorld, u *driver.User) {
	ctx := context.Background()
	before := balanceOf(t, u)
	g, err := u.RequestWithdrawal(ctx, "10.00")
	must(t, err)
	page, err := w.p.SubmitAtBank(ctx, g.Gateway, map[string]string{"custodyPassword": "000000"})
	must(t, err)
	if !strings.Contains(page, "Wrong custody password") || strings.Contains(page, "Request accepted") {
		t.Fatalf("the bank's answer to a wrong password: %.500s", page)
	}
	var n int
	must(t, w.env.Inspect(t, "bank_custody").QueryRow("SELECT COUNT(*) FROM bank_request WHERE request_no = ?", g.RequestNo).Scan(&n))
	if n != 0 {
		t.Errorf("the bank stored a request typed with a wrong password")
	}
	if after := balanceOf(t, u); after != before {
		t.Errorf("balance %+v → %+v after a wrong password", before, after)
	}
	if s, err := u.RequestStatus(ctx, g.RequestNo); err != nil || s != "PENDING" {
		t.Errorf("request after a wrong password: %s %v, want PENDING", s, err)
	}
}

func withdrawAboveBalance(t *testing.T, w *moneyWorld, u *driver.User) {
	ctx := context.Background()
	b := balanceOf(t, u)
	above := money.MustParseAmount(b.Balance).Add(money.MustParseAmount("0.01")).String()
	// The platform asks the bank first ...
	if _, err := u.RequestWithdrawal(ctx, above); driver.Status(err) != http.StatusUnprocessableEntity || driver.Reason(err) != "INSUFFICIENT_BALANCE" {
		t.Errorf("withdrawing %s of %s: %v, want 422 INSUFFICIENT_BALANCE", above, b.Balance, err)
	}
	// ... and the bank's page refuses what the balance no longer covers: the whole
	// balance is asked for, then most of it leaves by another withdrawal before the page
	// is submitted.
	g, err := u.RequestWithdrawal(ctx, b.Balance)
	must(t, err)
	_, err = u.Withdraw(ctx, "1.00")
	must(t, err)
	page, err := w.p.SubmitAtBank(ctx, g.Gateway, map[string]string{"custodyPassword": driver.CustodyPassword})
	must(t, err)
	if !strings.Contains(page, "exceeds the available balance") {
		t.Fatalf("the bank's page for more than the balance: %.500s", page)
	}
	wantAmount(t, "balance", balanceOf(t, u).Balance, money.MustParseAmount(b.Balance).Sub(money.MustParseAmount("1.00")))
	if _, err := u.RequestWithdrawal(ctx, "-5"); driver.Status(err) != http.StatusBadRequest {
		t.Errorf("a negative withdrawal: %v, want 400", err)
	}
}

func withdrawNotificationRetried(t *testing.T, w *moneyWorld, u *driver.User) {
	ctx := context.Background()
	armFault(t, userCenter.Base, "callback.reject", 2, 0)
	g, err := u.RequestWithdrawal(ctx, "20.00")
	must(t, err)
	must(t, w.p.AcceptAtBank(ctx, g.Gateway, map[string]string{"custodyPassword": driver.CustodyPassword}))
	must(t, u.WaitRequest(ctx, g.RequestNo, "SUCCESS", 60*time.Second))
	// The bank records an attempt once the platform has answered it, i.e. possibly after
	// the platform applied the result: wait for the third record (and so for no delivery
	// left in flight when the next subtest arms a fault).
	var a []driver.NotificationAttempt
	stack.Eventually(t, 10*time.Second, func() error {
		if a = attempts(t, g.RequestNo); len(a) < 3 {
			return fmt.Errorf("%d delivery attempts recorded so far", len(a))
		}
		return nil
	})
	if len(a) != 3 || a[0].HTTPStatus != http.StatusInternalServerError || a[2].HTTPStatus != http.StatusOK {
		t.Errorf("delivery attempts %+v, want two refused and a third delivered", a)
	}
}

func withdrawReconciled(t *testing.T, w *moneyWorld, u *driver.User) {
	ctx := context.Background()
	armFault(t, bankURL, "notify.suppress", 1, 0)
	g, err := u.RequestWithdrawal(ctx, "30.00")
	must(t, err)
	must(t, w.p.AcceptAtBank(ctx, g.Gateway, map[string]string{"custodyPassword": driver.CustodyPassword}))
	// No notification reaches the platform; the reconciliation job asks the bank.
	must(t, u.WaitRequest(ctx, g.RequestNo, "SUCCESS", 60*time.Second))
	for _, at := range attempts(t, g.RequestNo) {
		if at.HTTPStatus == http.StatusOK {
			t.Fatalf("a notification reached the platform: %+v", at)
		}
	}
}

// withdrawCrashAfterDebit kills the bank right after its back office debited the
// withdrawal and committed, before the result was published: the restarted bank's poller
// finds the unpublished result, the notifier delivers it, and the platform records the
// withdrawal SUCCESS — the account debited once, one notification answered 200.
func withdrawCrashAfterDebit(t *testing.T, w *moneyWorld, u *driver.User) {
	ctx := context.Background()
	before := balanceOf(t, u)
	g, err := u.RequestWithdrawal(ctx, "40.00")
	must(t, err)
	armFault(t, bankURL, "crash.bank.after_complete", 1, 0)
	must(t, w.p.AcceptAtBank(ctx, g.Gateway, map[string]string{"custodyPassword": driver.CustodyPassword}))
	restartCrashed(t, "bank-custody")
	must(t, u.WaitRequest(ctx, g.RequestNo, "SUCCESS", convergeWithin))
	wantAmount(t, "balance after withdrawing 40.00 across the crash", balanceOf(t, u).Balance,
		money.MustParseAmount(before.Balance).Sub(money.MustParseAmount("40.00")))
	stack.Eventually(t, 10*time.Second, func() error {
		ok := 0
		for _, at := range attempts(t, g.RequestNo) {
			if at.HTTPStatus == http.StatusOK {
				ok++
			}
		}
		if ok != 1 {
			return fmt.Errorf("%d notifications of %s answered 200, want 1", ok, g.RequestNo)
		}
		return nil
	})
}
