package keyring_test

import (
	"strings"
	"testing"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/keyring"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/keyring/keyringtest"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
)

// A platform number that leaves no room for its fee account's number is refused at start,
// and the platforms are listed in order.
func TestPlatformNumbers(t *testing.T) {
	t.Parallel()
	dir := keyringtest.Dir(t)
	load := func(nos ...string) (*keyring.Keyring, error) {
		c := &conf.Bootstrap{Keys: &conf.Keys{Dir: dir}}
		for _, no := range nos {
			c.Platforms = append(c.Platforms, &conf.Platform{PlatformNo: no, CallbackUrl: "http://127.0.0.1:8020/cb"})
		}
		return keyring.New(c, &signing.MemoryNonceStore{})
	}
	if _, err := load(strings.Repeat("P", keyring.MaxPlatformNoLen+1)); err == nil || !strings.Contains(err.Error(), "platform_no") {
		t.Fatalf("a %d-character platform number: %v, want refused", keyring.MaxPlatformNoLen+1, err)
	}
	k, err := load("ZETA", strings.Repeat("P", keyring.MaxPlatformNoLen), "ALPHA")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(k.Nos(), ","); got != "ALPHA,"+strings.Repeat("P", keyring.MaxPlatformNoLen)+",ZETA" {
		t.Fatalf("Nos = %s", got)
	}
}
