package biz_test

import (
	"testing"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz/biztest"
)

// The fake the biz tests use keeps the same contract as the ent adapters
// (internal/data's TestRepositoriesKeepTheContract runs the suite against MariaDB).
func TestFakeStoreKeepsTheContract(t *testing.T) {
	t.Parallel()
	biztest.RepositoryContract(t, func(*testing.T) biztest.Repos {
		s := biztest.NewStore()
		return biztest.Repos{Tx: s, Projects: s, Tenders: s, Messages: s, Installments: s}
	})
}
