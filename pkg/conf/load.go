// Package conf holds the configuration messages every service shares and loads a
// service's typed configuration from YAML plus the environment.
package conf

import (
	"fmt"

	"github.com/go-kratos/kratos/v2/config"
	"github.com/go-kratos/kratos/v2/config/env"
	"github.com/go-kratos/kratos/v2/config/file"
	"google.golang.org/protobuf/proto"
)

// EnvPrefix marks the environment variables a config file may reference: a value
// "${DB_PASSWORD}" in YAML is filled from P2P_DB_PASSWORD. Secrets only ever arrive this
// way, so no config file holds one.
const EnvPrefix = "P2P_"

// Load reads the YAML file at path, resolves ${VAR} placeholders from P2P_* environment
// variables and scans the result into dst (a service's Bootstrap message).
func Load(path string, dst proto.Message) error {
	c := config.New(config.WithSource(file.NewSource(path), env.NewSource(EnvPrefix)))
	defer c.Close()
	if err := c.Load(); err != nil {
		return fmt.Errorf("load config %s: %w", path, err)
	}
	if err := c.Scan(dst); err != nil {
		return fmt.Errorf("parse config %s: %w", path, err)
	}
	return nil
}
