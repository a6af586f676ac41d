package test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/test/stack"
)

// Registration through a kill -9 at a moment no crash point chose: an open-loop storm in
// both modes (3 s XA, then 3 s TCC, at loadRate) during which one component is killed
// with SIGKILL and started again at once. Once DTM has settled the run, every 200 must
// have both sides ACTIVE, every refusal neither, every other answer (a dropped
// connection, 503 REGISTRATION_OUTCOME_UNKNOWN) both or neither; nothing PENDING, no XA
// branch left prepared. MariaDB's kill takes DTM's store with it: before the registrar
// read only DTM's decision, a Submit that failed with "invalid connection" after DTM had
// recorded it was answered 409 while both sides went ACTIVE (1 in 1,560, found by hand).
func TestRegistrationSurvivesAKillMidStorm(t *testing.T) {
	env := stack.Load(t)
	for _, c := range []struct {
		svc   string
		after time.Duration // into the storm: XA runs first, TCC from 3 s
	}{
		{"unified-account", 1500 * time.Millisecond}, // XA branches prepared on its sessions
		{"user-center", 1500 * time.Millisecond},     // the initiator, mid-XA
		{"dtm", 4500 * time.Millisecond},             // TCC: Submits and Confirms in flight
		{"mariadb", 4500 * time.Millisecond},         // every database, DTM's store too
	} {
		t.Run(c.svc, func(t *testing.T) {
			prefix, seed, since := newLoadRun(t, env, "kl")
			killed := make(chan error, 1)
			go func() {
				time.Sleep(c.after)
				killed <- killAndStart(c.svc)
			}()
			var outcomes []loadOutcome
			for i, mode := range []string{"XA", "TCC"} {
				outcomes = append(outcomes, offerRegistrations(t, mode, fmt.Sprintf("%s_%d", prefix, i), seed*10+int64(i), 3*time.Second)...)
			}
			if err := <-killed; err != nil {
				t.Fatal(err)
			}
			checkRegistrations(t, env, since, prefix, outcomes, true)
		})
	}
}

// killAndStart sends the component's process SIGKILL, waits until it is gone and starts
// it again (startAgain) with the bcrypt cost and trace ratio it ran with.
func killAndStart(svc string) error {
	dir, err := stack.RunDir()
	if err != nil {
		return err
	}
	raw, err := os.ReadFile(filepath.Join(dir, "pids", svc+".pid"))
	if err != nil {
		return err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		return fmt.Errorf("%s's pid file: %w", svc, err)
	}
	// Started again as it ran: the settings the stack scripts read from the environment.
	env := os.Environ()
	if environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid)); err == nil {
		for _, kv := range strings.Split(string(environ), "\x00") {
			if strings.HasPrefix(kv, "P2P_BCRYPT_COST=") || strings.HasPrefix(kv, "P2P_TRACE_SAMPLE_RATIO=") {
				env = append(env, kv)
			}
		}
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill -9 %s (%d): %w", svc, pid, err)
	}
	if err := stack.Poll(context.Background(), 20*time.Millisecond, 10*time.Second, func() error {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return nil
		}
		return fmt.Errorf("%s (%d) still running", svc, pid)
	}); err != nil {
		return err
	}
	return startAgain(svc, env)
}
