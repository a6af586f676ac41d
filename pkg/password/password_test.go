package password

import (
	"errors"
	"strings"
	"testing"
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
