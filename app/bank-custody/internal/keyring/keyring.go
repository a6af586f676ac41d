// Package keyring holds the keys the bank signs and checks with: its own private key,
// and each contracted platform's public key with the verifiers built on it
// (docs/custody-protocol.md "Parties, keys, identifiers").
package keyring

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
)

// Files in keys.dir.
const (
	BankPrivateKeyFile        = "bank_private.pem"
	DefaultPlatformPublicFile = "platform_public.pem"
)

// MaxPlatformNoLen keeps a platform's fee account number, "FEE_" + platform number,
// within the 32 characters of a bank user number.
const MaxPlatformNoLen = 28

// Platform is a contracted platform: where its notifications go and how its messages are
// checked.
type Platform struct {
	No          string
	CallbackURL string
	// Verifier checks the platform's signature. Its nonce store is the bank's api_nonce
	// table: Verify claims the nonce (server-to-server calls); the gateway uses the
	// Check variants and claims the nonce itself, with the request it records.
	Verifier *signing.Verifier
}

// Keyring is the bank's signing key and its platforms.
type Keyring struct {
	bank      *signing.Signer
	platforms map[string]*Platform
	sole      *Platform
}

// New loads the keys named by the config. nonces remembers the nonces of signed calls.
func New(c *conf.Bootstrap, nonces signing.NonceStore) (*Keyring, error) {
	dir := c.GetKeys().GetDir()
	if dir == "" {
		return nil, fmt.Errorf("config keys.dir: required (the stack sets it from P2P_KEYS_DIR)")
	}
	priv, err := signing.LoadPrivateKey(filepath.Join(dir, BankPrivateKeyFile))
	if err != nil {
		return nil, fmt.Errorf("bank key: %w", err)
	}
	k := &Keyring{bank: signing.NewSigner(priv), platforms: map[string]*Platform{}}
	for i, pc := range c.GetPlatforms() {
		no := pc.GetPlatformNo()
		switch {
		case no == "":
			return nil, fmt.Errorf("config platforms[%d].platform_no: required", i)
		case len(no) > MaxPlatformNoLen:
			return nil, fmt.Errorf("config platforms[%d].platform_no: at most %d characters (its fee account FEE_%s must fit a user number)", i, MaxPlatformNoLen, no)
		case k.platforms[no] != nil:
			return nil, fmt.Errorf("config platforms[%d]: platform %s listed twice", i, no)
		case pc.GetCallbackUrl() == "":
			return nil, fmt.Errorf("config platforms[%d].callback_url: required", i)
		}
		file := pc.GetPublicKeyFile()
		if file == "" {
			file = DefaultPlatformPublicFile
		}
		pub, err := signing.LoadPublicKey(filepath.Join(dir, file))
		if err != nil {
			return nil, fmt.Errorf("platform %s key: %w", no, err)
		}
		k.platforms[no] = &Platform{No: no, CallbackURL: pc.GetCallbackUrl(), Verifier: signing.NewVerifier(pub, nonces)}
	}
	if len(k.platforms) == 0 {
		return nil, fmt.Errorf("config platforms: at least one platform is needed")
	}
	if len(k.platforms) == 1 {
		for _, p := range k.platforms {
			k.sole = p
		}
	}
	return k, nil
}

// Bank signs the bank's answers and notifications.
func (k *Keyring) Bank() *signing.Signer { return k.bank }

// Platform returns a contracted platform.
func (k *Keyring) Platform(no string) (*Platform, bool) {
	p, ok := k.platforms[no]
	return p, ok
}

// Nos lists the contracted platforms' numbers, sorted.
func (k *Keyring) Nos() []string { return slices.Sorted(maps.Keys(k.platforms)) }

// Caller picks the platform of a server-to-server call: the one named (header
// X-P2P-Platform-No), or the only platform when none is named.
func (k *Keyring) Caller(named string) (*Platform, bool) {
	if named == "" {
		return k.sole, k.sole != nil
	}
	return k.Platform(named)
}
