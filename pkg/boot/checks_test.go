package boot

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/p2p-dtx/p2p-dtx/pkg/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/operator"
)

const (
	secret = "0123456789abcdef0123456789abcdef"
	token  = operator.Token("fedcba9876543210fedcba9876543210")
)

// platformConfig is a Bootstrap with auth and faults sections, like the platform's
// services; bankConfig has no auth section, like bank-custody.
type platformConfig struct {
	*conf.Log
	auth   *conf.Auth
	faults *conf.Faults
}

func (c platformConfig) GetLog() *conf.Log       { return c.Log }
func (c platformConfig) GetAuth() *conf.Auth     { return c.auth }
func (c platformConfig) GetFaults() *conf.Faults { return c.faults }

type bankConfig struct {
	*conf.Log
	faults *conf.Faults
}

func (c bankConfig) GetLog() *conf.Log       { return c.Log }
func (c bankConfig) GetFaults() *conf.Faults { return c.faults }

func platform(secret string, faults bool) platformConfig {
	return platformConfig{Log: &conf.Log{}, auth: &conf.Auth{TokenSecret: secret}, faults: &conf.Faults{Enabled: faults}}
}

func TestCheckConfigRefusesUnsafeSettings(t *testing.T) {
	t.Parallel()
	production := &conf.Deployment{Environment: EnvironmentProduction}
	local := &conf.Deployment{Environment: EnvironmentLocal}
	for name, c := range map[string]struct {
		bc    Config
		d     *conf.Deployment
		token operator.Token
		want  string
	}{
		"no token secret":           {platform("", false), production, token, "auth.token_secret: 0 bytes, need at least 32"},
		"short token secret":        {platform(secret[:31], false), local, token, "auth.token_secret: 31 bytes"},
		"no auth section":           {platformConfig{Log: &conf.Log{}}, local, token, "auth.token_secret: 0 bytes"},
		"faults in production":      {platform(secret, true), production, token, "faults.enabled: fault points must be off"},
		"faults without token":      {platform(secret, true), local, "", "faults.enabled needs the operator token: P2P_OPERATOR_TOKEN: not set"},
		"faults with short token":   {platform(secret, true), &conf.Deployment{}, token[:20], "P2P_OPERATOR_TOKEN: 20 bytes"},
		"bank faults in production": {bankConfig{Log: &conf.Log{}, faults: &conf.Faults{Enabled: true}}, production, token, "faults.enabled: fault points must be off"},
		"bank faults without token": {bankConfig{Log: &conf.Log{}, faults: &conf.Faults{Enabled: true}}, local, "", "P2P_OPERATOR_TOKEN: not set"},
		"unknown environment":       {platform(secret, false), &conf.Deployment{Environment: "prod"}, token, `environment: "prod" is not "local" or "production"`},
	} {
		err := checkConfig(c.bc, c.d, c.token)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: checkConfig = %v, want %q", name, err, c.want)
		}
	}
}

func TestCheckConfigAcceptsSafeSettings(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct {
		bc    Config
		d     *conf.Deployment
		token operator.Token
	}{
		"production, faults off, no operator token": {platform(secret, false), &conf.Deployment{Environment: EnvironmentProduction}, ""},
		"local stack with faults and a token":       {platform(secret, true), &conf.Deployment{}, token},
		"bank without auth, faults off":             {bankConfig{Log: &conf.Log{}, faults: &conf.Faults{}}, &conf.Deployment{Environment: EnvironmentProduction}, ""},
	} {
		if err := checkConfig(c.bc, c.d, c.token); err != nil {
			t.Errorf("%s: checkConfig = %v", name, err)
		}
	}
}

// The environment is read from the same file as the service's Bootstrap, whose other
// sections it ignores.
func TestDeploymentIsReadFromTheServiceConfig(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "production.yaml")
	yaml := "environment: production\nfaults:\n  enabled: false\nlog:\n  level: info\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	d := &conf.Deployment{}
	if err := conf.Load(path, d); err != nil {
		t.Fatal(err)
	}
	if d.GetEnvironment() != EnvironmentProduction {
		t.Fatalf("environment = %q, want production", d.GetEnvironment())
	}
}
