package service

import (
	"fmt"
	"net/http"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
)

// RepaymentResult is the answer of POST /v1/repayments.
type RepaymentResult struct {
	RequestNo  string       `json:"requestNo"`
	ProjectNo  string       `json:"projectNo"`
	Period     int          `json:"period"`
	Amount     money.Amount `json:"amount"`
	Commission money.Amount `json:"commission"`
	Status     string       `json:"status"`
}

// Repay serves POST /v1/repayments: one installment, in one local transaction of the
// bank. Fault point bank.repay.lost drops the connection after the commit instead of
// answering.
func (a *CustodyAPI) Repay() http.HandlerFunc {
	return a.signed(http.MethodPost, func(w http.ResponseWriter, r *http.Request, body []byte, platformNo string) error {
		order, err := decodeRepayment(body)
		if err != nil {
			return err
		}
		rp, err := a.repayments.Repay(r.Context(), platformNo, order)
		if err != nil {
			return err
		}
		if a.faults.Hit(biz.FaultRepayLost).Fire {
			a.dropConnection(w, order.RequestNo)
			return nil
		}
		signing.WriteSigned(w, a.keys.Bank(), http.StatusOK, RepaymentResult{
			RequestNo: rp.RequestNo, ProjectNo: rp.ProjectNo, Period: rp.Period, Amount: rp.Amount,
			Commission: rp.Commission, Status: string(biz.RequestSuccess),
		})
		return nil
	})
}

// dropConnection closes the caller's connection without a byte of answer: to the caller
// the repayment's outcome is unknown, and only the result query can tell.
func (a *CustodyAPI) dropConnection(w http.ResponseWriter, requestNo string) {
	a.log.Warnw("msg", "fault point "+biz.FaultRepayLost+": repayment committed, dropping the answer", "requestNo", requestNo)
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// No connection to take over (HTTP/2): abort the response the way net/http offers.
		panic(http.ErrAbortHandler)
	}
	if err := conn.Close(); err != nil {
		a.log.Warnw("msg", "close hijacked connection", "requestNo", requestNo, "err", err)
	}
}

// decodeRepayment reads the body of POST /v1/repayments; a bad field is a
// ValidationError naming it (credits[i].amount inside the list).
func decodeRepayment(body []byte) (biz.RepaymentOrder, error) {
	f, err := decodeFields(body)
	if err != nil {
		return biz.RepaymentOrder{}, err
	}
	order := biz.RepaymentOrder{InstallmentPayment: biz.InstallmentPayment{
		RequestNo: f.str("requestNo", "request_no"), ProjectNo: f.str("projectNo", "project_no"),
		BorrowerUserNo: f.str("borrowerUserNo", "borrower_user_no"),
	}}
	period, err := f.int64("period")
	if err != nil {
		return biz.RepaymentOrder{}, err
	}
	if period < 0 || period > biz.MaxPeriod {
		return biz.RepaymentOrder{}, &biz.ValidationError{Field: "period", Problem: fmt.Sprintf("must be 1 to %d", biz.MaxPeriod)}
	}
	order.Period = int(period)
	if order.Amount, err = f.amount("amount"); err != nil {
		return biz.RepaymentOrder{}, err
	}
	if order.Commission, err = f.amount("commission"); err != nil {
		return biz.RepaymentOrder{}, err
	}
	if order.Credits, err = decodeCredits(f); err != nil {
		return biz.RepaymentOrder{}, err
	}
	return order, f.err()
}

func decodeCredits(f *fields) ([]biz.Credit, error) {
	name, items, err := f.objects("credits")
	if err != nil {
		return nil, err
	}
	if len(items) > biz.MaxCredits {
		return nil, &biz.ValidationError{Field: name, Problem: fmt.Sprintf("1 to %d credits are needed", biz.MaxCredits)}
	}
	credits := make([]biz.Credit, len(items))
	for i, item := range items {
		credits[i].UserNo = item.str("userNo", "user_no")
		amount, err := item.amount("amount")
		if err == nil {
			err = item.err()
		}
		if err != nil {
			return nil, inItem(name, i, err)
		}
		credits[i].Amount = amount
	}
	return credits, nil
}
