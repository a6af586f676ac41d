package signing

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
)

// MinKeyBits is the smallest RSA modulus accepted when loading keys.
const MinKeyBits = 2048

// LoadPrivateKey reads a PEM file holding an RSA private key in PKCS#8
// ("PRIVATE KEY", as written by openssl genpkey) or PKCS#1 ("RSA PRIVATE KEY") form.
func LoadPrivateKey(path string) (*rsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signing: read private key: %w", err)
	}
	key, err := ParsePrivateKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return key, nil
}

// LoadPublicKey reads a PEM file holding an RSA public key in PKIX ("PUBLIC KEY", as
// written by openssl pkey -pubout) or PKCS#1 ("RSA PUBLIC KEY") form.
func LoadPublicKey(path string) (*rsa.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signing: read public key: %w", err)
	}
	key, err := ParsePublicKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return key, nil
}

// ParsePrivateKeyPEM parses the first PEM block of data as an RSA private key in PKCS#8
// or PKCS#1 form.
func ParsePrivateKeyPEM(data []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("signing: private key: no PEM block found")
	}
	var key *rsa.PrivateKey
	switch block.Type {
	case "PRIVATE KEY":
		parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("signing: private key: bad PKCS#8 data: %w", err)
		}
		k, ok := parsed.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("signing: private key: is %T, not RSA", parsed)
		}
		key = k
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("signing: private key: bad PKCS#1 data: %w", err)
		}
		key = k
	case "ENCRYPTED PRIVATE KEY":
		return nil, errors.New("signing: private key: encrypted keys are not supported; write it without a passphrase")
	default:
		return nil, fmt.Errorf("signing: private key: PEM block is %q, want \"PRIVATE KEY\" or \"RSA PRIVATE KEY\"", block.Type)
	}
	if err := checkSize(key.N.BitLen()); err != nil {
		return nil, fmt.Errorf("signing: private key: %w", err)
	}
	return key, nil
}

// ParsePublicKeyPEM parses the first PEM block of data as an RSA public key in PKIX or
// PKCS#1 form.
func ParsePublicKeyPEM(data []byte) (*rsa.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("signing: public key: no PEM block found")
	}
	var key *rsa.PublicKey
	switch block.Type {
	case "PUBLIC KEY":
		parsed, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("signing: public key: bad PKIX data: %w", err)
		}
		k, ok := parsed.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("signing: public key: is %T, not RSA", parsed)
		}
		key = k
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("signing: public key: bad PKCS#1 data: %w", err)
		}
		key = k
	default:
		return nil, fmt.Errorf("signing: public key: PEM block is %q, want \"PUBLIC KEY\" or \"RSA PUBLIC KEY\"", block.Type)
	}
	if err := checkSize(key.N.BitLen()); err != nil {
		return nil, fmt.Errorf("signing: public key: %w", err)
	}
	return key, nil
}

func checkSize(bits int) error {
	if bits < MinKeyBits {
		return fmt.Errorf("RSA key has %d bits, need at least %d", bits, MinKeyBits)
	}
	return nil
}
