// Package keyringtest writes the bank's key directory for tests, so every test that
// loads a keyring gets its keys one way.
package keyringtest

import (
	"testing"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/keyring"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing/signingtest"
)

// Keys are the platform's and the bank's private keys (signingtest.Keys).
var Keys = signingtest.Keys

// Dir is a temp dir holding the bank's private key (keyring.BankPrivateKeyFile) and the
// platform's public key (keyring.DefaultPlatformPublicFile), both of Keys.
func Dir(t testing.TB) string {
	t.Helper()
	platform, bank := Keys()
	return signingtest.Dir(t, map[string][]byte{
		keyring.BankPrivateKeyFile:        signingtest.PKCS1(bank),
		keyring.DefaultPlatformPublicFile: signingtest.PKIX(t, &platform.PublicKey),
	})
}
