// Package bench is what the benchmarks under test/cmd share: their common flags, the
// people a run needs (a borrower and investors with funded custody accounts), the
// project they fill from concurrent clients, and removing the platform's rows afterwards.
// Each command measures its own path; everything here goes through test/driver.
package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
	"github.com/p2p-dtx/p2p-dtx/test/driver"
	"github.com/p2p-dtx/p2p-dtx/test/stack"
)

// TenderAmount is what every tender of a benchmark's project places.
const TenderAmount = "100.00"

// Options are the flags every benchmark takes.
type Options struct {
	Tenders, Periods, Investors, Clients int
	RunDir                               string // the stack's run directory: keys, secrets, logs
	Keep                                 bool   // leave the users and the project
}

// parse reads the shared flags from the command line; periods is the command's default
// loan length. The run directory defaults to test/stack's ($P2P_RUN_DIR or <repo>/.run).
func parse(periods int) (Options, error) {
	var o Options
	flag.IntVar(&o.Tenders, "tenders", 1000, "tenders in the project ("+TenderAmount+" each)")
	flag.IntVar(&o.Periods, "periods", periods, "monthly periods of the loan")
	flag.IntVar(&o.Investors, "investors", 10, "investors placing the tenders")
	flag.IntVar(&o.Clients, "clients", 16, "tenders placed concurrently")
	flag.StringVar(&o.RunDir, "run-dir", "", "the stack's run directory (default: $P2P_RUN_DIR or <repo>/.run)")
	flag.BoolVar(&o.Keep, "keep", false, "keep the platform's rows of the users and the project")
	flag.Parse()
	if o.Tenders < o.Investors || o.Investors < 1 || o.Periods < 1 || o.Clients < 1 {
		return o, errors.New("need -tenders ≥ -investors ≥ 1, -periods ≥ 1 and -clients ≥ 1")
	}
	if o.RunDir != "" {
		return o, nil
	}
	dir, err := stack.RunDir()
	o.RunDir = dir
	return o, err
}

// Main is a benchmark command: it parses the flags (periods is its default loan length),
// sets the run up (people, the project published at annualRate and reviewed, its tenders
// placed), hands it to measure with how long the tenders took, and removes the run's rows
// afterwards. A failure is printed as "<name>: …" and exits 1.
func Main(name string, periods int, annualRate string, measure func(context.Context, *Run, time.Duration) error) {
	o, err := parse(periods)
	if err == nil {
		err = run(context.Background(), name, o, annualRate, measure)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, name string, o Options, annualRate string, measure func(context.Context, *Run, time.Duration) error) error {
	r, err := start(ctx, o)
	if err != nil {
		return err
	}
	defer func() {
		if err := r.Cleanup(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, name+": cleanup:", err)
		}
	}()
	fmt.Printf("%s: %d tenders of %s from %d investors, %d periods\n", name, o.Tenders, TenderAmount, o.Investors, o.Periods)
	if err := r.People(ctx); err != nil {
		return err
	}
	if err := r.Publish(ctx, name, annualRate); err != nil {
		return err
	}
	tendering, err := r.PlaceTenders(ctx)
	if err != nil {
		return err
	}
	return measure(ctx, r, tendering)
}

// Run is one benchmark run: the platform, its admin, and what the run created, which
// Cleanup removes.
type Run struct {
	O         Options
	P         *driver.Platform
	Admin     *driver.Admin
	Borrower  *driver.User
	Investors []*driver.User
	ProjectID string
	// Earlier are the run's projects before ProjectID (Next), removed by Cleanup too.
	Earlier []string
	// Latencies are how long each tender of the last PlaceTenders took, in no order.
	Latencies []time.Duration
}

// start finds the running stack and logs the admin in.
func start(ctx context.Context, o Options) (*Run, error) {
	p, err := driver.FromRunDir(o.RunDir)
	if err != nil {
		return nil, fmt.Errorf("read the stack's run directory (is the stack up? make up): %w", err)
	}
	// Enough idle connections that the clients tendering at once do not open new ones.
	p.HTTP = &http.Client{Timeout: 60 * time.Second, Transport: stack.Transport(&http.Transport{MaxIdleConnsPerHost: max(o.Clients*2, 128)})}
	admin, err := p.Admin(ctx)
	if err != nil {
		return nil, err
	}
	return &Run{O: o, P: p, Admin: admin}, nil
}

// Times is n × a, exact (in whole cents).
func Times(a string, n int) money.Amount {
	return money.FromCents(money.MustParseAmount(a).Cents() * int64(n))
}

// People registers the borrower and the investors, each with a custody account opened
// at the bank; every investor is recharged with what their share of the tenders needs.
func (r *Run) People(ctx context.Context) error {
	funds := r.share()
	fmt.Printf("setting up: 1 borrower and %d investors with custody accounts (%s each)…\n", r.O.Investors, funds)
	t0 := time.Now()
	users := make([]*driver.User, r.O.Investors+1)
	errs := make([]error, len(users))
	var wg sync.WaitGroup
	for i := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i == 0 {
				users[i], errs[i] = r.person(ctx, "BORROWER", "")
			} else {
				users[i], errs[i] = r.person(ctx, "INVESTOR", funds)
			}
		}()
	}
	wg.Wait()
	r.Borrower, r.Investors = users[0], users[1:] // also the failed ones' partial rows, for Cleanup
	if err := errors.Join(errs...); err != nil {
		return err
	}
	fmt.Printf("  ready in %v\n", time.Since(t0).Round(100*time.Millisecond))
	return nil
}

// share is what one investor needs for its part of one project's tenders.
func (r *Run) share() string {
	return Times(TenderAmount, (r.O.Tenders+r.O.Investors-1)/r.O.Investors).String()
}

// Refill recharges every investor with its share of another project's tenders, so that
// Next's project can be filled too.
func (r *Run) Refill(ctx context.Context) error {
	errs := make([]error, len(r.Investors))
	var wg sync.WaitGroup
	for i, u := range r.Investors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := u.Recharge(ctx, r.share()); err != nil {
				errs[i] = fmt.Errorf("recharge for %s: %w", u.Username, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Next publishes and reviews another project like the first (Publish); the one before is
// kept in Earlier for Cleanup.
func (r *Run) Next(ctx context.Context, name, annualRate string) error {
	if r.ProjectID != "" {
		r.Earlier = append(r.Earlier, r.ProjectID)
	}
	return r.Publish(ctx, name, annualRate)
}

// person registers a user with a made-up name, opens their custody account and, for an
// investor, recharges it with funds. A user that registered is returned with the error.
func (r *Run) person(ctx context.Context, role, funds string) (*driver.User, error) {
	u, err := r.P.Register(ctx, driver.NewUser{Role: role})
	if err != nil {
		return nil, fmt.Errorf("register a %s: %w", role, err)
	}
	if err := u.OpenCustody(ctx); err != nil {
		return u, fmt.Errorf("custody account of %s: %w", u.Username, err)
	}
	if funds == "" {
		return u, nil
	}
	if err := u.Recharge(ctx, funds); err != nil {
		return u, fmt.Errorf("recharge for %s: %w", u.Username, err)
	}
	return u, nil
}

// Publish has the borrower publish the project the tenders fill (Tenders × TenderAmount
// over Periods at annualRate) and the admin review it.
func (r *Run) Publish(ctx context.Context, name, annualRate string) error {
	id, err := r.Borrower.Publish(ctx, driver.NewProject{Name: name,
		Amount: Times(TenderAmount, r.O.Tenders).String(), AnnualRate: annualRate, Periods: r.O.Periods})
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	r.ProjectID = id
	if _, err := r.Admin.Review(ctx, id, true); err != nil {
		return fmt.Errorf("review: %w", err)
	}
	return nil
}

// PlaceTenders fills the project with Tenders tenders, round-robin over the investors,
// from Clients clients at once, and returns how long it took.
func (r *Run) PlaceTenders(ctx context.Context) (time.Duration, error) {
	fmt.Printf("placing %d tenders of %s in project %s (%d at a time)…\n", r.O.Tenders, TenderAmount, r.ProjectID, r.O.Clients)
	t0 := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, r.O.Clients)
	took := make([][]time.Duration, r.O.Clients)
	for c := range r.O.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := int(next.Add(1)) - 1
				if n >= r.O.Tenders {
					return
				}
				sent := time.Now()
				if _, err := r.Investors[n%len(r.Investors)].Tender(ctx, r.ProjectID, TenderAmount); err != nil {
					errs[c] = fmt.Errorf("tender %d: %w", n, err)
					return
				}
				took[c] = append(took[c], time.Since(sent))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(t0)
	r.Latencies = r.Latencies[:0]
	for _, l := range took {
		r.Latencies = append(r.Latencies, l...)
	}
	return elapsed, errors.Join(errs...)
}
