package data

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing/signingtest"
)

// testKeys are signingtest's keys; writeKeys lays them out as the stack does.
var testKeys = signingtest.Keys

func writeKeys(t *testing.T) string {
	t.Helper()
	platform, bank := testKeys()
	return signingtest.Dir(t, map[string][]byte{
		signing.PlatformPrivateKeyFile: signingtest.PKCS8(t, platform),
		signing.BankPublicKeyFile:      signingtest.PKIX(t, &bank.PublicKey),
	})
}

func custodyConf(keysDir, bankURL string) *conf.Bootstrap {
	return &conf.Bootstrap{Custody: &conf.Custody{
		KeysDir: keysDir, PlatformNo: "P2PDTX", BankBaseUrl: bankURL,
		GatewayUrl: "http://127.0.0.1:8050/gateway", ReturnUrl: "http://127.0.0.1:8020/custody/return",
		Reconciliation: &conf.Reconciliation{Interval: durationpb.New(time.Second), MinAge: durationpb.New(3 * time.Second),
			AbandonAfter: durationpb.New(10 * time.Minute)},
	}}
}

// newTestBank builds the bank client the way wire does, from key files; its verifier
// remembers nonces in memory instead of callback_nonce.
func newTestBank(t *testing.T, bankURL string) *bank {
	t.Helper()
	c := custodyConf(writeKeys(t), bankURL)
	signer, err := NewPlatformSigner(c)
	if err != nil {
		t.Fatal(err)
	}
	bankPub, err := signing.LoadPublicKey(filepath.Join(c.GetCustody().GetKeysDir(), signing.BankPublicKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewBank(c, signer, signing.NewVerifier(bankPub, &signing.MemoryNonceStore{}))
	if err != nil {
		t.Fatal(err)
	}
	return b.(*bank)
}

// checkForm verifies the form as the bank would and returns the decoded reqData.
func checkForm(t *testing.T, f *biz.GatewayForm, serviceName string) string {
	t.Helper()
	platform, _ := testKeys()
	if f.URL != "http://127.0.0.1:8050/gateway" || f.Method != http.MethodPost {
		t.Errorf("form goes to %s %s", f.Method, f.URL)
	}
	want := []string{"nonce", "platformNo", "reqData", "serviceName", "signature", "timestamp"}
	if got := slices.Sorted(maps.Keys(f.Fields)); !slices.Equal(got, want) {
		t.Errorf("fields %v, want %v", got, want)
	}
	form := url.Values{}
	for k, v := range f.Fields {
		form.Set(k, v)
	}
	if f.Fields["serviceName"] != serviceName || f.Fields["platformNo"] != "P2PDTX" {
		t.Errorf("serviceName %q platformNo %q", f.Fields["serviceName"], f.Fields["platformNo"])
	}
	if err := signing.NewVerifier(&platform.PublicKey, &signing.MemoryNonceStore{}).VerifyForm(context.Background(), form); err != nil {
		t.Errorf("signature does not verify with the platform's public key: %v", err)
	}
	raw, err := base64.StdEncoding.DecodeString(f.Fields["reqData"])
	if err != nil {
		t.Fatalf("reqData is not standard base64: %v", err)
	}
	var inner struct {
		ServiceName string `json:"serviceName"`
	}
	if err := json.Unmarshal(raw, &inner); err != nil || inner.ServiceName != serviceName {
		t.Errorf("reqData serviceName %q (%v), want the form's %q", inner.ServiceName, err, serviceName)
	}
	return string(raw)
}

func TestGatewayFormOpenAccount(t *testing.T) {
	t.Parallel()
	b := newTestBank(t, "http://127.0.0.1:8050")
	f, err := b.GatewayForm(biz.GatewayRequest{RequestNo: "OA20261121110000ABCDEF0123456789", Kind: biz.KindOpenAccount,
		UserID: 12, Mobile: "13912345678",
		Opening: biz.AccountOpening{RealName: "Alice Zhang", IDNumber: "110101199001011234", BankCardNo: "6222020000000000"}})
	if err != nil {
		t.Fatal(err)
	}
	got := checkForm(t, f, "OPEN_ACCOUNT")
	want := `{"requestNo":"OA20261121110000ABCDEF0123456789","serviceName":"OPEN_ACCOUNT","platformUserId":"12",` +
		`"realName":"Alice Zhang","idNumber":"110101199001011234","bankCardNo":"6222020000000000",` +
		`"mobile":"13912345678","returnUrl":"http://127.0.0.1:8020/custody/return"}`
	if got != want {
		t.Errorf("reqData\n got %s\nwant %s", got, want)
	}
}

func TestGatewayFormRecharge(t *testing.T) {
	t.Parallel()
	b := newTestBank(t, "http://127.0.0.1:8050")
	f, err := b.GatewayForm(biz.GatewayRequest{RequestNo: "RC1", Kind: biz.KindRecharge, UserID: 12,
		UserNo: "BU0000000001", Amount: money.MustParseAmount("500")})
	if err != nil {
		t.Fatal(err)
	}
	got := checkForm(t, f, "RECHARGE")
	want := `{"requestNo":"RC1","serviceName":"RECHARGE","platformUserId":"12","userNo":"BU0000000001",` +
		`"amount":"500.00","returnUrl":"http://127.0.0.1:8020/custody/return"}`
	if got != want {
		t.Errorf("reqData\n got %s\nwant %s", got, want)
	}
	if _, err := b.GatewayForm(biz.GatewayRequest{RequestNo: "X1", Kind: "FREEZE"}); err == nil {
		t.Error("a form for an unknown kind was signed")
	}
}

func TestGatewayFormWithdrawal(t *testing.T) {
	t.Parallel()
	b := newTestBank(t, "http://127.0.0.1:8050")
	f, err := b.GatewayForm(biz.GatewayRequest{RequestNo: "WD1", Kind: biz.KindWithdraw, UserID: 12,
		UserNo: "BU0000000001", Amount: money.MustParseAmount("100")})
	if err != nil {
		t.Fatal(err)
	}
	got := checkForm(t, f, "WITHDRAW")
	want := `{"requestNo":"WD1","serviceName":"WITHDRAW","platformUserId":"12","userNo":"BU0000000001",` +
		`"amount":"100.00","returnUrl":"http://127.0.0.1:8020/custody/return"}`
	if got != want {
		t.Errorf("reqData\n got %s\nwant %s", got, want)
	}
}

// fakeBankAPI answers GET /v1/requests/{no} like the bank: it refuses calls not signed
// by the platform and signs its answers with the bank's key (or not, for one case).
func fakeBankAPI(t *testing.T) *httptest.Server {
	platform, bankKey := testKeys()
	bankSigner := signing.NewSigner(bankKey)
	mux := http.NewServeMux()
	answer := func(no, status string) map[string]string {
		return map[string]string{"requestNo": no, "serviceName": "RECHARGE", "status": status, "userNo": "BU0000000001",
			"amount": "500.00", "platformUserId": "12", "failureReason": ""}
	}
	verifier := signing.NewVerifier(&platform.PublicKey, &signing.MemoryNonceStore{})
	mux.Handle("/v1/requests/{no}", verifier.Require(func(w http.ResponseWriter, r *http.Request, body []byte) {
		if r.Method != http.MethodGet || len(body) != 0 {
			t.Errorf("query is %s with %d bytes of body", r.Method, len(body))
		}
		switch no := r.PathValue("no"); no {
		case "RC-done", "RC-busy":
			status := map[string]string{"RC-done": "SUCCESS", "RC-busy": "PROCESSING"}[no]
			signing.WriteSigned(w, bankSigner, http.StatusOK, answer(no, status))
		case "RC-unknown":
			signing.WriteSignedError(w, bankSigner, http.StatusNotFound, "REQUEST_NOT_FOUND", "no such request", nil)
		case "RC-unknown-unsigned":
			// What a proxy in front of the bank could answer.
			signing.WriteError(w, http.StatusNotFound, "REQUEST_NOT_FOUND", "no such request")
		case "RC-unsigned":
			w.Header().Set("Content-Type", "application/json")
			if err := json.NewEncoder(w).Encode(answer(no, "SUCCESS")); err != nil {
				t.Error(err)
			}
		case "RC-confused":
			signing.WriteSigned(w, bankSigner, http.StatusOK, answer("RC-other", "SUCCESS"))
		case "RC-down":
			signing.WriteError(w, http.StatusServiceUnavailable, "UNAVAILABLE", "maintenance")
		default:
			signing.WriteError(w, http.StatusNotFound, "NOT_FOUND", "no route")
		}
	}))
	mux.Handle("/v1/accounts/{userNo}", verifier.Require(func(w http.ResponseWriter, r *http.Request, _ []byte) {
		switch no := r.PathValue("userNo"); no {
		case "BU0000000001":
			signing.WriteSigned(w, bankSigner, http.StatusOK, map[string]string{"userNo": no, "balance": "500.00", "frozen": "100.00"})
		case "BU-unsigned":
			w.Header().Set("Content-Type", "application/json")
			if err := json.NewEncoder(w).Encode(map[string]string{"userNo": no, "balance": "1.00", "frozen": "0.00"}); err != nil {
				t.Error(err)
			}
		case "BU-confused":
			signing.WriteSigned(w, bankSigner, http.StatusOK, map[string]string{"userNo": "BU0000000001", "balance": "1.00", "frozen": "0.00"})
		case "BU-number":
			signing.WriteSigned(w, bankSigner, http.StatusOK, map[string]any{"userNo": no, "balance": 1.5, "frozen": "0.00"})
		default:
			signing.WriteError(w, http.StatusNotFound, "ACCOUNT_NOT_FOUND", "no such account")
		}
	}))
	mux.Handle("/v1/fee-account", verifier.Require(func(w http.ResponseWriter, r *http.Request, _ []byte) {
		if r.Method != http.MethodGet {
			t.Errorf("fee account query is %s", r.Method)
		}
		signing.WriteSigned(w, bankSigner, http.StatusOK, map[string]string{"userNo": "FEE_P2PDTX", "balance": "12.34", "frozen": "0.00"})
	}))
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func TestAccountQueries(t *testing.T) {
	t.Parallel()
	b := newTestBank(t, fakeBankAPI(t).URL)
	ctx := context.Background()
	a, err := b.Account(ctx, "BU0000000001")
	if err != nil || a.UserNo != "BU0000000001" || a.Balance.String() != "500.00" || a.Frozen.String() != "100.00" {
		t.Fatalf("account: %+v %v", a, err)
	}
	fee, err := b.FeeAccount(ctx)
	if err != nil || fee.UserNo != "FEE_P2PDTX" || fee.Balance.String() != "12.34" {
		t.Fatalf("fee account: %+v %v", fee, err)
	}
	// Unsigned, about another account, a float amount, not found: no trustworthy answer.
	for _, no := range []string{"BU-unsigned", "BU-confused", "BU-number", "BU-absent"} {
		if a, err := b.Account(ctx, no); !errors.Is(err, biz.ErrBankUnavailable) {
			t.Errorf("%s: %+v %v, want ErrBankUnavailable", no, a, err)
		}
	}
	// Another platform's fee account is not ours.
	other := newTestBank(t, fakeBankAPI(t).URL)
	other.platformNo = "OTHER"
	if a, err := other.FeeAccount(ctx); !errors.Is(err, biz.ErrBankUnavailable) {
		t.Errorf("fee account of another platform: %+v %v", a, err)
	}
	down := newTestBank(t, "http://127.0.0.1:1")
	if _, err := down.Account(ctx, "BU0000000001"); !errors.Is(err, biz.ErrBankUnavailable) {
		t.Errorf("bank unreachable: %v", err)
	}
}

func TestQueryResult(t *testing.T) {
	t.Parallel()
	api := fakeBankAPI(t)
	b := newTestBank(t, api.URL)
	ctx := context.Background()

	res, err := b.QueryResult(ctx, "RC-done")
	want := biz.BankResult{RequestNo: "RC-done", Kind: "RECHARGE", Status: "SUCCESS", UserNo: "BU0000000001",
		PlatformUserID: "12", Amount: "500.00"}
	if err != nil || res != want {
		t.Fatalf("RC-done: %+v %v", res, err)
	}
	if res, err := b.QueryResult(ctx, "RC-busy"); err != nil || res.Status != "PROCESSING" {
		t.Fatalf("RC-busy: %+v %v", res, err)
	}
	if _, err := b.QueryResult(ctx, "RC-unknown"); !errors.Is(err, biz.ErrNotReceivedByBank) {
		t.Fatalf("RC-unknown: %v, want ErrNotReceivedByBank", err)
	}
	// None of these says the bank never received the request, nor gives a result.
	for _, no := range []string{"RC-unsigned", "RC-unknown-unsigned", "RC-confused", "RC-down", "RC-no-route"} {
		if res, err := b.QueryResult(ctx, no); err == nil || errors.Is(err, biz.ErrNotReceivedByBank) {
			t.Errorf("%s: %+v %v, want an error other than not received", no, res, err)
		}
	}
}

func TestCustodySettings(t *testing.T) {
	t.Parallel()
	c := custodyConf("/keys", "http://bank")
	s, err := NewCustodySettings(c, nil)
	if err != nil || s.MinAge != 3*time.Second || s.AbandonAfter != 10*time.Minute {
		t.Fatalf("%+v %v", s, err)
	}
	c.Custody.Reconciliation.AbandonAfter = durationpb.New(signing.DefaultWindow)
	if _, err := NewCustodySettings(c, nil); err == nil || !strings.Contains(err.Error(), "abandon_after") {
		t.Errorf("abandon_after inside the signature window: %v", err)
	}
	c = custodyConf("/keys", "http://bank")
	c.Custody.Reconciliation.Interval = nil
	if _, err := NewCustodySettings(c, nil); err == nil || !strings.Contains(err.Error(), "interval") {
		t.Errorf("no interval: %v", err)
	}
	if _, err := NewPlatformSigner(&conf.Bootstrap{}); err == nil || !strings.Contains(err.Error(), "keys_dir") {
		t.Errorf("no keys_dir: %v", err)
	}
	if _, err := NewPlatformSigner(custodyConf(t.TempDir(), "http://bank")); err == nil ||
		!strings.Contains(err.Error(), signing.PlatformPrivateKeyFile) {
		t.Errorf("missing key file: %v", err)
	}
	if _, err := NewBank(custodyConf("/keys", ""), nil, nil); err == nil || !strings.Contains(err.Error(), "bank_base_url") {
		t.Errorf("no bank_base_url: %v", err)
	}
}
