package biz_test

import (
	"testing"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz/biztest"
)

// The fake bank the biz tests use keeps the same contract as the ent adapters
// (internal/data's TestRequestRepositoriesKeepTheContract runs it against MariaDB).
func TestFakeBankKeepsTheRequestContract(t *testing.T) {
	t.Parallel()
	biztest.RequestRepoContract(t, func(*testing.T) biztest.RequestRepos {
		b := biztest.New()
		return biztest.RequestRepos{Tx: b.Tx(), Requests: b.RequestRepo(), Nonces: b.NonceRepo()}
	})
}

func TestFakeBankKeepsTheUserAccountContract(t *testing.T) {
	t.Parallel()
	biztest.UserAccountContract(t, func(*testing.T) biztest.UserAccountRepos {
		b := biztest.New()
		return biztest.UserAccountRepos{Tx: b.Tx(), Users: b.UserRepo(), Accounts: b.AccountRepo()}
	})
}

func TestFakeBankKeepsTheRepaymentContract(t *testing.T) {
	t.Parallel()
	biztest.RepaymentContract(t, func(*testing.T) biztest.RepaymentRepos {
		return biztest.RepaymentRepos{Repayments: biztest.New().RepaymentRepo()}
	})
}

func TestFakeBankKeepsTheProjectAndFreezeContracts(t *testing.T) {
	t.Parallel()
	open := func(*testing.T) biztest.LendingRepos {
		b := biztest.New()
		return biztest.LendingRepos{Tx: b.Tx(), Projects: b.ProjectRepo(), Freezes: b.FreezeRepo()}
	}
	t.Run("projects", func(t *testing.T) { t.Parallel(); biztest.ProjectContract(t, open) })
	t.Run("freezes", func(t *testing.T) { t.Parallel(); biztest.FreezeContract(t, open) })
}

func TestFakeBankKeepsTheAttemptContract(t *testing.T) {
	t.Parallel()
	biztest.AttemptContract(t, func(*testing.T) biztest.AttemptRepos {
		b := biztest.New()
		return biztest.AttemptRepos{Recorder: b.AttemptRecorder(), Log: b.NotificationRepo()}
	})
}
