//go:build integration

package data

import (
	"context"
	"testing"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz/biztest"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent/bankuser"
)

// The ent adapters keep the contract the biz tests' fake bank keeps
// (biztest.RequestRepoContract).
func TestRequestRepositoriesKeepTheContract(t *testing.T) {
	t.Parallel()
	biztest.RequestRepoContract(t, func(t *testing.T) biztest.RequestRepos {
		d := openTestData(t)
		return biztest.RequestRepos{
			Tx: NewTransaction(d), Requests: NewRequestRepo(d), Nonces: NewNonceRepo(d),
			Forget: func(requestNo string) {
				if err := d.Pool().BankRequest.DeleteOneID(requestNo).Exec(context.Background()); err != nil && !ent.IsNotFound(err) {
					t.Errorf("forget request %s: %v", requestNo, err)
				}
			},
		}
	})
}

// The ent adapters keep the user and account contract too (biztest.UserAccountContract).
func TestUserAccountRepositoriesKeepTheContract(t *testing.T) {
	t.Parallel()
	biztest.UserAccountContract(t, func(t *testing.T) biztest.UserAccountRepos {
		d := openTestData(t)
		return biztest.UserAccountRepos{
			Tx: NewTransaction(d), Users: NewUserRepo(d), Accounts: NewAccountRepo(d),
			Forget: func(userNo string) {
				ctx := context.Background()
				if err := d.Pool().BankAccount.DeleteOneID(userNo).Exec(ctx); err != nil && !ent.IsNotFound(err) {
					t.Errorf("forget account %s: %v", userNo, err)
				}
				if _, err := d.Pool().BankUser.Delete().Where(bankuser.UserNo(userNo)).Exec(ctx); err != nil {
					t.Errorf("forget user %s: %v", userNo, err)
				}
			},
		}
	})
}

// The ent adapter keeps the repayment contract too (biztest.RepaymentContract).
func TestRepaymentRepositoryKeepsTheContract(t *testing.T) {
	t.Parallel()
	biztest.RepaymentContract(t, func(t *testing.T) biztest.RepaymentRepos {
		d := openTestData(t)
		return biztest.RepaymentRepos{
			Repayments: NewRepaymentRepo(d),
			Forget: func(requestNo string) {
				if err := d.Pool().BankRepayment.DeleteOneID(requestNo).Exec(context.Background()); err != nil && !ent.IsNotFound(err) {
					t.Errorf("forget repayment %s: %v", requestNo, err)
				}
			},
		}
	})
}
