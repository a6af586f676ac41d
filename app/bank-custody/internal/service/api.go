package service

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"
	khttp "github.com/go-kratos/kratos/v2/transport/http"
	"github.com/gorilla/mux"

	v1 "github.com/p2p-dtx/p2p-dtx/api/bank-custody/v1"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/keyring"
	"github.com/p2p-dtx/p2p-dtx/pkg/custodyapi"
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
)

// HeaderPlatformNo names the calling platform of a server-to-server call. It may be left
// out while the bank has a single platform.
const HeaderPlatformNo = "X-P2P-Platform-No"

// CustodyAPI is the bank's signed server-to-server API (docs/custody-protocol.md "Result
// query and balances", "Lending calls", "Money back out"). Every call must be signed with the platform's
// key (pkg/signing, nonce claimed in api_nonce); every answer is signed with the bank's.
type CustodyAPI struct {
	keys       *keyring.Keyring
	inquiry    *biz.InquiryUsecase
	lending    *biz.LendingUsecase
	repayments *biz.RepaymentUsecase
	faults     *faults.Registry
	log        *log.Helper
}

// NewCustodyAPI returns the signed API. f is nil in production.
func NewCustodyAPI(keys *keyring.Keyring, inquiry *biz.InquiryUsecase, lending *biz.LendingUsecase,
	repayments *biz.RepaymentUsecase, f *faults.Registry, logger log.Logger) *CustodyAPI {
	return &CustodyAPI{keys: keys, inquiry: inquiry, lending: lending, repayments: repayments, faults: f,
		log: log.NewHelper(log.With(logger, "module", "service/api"))}
}

// Route is one path of the bank's pages or signed API and its handler.
type Route struct {
	Path    string
	Handler http.HandlerFunc
}

// Routes are the paths the bank serves its pages and its signed API on (the server
// registers them, the tests too).
func Routes(pages *GatewayPages, a *CustodyAPI) []Route {
	return []Route{
		{"/gateway", pages.Open},
		{"/gateway/confirm", pages.Confirm},
		{"/v1/requests/{requestNo}", a.Request()},
		{"/v1/accounts/{userNo}", a.Account()},
		{"/v1/projects", a.RegisterProject()},
		{"/v1/freezes", a.Freeze()},
		{"/v1/freezes/batch", a.FreezeBatch()},
		{"/v1/loans", a.ConfirmLoan()},
		{"/v1/unfreezes", a.Unfreeze()},
		{"/v1/repayments", a.Repay()},
		{"/v1/fee-account", a.FeeAccount()},
		{"/v1/totals", a.Totals()},
	}
}

// signedHandler handles a verified call of platformNo.
type signedHandler func(w http.ResponseWriter, r *http.Request, body []byte, platformNo string) error

// signed checks the method, finds the calling platform and lets only calls signed with
// its key through; h's error is answered as a Kratos error body.
func (a *CustodyAPI) signed(method string, h signedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != method {
			w.Header().Set("Allow", method)
			signing.WriteError(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "use "+method)
			return
		}
		p, ok := a.keys.Caller(r.Header.Get(HeaderPlatformNo))
		if !ok {
			a.fail(w, r, v1.ErrorUnknownPlatform("unknown platform %q (header %s)", r.Header.Get(HeaderPlatformNo), HeaderPlatformNo))
			return
		}
		p.Verifier.Require(func(w http.ResponseWriter, r *http.Request, body []byte) {
			if err := h(w, r, body, p.No); err != nil {
				a.refuse(w, r, err)
			}
		}).ServeHTTP(w, r)
	}
}

// refuse answers a verified call's failure as a signed Kratos error body: the platform
// takes a signed 4xx as the bank's final word and anything unsigned as an unknown
// outcome (docs/custody-protocol.md "Signing").
func (a *CustodyAPI) refuse(w http.ResponseWriter, r *http.Request, err error) {
	ke := APIError(err)
	if ke.Code >= 500 {
		a.log.Errorw("msg", "custody API call failed", "path", r.URL.Path, "err", err)
	}
	signing.WriteSignedError(w, a.keys.Bank(), int(ke.Code), ke.Reason, ke.Message, ke.Metadata)
}

// fail answers err as an unsigned Kratos error body (a call not verified yet); failures
// that are not the caller's are logged and answered without their details.
func (a *CustodyAPI) fail(w http.ResponseWriter, r *http.Request, err error) {
	ke := APIError(err)
	if ke.Code >= 500 {
		a.log.Errorw("msg", "custody API call failed", "path", r.URL.Path, "err", err)
	}
	khttp.DefaultErrorEncoder(w, r, ke)
}

// APIError maps a use case's failure to the API's error reasons.
func APIError(err error) *kerrors.Error {
	var ve *biz.ValidationError
	var ke *kerrors.Error
	switch {
	case errors.As(err, &ke):
		return ke
	case errors.As(err, &ve):
		return v1.ErrorInvalidArgument("%s", ve.Error()).WithMetadata(map[string]string{"field": ve.Field})
	case errors.Is(err, biz.ErrUnknownPlatform):
		return v1.ErrorUnknownPlatform("%v", err)
	case errors.Is(err, biz.ErrRequestNotFound):
		return v1.ErrorRequestNotFound("%v", err)
	case errors.Is(err, biz.ErrAccountNotFound):
		return v1.ErrorAccountNotFound("%v", err)
	case errors.Is(err, biz.ErrProjectNotFound):
		return v1.ErrorProjectNotFound("%v", err)
	case errors.Is(err, biz.ErrInsufficientBalance):
		return v1.ErrorInsufficientBalance("%v", err)
	case errors.Is(err, biz.ErrProjectNotCollecting):
		return v1.ErrorProjectNotCollecting("%v", err)
	case errors.Is(err, biz.ErrProjectAlreadyRegistered):
		return v1.ErrorProjectAlreadyRegistered("%v", err)
	case errors.Is(err, biz.ErrRequestNoConflict):
		return v1.ErrorRequestNoConflict("%v", err)
	case errors.Is(err, biz.ErrExceedsProjectAmount):
		return v1.ErrorExceedsProjectAmount("%v", err)
	case errors.Is(err, biz.ErrNothingFrozen):
		return v1.ErrorNothingFrozen("%v", err)
	case errors.Is(err, biz.ErrFreezeVoided):
		return v1.ErrorFreezeVoided("%v", err)
	case errors.Is(err, biz.ErrFreezeTransferred):
		return v1.ErrorFreezeTransferred("%v", err)
	case errors.Is(err, biz.ErrProjectNotLoaned):
		return v1.ErrorProjectNotLoaned("%v", err)
	case errors.Is(err, biz.ErrPeriodAlreadyRepaid):
		return v1.ErrorPeriodAlreadyRepaid("%v", err)
	}
	return v1.ErrorInternal("the bank could not complete the call; repeat it with the same requestNo")
}

// AccountBalance is the answer of GET /v1/accounts/{userNo}.
type AccountBalance struct {
	UserNo  string       `json:"userNo"`
	Balance money.Amount `json:"balance"`
	Frozen  money.Amount `json:"frozen"`
}

// ProjectResult is the answer of POST /v1/projects.
type ProjectResult struct {
	RequestNo         string       `json:"requestNo"`
	ProjectNo         string       `json:"projectNo"`
	PlatformProjectID string       `json:"platformProjectId"`
	BorrowerUserNo    string       `json:"borrowerUserNo"`
	Amount            money.Amount `json:"amount"`
	Status            string       `json:"status"`
}

// FreezeResult is the answer of POST /v1/freezes.
type FreezeResult struct {
	RequestNo string       `json:"requestNo"`
	ProjectNo string       `json:"projectNo"`
	UserNo    string       `json:"userNo"`
	Amount    money.Amount `json:"amount"`
	Status    string       `json:"status"`
}

// LoanResult is the answer of POST /v1/loans.
type LoanResult struct {
	RequestNo      string       `json:"requestNo"`
	ProjectNo      string       `json:"projectNo"`
	BorrowerUserNo string       `json:"borrowerUserNo"`
	Amount         money.Amount `json:"amount"`
	Status         string       `json:"status"`
}

// Request serves GET /v1/requests/{requestNo}: the platform's reconciliation query.
func (a *CustodyAPI) Request() http.HandlerFunc {
	return a.signed(http.MethodGet, func(w http.ResponseWriter, r *http.Request, _ []byte, platformNo string) error {
		req, err := a.inquiry.Request(r.Context(), platformNo, mux.Vars(r)["requestNo"])
		if err != nil {
			return err
		}
		out := custodyapi.RequestResult{
			RequestNo: req.RequestNo, ServiceName: string(req.ServiceName), Status: string(req.Status),
			UserNo: req.UserNo, FailureReason: req.FailureReason,
		}
		if req.Amount != nil && req.ServiceName != biz.ServiceOpenAccount {
			out.Amount = req.Amount.String()
		}
		if req.PlatformUserID != 0 {
			out.PlatformUserID = strconv.FormatInt(req.PlatformUserID, 10)
		}
		signing.WriteSigned(w, a.keys.Bank(), http.StatusOK, out)
		return nil
	})
}

// Account serves GET /v1/accounts/{userNo}.
func (a *CustodyAPI) Account() http.HandlerFunc {
	return a.signed(http.MethodGet, func(w http.ResponseWriter, r *http.Request, _ []byte, platformNo string) error {
		acct, err := a.inquiry.Account(r.Context(), platformNo, mux.Vars(r)["userNo"])
		if err != nil {
			return err
		}
		signing.WriteSigned(w, a.keys.Bank(), http.StatusOK, AccountBalance{UserNo: acct.UserNo, Balance: acct.Balance, Frozen: acct.Frozen})
		return nil
	})
}

// RegisterProject serves POST /v1/projects.
func (a *CustodyAPI) RegisterProject() http.HandlerFunc {
	return a.signed(http.MethodPost, func(w http.ResponseWriter, r *http.Request, body []byte, platformNo string) error {
		f, err := decodeFields(body)
		if err != nil {
			return err
		}
		reg := biz.ProjectRegistration{
			RequestNo: f.str("requestNo", "request_no"), ProjectNo: f.str("projectNo", "project_no"),
			BorrowerUserNo: f.str("borrowerUserNo", "borrower_user_no"),
		}
		if reg.PlatformProjectID, err = f.int64("platformProjectId", "platform_project_id"); err != nil {
			return err
		}
		if reg.Amount, err = f.amount("amount"); err != nil {
			return err
		}
		if err := f.err(); err != nil {
			return err
		}
		p, err := a.lending.RegisterProject(r.Context(), platformNo, reg)
		if err != nil {
			return err
		}
		signing.WriteSigned(w, a.keys.Bank(), http.StatusOK, ProjectResult{
			RequestNo: reg.RequestNo, ProjectNo: p.ProjectNo, PlatformProjectID: strconv.FormatInt(p.PlatformProjectID, 10),
			BorrowerUserNo: p.BorrowerUserNo, Amount: p.Amount, Status: string(p.Status),
		})
		return nil
	})
}

// Freeze serves POST /v1/freezes. Fault point bank.freeze.unsigned answers a committed
// freeze with an unsigned 422 INSUFFICIENT_BALANCE instead of the signed result.
func (a *CustodyAPI) Freeze() http.HandlerFunc {
	return a.signed(http.MethodPost, func(w http.ResponseWriter, r *http.Request, body []byte, platformNo string) error {
		f, err := decodeFields(body)
		if err != nil {
			return err
		}
		order := biz.FreezeOrder{
			RequestNo: f.str("requestNo", "request_no"), ProjectNo: f.str("projectNo", "project_no"),
			UserNo: f.str("userNo", "user_no"),
		}
		if order.Amount, err = f.amount("amount"); err != nil {
			return err
		}
		if err := f.err(); err != nil {
			return err
		}
		fr, err := a.lending.Freeze(r.Context(), platformNo, order)
		if err != nil {
			return err
		}
		if a.faults.Hit(biz.FaultFreezeUnsigned).Fire {
			// The money is frozen; the caller sees what a proxy or a gateway could answer.
			a.log.Warnw("msg", "fault point "+biz.FaultFreezeUnsigned+": freeze committed, answering an unsigned refusal",
				"requestNo", order.RequestNo)
			signing.WriteError(w, http.StatusUnprocessableEntity, "INSUFFICIENT_BALANCE", "fault point "+biz.FaultFreezeUnsigned)
			return nil
		}
		signing.WriteSigned(w, a.keys.Bank(), http.StatusOK, FreezeResult{
			RequestNo: fr.RequestNo, ProjectNo: fr.ProjectNo, UserNo: fr.UserNo, Amount: fr.Amount, Status: string(fr.Status),
		})
		return nil
	})
}

// ConfirmLoan serves POST /v1/loans.
func (a *CustodyAPI) ConfirmLoan() http.HandlerFunc {
	return a.signed(http.MethodPost, func(w http.ResponseWriter, r *http.Request, body []byte, platformNo string) error {
		f, err := decodeFields(body)
		if err != nil {
			return err
		}
		requestNo, projectNo := f.str("requestNo", "request_no"), f.str("projectNo", "project_no")
		if err := f.err(); err != nil {
			return err
		}
		loan, err := a.lending.ConfirmLoan(r.Context(), platformNo, requestNo, projectNo)
		if err != nil {
			return err
		}
		signing.WriteSigned(w, a.keys.Bank(), http.StatusOK, LoanResult{
			RequestNo: loan.RequestNo, ProjectNo: loan.ProjectNo, BorrowerUserNo: loan.BorrowerUserNo,
			Amount: loan.Amount, Status: string(biz.ProjectLoaned),
		})
		return nil
	})
}

// fields is a JSON object whose members are looked up by their JSON name or, as API.md
// allows, their proto (snake_case) name.
type fields struct {
	m     map[string]json.RawMessage
	first error
}

func decodeFields(body []byte) (*fields, error) {
	f := &fields{}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&f.m); err != nil || f.m == nil {
		return nil, &biz.ValidationError{Field: "body", Problem: "must be a JSON object"}
	}
	return f, nil
}

func (f *fields) raw(names ...string) (string, json.RawMessage) {
	for _, n := range names {
		if v, ok := f.m[n]; ok {
			return n, v
		}
	}
	return names[0], nil
}

// str reads a string member; a member of another type is remembered as the error.
func (f *fields) str(names ...string) string {
	name, v := f.raw(names...)
	if v == nil || string(v) == "null" {
		return ""
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		f.keep(&biz.ValidationError{Field: name, Problem: "must be a string"})
	}
	return s
}

// int64 reads an integer sent as a string (as protojson prints int64) or a number.
func (f *fields) int64(names ...string) (int64, error) {
	name, v := f.raw(names...)
	if v == nil || string(v) == "null" {
		return 0, nil
	}
	var fi flexInt
	if err := json.Unmarshal(v, &fi); err != nil {
		return 0, &biz.ValidationError{Field: name, Problem: "must be a whole number"}
	}
	return int64(fi), nil
}

// amount reads money sent as a string such as "100.00"; numbers are refused.
func (f *fields) amount(names ...string) (money.Amount, error) {
	name, v := f.raw(names...)
	var s string
	if v == nil || json.Unmarshal(v, &s) != nil {
		return money.Amount{}, &biz.ValidationError{Field: name, Problem: `required, a string such as "100.00"`}
	}
	a, err := money.ParseAmount(s)
	if err != nil {
		var pe *money.ParseError
		if errors.As(err, &pe) {
			return money.Amount{}, &biz.ValidationError{Field: name, Problem: pe.Reason}
		}
		return money.Amount{}, &biz.ValidationError{Field: name, Problem: fmt.Sprint(err)}
	}
	return a, nil
}

// objects reads an array of JSON objects; absent is an empty array.
func (f *fields) objects(names ...string) (string, []*fields, error) {
	name, v := f.raw(names...)
	if v == nil || string(v) == "null" {
		return name, nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(v, &items); err != nil {
		return name, nil, &biz.ValidationError{Field: name, Problem: "must be an array of objects"}
	}
	out := make([]*fields, len(items))
	for i, item := range items {
		o, err := decodeFields(item)
		if err != nil {
			return name, nil, &biz.ValidationError{Field: fmt.Sprintf("%s[%d]", name, i), Problem: "must be a JSON object"}
		}
		out[i] = o
	}
	return name, out, nil
}

// inItem names a validation error of item i of the array name: "credits[2].amount".
func inItem(name string, i int, err error) error {
	var ve *biz.ValidationError
	if errors.As(err, &ve) {
		return &biz.ValidationError{Field: fmt.Sprintf("%s[%d].%s", name, i, ve.Field), Problem: ve.Problem}
	}
	return err
}

func (f *fields) keep(err error) {
	if f.first == nil {
		f.first = err
	}
}

func (f *fields) err() error { return f.first }
