//go:build integration

package data

import (
	"context"
	"testing"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz/biztest"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent/bankfreeze"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent/bankuser"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent/notificationattempt"
)

// The ent adapters keep the contracts the biz tests' fake bank keeps (biztest's
// …Contract suites), so the fake cannot allow what MariaDB refuses.

func TestRequestRepositoriesKeepTheContract(t *testing.T) {
	t.Parallel()
	biztest.RequestRepoContract(t, func(t *testing.T) biztest.RequestRepos {
		d := openTestData(t)
		return biztest.RequestRepos{
			Tx: NewTransaction(d), Requests: NewRequestRepo(d), Nonces: NewNonceRepo(d),
			Forget: func(requestNo string) {
				forgotten(t, "request "+requestNo, d.Pool().BankRequest.DeleteOneID(requestNo).Exec(context.Background()))
			},
		}
	})
}

func TestUserAccountRepositoriesKeepTheContract(t *testing.T) {
	t.Parallel()
	biztest.UserAccountContract(t, func(t *testing.T) biztest.UserAccountRepos {
		d := openTestData(t)
		return biztest.UserAccountRepos{
			Tx: NewTransaction(d), Users: NewUserRepo(d), Accounts: NewAccountRepo(d),
			Forget: func(userNo string) {
				ctx := context.Background()
				forgotten(t, "account "+userNo, d.Pool().BankAccount.DeleteOneID(userNo).Exec(ctx))
				_, err := d.Pool().BankUser.Delete().Where(bankuser.UserNo(userNo)).Exec(ctx)
				forgotten(t, "user "+userNo, err)
			},
		}
	})
}

func TestRepaymentRepositoryKeepsTheContract(t *testing.T) {
	t.Parallel()
	biztest.RepaymentContract(t, func(t *testing.T) biztest.RepaymentRepos {
		d := openTestData(t)
		return biztest.RepaymentRepos{
			Repayments: NewRepaymentRepo(d),
			Forget: func(requestNo string) {
				forgotten(t, "repayment "+requestNo, d.Pool().BankRepayment.DeleteOneID(requestNo).Exec(context.Background()))
			},
		}
	})
}

func TestProjectAndFreezeRepositoriesKeepTheContracts(t *testing.T) {
	t.Parallel()
	open := func(t *testing.T) biztest.LendingRepos {
		d := openTestData(t)
		return biztest.LendingRepos{
			Tx: NewTransaction(d), Projects: NewProjectRepo(d), Freezes: NewFreezeRepo(d),
			Forget: func(projectNo string) {
				ctx := context.Background()
				_, err := d.Pool().BankFreeze.Delete().Where(bankfreeze.ProjectNo(projectNo)).Exec(ctx)
				forgotten(t, "freezes of "+projectNo, err)
				forgotten(t, "project "+projectNo, d.Pool().BankProject.DeleteOneID(projectNo).Exec(ctx))
			},
		}
	}
	t.Run("projects", func(t *testing.T) { t.Parallel(); biztest.ProjectContract(t, open) })
	t.Run("freezes", func(t *testing.T) { t.Parallel(); biztest.FreezeContract(t, open) })
}

func TestAttemptLogKeepsTheContract(t *testing.T) {
	t.Parallel()
	biztest.AttemptContract(t, func(t *testing.T) biztest.AttemptRepos {
		d := openTestData(t)
		return biztest.AttemptRepos{
			Recorder: NewAttemptRecorder(d), Log: NewNotificationRepo(d),
			Forget: func(requestNo string) {
				forgotten(t, "attempts of "+requestNo, forgetAttempts(d, requestNo)(context.Background()))
			},
		}
	})
}

// forgotten reports a failure to remove what a test stored; a row never stored (the
// contract's refused creates) is no failure.
func forgotten(t *testing.T, what string, err error) {
	if err != nil && !ent.IsNotFound(err) {
		t.Errorf("forget %s: %v", what, err)
	}
}

// forgetAttempts removes the delivery attempts of requests.
func forgetAttempts(d *Data, requestNos ...string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		_, err := d.Pool().NotificationAttempt.Delete().Where(notificationattempt.RequestNoIn(requestNos...)).Exec(ctx)
		return err
	}
}
