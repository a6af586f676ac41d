package testkey

import (
	"strings"
	"sync"
	"testing"
)

func TestKeysAreUniqueAcrossGoroutines(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 500 {
				k := New("K")
				mu.Lock()
				if seen[k] {
					t.Errorf("key %s made twice", k)
				}
				seen[k] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for k := range seen {
		if !strings.HasPrefix(k, "K") || len(k) != 1+19+4 {
			t.Fatalf("key %q: want the prefix, 19 digits of time and 4 of counter", k)
		}
	}
}
