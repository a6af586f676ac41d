package service

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/keyring"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
	"github.com/p2p-dtx/p2p-dtx/pkg/telemetry"
)

// Texts of the bank's pages that platforms' pages and tests rely on.
const (
	TextAccepted           = "Request accepted"
	TextPasswordsDiffer    = "Passwords do not match"
	TextPasswordFormat     = "The custody password must be 6 digits"
	TextWrongPassword      = "Wrong custody password"
	TextExceedsAvailable   = "The amount exceeds the available balance"
	TextSignatureFailed    = "Signature check failed"
	TextUnknownPlatform    = "Unknown platform"
	TextInvalidRequest     = "Invalid request"
	TextSomethingWentWrong = "Something went wrong"
)

// Form fields of the gateway (docs/custody-protocol.md "Browser gateway").
const (
	FieldServiceName     = "serviceName"
	FieldPlatformNo      = "platformNo"
	FieldPassword        = "custodyPassword"
	FieldPasswordConfirm = "custodyPasswordConfirm"
)

// signedFields are carried from the platform's form through the bank's page unchanged.
var signedFields = []string{FieldServiceName, FieldPlatformNo, signing.FieldReqData,
	signing.FieldTimestamp, signing.FieldNonce, signing.FieldSignature}

//go:embed templates/pages.html
var templateFiles embed.FS

var pages = template.Must(template.ParseFS(templateFiles, "templates/pages.html"))

// maxFormBytes bounds a gateway form; reqData of a real request is well under 4 KiB.
const maxFormBytes = 64 << 10

// GatewayPages serves the bank's browser pages: POST /gateway shows the platform's
// request and asks for the custody password, POST /gateway/confirm accepts it.
type GatewayPages struct {
	keys *keyring.Keyring
	uc   *biz.GatewayUsecase
	log  *log.Helper
}

// NewGatewayPages returns the gateway's pages.
func NewGatewayPages(keys *keyring.Keyring, uc *biz.GatewayUsecase, logger log.Logger) *GatewayPages {
	return &GatewayPages{keys: keys, uc: uc, log: log.NewHelper(log.With(logger, "module", "service/gateway"))}
}

// pageError is a request the bank refuses with an error page.
type pageError struct {
	status int
	title  string
	detail string
}

// confirmView is the data of the confirmation page.
type confirmView struct {
	Title          string
	PlatformNo     string
	RequestNo      string
	OpenAccount    bool
	RealName       string
	IDNumberMasked string
	BankCardNo     string
	Mobile         string
	UserNo         string
	Amount         string
	// Withdraw asks for the password set at opening, once, and shows what can be taken.
	Withdraw  bool
	Available string
	Error     string
	Hidden    []hiddenField
}

type hiddenField struct{ Name, Value string }

type acceptedView struct {
	Title      string
	RequestNo  string
	PlatformNo string
	ReturnURL  string
}

type errorView struct {
	Title  string
	Detail string
}

// Open serves POST /gateway: check the platform's signature (without using the form up)
// and show the request with the password inputs.
func (g *GatewayPages) Open(w http.ResponseWriter, r *http.Request) {
	app, form, ok := g.readApplication(w, r)
	if !ok {
		return
	}
	telemetry.Annotate(r.Context(), telemetry.KeyRequestNo.String(app.RequestNo))
	g.log.Infow("msg", "gateway opened", "requestNo", app.RequestNo, "serviceName", string(app.ServiceName), "platformNo", app.PlatformNo)
	g.renderConfirm(w, r, app, form, "")
}

// Confirm serves POST /gateway/confirm: check again, check the passwords, then record
// the request (claiming the form's nonce) and answer "Request accepted".
func (g *GatewayPages) Confirm(w http.ResponseWriter, r *http.Request) {
	app, form, ok := g.readApplication(w, r)
	if !ok {
		return
	}
	telemetry.Annotate(r.Context(), telemetry.KeyRequestNo.String(app.RequestNo))
	req, err := g.uc.Accept(r.Context(), app, form.Get(FieldPassword), form.Get(FieldPasswordConfirm), formNonce(form))
	switch {
	case err == nil:
		g.log.Infow("msg", "gateway request accepted", "requestNo", req.RequestNo, "serviceName", string(req.ServiceName))
		g.render(w, http.StatusOK, "accepted", acceptedView{
			Title: TextAccepted, RequestNo: req.RequestNo, PlatformNo: app.PlatformNo, ReturnURL: app.ReturnURL,
		})
	case errors.Is(err, biz.ErrPasswordsDiffer):
		g.renderConfirm(w, r, app, form, TextPasswordsDiffer)
	case errors.Is(err, biz.ErrPasswordFormat):
		g.renderConfirm(w, r, app, form, TextPasswordFormat)
	case errors.Is(err, biz.ErrWrongPassword):
		g.renderConfirm(w, r, app, form, TextWrongPassword)
	case errors.Is(err, biz.ErrExceedsAvailable):
		g.renderConfirm(w, r, app, form, TextExceedsAvailable)
	case errors.Is(err, biz.ErrAccountNotFound):
		g.renderError(w, noAccount(app))
	case errors.Is(err, biz.ErrNonceReplayed):
		g.renderError(w, pageError{http.StatusUnauthorized, TextSignatureFailed, "This form has been used already."})
	case errors.Is(err, biz.ErrRequestNoConflict):
		g.renderError(w, pageError{http.StatusConflict, TextInvalidRequest,
			fmt.Sprintf("Request number %s was used for another request.", app.RequestNo)})
	default:
		g.log.Errorw("msg", "accept gateway request", "requestNo", app.RequestNo, "err", err)
		g.renderError(w, pageError{http.StatusInternalServerError, TextSomethingWentWrong,
			"The bank could not record the request. Please try again."})
	}
}

// readApplication reads the posted form and checks it (check). On a problem it has shown
// the error page, and ok is false.
func (g *GatewayPages) readApplication(w http.ResponseWriter, r *http.Request) (app biz.Application, form url.Values, ok bool) {
	form, perr := readForm(w, r)
	if perr == nil {
		app, perr = g.check(form)
	}
	if perr != nil {
		g.renderError(w, *perr)
		return biz.Application{}, nil, false
	}
	return app, form, true
}

// check finds the platform, verifies its signature over reqData without claiming the
// nonce, and decodes and validates the application.
func (g *GatewayPages) check(form url.Values) (biz.Application, *pageError) {
	platformNo := form.Get(FieldPlatformNo)
	platform, ok := g.keys.Platform(platformNo)
	if !ok {
		return biz.Application{}, &pageError{http.StatusBadRequest, TextUnknownPlatform,
			fmt.Sprintf("The bank has no contract with platform %q.", platformNo)}
	}
	if err := platform.Verifier.CheckForm(form); err != nil {
		detail := "The request is not signed by the platform."
		if errors.Is(err, signing.ErrExpired) {
			detail = "The request has expired."
		}
		g.log.Warnw("msg", "gateway signature refused", "platformNo", platformNo, "reason", signing.Reason(err))
		return biz.Application{}, &pageError{http.StatusUnauthorized, TextSignatureFailed, detail}
	}
	app, err := DecodeApplication(form.Get(signing.FieldReqData))
	if err == nil && string(app.ServiceName) != form.Get(FieldServiceName) {
		err = &biz.ValidationError{Field: FieldServiceName, Problem: "does not match the signed request"}
	}
	app.PlatformNo = platformNo
	if err == nil {
		err = g.uc.Review(app)
	}
	if err != nil {
		var ve *biz.ValidationError
		if errors.As(err, &ve) {
			return biz.Application{}, &pageError{http.StatusBadRequest, TextInvalidRequest, ve.Error()}
		}
		return biz.Application{}, &pageError{http.StatusBadRequest, TextInvalidRequest, "The request cannot be read."}
	}
	return app, nil
}

// formNonce is the form's nonce and the end of its window: after that the timestamp
// check refuses the form anyway. check has validated the timestamp.
func formNonce(form url.Values) biz.FormNonce {
	sec, err := strconv.ParseInt(form.Get(signing.FieldTimestamp), 10, 64)
	if err != nil {
		sec = time.Now().Unix()
	}
	return biz.FormNonce{Value: form.Get(signing.FieldNonce), ExpiresAt: time.Unix(sec, 0).Add(signing.DefaultWindow).UTC()}
}

func readForm(w http.ResponseWriter, r *http.Request) (url.Values, *pageError) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return nil, &pageError{http.StatusMethodNotAllowed, TextInvalidRequest, "Open this page through the platform."}
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return nil, &pageError{http.StatusBadRequest, TextInvalidRequest, "The form cannot be read."}
	}
	return r.PostForm, nil
}

// renderConfirm shows the request with its password input(s) and problem, if any. A
// withdrawal's page shows the available balance, and says at once when the amount is
// above it.
func (g *GatewayPages) renderConfirm(w http.ResponseWriter, r *http.Request, app biz.Application, form url.Values, problem string) {
	v := confirmView{
		PlatformNo: app.PlatformNo, RequestNo: app.RequestNo, OpenAccount: app.ServiceName == biz.ServiceOpenAccount,
		RealName: app.RealName, IDNumberMasked: MaskIDNumber(app.IDNumber), BankCardNo: app.BankCardNo, Mobile: app.Mobile,
		UserNo: app.UserNo, Error: problem,
	}
	switch app.ServiceName {
	case biz.ServiceOpenAccount:
		v.Title = "Open a custody account"
	case biz.ServiceWithdraw:
		available, err := g.uc.Withdrawable(r.Context(), app)
		if err != nil {
			g.renderError(w, g.withdrawalError(app, err))
			return
		}
		v.Title, v.Withdraw, v.Amount, v.Available = "Withdraw from your custody account", true, app.Amount.String(), available.String()
		if v.Error == "" && available.Cmp(app.Amount) < 0 {
			v.Error = TextExceedsAvailable
		}
	default:
		v.Title = "Recharge your custody account"
		v.Amount = app.Amount.String()
	}
	for _, name := range signedFields {
		v.Hidden = append(v.Hidden, hiddenField{Name: name, Value: form.Get(name)})
	}
	g.render(w, http.StatusOK, "confirm", v)
}

// withdrawalError is the page for a withdrawal whose account cannot be read.
func (g *GatewayPages) withdrawalError(app biz.Application, err error) pageError {
	if errors.Is(err, biz.ErrAccountNotFound) {
		return noAccount(app)
	}
	g.log.Errorw("msg", "read the account of a withdrawal", "requestNo", app.RequestNo, "err", err)
	return pageError{http.StatusInternalServerError, TextSomethingWentWrong, "The bank could not read your account. Please try again."}
}

func noAccount(app biz.Application) pageError {
	return pageError{http.StatusBadRequest, TextInvalidRequest,
		fmt.Sprintf("Custody account %s is not the account of this platform user.", app.UserNo)}
}

func (g *GatewayPages) renderError(w http.ResponseWriter, e pageError) {
	g.render(w, e.status, "error", errorView{Title: e.title, Detail: e.detail})
}

// render executes a page into a buffer first, so a template failure is a clean 500.
func (g *GatewayPages) render(w http.ResponseWriter, status int, page string, data any) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, page, data); err != nil {
		g.log.Errorw("msg", "render page", "page", page, "err", err)
		http.Error(w, TextSomethingWentWrong, http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	w.WriteHeader(status)
	// The status is sent; a failed write only means the browser went away.
	if _, err := w.Write(buf.Bytes()); err != nil {
		return
	}
}

// MaskIDNumber shows the first 3 and last 4 characters of an id number.
func MaskIDNumber(id string) string {
	if len(id) <= 7 {
		return strings.Repeat("*", len(id))
	}
	return id[:3] + strings.Repeat("*", len(id)-7) + id[len(id)-4:]
}
