package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/go-sql-driver/mysql"

	"github.com/p2p-dtx/p2p-dtx/test/driver"
	"github.com/p2p-dtx/p2p-dtx/test/stack"
)

// projectRows and userRows are the platform's rows of a run's project and users; the
// bank keeps its own books.
var (
	projectRows = []string{
		"DELETE FROM repayment.receivable_plan WHERE project_id = ?",
		"DELETE FROM repayment.repayment_plan WHERE project_id = ?",
		"DELETE FROM repayment.repayment_attempt WHERE project_id = ?",
		"DELETE FROM trade_center.project_installment WHERE project_id = ?",
		"DELETE FROM trade_center.tender WHERE project_id = ?",
		"DELETE FROM trade_center.loan_message WHERE project_id = ?",
		"DELETE FROM trade_center.project WHERE id = ?",
	}
	userRowsByID = []string{
		"DELETE FROM user_center.custody_request WHERE user_id = ?",
		"DELETE FROM user_center.recharge_record WHERE user_id = ?",
	}
	userRowsByName = []string{
		"DELETE FROM user_center.consumer WHERE username = ?",
		"DELETE FROM unified_account.account WHERE username = ?",
	}
)

// Cleanup removes the platform's rows of the run's project and users with the stack's
// inspection login, unless Keep; it tries every statement and returns what failed.
func (r *Run) Cleanup(ctx context.Context) error {
	if r.O.Keep {
		return nil
	}
	env, err := stack.ReadRunDirAt(r.O.RunDir)
	if err != nil {
		return err
	}
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr = "p2p_inspect", env["P2P_INSPECT_PASSWORD"], "tcp", env.MySQLAddr()
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return err
	}
	defer db.Close()
	var errs []error
	exec := func(queries []string, arg any) {
		for _, q := range queries {
			if _, err := db.ExecContext(ctx, q, arg); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", q, err))
			}
		}
	}
	for _, id := range append(r.Earlier, r.ProjectID) {
		if id != "" {
			exec(projectRows, id)
		}
	}
	for _, u := range append([]*driver.User{r.Borrower}, r.Investors...) {
		if u != nil {
			exec(userRowsByID, u.ID)
			exec(userRowsByName, u.Username)
		}
	}
	return errors.Join(errs...)
}
