//go:build integration

package data

import (
	"testing"

	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/biz/biztest"
)

// The ent adapters keep the contract the biz tests' fake keeps (biztest.CustodyStoreContract).
func TestCustodyStoreKeepsTheContract(t *testing.T) {
	t.Parallel()
	biztest.CustodyStoreContract(t, func(t *testing.T) biztest.CustodyStore {
		d := openTestData(t)
		return biztest.CustodyStore{Tx: NewTransaction(d), Repo: NewCustodyRepo(d), Consumers: NewConsumerRepo(d),
			NewConsumer: func(t *testing.T) int64 { return newTestConsumer(t, d, biz.CustodyNone, "") }}
	})
}
