package test

import (
	"context"
	"os"
	"os/exec"
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
	cmd := exec.CommandContext(ctx, "go", "run", "./cmd/demo")
	cmd.Env = append(os.Environ(), "P2P_RUN_DIR="+env["P2P_RUN_DIR"])
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("demo failed: %v\n%s", err, out)
	}
	for _, want := range []string{"== 8. Where the money is now", "✓ demo finished"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
}
