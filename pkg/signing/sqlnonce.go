package signing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/go-sql-driver/mysql"
)

// SQLNonceStore claims nonces in a MariaDB table `(nonce VARCHAR PRIMARY KEY, expires_at
// DATETIME)`, so replay protection survives restarts and is shared by every instance.
type SQLNonceStore struct {
	DB    *sql.DB
	Table string // e.g. "callback_nonce"; a fixed identifier from code, never input
}

// Claim inserts the nonce; a duplicate key means it was seen inside its window.
func (s *SQLNonceStore) Claim(ctx context.Context, nonce string, expiresAt time.Time) (bool, error) {
	_, err := s.DB.ExecContext(ctx, "INSERT INTO "+s.Table+" (nonce, expires_at) VALUES (?, ?)", nonce, expiresAt.UTC())
	var me *mysql.MySQLError
	if errors.As(err, &me) && me.Number == 1062 {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim nonce: %w", err)
	}
	return true, nil
}

// Purge deletes nonces that expired more than a minute before now; a service runs it
// periodically. It returns how many it deleted.
func (s *SQLNonceStore) Purge(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.DB.ExecContext(ctx, "DELETE FROM "+s.Table+" WHERE expires_at < ?", now.UTC().Add(-time.Minute))
	if err != nil {
		return 0, fmt.Errorf("purge nonces: %w", err)
	}
	return res.RowsAffected()
}

// BankNonceTable is where a platform service that calls the bank remembers the nonces of
// the bank's signed answers (in its own database), so none can be replayed to it.
const BankNonceTable = "bank_nonce"

// NewBankNonces is the nonce store of the bank's signed answers in db.
func NewBankNonces(db *sql.DB) *SQLNonceStore {
	return &SQLNonceStore{DB: db, Table: BankNonceTable}
}
