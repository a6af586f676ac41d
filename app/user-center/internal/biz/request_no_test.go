package biz

import (
	"strings"
	"testing"
	"time"
)

// Request numbers are made here, unexported; the use cases' tests set their own
// (CustodySettings.NewRequestNo).
func TestRequestNumbersAreUniqueAndShort(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 1000 {
		no := newRequestNo(prefixRecharge, time.Date(2026, 11, 21, 11, 0, 0, 0, time.UTC))
		if seen[no] || len(no) > 64 || !strings.HasPrefix(no, "RC20261121110000") {
			t.Fatalf("%q (seen before: %v)", no, seen[no])
		}
		seen[no] = true
	}
}
