package service_test

import (
	"crypto/rsa"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/gorilla/mux"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz/biztest"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/keyring"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/keyring/keyringtest"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/service"
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
)

const callbackURL = "http://127.0.0.1:8020/v1/custody/notifications"

// testBank is the bank's HTTP surface over an in-memory bank.
type testBank struct {
	bank     *biztest.Bank
	platform *signing.Signer // signs as P2PDTX
	bankKey  *rsa.PublicKey
	server   *httptest.Server
	faults   *faults.Registry
}

func newTestBank(t *testing.T) *testBank {
	t.Helper()
	platformKey, bankKey := keyringtest.Keys()
	keys, err := keyring.New(&conf.Bootstrap{
		Keys:      &conf.Keys{Dir: keyringtest.Dir(t)},
		Platforms: []*conf.Platform{{PlatformNo: "P2PDTX", PublicKeyFile: keyring.DefaultPlatformPublicFile, CallbackUrl: callbackURL}},
	}, &signing.MemoryNonceStore{})
	if err != nil {
		t.Fatal(err)
	}
	bank := biztest.New()
	platforms := biztest.Platforms{"P2PDTX": {No: "P2PDTX", CallbackURL: callbackURL}}
	logger := log.NewStdLogger(io.Discard)
	gateway := biz.NewGatewayUsecase(bank.Tx(), bank.RequestRepo(), bank.NonceRepo(), bank.UserRepo(), bank.AccountRepo(),
		biztest.PlainHasher{}, platforms)
	pages := service.NewGatewayPages(keys, gateway, logger)
	f := faults.New(biz.FaultRepayLost)
	api := service.NewCustodyAPI(keys,
		biz.NewInquiryUsecase(bank.Snapshot(), bank.RequestRepo(), bank.UserRepo(), bank.AccountRepo()),
		biz.NewLendingUsecase(bank.Tx(), bank.RequestRepo(), bank.UserRepo(), bank.AccountRepo(), bank.ProjectRepo(), bank.FreezeRepo()),
		biz.NewRepaymentUsecase(bank.Tx(), bank.RequestRepo(), bank.UserRepo(), bank.AccountRepo(), bank.ProjectRepo(), bank.RepaymentRepo()),
		f, logger)
	// The routes of server.NewHTTPServer (Kratos' router is gorilla/mux).
	r := mux.NewRouter()
	for _, route := range service.Routes(pages, api) {
		r.HandleFunc(route.Path, route.Handler)
	}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return &testBank{bank: bank, platform: signing.NewSigner(platformKey), bankKey: &bankKey.PublicKey, server: srv, faults: f}
}

const openReqData = `{"requestNo":"OA20260101000001","serviceName":"OPEN_ACCOUNT","platformUserId":"12",` +
	`"realName":"Alice Zhang","idNumber":"11010119900101123X","bankCardNo":"6222020000001234",` +
	`"mobile":"13912345678","returnUrl":"http://127.0.0.1:8020/custody/return"}`

// gatewayForm is what user-center hands the browser: the signed form.
func (b *testBank) gatewayForm(t *testing.T, serviceName, reqData string) url.Values {
	t.Helper()
	form := url.Values{"serviceName": {serviceName}, "platformNo": {"P2PDTX"}, "reqData": {b64(reqData)}}
	if err := b.platform.SignForm(form); err != nil {
		t.Fatal(err)
	}
	return form
}

func (b *testBank) post(t *testing.T, path string, form url.Values) (int, string) {
	t.Helper()
	resp, err := http.PostForm(b.server.URL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("%s: Content-Type %q", path, ct)
	}
	return resp.StatusCode, string(body)
}

func confirmForm(form url.Values, password, confirm string) url.Values {
	out := url.Values{}
	for k, v := range form {
		out[k] = v
	}
	out.Set("custodyPassword", password)
	out.Set("custodyPasswordConfirm", confirm)
	return out
}

func mustContain(t *testing.T, page string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(page, p) {
			t.Errorf("page lacks %q:\n%s", p, page)
		}
	}
}

func TestGatewayShowsTheRequestAndAsksForThePassword(t *testing.T) {
	t.Parallel()
	b := newTestBank(t)
	form := b.gatewayForm(t, "OPEN_ACCOUNT", openReqData)
	status, page := b.post(t, "/gateway", form)
	if status != http.StatusOK {
		t.Fatalf("POST /gateway: %d\n%s", status, page)
	}
	mustContain(t, page, "Open a custody account", "OA20260101000001", "Alice Zhang", "110***********123X",
		"6222020000001234", `name="custodyPassword"`, `name="custodyPasswordConfirm"`, `id="submit"`,
		`action="/gateway/confirm"`)
	// The signed fields travel on unchanged; the full id number is not on the page.
	for _, name := range []string{"serviceName", "platformNo", "reqData", "timestamp", "nonce", "signature"} {
		mustContain(t, html.UnescapeString(page), `name="`+name+`" value="`+form.Get(name)+`"`)
	}
	if strings.Contains(page, "11010119900101123X") && !strings.Contains(form.Get("reqData"), "11010119900101123X") {
		t.Error("the page shows the full id number")
	}
	if b.bank.Requests() != 0 || b.bank.Nonces() != 0 {
		t.Fatal("showing the page recorded something")
	}
}

func TestGatewayPasswordProblemsRerenderThePage(t *testing.T) {
	t.Parallel()
	b := newTestBank(t)
	form := b.gatewayForm(t, "OPEN_ACCOUNT", openReqData)
	for _, tc := range []struct{ password, confirm, text string }{
		{"135790", "135791", "Passwords do not match"},
		{"12345", "12345", "The custody password must be 6 digits"},
		{"abcdef", "abcdef", "The custody password must be 6 digits"},
	} {
		status, page := b.post(t, "/gateway/confirm", confirmForm(form, tc.password, tc.confirm))
		if status != http.StatusOK {
			t.Errorf("%q/%q: status %d", tc.password, tc.confirm, status)
		}
		mustContain(t, page, tc.text, "OA20260101000001", `name="custodyPassword"`, `id="submit"`)
		if strings.Contains(page, "Request accepted") || strings.Contains(page, `value="`+tc.password+`"`) {
			t.Errorf("%q/%q: accepted, or the password echoed:\n%s", tc.password, tc.confirm, page)
		}
	}
	if b.bank.Requests() != 0 || b.bank.Nonces() != 0 {
		t.Fatalf("refused passwords recorded %d requests, %d nonces", b.bank.Requests(), b.bank.Nonces())
	}
}

func TestGatewayAcceptsTheRequestOnce(t *testing.T) {
	t.Parallel()
	b := newTestBank(t)
	form := b.gatewayForm(t, "OPEN_ACCOUNT", openReqData)
	for i := range 2 { // the second is the browser resubmitting the same page
		status, page := b.post(t, "/gateway/confirm", confirmForm(form, "135790", "135790"))
		if status != http.StatusOK {
			t.Fatalf("confirm #%d: %d\n%s", i+1, status, page)
		}
		mustContain(t, page, "Request accepted", "OA20260101000001", `href="http://127.0.0.1:8020/custody/return"`)
	}
	r, ok := b.bank.Request("OA20260101000001")
	if !ok || r.Status != biz.RequestProcessing || r.PasswordHash != "hashed:135790" || b.bank.Requests() != 1 {
		t.Fatalf("recorded %+v (%d requests)", r, b.bank.Requests())
	}
}

func TestGatewayRefusesUnsignedAndUnknown(t *testing.T) {
	t.Parallel()
	b := newTestBank(t)
	good := b.gatewayForm(t, "OPEN_ACCOUNT", openReqData)
	tampered := confirmForm(good, "135790", "135790")
	tampered.Set("reqData", b64(strings.Replace(openReqData, "Alice", "Mallory", 1)))
	unknown := confirmForm(good, "135790", "135790")
	unknown.Set("platformNo", "EVIL")
	unsigned := confirmForm(good, "135790", "135790")
	unsigned.Del("signature")
	old := *b.platform
	old.Now = func() time.Time { return time.Now().Add(-6 * time.Minute) }
	expired := url.Values{"serviceName": {"OPEN_ACCOUNT"}, "platformNo": {"P2PDTX"}, "reqData": {b64(openReqData)}}
	if err := old.SignForm(expired); err != nil {
		t.Fatal(err)
	}
	mismatched := b.gatewayForm(t, "RECHARGE", openReqData) // serviceName is outside the signature
	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		text   string
	}{
		{"tampered reqData", tampered, http.StatusUnauthorized, "Signature check failed"},
		{"no signature", unsigned, http.StatusUnauthorized, "Signature check failed"},
		{"expired", expired, http.StatusUnauthorized, "Signature check failed"},
		{"unknown platform", unknown, http.StatusBadRequest, "Unknown platform"},
		{"service name not signed", mismatched, http.StatusBadRequest, "Invalid request"},
	} {
		for _, path := range []string{"/gateway", "/gateway/confirm"} {
			status, page := b.post(t, path, confirmForm(tc.form, "135790", "135790"))
			if status != tc.status || !strings.Contains(page, tc.text) || strings.Contains(page, "Request accepted") {
				t.Errorf("%s %s: %d, want %d with %q:\n%s", tc.name, path, status, tc.status, tc.text, page)
			}
		}
	}
	if b.bank.Requests() != 0 || b.bank.Nonces() != 0 {
		t.Fatalf("refused forms recorded %d requests, %d nonces", b.bank.Requests(), b.bank.Nonces())
	}
	resp, err := http.Get(b.server.URL + "/gateway")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /gateway: %d", resp.StatusCode)
	}
}
