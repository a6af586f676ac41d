// Command bench-tender measures tenders on one hot project against the running local
// stack: a project of -tenders tenders (100.00 each) is filled from -clients concurrent
// clients, then one more project per count in -then-clients, each from that many
// clients. It prints tenders/s and the tenders' latency per round, and after each round
// checks what must hold whatever the speed: the project raised exactly its amount and is
// FULL, and the bank holds frozen exactly what the run's projects raised. It asserts
// nothing else and fails only when one of those checks does.
//
//	go run ./test/cmd/bench-tender -tenders 2000 -clients 16 -then-clients 64
//
// The people, projects and clean-up come from test/cmd/internal/bench (as bench-plan).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
	"github.com/p2p-dtx/p2p-dtx/test/cmd/internal/bench"
)

var thenClients = flag.String("then-clients", "64", "comma-separated client counts of the rounds after the first (each on a new project); empty for one round")

func main() { bench.Main("bench-tender", 1, "0.12", rounds) }

// round is one filled project.
type round struct {
	clients   int
	took      time.Duration
	latencies []time.Duration
}

// rounds measures the first round (placed by bench.Main at -clients) and the others.
func rounds(ctx context.Context, r *bench.Run, first time.Duration) error {
	counts, err := parseCounts(*thenClients)
	if err != nil {
		return err
	}
	done := []round{{clients: r.O.Clients, took: first, latencies: slices.Clone(r.Latencies)}}
	if err := check(ctx, r, len(done)); err != nil {
		return err
	}
	for _, c := range counts {
		if err := r.Refill(ctx); err != nil {
			return err
		}
		if err := r.Next(ctx, "bench-tender", "0.12"); err != nil {
			return err
		}
		r.O.Clients = c
		took, err := r.PlaceTenders(ctx)
		if err != nil {
			return err
		}
		done = append(done, round{clients: c, took: took, latencies: slices.Clone(r.Latencies)})
		if err := check(ctx, r, len(done)); err != nil {
			return err
		}
	}
	fmt.Println()
	fmt.Printf("%d tenders of %s per project, one hot project per round, %d investors\n", r.O.Tenders, bench.TenderAmount, r.O.Investors)
	fmt.Printf("%8s %10s %12s %10s %10s %10s\n", "clients", "took", "tenders/s", "p50", "p99", "max")
	for _, d := range done {
		slices.Sort(d.latencies)
		fmt.Printf("%8d %10v %12.1f %10v %10v %10v\n", d.clients, d.took.Round(10*time.Millisecond),
			float64(len(d.latencies))/d.took.Seconds(), pct(d.latencies, 50), pct(d.latencies, 99), pct(d.latencies, 100))
	}
	fmt.Println("after every round: project FULL, raised = amount, the bank's frozen total = what the run's projects raised")
	return nil
}

// check verifies the latest project and the bank's frozen total after n rounds.
func check(ctx context.Context, r *bench.Run, n int) error {
	want := bench.Times(bench.TenderAmount, r.O.Tenders)
	p, err := r.P.Project(ctx, r.ProjectID)
	if err != nil {
		return err
	}
	if p.Status != "FULL" || p.Raised != want.String() {
		return fmt.Errorf("project %s is %s with %s raised, want FULL with %s", r.ProjectID, p.Status, p.Raised, want)
	}
	frozen := money.FromCents(0)
	for _, u := range r.Investors {
		b, err := u.Balance(ctx)
		if err != nil {
			return fmt.Errorf("balance of %s: %w", u.Username, err)
		}
		f, err := money.ParseAmount(b.Frozen)
		if err != nil {
			return fmt.Errorf("frozen of %s: %w", u.Username, err)
		}
		frozen = frozen.Add(f)
	}
	if all := bench.Times(bench.TenderAmount, r.O.Tenders*n); !frozen.Equal(all) {
		return fmt.Errorf("the bank holds %s frozen for the run's investors, the run's %d projects raised %s", frozen, n, all)
	}
	return nil
}

// parseCounts reads "64" or "32,64"; "" is no further round.
func parseCounts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, errors.New("-then-clients: want comma-separated positive counts, e.g. 64 or 32,64")
		}
		out = append(out, n)
	}
	return out, nil
}

// pct is the p-th percentile of sorted (nearest rank).
func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[max(i, 1)-1].Round(time.Millisecond)
}
