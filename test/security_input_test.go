package test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/p2p-dtx/p2p-dtx/test/driver"
)

// Bounded input (API.md "Limits every endpoint keeps"). None of these tests arms a fault
// point, and each uses logins of its own, so they run beside any other test.

// registrationBody is a registration user-center would accept, as JSON with pad spaces
// between its fields (still valid JSON: it would register if the body were read).
func registrationBody(t *testing.T, pad int) (body []byte, username, mobile string) {
	t.Helper()
	n, err := rand.Int(rand.Reader, big.NewInt(1e8))
	if err != nil {
		t.Fatal(err)
	}
	seq := fmt.Sprintf("%08d", n.Int64())
	username, mobile = "in"+seq, "137"+seq
	b, err := json.Marshal(map[string]string{"mobile": mobile, "username": username,
		"password": "pw-" + seq + "-secret", "role": "INVESTOR", "mode": "TCC"})
	if err != nil {
		t.Fatal(err)
	}
	return append(append([]byte{'{'}, bytes.Repeat([]byte{' '}, pad)...), b[1:]...), username, mobile
}

// A body over 1 MiB is refused with 413 by every service, whether it declares its length
// or is sent chunked, before it is decoded: the registration it holds never happens.
func TestBodyOver1MiBIs413OnEveryService(t *testing.T) {
	t.Parallel()
	p := platform(t)
	ctx := context.Background()
	body, username, mobile := registrationBody(t, 2<<20)
	endpoints := map[string]string{
		"user-center": p.UserCenter + "/v1/users", "unified-account": p.UnifiedAccount + "/v1/sessions",
		"trade-center": p.TradeCenter + "/v1/projects", "repayment": p.Repayment + "/v1/repayment-runs",
		"bank-custody": p.Bank + "/v1/projects",
	}
	for svc, url := range endpoints {
		for name, rd := range map[string]func() io.Reader{
			"with Content-Length": func() io.Reader { return bytes.NewReader(body) },
			"chunked":             func() io.Reader { return io.MultiReader(bytes.NewReader(body)) },
		} {
			a, err := p.PostRaw(ctx, url, rd())
			if err != nil {
				t.Fatalf("%s %s: %v", svc, name, err)
			}
			if a.Status != http.StatusRequestEntityTooLarge || a.Err.Reason != "BODY_TOO_LARGE" {
				t.Errorf("%s, 2 MiB %s: %d %+v, want 413 BODY_TOO_LARGE", svc, name, a.Status, a.Err)
			}
		}
	}
	registersAfterwards(t, p, username, mobile)
}

// A body that is not UTF-8 or not JSON is a 400 INVALID_BODY on every JSON endpoint, and
// changes nothing.
func TestBodyNotUTF8OrNotJSONIs400(t *testing.T) {
	t.Parallel()
	p := platform(t)
	ctx := context.Background()
	valid, username, mobile := registrationBody(t, 0)
	notUTF8 := bytes.Replace(valid, []byte(`"INVESTOR"`), []byte("\"INVESTOR\xff\xfe\""), 1)
	notJSON := valid[:len(valid)-1]
	endpoints := []string{p.UserCenter + "/v1/users", p.UnifiedAccount + "/v1/sessions",
		p.TradeCenter + "/v1/projects", p.Repayment + "/v1/repayment-runs"}
	for _, url := range endpoints {
		for name, body := range map[string][]byte{"not UTF-8": notUTF8, "not JSON": notJSON} {
			a, err := p.PostRaw(ctx, url, bytes.NewReader(body))
			if err != nil {
				t.Fatalf("%s %s: %v", url, name, err)
			}
			if a.Status != http.StatusBadRequest || a.Err.Reason != "INVALID_BODY" {
				t.Errorf("%s, %s: %d %+v, want 400 INVALID_BODY", url, name, a.Status, a.Err)
			}
		}
	}
	registersAfterwards(t, p, username, mobile)
}

// registersAfterwards checks that the refused bodies registered nobody: the same names
// are still free.
func registersAfterwards(t *testing.T, p *driver.Platform, username, mobile string) {
	t.Helper()
	if _, err := p.Register(context.Background(), driver.NewUser{Username: username, Mobile: mobile, Role: "INVESTOR"}); err != nil {
		t.Fatalf("registering %s/%s after the refused bodies: %v (they registered it?)", username, mobile, err)
	}
}

// Five wrong passwords lock the login: the sixth try, and the right password after it,
// are 429 TOO_MANY_ATTEMPTS with Retry-After, and no token is issued.
func TestLoginLockedAfterFiveWrongPasswords(t *testing.T) {
	t.Parallel()
	p := platform(t)
	ctx := context.Background()
	u, err := p.Register(ctx, driver.NewUser{Role: "INVESTOR"})
	if err != nil {
		t.Fatal(err)
	}
	login := func(password string) driver.RawAnswer {
		b, err := json.Marshal(map[string]string{"login": strings.ToUpper(u.Username), "password": password})
		if err != nil {
			t.Fatal(err)
		}
		a, err := p.PostRaw(ctx, p.UnifiedAccount+"/v1/sessions", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	for i := range 5 {
		if a := login("wrong-password"); a.Status != http.StatusUnauthorized || a.Err.Reason != "INVALID_CREDENTIALS" {
			t.Fatalf("wrong password #%d: %d %+v, want 401 INVALID_CREDENTIALS", i+1, a.Status, a.Err)
		}
	}
	for _, pw := range []string{"wrong-password", u.Password} {
		a := login(pw)
		secs, err := strconv.Atoi(a.Header.Get("Retry-After"))
		if a.Status != http.StatusTooManyRequests || a.Err.Reason != "TOO_MANY_ATTEMPTS" || err != nil || secs < 1 || secs > 900 {
			t.Fatalf("after 5 wrong passwords, password %q: %d %+v Retry-After %q, want 429 TOO_MANY_ATTEMPTS with 1..900 s",
				pw, a.Status, a.Err, a.Header.Get("Retry-After"))
		}
	}
}
