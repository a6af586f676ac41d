//go:build integration

package data

import (
	"context"
	"io"
	"testing"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/app/unified-account/internal/biz/biztest"
	"github.com/p2p-dtx/p2p-dtx/app/unified-account/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/app/unified-account/internal/data/ent/account"
	"github.com/p2p-dtx/p2p-dtx/app/unified-account/internal/data/ent/loginattempt"
	pconf "github.com/p2p-dtx/p2p-dtx/pkg/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/dbtest"
)

// The ent adapters keep the contract the biz tests' fake keeps (biztest.AccountStoreContract).
func TestAccountStoreKeepsTheContract(t *testing.T) {
	t.Parallel()
	d, cleanup, err := NewData(&conf.Bootstrap{Database: &pconf.Database{Dsn: dbtest.DSN(t, "unified_account")}}, log.NewStdLogger(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	biztest.AccountStoreContract(t, func(*testing.T) biztest.Store {
		return biztest.Store{Registrations: NewRegistrationRepo(d), Accounts: NewAccountRepo(d),
			Forget: func(username string) {
				if _, err := d.Pool().Account.Delete().Where(account.Username(username)).Exec(context.Background()); err != nil {
					t.Errorf("forget %s: %v", username, err)
				}
			}}
	})
}

// The ent adapter keeps the contract the biz tests' fake keeps (biztest.LoginAttemptContract).
func TestLoginAttemptsKeepTheContract(t *testing.T) {
	t.Parallel()
	d, cleanup, err := NewData(&conf.Bootstrap{Database: &pconf.Database{Dsn: dbtest.DSN(t, "unified_account")}}, log.NewStdLogger(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	biztest.LoginAttemptContract(t, func(*testing.T) biztest.AttemptStore {
		return biztest.AttemptStore{Attempts: NewLoginAttemptRepo(d), Forget: func(login string) {
			if _, err := d.Pool().LoginAttempt.Delete().Where(loginattempt.ID(login)).Exec(context.Background()); err != nil {
				t.Errorf("forget %s: %v", login, err)
			}
		}}
	})
}
