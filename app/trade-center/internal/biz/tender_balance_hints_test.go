package biz

import (
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

func TestBalanceHintsCoverOnlyWhileFreshAndLargeEnough(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	h := newBalanceHints(func() time.Time { return now })
	amt := money.MustParseAmount
	if h.covers("BU1", amt("0.01")) {
		t.Fatal("a user with no hint is covered")
	}
	h.remember("BU1", amt("300.00"))
	for _, tt := range []struct {
		amount string
		want   bool
	}{{"300.00", true}, {"299.99", true}, {"300.01", false}} {
		if got := h.covers("BU1", amt(tt.amount)); got != tt.want {
			t.Errorf("hint 300.00 covers %s: %v, want %v", tt.amount, got, tt.want)
		}
	}
	h.spent("BU1", amt("100.00"))
	if h.covers("BU1", amt("200.01")) || !h.covers("BU1", amt("200.00")) {
		t.Error("after freezing 100.00 of 300.00 the hint should cover exactly 200.00")
	}
	now = now.Add(BalanceHintTTL - time.Millisecond)
	if !h.covers("BU1", amt("200.00")) {
		t.Error("the hint expired before its TTL")
	}
	now = now.Add(time.Millisecond)
	if h.covers("BU1", amt("0.01")) {
		t.Error("the hint is still used at its TTL")
	}
	h.remember("BU1", amt("50.00"))
	h.forget("BU1")
	if h.covers("BU1", amt("0.01")) {
		t.Error("a forgotten hint still covers")
	}
	h.spent("BU2", amt("1.00")) // no hint: nothing to lower, nothing created
	if h.covers("BU2", amt("0.00")) {
		t.Error("spent created a hint")
	}
}

func TestBalanceHintsSweepExpiredUsers(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	h := newBalanceHints(func() time.Time { return now })
	for i := range balanceHintsMax {
		h.remember(string(rune('a'+i%26))+time.Duration(i).String(), money.MustParseAmount("1.00"))
	}
	now = now.Add(BalanceHintTTL)
	h.remember("fresh", money.MustParseAmount("1.00"))
	if len(h.m) != 1 {
		t.Fatalf("%d hints kept after the sweep, want only the fresh one", len(h.m))
	}
}
