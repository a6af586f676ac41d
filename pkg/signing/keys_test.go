package signing_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing/signingtest"
)

// testKeys are the two keys of signingtest, generated once per test binary.
var testKeys = signingtest.Keys

func pemBytes(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

var pkcs8, pkix = signingtest.PKCS8, signingtest.PKIX

func TestParseKeysBothEncodings(t *testing.T) {
	t.Parallel()
	key, _ := testKeys()
	privs := map[string][]byte{
		"PKCS#8": pkcs8(t, key),
		"PKCS#1": pemBytes("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key)),
	}
	pubs := map[string][]byte{
		"PKIX":   pkix(t, &key.PublicKey),
		"PKCS#1": pemBytes("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&key.PublicKey)),
	}
	for privName, privPEM := range privs {
		for pubName, pubPEM := range pubs {
			t.Run(privName+"/"+pubName, func(t *testing.T) {
				t.Parallel()
				priv, err := signing.ParsePrivateKeyPEM(privPEM)
				if err != nil {
					t.Fatalf("ParsePrivateKeyPEM: %v", err)
				}
				if !priv.Equal(key) {
					t.Fatal("parsed private key differs from the generated one")
				}
				pub, err := signing.ParsePublicKeyPEM(pubPEM)
				if err != nil {
					t.Fatalf("ParsePublicKeyPEM: %v", err)
				}
				h, err := signing.NewSigner(priv).SignAnswer([]byte("body"))
				if err != nil {
					t.Fatal(err)
				}
				v := signing.NewVerifier(pub, &signing.MemoryNonceStore{})
				if err := v.VerifyAnswer(t.Context(), h, []byte("body")); err != nil {
					t.Fatalf("Verify with parsed keys: %v", err)
				}
			})
		}
	}
}

func TestParseKeyErrors(t *testing.T) {
	t.Parallel()
	key, _ := testKeys()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		private bool
		data    []byte
		want    string
	}{
		{"private not PEM", true, []byte("hello"), "no PEM block"},
		{"public not PEM", false, []byte(""), "no PEM block"},
		{"private EC in PKCS#8", true, pkcs8(t, ec), "*ecdsa.PrivateKey, not RSA"},
		{"public EC in PKIX", false, pkix(t, &ec.PublicKey), "*ecdsa.PublicKey, not RSA"},
		{"private given a public key", true, pkix(t, &key.PublicKey), `PEM block is "PUBLIC KEY"`},
		{"public given a private key", false, pkcs8(t, key), `PEM block is "PRIVATE KEY"`},
		{"private garbage PKCS#8", true, pemBytes("PRIVATE KEY", []byte{1, 2, 3}), "bad PKCS#8 data"},
		{"private garbage PKCS#1", true, pemBytes("RSA PRIVATE KEY", []byte{1, 2, 3}), "bad PKCS#1 data"},
		{"public garbage PKIX", false, pemBytes("PUBLIC KEY", []byte{1, 2, 3}), "bad PKIX data"},
		{"encrypted private", true, pemBytes("ENCRYPTED PRIVATE KEY", []byte{1}), "encrypted keys are not supported"},
		{"private too small", true, pkcs8(t, small), "RSA key has 1024 bits, need at least 2048"},
		{"public too small", false, pkix(t, &small.PublicKey), "RSA key has 1024 bits, need at least 2048"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var err error
			if tt.private {
				_, err = signing.ParsePrivateKeyPEM(tt.data)
			} else {
				_, err = signing.ParsePublicKeyPEM(tt.data)
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestLoadKeysFromFiles(t *testing.T) {
	t.Parallel()
	key, _ := testKeys()
	dir := t.TempDir()
	privPath := filepath.Join(dir, "private.pem")
	pubPath := filepath.Join(dir, "public.pem")
	if err := os.WriteFile(privPath, pkcs8(t, key), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pubPath, pkix(t, &key.PublicKey), 0o644); err != nil {
		t.Fatal(err)
	}

	priv, err := signing.LoadPrivateKey(privPath)
	if err != nil {
		t.Fatalf("LoadPrivateKey: %v", err)
	}
	pub, err := signing.LoadPublicKey(pubPath)
	if err != nil {
		t.Fatalf("LoadPublicKey: %v", err)
	}
	if !priv.Equal(key) || !pub.Equal(&key.PublicKey) {
		t.Fatal("loaded keys differ from the generated ones")
	}

	missing := filepath.Join(dir, "absent.pem")
	if _, err := signing.LoadPrivateKey(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("LoadPrivateKey(missing) error = %v, want it to name the file", err)
	}
	// A public key file where the private key is expected: the error names the file.
	if _, err := signing.LoadPrivateKey(pubPath); err == nil ||
		!strings.Contains(err.Error(), pubPath) || !strings.Contains(err.Error(), "PUBLIC KEY") {
		t.Errorf("LoadPrivateKey(public file) error = %v, want it to name the file and the block type", err)
	}
	if _, err := signing.LoadPublicKey(privPath); err == nil || !strings.Contains(err.Error(), privPath) {
		t.Errorf("LoadPublicKey(private file) error = %v, want it to name the file", err)
	}
}
