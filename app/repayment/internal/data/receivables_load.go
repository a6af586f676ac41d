package data

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/data/ent"
)

// A big loan's receivables (360,036 rows for 10,000 tenders over 36 periods) are written
// by one LOAD DATA LOCAL INFILE inside the plan's transaction: the rows stream to MariaDB
// as tab-separated text through the driver's Reader handler, the server inserts them
// without parsing a statement per 2,000 rows, and they commit with the borrower's plan or
// not at all. See README "Hot projects and big loans" for the figures.
//
// LOAD DATA LOCAL cannot stop the client's stream in the middle, so MariaDB treats every
// error in it as a warning (a duplicate key is skipped, a bad value truncated). The load is
// therefore checked afterwards: every row inserted and no warning, or the transaction is
// rolled back — a receivable written by anything but this transaction is an anomaly,
// refused rather than ignored.

// receivableLoad names the columns each line carries, in their order; what every row of
// one plan shares (its project, its creation time) is set once rather than parsed per row.
const receivableLoad = "LOAD DATA LOCAL INFILE 'Reader::%s' INTO TABLE `receivable_plan` CHARACTER SET utf8mb4 " +
	"FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' " +
	"(`tender_id`, `investor_id`, `investor_user_no`, `period`, `due_date`, `principal`, `interest`, `amount`, `status`) " +
	"SET `project_id` = ?, `created_at` = ?, `updated_at` = ?"

// loads numbers the driver's reader handlers, which are process-wide names.
var loads atomic.Int64

// errLoadIncomplete is a load that did not insert every row cleanly.
var errLoadIncomplete = errors.New("receivables load incomplete")

// loadReceivables writes rows, all of project projectID, in tx with one LOAD DATA
// statement.
func loadReceivables(ctx context.Context, tx *ent.Client, projectID int64, rows []biz.ReceivableItem, now time.Time) error {
	name := "receivables-" + strconv.FormatInt(loads.Add(1), 10)
	pr, pw := io.Pipe()
	mysql.RegisterReaderHandler(name, func() io.Reader { return pr })
	defer mysql.DeregisterReaderHandler(name)
	encoded := make(chan error, 1)
	go func() {
		err := encodeReceivables(pw, projectID, rows)
		pw.CloseWithError(err) // nil: the reader sees io.EOF
		encoded <- err
	}()
	// DATETIME(6): microseconds, as the column keeps them (a finer value is a warning).
	stamp := now.UTC().Format("2006-01-02 15:04:05.000000")
	res, err := tx.ExecContext(ctx, fmt.Sprintf(receivableLoad, name), projectID, stamp, stamp)
	pr.CloseWithError(io.ErrClosedPipe) // a load that stopped reading releases the encoder
	if encErr := <-encoded; encErr != nil && !errors.Is(encErr, io.ErrClosedPipe) {
		return fmt.Errorf("encode receivables: %w", encErr)
	}
	if err != nil {
		return err
	}
	inserted, err := res.RowsAffected()
	if err != nil {
		return err
	}
	var warnings int
	if err := scanOne(ctx, tx, "SELECT @@warning_count", &warnings); err != nil {
		return err
	}
	if inserted != int64(len(rows)) || warnings != 0 {
		first := firstWarning(ctx, tx)
		return fmt.Errorf("%w: %d of %d rows inserted, %d warnings (first: %s)", errLoadIncomplete, inserted, len(rows), warnings, first)
	}
	return nil
}

// scanOne reads a one-value query on tx's connection.
func scanOne(ctx context.Context, tx *ent.Client, query string, dest any) error {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		return fmt.Errorf("%s: no row", query)
	}
	if err := rows.Scan(dest); err != nil {
		return err
	}
	return rows.Err()
}

// firstWarning describes the load's first warning for the error that rolls it back; a
// warning that cannot be read is described as such (the rollback happens either way).
func firstWarning(ctx context.Context, tx *ent.Client) string {
	rows, err := tx.QueryContext(ctx, "SHOW WARNINGS LIMIT 1")
	if err != nil {
		return "unreadable: " + err.Error()
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return "unreadable: " + err.Error()
		}
		return "none"
	}
	var level, msg string
	var code int
	if err := rows.Scan(&level, &code, &msg); err != nil {
		return "unreadable: " + err.Error()
	}
	return fmt.Sprintf("%s %d %s", level, code, msg)
}

// encodeReceivables writes rows as LOAD DATA's default text format: tab-separated fields,
// one line a row, \N for NULL, money in its decimal text, dates in UTC. A row of another
// project is refused: the statement sets the project once.
func encodeReceivables(w io.Writer, projectID int64, rows []biz.ReceivableItem) error {
	b := bufio.NewWriterSize(w, 256<<10)
	var line []byte
	for _, it := range rows {
		if it.ProjectID != projectID {
			return fmt.Errorf("receivable of tender %d is of project %d, not %d", it.TenderID, it.ProjectID, projectID)
		}
		line = line[:0]
		line = strconv.AppendInt(line, it.TenderID, 10)
		line = append(line, '\t')
		line = strconv.AppendInt(line, it.InvestorID, 10)
		line = append(line, '\t')
		line = appendText(line, it.InvestorUserNo)
		line = append(line, '\t')
		line = strconv.AppendInt(line, int64(it.Period), 10)
		line = append(line, '\t')
		line = it.DueDate.UTC().AppendFormat(line, time.DateOnly)
		for _, a := range [...]string{it.Principal.String(), it.Interest.String(), it.Amount.String(), string(it.Status)} {
			line = append(line, '\t')
			line = append(line, a...)
		}
		line = append(line, '\n')
		if _, err := b.Write(line); err != nil {
			return err
		}
	}
	return b.Flush()
}

// loadEscapes are the characters LOAD DATA's text format escapes with a backslash.
var loadEscapes = strings.NewReplacer("\\", "\\\\", "\t", "\\t", "\n", "\\n", "\r", "\\r", "\x00", "\\0")

// appendText appends s as a nullable text field: \N when empty (no bank number yet).
func appendText(line []byte, s string) []byte {
	if s == "" {
		return append(line, '\\', 'N')
	}
	return append(line, loadEscapes.Replace(s)...)
}
