package keyring

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
)

// A platform number that leaves no room for its fee account's number is refused at start,
// and the platforms are listed in order.
func TestPlatformNumbers(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	for file, block := range map[string]*pem.Block{
		BankPrivateKeyFile:        {Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)},
		DefaultPlatformPublicFile: {Type: "PUBLIC KEY", Bytes: pub},
	} {
		if err := os.WriteFile(filepath.Join(dir, file), pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	load := func(nos ...string) (*Keyring, error) {
		c := &conf.Bootstrap{Keys: &conf.Keys{Dir: dir}}
		for _, no := range nos {
			c.Platforms = append(c.Platforms, &conf.Platform{PlatformNo: no, CallbackUrl: "http://127.0.0.1:8020/cb"})
		}
		return New(c, &signing.MemoryNonceStore{})
	}
	if _, err := load(strings.Repeat("P", MaxPlatformNoLen+1)); err == nil || !strings.Contains(err.Error(), "platform_no") {
		t.Fatalf("a %d-character platform number: %v, want refused", MaxPlatformNoLen+1, err)
	}
	k, err := load("ZETA", strings.Repeat("P", MaxPlatformNoLen), "ALPHA")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(k.Nos(), ","); got != "ALPHA,"+strings.Repeat("P", MaxPlatformNoLen)+",ZETA" {
		t.Fatalf("Nos = %s", got)
	}
}
