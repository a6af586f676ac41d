//go:build integration

package data

import (
	"context"
	"testing"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz/biztest"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data/ent"
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
