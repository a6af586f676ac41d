package dtmx

import (
	"database/sql"
	"testing"
	"time"
)

func TestXIDRefusesWhatCannotBeQuoted(t *testing.T) {
	t.Parallel()
	if id, err := xidOf("Rk2aZq", "01"); err != nil || id != "Rk2aZq-01" {
		t.Fatalf("xidOf = %q, %v", id, err)
	}
	for _, gid := range []string{"a'b", `a\b`, string(make([]byte, 64))} {
		if _, err := xidOf(gid, "01"); err == nil {
			t.Errorf("xidOf(%q) accepted", gid)
		}
	}
}

func TestHeldBranchIsTakenOnce(t *testing.T) {
	t.Parallel()
	var h heldBranches
	conn := &sql.Conn{}
	h.hold("g-01", conn)
	got, ok, err := h.take("g-01")
	if !ok || err != nil || got != conn {
		t.Fatalf("first take = %p, %v, %v; want the held session", got, ok, err)
	}
	if _, ok, err := h.take("g-01"); ok || err != nil {
		t.Fatalf("second take = %v, %v; want not held, no error", ok, err)
	}
}

func TestLetGoBranchAnswersRetryUntilRetired(t *testing.T) {
	t.Parallel()
	var h heldBranches
	// A branch whose session was already let go: phase 2 must not use another session
	// while the disconnect may still be under way.
	h.m = map[string]*heldBranch{"g-02": {released: time.Now()}}
	if _, ok, err := h.take("g-02"); ok || err == nil {
		t.Fatalf("take = %v, %v; want a retry error", ok, err)
	}
	if _, ok, err := h.take("other-01"); ok || err != nil {
		t.Fatalf("unknown branch: take = %v, %v; want not held", ok, err)
	}
}
