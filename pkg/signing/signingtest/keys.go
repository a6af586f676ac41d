// Package signingtest gives tests the platform's and the bank's RSA-2048 keys and writes
// them as PEM files, so every test that signs or loads keys gets them one way. It imports
// nothing of pkg/signing, so that package's own tests can use it too.
package signingtest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Keys are the platform's and the bank's private keys, generated once per test binary
// (a 2048-bit key takes a while) and never written outside a test's temp dir.
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

// PKCS8 is key as a "PRIVATE KEY" PEM block.
func PKCS8(t testing.TB, key any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// PKCS1 is an RSA key as an "RSA PRIVATE KEY" PEM block (the older encoding, which the
// key loader accepts too).
func PKCS1(key *rsa.PrivateKey) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
}

// PKIX is a public key as a "PUBLIC KEY" PEM block.
func PKIX(t testing.TB, key any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// Dir is a new temp dir holding files (name -> content), readable by the owner only.
func Dir(t testing.TB, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
