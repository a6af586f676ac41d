//go:build integration

package data

import (
	"context"
	"testing"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz/biztest"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/data/ent/loanmessage"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/data/ent/projectinstallment"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/data/ent/tender"
)

// The ent adapters keep the contract the biz tests' fake keeps (biztest.RepositoryContract).
func TestRepositoriesKeepTheContract(t *testing.T) {
	t.Parallel()
	biztest.RepositoryContract(t, func(t *testing.T) biztest.Repos {
		d := openTestData(t)
		return biztest.Repos{
			Tx: NewTransaction(d), Projects: NewProjectRepo(d), Tenders: NewTenderRepo(d), Messages: NewLoanMessageRepo(d),
			Installments: NewInstallmentRepo(d),
			Forget: func(projectID int64) {
				ctx := context.Background()
				if _, err := d.Pool().ProjectInstallment.Delete().Where(projectinstallment.ProjectID(projectID)).Exec(ctx); err != nil {
					t.Errorf("forget installments of %d: %v", projectID, err)
				}
				if _, err := d.Pool().LoanMessage.Delete().Where(loanmessage.ProjectID(projectID)).Exec(ctx); err != nil {
					t.Errorf("forget loan messages of %d: %v", projectID, err)
				}
				if _, err := d.Pool().Tender.Delete().Where(tender.ProjectID(projectID)).Exec(ctx); err != nil {
					t.Errorf("forget tenders of %d: %v", projectID, err)
				}
				if err := d.Pool().Project.DeleteOneID(projectID).Exec(ctx); err != nil {
					t.Errorf("forget project %d: %v", projectID, err)
				}
			},
		}
	})
}
