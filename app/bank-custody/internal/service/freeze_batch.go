package service

import (
	"net/http"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/custodyapi"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
)

// FreezeBatch serves POST /v1/freezes/batch (docs/custody-protocol.md "Freezes in a
// batch"): up to biz.MaxFreezeBatch freezes of one project, one signed answer with one
// result per order. Fault point bank.freeze.unsigned answers a committed batch with an
// unsigned 422 instead, as it does for a single freeze.
func (a *CustodyAPI) FreezeBatch() http.HandlerFunc {
	return a.signed(http.MethodPost, func(w http.ResponseWriter, r *http.Request, body []byte, platformNo string) error {
		f, err := decodeFields(body)
		if err != nil {
			return err
		}
		projectNo := f.str("projectNo", "project_no")
		orders, err := decodeFreezeOrders(f, projectNo)
		if err != nil {
			return err
		}
		if err := f.err(); err != nil {
			return err
		}
		outcomes, err := a.lending.FreezeBatch(r.Context(), platformNo, projectNo, orders)
		if err != nil {
			return err
		}
		if a.faults.Hit(biz.FaultFreezeUnsigned).Fire {
			a.log.Warnw("msg", "fault point "+biz.FaultFreezeUnsigned+": freeze batch committed, answering an unsigned refusal",
				"projectNo", projectNo, "orders", len(orders))
			signing.WriteError(w, http.StatusUnprocessableEntity, "INSUFFICIENT_BALANCE", "fault point "+biz.FaultFreezeUnsigned)
			return nil
		}
		out := custodyapi.FreezeBatchResult{ProjectNo: projectNo, Results: make([]custodyapi.FreezeItemResult, len(outcomes))}
		for i, o := range outcomes {
			item := custodyapi.FreezeItemResult{RequestNo: o.Order.RequestNo, UserNo: o.Order.UserNo, Amount: o.Order.Amount.String()}
			if o.Err != nil {
				ke := APIError(o.Err)
				item.Status, item.Code, item.Reason, item.Message = custodyapi.FreezeRefused, int(ke.Code), ke.Reason, ke.Message
			} else {
				item.Status = string(o.Freeze.Status)
			}
			out.Results[i] = item
		}
		signing.WriteSigned(w, a.keys.Bank(), http.StatusOK, out)
		return nil
	})
}

// decodeFreezeOrders reads the batch's orders; a bad one is named by its index.
func decodeFreezeOrders(f *fields, projectNo string) ([]biz.FreezeOrder, error) {
	name, items, err := f.objects("orders")
	if err != nil {
		return nil, err
	}
	orders := make([]biz.FreezeOrder, len(items))
	for i, item := range items {
		orders[i] = biz.FreezeOrder{RequestNo: item.str("requestNo", "request_no"), ProjectNo: projectNo,
			UserNo: item.str("userNo", "user_no")}
		amount, err := item.amount("amount")
		if err == nil {
			err = item.err()
		}
		if err != nil {
			return nil, inItem(name, i, err)
		}
		orders[i].Amount = amount
	}
	return orders, nil
}
