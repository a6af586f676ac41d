// Package keyringtest writes the bank's key directory for tests, so every test that
// loads a keyring gets its keys one way.
package keyringtest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/keyring"
)

// Keys are the platform's and the bank's private keys, generated once per test binary
// (a 2048-bit key takes a while) and written only under a test's temp dir.
var Keys = sync.OnceValues(func() (platform, bank *rsa.PrivateKey) {
	return generate(), generate()
})

func generate() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

// Dir is a temp dir holding the bank's private key (keyring.BankPrivateKeyFile) and the
// platform's public key (keyring.DefaultPlatformPublicFile), both of Keys.
func Dir(t testing.TB) string {
	t.Helper()
	platform, bank := Keys()
	pub, err := x509.MarshalPKIXPublicKey(&platform.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for file, block := range map[string]*pem.Block{
		keyring.BankPrivateKeyFile:        {Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(bank)},
		keyring.DefaultPlatformPublicFile: {Type: "PUBLIC KEY", Bytes: pub},
	} {
		if err := os.WriteFile(filepath.Join(dir, file), pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
