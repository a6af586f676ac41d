package database

import (
	"testing"
	"time"
)

func TestDriverConfigForcesUTCTimesAndTimeouts(t *testing.T) {
	t.Parallel()
	cfg, err := DriverConfig("u:p@tcp(127.0.0.1:3306)/user_center")
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.ParseTime || cfg.Loc != time.UTC {
		t.Errorf("parseTime=%v loc=%v, want true UTC", cfg.ParseTime, cfg.Loc)
	}
	if cfg.Timeout != 5*time.Second || cfg.ReadTimeout == 0 || cfg.WriteTimeout == 0 {
		t.Errorf("timeouts not set: %v %v %v", cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout)
	}
	if cfg.DBName != "user_center" || cfg.User != "u" {
		t.Errorf("dsn parts lost: %+v", cfg)
	}
}

func TestDriverConfigKeepsExplicitTimeout(t *testing.T) {
	t.Parallel()
	cfg, err := DriverConfig("u:p@tcp(127.0.0.1:3306)/x?timeout=1s")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Timeout != time.Second {
		t.Errorf("timeout = %v, want 1s", cfg.Timeout)
	}
}

func TestDriverConfigRejectsGarbage(t *testing.T) {
	t.Parallel()
	if _, err := DriverConfig("not a dsn"); err == nil {
		t.Fatal("want an error")
	}
}
