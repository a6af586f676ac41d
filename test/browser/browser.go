// Package browser drives the bank's pages in a real headless Chromium (Debian's, installed
// by scripts/ensure-chromium.sh), the way a person in front of the page would.
package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Gateway is the signed form user-center returns for the browser to submit to the bank.
type Gateway struct {
	URL    string            `json:"url"`
	Method string            `json:"method"`
	Fields map[string]string `json:"fields"`
}

// New starts a headless Chromium for the test and closes it when the test ends.
func New(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel, err := Start(90 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cancel)
	return ctx
}

// Start launches headless Chromium (P2P_CHROMIUM, else chromium on PATH) and returns a
// context for driving it, valid for at most timeout, and the function that closes it.
func Start(timeout time.Duration) (context.Context, context.CancelFunc, error) {
	bin := os.Getenv("P2P_CHROMIUM")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("chromium"); err != nil {
			return nil, nil, fmt.Errorf("chromium not found (scripts/ensure-chromium.sh installs it): %w", err)
		}
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		// No UserDataDir: chromedp makes a fresh profile and removes it once Chromium exits.
		chromedp.NoSandbox, // tests run as root
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// chromedp waits 20 s for Chromium to print its DevTools URL; on two busy cores
		// (several Chromiums, the whole stack) a cold start took longer once.
		chromedp.WSURLReadTimeout(60*time.Second),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	cancel := func() { cancelTimeout(); cancelCtx(); cancelAlloc() }
	if err := chromedp.Run(ctx); err != nil {
		cancel()
		return nil, nil, fmt.Errorf("start chromium %s: %w", bin, err)
	}
	return ctx, cancel, nil
}

// OpenGateway does what the platform's page does: it builds the signed form and submits
// it, landing on the bank's page.
func OpenGateway(ctx context.Context, g Gateway) error {
	fields, err := json.Marshal(g.Fields)
	if err != nil {
		return err
	}
	script := fmt.Sprintf(`(() => {
		const f = document.createElement('form');
		f.method = %q; f.action = %q;
		for (const [k, v] of Object.entries(%s)) {
			const i = document.createElement('input');
			i.type = 'hidden'; i.name = k; i.value = v; f.appendChild(i);
		}
		document.body.appendChild(f); f.submit(); return true;
	})()`, g.Method, g.URL, fields)
	var ok bool
	return chromedp.Run(ctx,
		chromedp.Navigate("about:blank"),
		chromedp.Evaluate(script, &ok),
	)
}

// SubmitPasswords types the custody password twice on the bank's page and submits it.
func SubmitPasswords(ctx context.Context, password, confirm string) error {
	return chromedp.Run(ctx,
		chromedp.WaitVisible(`input[name="custodyPassword"]`, chromedp.ByQuery),
		chromedp.SendKeys(`input[name="custodyPassword"]`, password, chromedp.ByQuery),
		chromedp.SendKeys(`input[name="custodyPasswordConfirm"]`, confirm, chromedp.ByQuery),
		chromedp.Click(`#submit`, chromedp.ByQuery),
	)
}

// SubmitPassword types the custody password once (the withdrawal page asks for the
// password set at account opening) and submits the page.
func SubmitPassword(ctx context.Context, password string) error {
	return chromedp.Run(ctx,
		chromedp.WaitVisible(`input[name="custodyPassword"]`, chromedp.ByQuery),
		chromedp.SendKeys(`input[name="custodyPassword"]`, password, chromedp.ByQuery),
		chromedp.Click(`#submit`, chromedp.ByQuery),
	)
}

// Accept opens the gateway, types each of typed into the input of that name, submits the
// page and waits for the bank's "Request accepted".
func Accept(ctx context.Context, g Gateway, typed map[string]string) error {
	if err := OpenGateway(ctx, g); err != nil {
		return err
	}
	actions := []chromedp.Action{chromedp.WaitVisible(`#submit`, chromedp.ByQuery)}
	for name, v := range typed {
		actions = append(actions, chromedp.SendKeys(fmt.Sprintf(`input[name=%q]`, name), v, chromedp.ByQuery))
	}
	actions = append(actions, chromedp.Click(`#submit`, chromedp.ByQuery))
	if err := chromedp.Run(ctx, actions...); err != nil {
		return err
	}
	_, err := WaitForText(ctx, "Request accepted")
	return err
}

// WaitForText polls the page's visible text until it contains marker, and returns it.
func WaitForText(ctx context.Context, marker string) (string, error) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var text string
	for {
		// A page in the middle of navigating has no body yet; just poll again.
		if err := chromedp.Run(ctx, chromedp.Text(`body`, &text, chromedp.ByQuery, chromedp.AtLeast(0))); err == nil &&
			strings.Contains(text, marker) {
			return text, nil
		}
		select {
		case <-ctx.Done():
			return text, fmt.Errorf("page never showed %q; last text: %.300q", marker, text)
		case <-tick.C:
		}
	}
}
