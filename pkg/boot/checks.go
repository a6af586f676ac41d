package boot

import (
	"fmt"

	"github.com/p2p-dtx/p2p-dtx/pkg/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/operator"
)

// Environments a config may name in its top-level `environment`.
const (
	EnvironmentLocal      = "local" // also when empty: the local stack and tests
	EnvironmentProduction = "production"
)

// MinTokenSecret is the shortest HS256 token secret accepted, in bytes, by the services
// that issue tokens and by those that only verify them: a guessable key would let anyone
// mint an ADMIN token.
const MinTokenSecret = 32

// authConfig is a Bootstrap with an auth section (every service but the bank).
type authConfig interface{ GetAuth() *conf.Auth }

// faultsConfig is a Bootstrap with a faults section.
type faultsConfig interface{ GetFaults() *conf.Faults }

// checkConfig refuses a configuration a service must not start with, so that a
// deployment fails closed at start instead of running with a weak secret or open fault
// points. Key files are checked where they are loaded (pkg/signing), during wiring.
func checkConfig(bc Config, d *conf.Deployment, token operator.Token) error {
	env := d.GetEnvironment()
	if env != "" && env != EnvironmentLocal && env != EnvironmentProduction {
		return fmt.Errorf("environment: %q is not %q or %q", env, EnvironmentLocal, EnvironmentProduction)
	}
	if a, ok := bc.(authConfig); ok {
		if n := len(a.GetAuth().GetTokenSecret()); n < MinTokenSecret {
			return fmt.Errorf("auth.token_secret: %d bytes, need at least %d (P2P_TOKEN_SECRET)", n, MinTokenSecret)
		}
	}
	if f, ok := bc.(faultsConfig); ok && f.GetFaults().GetEnabled() {
		if env == EnvironmentProduction {
			return fmt.Errorf("faults.enabled: fault points must be off when environment is %q", EnvironmentProduction)
		}
		if err := token.Check(); err != nil {
			return fmt.Errorf("faults.enabled needs the operator token: %w", err)
		}
	}
	return nil
}
