package service

import (
	"net/http"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
)

// TotalsResult is the answer of GET /v1/totals, read in one snapshot. An account's
// balance includes its frozen money (GET /v1/accounts), so the totals split it: balances
// is Σ (balance − frozen), what can still be spent, and frozen is Σ frozen. Then
// balances + frozen = recharged − withdrawn at any moment.
type TotalsResult struct {
	Recharged money.Amount `json:"recharged"`
	Withdrawn money.Amount `json:"withdrawn"`
	Balances  money.Amount `json:"balances"`
	Frozen    money.Amount `json:"frozen"`
	Accounts  int          `json:"accounts"`
}

// FeeAccount serves GET /v1/fee-account: the calling platform's fee account.
func (a *CustodyAPI) FeeAccount() http.HandlerFunc {
	return a.signed(http.MethodGet, func(w http.ResponseWriter, r *http.Request, _ []byte, platformNo string) error {
		acct, err := a.inquiry.FeeAccount(r.Context(), platformNo)
		if err != nil {
			return err
		}
		signing.WriteSigned(w, a.keys.Bank(), http.StatusOK, AccountBalance{UserNo: acct.UserNo, Balance: acct.Balance, Frozen: acct.Frozen})
		return nil
	})
}

// Totals serves GET /v1/totals: the bank's books for the platform's reconciliation.
func (a *CustodyAPI) Totals() http.HandlerFunc {
	return a.signed(http.MethodGet, func(w http.ResponseWriter, r *http.Request, _ []byte, _ string) error {
		t, err := a.inquiry.Totals(r.Context())
		if err != nil {
			return err
		}
		signing.WriteSigned(w, a.keys.Bank(), http.StatusOK, TotalsResult{
			Recharged: t.Recharged, Withdrawn: t.Withdrawn, Balances: t.Available(), Frozen: t.Frozen, Accounts: t.Accounts,
		})
		return nil
	})
}
