// Package database opens a service's MariaDB connection pool with the driver settings the
// platform relies on.
package database

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/p2p-dtx/p2p-dtx/pkg/conf"
)

// Open parses the DSN, forces the settings the code depends on and checks the server
// answers within five seconds.
func Open(ctx context.Context, c *conf.Database) (*sql.DB, error) {
	cfg, err := DriverConfig(c.GetDsn())
	if err != nil {
		return nil, err
	}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	db := sql.OpenDB(connector)
	maxOpen := orDefault(c.GetMaxOpenConns(), 20)
	db.SetMaxOpenConns(int(maxOpen))
	// Keeping every open connection idle-able avoids a new TCP connection and login for
	// each burst above the idle limit (measured: most of a registration's cost at load).
	db.SetMaxIdleConns(int(orDefault(c.GetMaxIdleConns(), maxOpen)))
	if l := c.GetConnMaxLifetime(); l != nil {
		db.SetConnMaxLifetime(l.AsDuration())
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		return nil, fmt.Errorf("database %s@%s/%s: %w", cfg.User, cfg.Addr, cfg.DBName, closeAfter(db, err))
	}
	return db, nil
}

// DriverConfig parses a DSN and forces: DATETIME scanned into time.Time in UTC; dial, read
// and write timeouts so a stuck server fails a call instead of hanging it; and arguments
// interpolated by the driver, so a statement with arguments is one round trip instead of
// three (prepare, execute, close) — safe with the utf8mb4 connection charset.
func DriverConfig(dsn string) (*mysql.Config, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("database: bad dsn: %w", err)
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	cfg.InterpolateParams = true
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = 30 * time.Second
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = 30 * time.Second
	}
	return cfg, nil
}

func orDefault(v, def int32) int32 {
	if v > 0 {
		return v
	}
	return def
}

// closeAfter closes db and keeps err as the error that matters.
func closeAfter(db *sql.DB, err error) error {
	if cerr := db.Close(); cerr != nil {
		return fmt.Errorf("%w (close: %v)", err, cerr)
	}
	return err
}
