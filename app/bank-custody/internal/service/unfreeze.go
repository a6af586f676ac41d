package service

import (
	"net/http"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
)

// UnfreezeResult is the answer of POST /v1/unfreezes.
type UnfreezeResult struct {
	RequestNo       string       `json:"requestNo"`
	FreezeRequestNo string       `json:"freezeRequestNo"`
	ProjectNo       string       `json:"projectNo"`
	UserNo          string       `json:"userNo"`
	Amount          money.Amount `json:"amount"`
	// Status is UNFROZEN (the money is back on the balance) or VOIDED (the freeze never
	// held any and will be refused).
	Status string `json:"status"`
}

// Unfreeze serves POST /v1/unfreezes.
func (a *CustodyAPI) Unfreeze() http.HandlerFunc {
	return a.signed(http.MethodPost, func(w http.ResponseWriter, r *http.Request, body []byte, platformNo string) error {
		f, err := decodeFields(body)
		if err != nil {
			return err
		}
		order := biz.UnfreezeOrder{
			RequestNo: f.str("requestNo", "request_no"), FreezeRequestNo: f.str("freezeRequestNo", "freeze_request_no"),
			ProjectNo: f.str("projectNo", "project_no"), UserNo: f.str("userNo", "user_no"),
		}
		if order.Amount, err = f.amount("amount"); err != nil {
			return err
		}
		if err := f.err(); err != nil {
			return err
		}
		u, err := a.lending.Unfreeze(r.Context(), platformNo, order)
		if err != nil {
			return err
		}
		signing.WriteSigned(w, a.keys.Bank(), http.StatusOK, UnfreezeResult{
			RequestNo: u.RequestNo, FreezeRequestNo: u.FreezeRequestNo, ProjectNo: u.ProjectNo, UserNo: u.UserNo,
			Amount: u.Amount, Status: string(u.Status),
		})
		return nil
	})
}
