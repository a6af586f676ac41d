package password

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestHashMatchesOnlyTheSamePassword(t *testing.T) {
	t.Parallel()
	h, err := Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(h, "correct horse") {
		t.Fatal("hash contains the plaintext")
	}
	if !IsHash(h) {
		t.Errorf("IsHash(%q) = false", h)
	}
	if !Matches(h, "correct horse") {
		t.Error("the right password does not match")
	}
	if Matches(h, "correct horsE") {
		t.Error("a wrong password matches")
	}
	if IsHash("correct horse") {
		t.Error("plaintext passes IsHash")
	}
	if Matches("not-a-hash", "not-a-hash") {
		t.Error("a malformed hash matches")
	}
}

func TestHashRefusesOverlongPassword(t *testing.T) {
	t.Parallel()
	if _, err := Hash(strings.Repeat("a", 73)); !errors.Is(err, ErrTooLong) {
		t.Fatalf("err = %v, want ErrTooLong", err)
	}
}

func TestHasherUsesItsCostAndRefusesOutOfRange(t *testing.T) {
	t.Parallel()
	h, err := NewHasher(4)
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if c, err := bcrypt.Cost([]byte(out)); err != nil || c != 4 {
		t.Fatalf("cost of the hash = %d (%v), want 4", c, err)
	}
	if !Matches(out, "correct horse") {
		t.Error("the right password does not match a cost-4 hash")
	}
	for _, bad := range []int{-1, 3, 15, 31} {
		if _, err := NewHasher(bad); err == nil {
			t.Errorf("NewHasher(%d) accepted", bad)
		}
	}
	d, err := NewHasher(0)
	if err != nil {
		t.Fatal(err)
	}
	if out, err = d.Hash("x"); err != nil {
		t.Fatal(err)
	}
	if c, _ := bcrypt.Cost([]byte(out)); c != Cost {
		t.Errorf("default cost = %d, want %d", c, Cost)
	}
}
