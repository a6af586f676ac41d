package signing

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/p2p-dtx/p2p-dtx/pkg/telemetry"
)

// How the platform's services reach the custody bank, the same way in each of them: calls
// signed with the platform's private key, answers checked against the bank's public key,
// both read from one keys directory (P2P_KEYS_DIR on the local stack, written by
// scripts/lib/keys.sh).

// Key files in the platform's keys directory.
const (
	PlatformPrivateKeyFile = "platform_private.pem"
	BankPublicKeyFile      = "bank_public.pem"
)

// DefaultTimeout bounds one call to the bank when the config sets none.
const DefaultTimeout = 5 * time.Second

// KeysDir is the platform's keys directory and the config setting it comes from, which
// its errors name so that the operator knows what to fix.
type KeysDir struct {
	Path    string
	Setting string // e.g. "custody.keys_dir"
}

// PlatformSigner reads the platform's private key.
func (d KeysDir) PlatformSigner() (*Signer, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	key, err := LoadPrivateKey(filepath.Join(d.Path, PlatformPrivateKeyFile))
	if err != nil {
		return nil, err
	}
	return NewSigner(key), nil
}

// BankVerifier reads the bank's public key; nonces remembers the bank's messages, so that
// none is accepted twice.
func (d KeysDir) BankVerifier(nonces NonceStore) (*Verifier, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	key, err := LoadPublicKey(filepath.Join(d.Path, BankPublicKeyFile))
	if err != nil {
		return nil, err
	}
	return NewVerifier(key, nonces), nil
}

func (d KeysDir) check() error {
	if d.Path == "" {
		return fmt.Errorf("%s is not set (P2P_KEYS_DIR on the local stack)", d.Setting)
	}
	return nil
}

// NewClient returns a Client of the peer at baseURL whose calls give up after timeout
// (DefaultTimeout when it is not positive).
func NewClient(baseURL string, timeout time.Duration, s *Signer, v *Verifier) *Client {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Client{BaseURL: baseURL, HTTP: telemetry.Client(timeout), Signer: s, Verifier: v}
}

// BankConfig is the typed `bank` section of a service that calls the bank (its conf.Bank).
type BankConfig interface {
	GetBaseUrl() string
	GetKeysDir() string
	GetTimeout() *durationpb.Duration
}

// NewBankClient returns the platform's client of the bank configured by c (the `bank`
// section, named in errors): calls signed with the platform's key, answers checked
// against the bank's, their nonces claimed in nonces.
func NewBankClient(c BankConfig, nonces NonceStore) (*Client, error) {
	if c.GetBaseUrl() == "" {
		return nil, errors.New("bank.base_url is not set")
	}
	keys := KeysDir{Path: c.GetKeysDir(), Setting: "bank.keys_dir"}
	signer, err := keys.PlatformSigner()
	if err != nil {
		return nil, err
	}
	verifier, err := keys.BankVerifier(nonces)
	if err != nil {
		return nil, err
	}
	return NewClient(c.GetBaseUrl(), c.GetTimeout().AsDuration(), signer, verifier), nil
}
