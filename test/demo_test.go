package test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/test/stack"
)

// TestDemo runs `make demo`'s walkthrough (test/cmd/demo) against the stack and expects it
// to reach the end: the demo exits non-zero as soon as any step does not turn out as it
// prints.
func TestDemo(t *testing.T) {
	env := stack.Load(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// The demo's last step prints two traces with make trace's tool, as make demo does.
	tracetree := filepath.Join(t.TempDir(), "tracetree")
	build := exec.CommandContext(ctx, "go", "build", "-o", tracetree, ".")
	build.Dir, build.Env = filepath.Join("..", "tools", "tracetree"), append(os.Environ(), "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build tools/tracetree: %v\n%s", err, out)
	}
	cmd := exec.CommandContext(ctx, "go", "run", "./cmd/demo")
	cmd.Env = append(os.Environ(), "P2P_RUN_DIR="+env["P2P_RUN_DIR"], "P2P_TRACETREE="+tracetree)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("demo failed: %v\n%s", err, out)
	}
	for _, want := range []string{"== 8. Where the money is now", "✓ demo finished",
		// The trees: the registration's Confirm at unified-account, the loan's consumer.
		"unified-account /unifiedaccount.v1.AccountRegistration/ConfirmCreateAccount",
		"repayment process TP_START_REPAYMENT"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
}
