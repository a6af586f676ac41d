package test

import (
	"context"
	"sync"
	"testing"

	"github.com/p2p-dtx/p2p-dtx/test/browser"
	"github.com/p2p-dtx/p2p-dtx/test/driver"
	"github.com/p2p-dtx/p2p-dtx/test/stack"
)

// Every scenario drives the platform through test/driver; the helpers here are its thin
// testing.TB side, for the calls a test wants to fail at once.

var (
	platformOnce sync.Once
	shared       *driver.Platform
	sharedErr    error
)

// platform is the stack's public API (test/driver), found once per test binary; the test
// fails when the stack is not there.
func platform(t testing.TB) *driver.Platform {
	t.Helper()
	stack.Load(t)
	platformOnce.Do(func() { shared, sharedErr = driver.FromStack() })
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return shared
}

var (
	adminOnce   sync.Once
	sharedAdmin *driver.Admin
	adminErr    error
)

// admin is the platform's admin, logged in once per test binary.
func admin(t testing.TB) *driver.Admin {
	t.Helper()
	p := platform(t)
	adminOnce.Do(func() { sharedAdmin, adminErr = p.Admin(context.Background()) })
	if adminErr != nil {
		t.Fatal(adminErr)
	}
	return sharedAdmin
}

// custodyPasswords is what a person types on the bank's account-opening and recharge
// pages: the custody password and its confirmation.
var custodyPasswords = map[string]string{"custodyPassword": driver.CustodyPassword, "custodyPasswordConfirm": driver.CustodyPassword}

// atBank submits the bank's page for g over plain HTTP and expects "Request accepted".
func atBank(t testing.TB, g browser.Gateway) {
	t.Helper()
	if err := platform(t).AcceptAtBank(context.Background(), g, custodyPasswords); err != nil {
		t.Fatal(err)
	}
}

// armFault arms a fault point of the service at base for the test and disarms the
// service's fault points when the test ends.
func armFault(t testing.TB, base, point string, times int, delayMs int) {
	t.Helper()
	p := platform(t)
	if err := p.ArmFault(context.Background(), base, point, times, delayMs); err != nil {
		t.Fatalf("arm %s: %v", point, err)
	}
	t.Cleanup(func() {
		if err := p.ClearFaults(context.Background(), base); err != nil {
			t.Errorf("disarm the faults of %s: %v", base, err)
		}
	})
}

// bankBalance asks the bank, signed as the platform, and checks the bank's signature.
func bankBalance(t testing.TB, userNo string) driver.Account {
	t.Helper()
	bank, err := platform(t).BankAPI()
	if err != nil {
		t.Fatal(err)
	}
	a, err := bank.Account(context.Background(), userNo)
	if err != nil {
		t.Fatalf("GET /v1/accounts/%s: %v", userNo, err)
	}
	return a
}
