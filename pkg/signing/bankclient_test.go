package signing_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
)

// bankConf is a service's `bank` section, as its conf.Bank offers it.
type bankConf struct {
	baseURL, keysDir string
	timeout          *durationpb.Duration
}

func (c bankConf) GetBaseUrl() string               { return c.baseURL }
func (c bankConf) GetKeysDir() string               { return c.keysDir }
func (c bankConf) GetTimeout() *durationpb.Duration { return c.timeout }

// writePlatformKeys lays out a keys directory as the stack does: the platform's private
// key and the bank's public key. It returns the directory.
func writePlatformKeys(t *testing.T) string {
	t.Helper()
	platform, bank := testKeys()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, signing.PlatformPrivateKeyFile), pkcs8(t, platform))
	writeFile(t, filepath.Join(dir, signing.BankPublicKeyFile), pkix(t, &bank.PublicKey))
	return dir
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestNewBankClientNamesWhatIsMissing(t *testing.T) {
	t.Parallel()
	_, bank := testKeys()
	noBankKey := t.TempDir()
	writeFile(t, filepath.Join(noBankKey, signing.PlatformPrivateKeyFile), pkcs8(t, bank))
	badKey := writePlatformKeys(t)
	writeFile(t, filepath.Join(badKey, signing.PlatformPrivateKeyFile), []byte("not a key"))
	for name, c := range map[string]struct {
		conf bankConf
		want string
	}{
		"no base URL":               {bankConf{keysDir: writePlatformKeys(t)}, "bank.base_url is not set"},
		"no keys dir":               {bankConf{baseURL: "http://bank"}, "bank.keys_dir is not set"},
		"an empty keys dir":         {bankConf{baseURL: "http://bank", keysDir: t.TempDir()}, signing.PlatformPrivateKeyFile},
		"no bank key":               {bankConf{baseURL: "http://bank", keysDir: noBankKey}, signing.BankPublicKeyFile},
		"a platform key that isn't": {bankConf{baseURL: "http://bank", keysDir: badKey}, "no PEM block"},
	} {
		client, err := signing.NewBankClient(c.conf, &signing.MemoryNonceStore{})
		if err == nil || !strings.Contains(err.Error(), c.want) || client != nil {
			t.Errorf("%s: %v, %v; want an error naming %q", name, client, err, c.want)
		}
	}
}

func TestKeysDirNamesItsSetting(t *testing.T) {
	t.Parallel()
	keys := signing.KeysDir{Setting: "custody.keys_dir"}
	if _, err := keys.PlatformSigner(); err == nil || !strings.Contains(err.Error(), "custody.keys_dir is not set") {
		t.Errorf("signer: %v", err)
	}
	if _, err := keys.BankVerifier(&signing.MemoryNonceStore{}); err == nil || !strings.Contains(err.Error(), "custody.keys_dir is not set") {
		t.Errorf("verifier: %v", err)
	}
}

func TestNewBankClientTimeout(t *testing.T) {
	t.Parallel()
	dir := writePlatformKeys(t)
	for name, c := range map[string]struct {
		timeout *durationpb.Duration
		want    time.Duration
	}{
		"not set":  {nil, signing.DefaultTimeout},
		"negative": {durationpb.New(-time.Second), signing.DefaultTimeout},
		"set":      {durationpb.New(1500 * time.Millisecond), 1500 * time.Millisecond},
	} {
		client, err := signing.NewBankClient(bankConf{baseURL: "http://bank", keysDir: dir, timeout: c.timeout}, &signing.MemoryNonceStore{})
		if err != nil || client.HTTP.Timeout != c.want {
			t.Errorf("%s: %v, want timeout %s", name, err, c.want)
		}
	}
}

// The client built from the key files signs as the platform and believes only answers
// signed by the bank.
func TestNewBankClientTalksToTheBank(t *testing.T) {
	t.Parallel()
	platform, bank := testKeys()
	var unsigned atomic.Bool
	srv := httptest.NewServer(signing.NewVerifier(&platform.PublicKey, &signing.MemoryNonceStore{}).Require(
		func(w http.ResponseWriter, _ *http.Request, body []byte) {
			if unsigned.Load() {
				w.WriteHeader(http.StatusOK)
				return
			}
			signing.WriteSigned(w, signing.NewSigner(bank), http.StatusOK, map[string]string{"got": string(body)})
		}))
	t.Cleanup(srv.Close)
	client, err := signing.NewBankClient(bankConf{baseURL: srv.URL, keysDir: writePlatformKeys(t)}, &signing.MemoryNonceStore{})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(context.Background(), http.MethodPost, "/v1/loans", []byte(`{"requestNo":"L1"}`))
	if err != nil || resp.Status != http.StatusOK || string(resp.Body) != `{"got":"{\"requestNo\":\"L1\"}"}` {
		t.Fatalf("signed call: %d %s %v", resp.Status, resp.Body, err)
	}
	unsigned.Store(true)
	if _, err := client.Do(context.Background(), http.MethodGet, "/v1/accounts/U1", nil); !errors.Is(err, signing.ErrMissingHeaders) {
		t.Errorf("unsigned answer: %v, want %v", err, signing.ErrMissingHeaders)
	}
}
