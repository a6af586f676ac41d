package biz

import (
	"cmp"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// The expectations below are computed independently of the implementation: with exact
// rationals (math/big.Rat) straight from the textbook formulas, rounded by roundCentRat,
// which TestReferenceRoundingIsThePlatformRule ties to money.RoundCent.

func amt(s string) money.Amount { return money.MustParseAmount(s) }
func rate(s string) money.Rate  { return money.MustParseRate(s) }

var loanDay = time.Date(2025, time.March, 10, 0, 0, 0, 0, time.UTC)

// singleTender is a loan funded by one tender, investors earning 2 points less than the
// borrower pays when the borrower pays at least that.
func singleTender(principal, borrowerRate string, periods int) LoanTerms {
	investorRate := rate("0")
	if b := rate(borrowerRate); b.Cmp(rate("0.02")) >= 0 {
		investorRate = b.Sub(rate("0.02"))
	}
	return LoanTerms{
		ProjectID: 7, BorrowerID: 70, Principal: amt(principal),
		BorrowerRate: rate(borrowerRate), InvestorRate: investorRate,
		Periods: periods, LoanDate: loanDay,
		Tenders: []TenderShare{{TenderID: 1, InvestorID: 100, Amount: amt(principal)}},
	}
}

func ratOf(a money.Amount) *big.Rat { return a.Decimal().Rat() }

// roundCentRat rounds a non-negative number of yuan to the cent, half up.
func roundCentRat(x *big.Rat) money.Amount {
	if x.Sign() < 0 {
		panic("roundCentRat: negative " + x.String())
	}
	y := new(big.Rat).Mul(x, big.NewRat(100, 1))
	y.Add(y, big.NewRat(1, 2))
	return money.FromCents(new(big.Int).Quo(y.Num(), y.Denom()).Int64())
}

func monthlyRat(annual money.Rate) *big.Rat {
	return new(big.Rat).Quo(annual.Decimal().Rat(), big.NewRat(12, 1))
}

// referencePayment is P·r(1+r)^n / ((1+r)^n − 1), or P/n at a zero rate, rounded.
func referencePayment(p money.Amount, annual money.Rate, n int) money.Amount {
	return roundCentRat(exactPayment(p, annual, n))
}

func exactPayment(p money.Amount, annual money.Rate, n int) *big.Rat {
	r := monthlyRat(annual)
	if r.Sign() == 0 {
		return new(big.Rat).Quo(ratOf(p), big.NewRat(int64(n), 1))
	}
	q := new(big.Rat).Add(big.NewRat(1, 1), r)
	qn := big.NewRat(1, 1)
	for range n {
		qn.Mul(qn, q)
	}
	a := new(big.Rat).Mul(ratOf(p), r)
	a.Mul(a, qn)
	return a.Quo(a, new(big.Rat).Sub(qn, big.NewRat(1, 1)))
}

type periodFigures struct{ Principal, Interest, Amount money.Amount }

func (f periodFigures) String() string {
	return fmt.Sprintf("{principal %s interest %s amount %s}", f.Principal, f.Interest, f.Amount)
}

// referenceBorrowerPlan applies the design's rules period by period.
func referenceBorrowerPlan(p money.Amount, annual money.Rate, n int) []periodFigures {
	a := referencePayment(p, annual, n)
	r := monthlyRat(annual)
	remaining := p
	plan := make([]periodFigures, 0, n)
	for k := 1; k <= n; k++ {
		interest := roundCentRat(new(big.Rat).Mul(ratOf(remaining), r))
		principal := remaining
		if k < n && a.Sub(interest).Cmp(remaining) < 0 {
			principal = a.Sub(interest)
		}
		plan = append(plan, periodFigures{principal, interest, principal.Add(interest)})
		remaining = remaining.Sub(principal)
	}
	return plan
}

func borrowerFigures(items []RepaymentItem) []periodFigures {
	out := make([]periodFigures, len(items))
	for i, it := range items {
		out[i] = periodFigures{it.Principal, it.Interest, it.Amount}
	}
	return out
}

func equalFigures(a, b []periodFigures) bool {
	return slices.EqualFunc(a, b, func(x, y periodFigures) bool {
		return x.Principal.Equal(y.Principal) && x.Interest.Equal(y.Interest) && x.Amount.Equal(y.Amount)
	})
}

func TestReferenceRoundingIsThePlatformRule(t *testing.T) {
	t.Parallel()
	// Every value with three decimals, around several magnitudes, half cents included.
	for _, base := range []int64{0, 1_000, 123_456_789_000, 99_999_999_999_000} {
		for milli := base; milli < base+2_000; milli++ {
			d := money.FromCents(milli).Decimal().Shift(-1) // milli/1000 yuan
			want := money.RoundCent(d)
			if got := roundCentRat(d.Rat()); !got.Equal(want) {
				t.Fatalf("roundCentRat(%s) = %s, money.RoundCent = %s", d, got, want)
			}
		}
	}
}

func TestAmortizeKnownSchedules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		terms          LoanTerms
		wantPayment    string // the borrower's amount in every period but the last
		wantFirst      periodFigures
		wantPrincipals []string // all periods, when listed
		halfCent       bool     // the exact payment is on a half cent
		capped         bool     // a loan of cents: the principal runs out before the last period
	}{
		{
			name: "10,000 at 12% over 12 months", terms: singleTender("10000.00", "0.12", 12),
			wantPayment: "888.49", wantFirst: periodFigures{amt("788.49"), amt("100.00"), amt("888.49")},
		},
		{
			name: "100,000 at 15% over 36 months", terms: singleTender("100000", "0.15", 36),
			wantPayment: "3466.53", wantFirst: periodFigures{amt("2216.53"), amt("1250.00"), amt("3466.53")},
		},
		{
			name: "1,000 at 0% over 3 months", terms: singleTender("1000", "0", 3),
			wantPayment: "333.33", wantFirst: periodFigures{amt("333.33"), amt("0"), amt("333.33")},
			wantPrincipals: []string{"333.33", "333.33", "333.34"},
		},
		{
			// r = 0.10/12 does not terminate; the exact payment is 1,071,794.405.
			name: "payment exactly on a half cent, non-terminating rate", terms: singleTender("4199328.60", "0.10", 4),
			wantPayment: "1071794.41", wantFirst: periodFigures{amt("1036800.00"), amt("34994.41"), amt("1071794.41")},
			halfCent: true,
		},
		{
			// The exact payment is 520,302.005.
			name: "payment exactly on a half cent, 12%", terms: singleTender("2030200.50", "0.12", 4),
			wantPayment: "520302.01", wantFirst: periodFigures{amt("500000.00"), amt("20302.01"), amt("520302.01")},
			halfCent: true,
		},
		{
			// 100.20 × 0.10/12 = 0.835 exactly: rounds up, although 0.10/12 does not terminate.
			name: "one period, interest on a half cent", terms: singleTender("100.20", "0.10", 1),
			wantPayment: "101.04", wantFirst: periodFigures{amt("100.20"), amt("0.84"), amt("101.04")},
		},
		{
			// Rounding A up (0.00888 → 0.01) would repay 0.12 of 0.10: the principal stops at 0.
			name: "a loan of a few cents stops repaying when nothing is left", terms: singleTender("0.10", "0.12", 12),
			wantPayment: "0.01", wantFirst: periodFigures{amt("0.01"), amt("0"), amt("0.01")},
			wantPrincipals: []string{"0.01", "0.01", "0.01", "0.01", "0.01", "0.01", "0.01", "0.01", "0.01", "0.01", "0", "0"},
			capped:         true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			terms := tt.terms
			n := terms.Periods
			payment := referencePayment(terms.Principal, terms.BorrowerRate, n)
			if !payment.Equal(amt(tt.wantPayment)) {
				t.Fatalf("reference payment %s, the table says %s", payment, tt.wantPayment)
			}
			if tt.halfCent {
				halfBelow := new(big.Rat).Sub(ratOf(payment), big.NewRat(1, 200))
				if exact := exactPayment(terms.Principal, terms.BorrowerRate, n); exact.Cmp(halfBelow) != 0 {
					t.Fatalf("exact payment %s is not half a cent below %s", exact.FloatString(8), payment)
				}
			}

			s, err := Amortize(terms)
			if err != nil {
				t.Fatalf("Amortize: %v", err)
			}
			got := borrowerFigures(s.Repayments)
			if want := referenceBorrowerPlan(terms.Principal, terms.BorrowerRate, n); !equalFigures(got, want) {
				t.Fatalf("borrower plan\n got %v\nwant %v", got, want)
			}
			if !equalFigures(got[:1], []periodFigures{tt.wantFirst}) {
				t.Errorf("first period %v, want %v", got[0], tt.wantFirst)
			}
			var repaid money.Amount
			for k, p := range got {
				if k < n-1 && !tt.capped && !p.Amount.Equal(amt(tt.wantPayment)) {
					t.Errorf("period %d pays %s, want the installment %s", k+1, p.Amount, tt.wantPayment)
				}
				if tt.wantPrincipals != nil && !p.Principal.Equal(amt(tt.wantPrincipals[k])) {
					t.Errorf("period %d principal %s, want %s", k+1, p.Principal, tt.wantPrincipals[k])
				}
				if k < n-1 {
					repaid = repaid.Add(p.Principal)
				}
			}
			if last := got[n-1]; !last.Principal.Equal(terms.Principal.Sub(repaid)) {
				t.Errorf("last principal %s, want the remainder %s", last.Principal, terms.Principal.Sub(repaid))
			}
			checkInvariants(t, terms, s)
		})
	}
}

// TestAmortizePaymentMatchesTheFormulaOnLongLoans compares the payment with the exact
// rational one for long loans and large amounts, where a limited precision would show
// first.
func TestAmortizePaymentMatchesTheFormulaOnLongLoans(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(20250310, 360))
	for i := range 60 {
		cents := 1_000_000 + rng.Int64N(100_000_000_000_000-1_000_000) // 10,000.00 .. 10^12
		micro := 1 + rng.Int64N(360_000)                               // ≤ 0.36 with 6 decimals
		n := 2 + rng.IntN(MaxPeriods-1)
		if i < 4 {
			n = MaxPeriods
		}
		p := money.FromCents(cents)
		r := rateFromMicro(micro)
		terms := LoanTerms{
			ProjectID: 1, BorrowerID: 2, Principal: p, BorrowerRate: r, InvestorRate: r,
			Periods: n, LoanDate: loanDay, Tenders: []TenderShare{{TenderID: 1, InvestorID: 3, Amount: p}},
		}
		s, err := Amortize(terms)
		if err != nil {
			t.Fatalf("%s at %s over %d: %v", p, r, n, err)
		}
		if want := referencePayment(p, r, n); !s.Repayments[0].Amount.Equal(want) {
			t.Fatalf("%s at %s over %d: payment %s, want %s", p, r, n, s.Repayments[0].Amount, want)
		}
	}
}

func rateFromMicro(micro int64) money.Rate {
	return rate(fmt.Sprintf("%d.%06d", micro/1_000_000, micro%1_000_000))
}

// randomTerms: principal 100.00 .. 10,000,000.00, borrower rate 0 .. 0.36 and commission
// rate 0 .. 0.05 with at most 4 decimals, 1 .. 60 periods, 1 .. 50 tenders with shuffled
// ids; in a quarter of the cases some tenders are only a few yuan, the case where cent
// shares are most fragile.
func randomTerms(rng *rand.Rand) LoanTerms {
	principal := 10_000 + rng.Int64N(1_000_000_000-10_000+1)
	borrowerMicro := rng.Int64N(3_601) * 100
	commissionMicro := min(rng.Int64N(501)*100, borrowerMicro)
	n := 1 + rng.IntN(60)
	count := 1 + rng.IntN(50)

	amounts := make([]int64, 0, count)
	if rng.IntN(4) == 0 {
		rest := principal
		for range count - 1 {
			if small := 1 + rng.Int64N(500); small < rest {
				amounts = append(amounts, small)
				rest -= small
			}
		}
		amounts = append(amounts, rest)
	} else {
		cuts := map[int64]bool{}
		for len(cuts) < count-1 {
			cuts[1+rng.Int64N(principal-1)] = true
		}
		points := []int64{0, principal}
		for c := range cuts {
			points = append(points, c)
		}
		slices.Sort(points)
		for i := 1; i < len(points); i++ {
			amounts = append(amounts, points[i]-points[i-1])
		}
	}
	ids := rng.Perm(1000)
	tenders := make([]TenderShare, len(amounts))
	for i, a := range amounts {
		tenders[i] = TenderShare{TenderID: int64(ids[i] + 1), InvestorID: int64(5000 + rng.IntN(20)), Amount: money.FromCents(a)}
	}
	day := time.Date(2024, time.Month(1+rng.IntN(12)), 1+rng.IntN(31), 0, 0, 0, 0, time.UTC)
	return LoanTerms{
		ProjectID: int64(1 + rng.IntN(1000)), BorrowerID: int64(1 + rng.IntN(1000)),
		Principal:    money.FromCents(principal),
		BorrowerRate: rateFromMicro(borrowerMicro), InvestorRate: rateFromMicro(borrowerMicro - commissionMicro),
		Periods: n, LoanDate: day, Tenders: tenders,
	}
}

func TestAmortizeInvariantsOnRandomLoans(t *testing.T) {
	t.Parallel()
	const cases = 2000
	var kept atomic.Int64
	t.Cleanup(func() { // after every case has run
		if kept.Load() == 0 && !t.Failed() {
			t.Errorf("no tender ever kept a rounded-up cent: the loans do not exercise the rule")
		}
	})
	for i := range cases {
		terms := randomTerms(rand.New(rand.NewPCG(42, uint64(i))))
		t.Run(fmt.Sprintf("case%04d", i), func(t *testing.T) {
			t.Parallel()
			s, err := Amortize(terms)
			if err != nil {
				t.Fatalf("Amortize(%+v): %v", terms, err)
			}
			if want := referenceBorrowerPlan(terms.Principal, terms.BorrowerRate, terms.Periods); !equalFigures(borrowerFigures(s.Repayments), want) {
				t.Fatalf("borrower plan differs from the reference\n got %v\nwant %v", borrowerFigures(s.Repayments), want)
			}
			kept.Add(int64(checkInvariants(t, terms, s).kept))
		})
	}
}

// principalEvents counts the tender periods where the principal split departed from plain
// largest remainder on the cumulative principal.
type principalEvents struct {
	kept   int // a tender rounded up earlier kept its cent instead of losing it
	behind int // a tender fell more than a cent behind its exact part
}

// checkInvariants asserts everything a borrower, an investor or the platform's books rely
// on, for any terms. Sums are kept in cents (int64, exact); the share bounds are checked
// with exact integer fractions.
func checkInvariants(t *testing.T, terms LoanTerms, s Schedule) principalEvents {
	t.Helper()
	n := terms.Periods
	tenders := slices.Clone(terms.Tenders)
	slices.SortFunc(tenders, func(a, b TenderShare) int { return cmp.Compare(a.TenderID, b.TenderID) })
	if len(s.Repayments) != n || len(s.Receivables) != n*len(tenders) {
		t.Fatalf("%d repayment items and %d receivable items for %d periods and %d tenders",
			len(s.Repayments), len(s.Receivables), n, len(tenders))
	}
	// cents is a figure that must be a non-negative whole number of cents.
	cents := func(what string, a money.Amount) int64 {
		if a.IsNegative() || !a.Decimal().Shift(2).IsInteger() {
			t.Fatalf("%s = %s: not a non-negative whole number of cents", what, a)
		}
		return a.Cents()
	}
	ri := monthlyRat(terms.InvestorRate)
	riNum, riDen := ri.Num(), ri.Denom() // a month of interest on c cents: c·riNum/riDen cents

	tenderAmounts := make([]int64, len(tenders))
	for i, tender := range tenders {
		tenderAmounts[i] = tender.Amount.Cents()
	}
	outstanding := slices.Clone(tenderAmounts)
	remaining := terms.Principal.Cents()
	var events principalEvents
	var borrowerPrincipals int64
	tenderPrincipals := make([]int64, len(tenders))
	prevDue := terms.LoanDate
	for k := 1; k <= n; k++ {
		r := s.Repayments[k-1]
		what := fmt.Sprintf("period %d", k)
		if r.Period != k || r.ProjectID != terms.ProjectID || r.BorrowerID != terms.BorrowerID || r.Status != PlanPending {
			t.Fatalf("%s: repayment item %+v", what, r)
		}
		principal, interest := cents(what+" borrower principal", r.Principal), cents(what+" borrower interest", r.Interest)
		amount, commission := cents(what+" borrower amount", r.Amount), cents(what+" commission", r.Commission)
		if amount != principal+interest {
			t.Fatalf("%s: borrower amount %s ≠ principal %s + interest %s", what, r.Amount, r.Principal, r.Interest)
		}
		if !r.DueDate.After(prevDue) {
			t.Fatalf("%s: due %s, not after %s", what, r.DueDate, prevDue)
		}
		prevDue = r.DueDate

		var principals, interests, amounts int64
		var interestShares largestRemainder
		principalShares := cumulativeShares{events: &events}
		cumulative := terms.Principal.Cents() - remaining + principal // C_k
		for i, tender := range tenders {
			v := s.Receivables[i*n+k-1]
			if v.Period != k || v.TenderID != tender.TenderID || v.InvestorID != tender.InvestorID ||
				v.ProjectID != terms.ProjectID || v.Status != ReceivablePending || !v.DueDate.Equal(r.DueDate) {
				t.Fatalf("%s tender %d: receivable item %+v (borrower due %s)", what, tender.TenderID, v, r.DueDate)
			}
			vp, vi, va := cents("tender principal", v.Principal), cents("tender interest", v.Interest), cents("tender amount", v.Amount)
			if va != vp+vi {
				t.Fatalf("%s tender %d: amount %s ≠ principal %s + interest %s", what, tender.TenderID, v.Amount, v.Principal, v.Interest)
			}
			// Its principal so far against its exact part of the borrower's, C_k·T/P, and
			// its interest against its own exact interest.
			num := new(big.Int).Mul(big.NewInt(cumulative), big.NewInt(tenderAmounts[i]))
			principalShares.add(t, shareOf{k, tender.TenderID, "principal so far"},
				tenderPrincipals[i], tenderPrincipals[i]+vp, num, big.NewInt(terms.Principal.Cents()))
			num = new(big.Int).Mul(big.NewInt(outstanding[i]), riNum)
			interestShares.add(t, shareOf{k, tender.TenderID, "interest"}, vi, num, riDen)
			principals += vp
			interests += vi
			amounts += va
			outstanding[i] -= vp
			tenderPrincipals[i] += vp
		}
		principalShares.check(t, what+" principal")
		interestShares.check(t, what+" interest")
		if principals != principal {
			t.Fatalf("%s: tenders' principals add up to %d cents, borrower repays %s", what, principals, r.Principal)
		}
		// The investors' interest is the project's, rounded once.
		if want := roundCentRat(new(big.Rat).Mul(ratOf(money.FromCents(remaining)), ri)).Cents(); interests != want {
			t.Fatalf("%s: tenders' interest adds up to %d cents, want %d", what, interests, want)
		}
		if amount != amounts+commission {
			t.Fatalf("%s: borrower pays %s ≠ investors %d cents + commission %s", what, r.Amount, amounts, r.Commission)
		}
		if terms.InvestorRate.Equal(terms.BorrowerRate) && commission != 0 {
			t.Fatalf("%s: commission %s although investors earn the borrower's rate", what, r.Commission)
		}
		borrowerPrincipals += principal
		remaining -= principal
	}
	if borrowerPrincipals != terms.Principal.Cents() {
		t.Fatalf("borrower's principals add up to %d cents, not %s", borrowerPrincipals, terms.Principal)
	}
	for i, tender := range tenders {
		if tenderPrincipals[i] != tenderAmounts[i] {
			t.Fatalf("tender %d: principals add up to %d cents, not its amount %s", tender.TenderID, tenderPrincipals[i], tender.Amount)
		}
	}
	return events
}

// cumulativeShares checks the tenders' principal so far, period by period, against the
// exact part num/den of the borrower's (den the same for all): never a cent ahead of it
// (at most rounded up), never two cents behind it; where a cent was given this period it
// went to a larger fraction than any that stayed rounded down, and where one was taken
// back it came from a smaller fraction than any rounded down that had a share.
type cumulativeShares struct {
	largestRemainder
	events                   *principalEvents
	maxBehind, minFloorShare *big.Int // fractions
}

func (c *cumulativeShares) check(t *testing.T, what string) {
	c.largestRemainder.check(t, what)
	if c.maxBehind != nil && c.minFloorShare != nil && c.maxBehind.Cmp(c.minFloorShare) > 0 {
		t.Fatalf("%s: a cent was taken back from a larger fraction (%s) than one left rounded down (%s)", what, c.maxBehind, c.minFloorShare)
	}
}

func (c *cumulativeShares) add(t *testing.T, what shareOf, before, after int64, num, den *big.Int) {
	floor, frac := new(big.Int).QuoRem(num, den, new(big.Int))
	ceil := new(big.Int).Set(floor)
	if frac.Sign() > 0 {
		ceil.Add(ceil, big.NewInt(1))
	}
	exact := func() string { return new(big.Rat).SetFrac(num, den).FloatString(4) }
	switch got := big.NewInt(after); {
	case got.Cmp(ceil) > 0:
		t.Fatalf("%s: principal so far %d cents, a cent or more ahead of its exact part %s", what, after, exact())
	case new(big.Int).Sub(floor, got).Cmp(big.NewInt(1)) > 0:
		t.Fatalf("%s: principal so far %d cents, two cents or more behind its exact part %s", what, after, exact())
	case big.NewInt(before).Cmp(floor) > 0: // rounded up before and still ahead: keeps its cent
		c.events.kept++
	case got.Cmp(floor) < 0:
		c.events.behind++
		if c.maxBehind == nil || frac.Cmp(c.maxBehind) > 0 {
			c.maxBehind = frac
		}
	default:
		c.largestRemainder.add(t, what, after, num, den)
		if got.Cmp(floor) == 0 && after > before && (c.minFloorShare == nil || frac.Cmp(c.minFloorShare) < 0) {
			c.minFloorShare = frac
		}
	}
}

// shareOf names a tender's figure in a period, for failure messages.
type shareOf struct {
	period int
	tender int64
	figure string
}

func (w shareOf) String() string {
	return fmt.Sprintf("period %d tender %d %s", w.period, w.tender, w.figure)
}

// largestRemainder checks the tenders' shares of one figure in one period: each share is
// its exact quota num/den (den the same for all) rounded down or up, and the cents that
// were rounded up went to the largest fractions.
type largestRemainder struct {
	minUp, maxDown *big.Int // numerators of the quotas' fractional parts
}

func (c *largestRemainder) add(t *testing.T, what shareOf, got int64, num, den *big.Int) {
	floor, frac := new(big.Int).QuoRem(num, den, new(big.Int))
	switch {
	case floor.Cmp(big.NewInt(got)) == 0:
		if c.maxDown == nil || frac.Cmp(c.maxDown) > 0 {
			c.maxDown = frac
		}
	case frac.Sign() > 0 && floor.Cmp(big.NewInt(got-1)) == 0:
		if c.minUp == nil || frac.Cmp(c.minUp) < 0 {
			c.minUp = frac
		}
	default:
		t.Fatalf("%s = %d cents, not its exact share %s rounded down or up", what, got, new(big.Rat).SetFrac(num, den).FloatString(4))
	}
}

func (c *largestRemainder) check(t *testing.T, what string) {
	if c.minUp != nil && c.maxDown != nil && c.minUp.Cmp(c.maxDown) < 0 {
		t.Fatalf("%s: a share was rounded up with a smaller fraction (%s) than one rounded down (%s)", what, c.minUp, c.maxDown)
	}
}

func TestAmortizeCommissionIsTheSpread(t *testing.T) {
	t.Parallel()
	// Three tenders whose interest is exactly half a cent each: rounded one by one they
	// would take 0.03 from a borrower paying 0.02 (1,800 cents × 1% / 12 = 1.5 cents).
	terms := LoanTerms{
		ProjectID: 9, BorrowerID: 90, Principal: amt("18.00"),
		BorrowerRate: rate("0.01"), InvestorRate: rate("0.01"), Periods: 1, LoanDate: loanDay,
		Tenders: []TenderShare{
			{TenderID: 3, InvestorID: 103, Amount: amt("6.00")},
			{TenderID: 1, InvestorID: 101, Amount: amt("6.00")},
			{TenderID: 2, InvestorID: 102, Amount: amt("6.00")},
		},
	}
	s, err := Amortize(terms)
	if err != nil {
		t.Fatalf("Amortize: %v", err)
	}
	if r := s.Repayments[0]; !r.Interest.Equal(amt("0.02")) || !r.Commission.IsZero() {
		t.Fatalf("borrower interest %s commission %s, want 0.02 and 0.00", r.Interest, r.Commission)
	}
	// Equal fractions: the cents go to the lower tender ids.
	for i, want := range []string{"0.01", "0.01", "0.00"} {
		if v := s.Receivables[i]; v.TenderID != int64(i+1) || !v.Interest.Equal(amt(want)) {
			t.Errorf("receivable %d: tender %d interest %s, want tender %d interest %s", i, v.TenderID, v.Interest, i+1, want)
		}
	}
	checkInvariants(t, terms, s)

	// A 3-point spread on 120,000 over 12 months: the commission is the borrower's
	// interest minus the investors', period by period.
	terms = LoanTerms{
		ProjectID: 9, BorrowerID: 90, Principal: amt("120000"),
		BorrowerRate: rate("0.12"), InvestorRate: rate("0.09"), Periods: 12, LoanDate: loanDay,
		Tenders: []TenderShare{{TenderID: 1, InvestorID: 1, Amount: amt("70000")}, {TenderID: 2, InvestorID: 2, Amount: amt("50000")}},
	}
	if s, err = Amortize(terms); err != nil {
		t.Fatalf("Amortize: %v", err)
	}
	if r := s.Repayments[0]; !r.Interest.Equal(amt("1200.00")) || !r.Commission.Equal(amt("300.00")) {
		t.Errorf("first period interest %s commission %s, want 1200.00 and 300.00", r.Interest, r.Commission)
	}
	checkInvariants(t, terms, s)
}

// plainCumulativeShares is textbook largest remainder of the cumulative principal C among
// amounts summing to total: what each tender would have repaid so far without the
// split's never-take-back rule.
func plainCumulativeShares(c int64, amounts []int64, total int64) []int64 {
	shares := make([]int64, len(amounts))
	fractions := make([]*big.Int, len(amounts))
	left := c
	for i, a := range amounts {
		q, r := new(big.Int).QuoRem(new(big.Int).Mul(big.NewInt(c), big.NewInt(a)), big.NewInt(total), new(big.Int))
		shares[i], fractions[i] = q.Int64(), r
		left -= shares[i]
	}
	order := make([]int, len(amounts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int { return fractions[j].Cmp(fractions[i]) })
	for _, i := range order[:left] {
		shares[i]++
	}
	return shares
}

func TestAmortizeNeverTakesAPrincipalCentBack(t *testing.T) {
	t.Parallel()
	manySmall := []int64{}
	for id := int64(1); id <= 40; id++ {
		manySmall = append(manySmall, 1+(id*37)%500)
	}
	tests := []struct {
		name      string
		amounts   []int64 // cents; the last is the large tender
		rate      string
		periods   int
		wantPlain []int64 // the first tender's principal so far by plain largest remainder, if shown
	}{
		// Plain largest remainder would give the 0.01 tender its cent in period 4 and take
		// it back in period 5: a principal of −0.01.
		{"a one-cent tender", []int64{1, 42, 80_269_858}, "0.18", 8, []int64{0, 0, 0, 1, 0, 1, 1, 1}},
		{"forty small tenders", append(manySmall, 999_990_000), "0.1234", 60, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var total int64
			tenders := make([]TenderShare, len(tt.amounts))
			for i, a := range tt.amounts {
				tenders[i] = TenderShare{TenderID: int64(i + 1), InvestorID: int64(i + 1), Amount: money.FromCents(a)}
				total += a
			}
			terms := LoanTerms{
				ProjectID: 1, BorrowerID: 1, Principal: money.FromCents(total), BorrowerRate: rate(tt.rate), InvestorRate: rate("0.06"),
				Periods: tt.periods, LoanDate: loanDay, Tenders: tenders,
			}
			s, err := Amortize(terms)
			if err != nil {
				t.Fatalf("Amortize: %v", err)
			}
			if tt.wantPlain != nil {
				var c int64
				plain := make([]int64, 0, tt.periods)
				for _, r := range s.Repayments {
					c += r.Principal.Cents()
					plain = append(plain, plainCumulativeShares(c, tt.amounts, total)[0])
				}
				if !slices.Equal(plain, tt.wantPlain) {
					t.Fatalf("plain largest remainder now gives the first tender %v, not %v", plain, tt.wantPlain)
				}
			}
			if events := checkInvariants(t, terms, s); events.kept == 0 {
				t.Errorf("no tender kept a rounded-up cent: the case does not exercise the rule")
			}
		})
	}
}

// TestPrincipalSplitTakesCentsBackWhenItMust drives the split with principal sequences
// found by search where the tenders that keep a cent are ahead by more than the others'
// fractions add up to, so cents must be taken back from other tenders (rare: not one of
// TestAmortizeInvariantsOnRandomLoans's loans needs it).
func TestPrincipalSplitTakesCentsBackWhenItMust(t *testing.T) {
	t.Parallel()
	tests := []struct {
		amounts    []int64
		principals []int64
	}{
		{[]int64{6, 1, 6, 14, 22, 1}, []int64{1, 2, 4, 4, 4, 4, 6, 9, 16}}, // growing, like an amortization
		{[]int64{1, 9, 9, 1, 1, 9}, []int64{5, 5, 6, 2, 2, 5, 5}},
		{[]int64{27, 27, 29, 25, 11, 5, 1}, []int64{62, 2, 1, 3, 57}}, // fractions decide whom
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.amounts, tt.principals), func(t *testing.T) {
			t.Parallel()
			var total int64
			for _, a := range tt.amounts {
				total += a
			}
			split := newPrincipalSplit(tt.amounts, total)
			var events principalEvents
			repaid := make([]int64, len(tt.amounts))
			var c int64
			for k, p := range tt.principals {
				if err := split.next(p); err != nil {
					t.Fatalf("period %d: %v", k+1, err)
				}
				c += p
				shares := cumulativeShares{events: &events}
				var sum int64
				for i, sh := range split.shares {
					if sh < 0 {
						t.Fatalf("period %d tender %d: share %d", k+1, i, sh)
					}
					sum += sh
					shares.add(t, shareOf{k + 1, int64(i), "principal so far"}, repaid[i], repaid[i]+sh,
						big.NewInt(c*tt.amounts[i]), big.NewInt(total))
					repaid[i] += sh
				}
				shares.check(t, fmt.Sprintf("period %d", k+1))
				if sum != p {
					t.Fatalf("period %d: shares add up to %d, not %d", k+1, sum, p)
				}
			}
			if !slices.Equal(repaid, tt.amounts) {
				t.Fatalf("tenders repaid %v, not %v", repaid, tt.amounts)
			}
			if events.behind == 0 {
				t.Errorf("no cent was taken back: the case does not exercise the rule")
			}
		})
	}
}

func TestAmortizeIgnoresTheOrderOfTenders(t *testing.T) {
	t.Parallel()
	terms := randomTerms(rand.New(rand.NewPCG(7, 7)))
	want, err := Amortize(terms)
	if err != nil {
		t.Fatalf("Amortize: %v", err)
	}
	if len(terms.Tenders) < 5 {
		t.Fatalf("want a loan with several tenders, got %d", len(terms.Tenders))
	}
	shuffled := terms
	shuffled.Tenders = slices.Clone(terms.Tenders)
	rand.New(rand.NewPCG(1, 1)).Shuffle(len(shuffled.Tenders), func(i, j int) {
		shuffled.Tenders[i], shuffled.Tenders[j] = shuffled.Tenders[j], shuffled.Tenders[i]
	})
	given := slices.Clone(shuffled.Tenders)
	got, err := Amortize(shuffled)
	if err != nil {
		t.Fatalf("Amortize: %v", err)
	}
	if !slices.EqualFunc(got.Repayments, want.Repayments, sameRepayment) ||
		!slices.EqualFunc(got.Receivables, want.Receivables, sameReceivable) {
		t.Fatalf("the schedule depends on the order of the tenders")
	}
	if !slices.EqualFunc(given, shuffled.Tenders, func(a, b TenderShare) bool {
		return a.TenderID == b.TenderID && a.InvestorID == b.InvestorID && a.Amount.Equal(b.Amount)
	}) {
		t.Fatalf("Amortize reordered the caller's tenders")
	}
}

func sameRepayment(a, b RepaymentItem) bool {
	return a.ProjectID == b.ProjectID && a.BorrowerID == b.BorrowerID && a.Period == b.Period &&
		a.DueDate.Equal(b.DueDate) && a.Principal.Equal(b.Principal) && a.Interest.Equal(b.Interest) &&
		a.Amount.Equal(b.Amount) && a.Commission.Equal(b.Commission) && a.Status == b.Status
}

func sameReceivable(a, b ReceivableItem) bool {
	return a.ProjectID == b.ProjectID && a.TenderID == b.TenderID && a.InvestorID == b.InvestorID &&
		a.Period == b.Period && a.DueDate.Equal(b.DueDate) && a.Principal.Equal(b.Principal) &&
		a.Interest.Equal(b.Interest) && a.Amount.Equal(b.Amount) && a.Status == b.Status
}

func TestAmortizeDueDates(t *testing.T) {
	t.Parallel()
	shanghai := time.FixedZone("CST", 8*3600)
	date := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name string
		loan time.Time
		want []time.Time
	}{
		{"Jan 31 clamps to month ends", date(2025, time.January, 31),
			[]time.Time{date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30), date(2025, 5, 31), date(2025, 6, 30)}},
		{"leap year: Jan 31 → Feb 29", date(2024, time.January, 31),
			[]time.Time{date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30)}},
		{"Feb 29 keeps the 29th, then Feb 28 a year on", date(2024, time.February, 29),
			[]time.Time{date(2024, 3, 29), date(2024, 4, 29), date(2024, 5, 29), date(2024, 6, 29), date(2024, 7, 29),
				date(2024, 8, 29), date(2024, 9, 29), date(2024, 10, 29), date(2024, 11, 29), date(2024, 12, 29),
				date(2025, 1, 29), date(2025, 2, 28), date(2025, 3, 29)}},
		{"across the year end", date(2025, time.November, 30),
			[]time.Time{date(2025, 12, 30), date(2026, 1, 30), date(2026, 2, 28), date(2026, 3, 30)}},
		{"the loan's own calendar date, due at midnight UTC",
			time.Date(2025, time.March, 31, 23, 30, 0, 0, shanghai), // 15:30 UTC the same day
			[]time.Time{date(2025, 4, 30), date(2025, 5, 31)}},
		{"a loan made just after midnight in Shanghai is still the 1st",
			time.Date(2025, time.March, 1, 0, 30, 0, 0, shanghai), // Feb 28 in UTC
			[]time.Time{date(2025, 4, 1), date(2025, 5, 1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			terms := singleTender("1200", "0.12", len(tt.want))
			terms.LoanDate = tt.loan
			s, err := Amortize(terms)
			if err != nil {
				t.Fatalf("Amortize: %v", err)
			}
			for k, want := range tt.want {
				if got := s.Repayments[k].DueDate; !got.Equal(want) || got.Location() != time.UTC {
					t.Errorf("period %d due %s, want %s", k+1, got, want)
				}
				if got := s.Receivables[k].DueDate; !got.Equal(want) {
					t.Errorf("period %d receivable due %s, want %s", k+1, got, want)
				}
			}
		})
	}
	// Thirty years from a month end.
	terms := singleTender("360000", "0.05", MaxPeriods)
	terms.LoanDate = date(2025, time.August, 31)
	s, err := Amortize(terms)
	if err != nil {
		t.Fatalf("Amortize: %v", err)
	}
	if got, want := s.Repayments[MaxPeriods-1].DueDate, date(2055, time.August, 31); !got.Equal(want) {
		t.Errorf("period 360 due %s, want %s", got, want)
	}
	if got, want := s.Repayments[5].DueDate, date(2026, time.February, 28); !got.Equal(want) {
		t.Errorf("period 6 due %s, want %s", got, want)
	}
}

func TestAmortizeRefusesBadTerms(t *testing.T) {
	t.Parallel()
	valid := func() LoanTerms {
		return LoanTerms{
			ProjectID: 1, BorrowerID: 2, Principal: amt("1000"),
			BorrowerRate: rate("0.12"), InvestorRate: rate("0.10"), Periods: 12, LoanDate: loanDay,
			Tenders: []TenderShare{{TenderID: 1, InvestorID: 10, Amount: amt("600")}, {TenderID: 2, InvestorID: 11, Amount: amt("400")}},
		}
	}
	if _, err := Amortize(valid()); err != nil {
		t.Fatalf("the valid terms are refused: %v", err)
	}
	negative := rate("0").Sub(rate("0.01"))
	tests := []struct {
		name     string
		change   func(*LoanTerms)
		wantText string
		alsoIs   error
	}{
		{"no periods", func(l *LoanTerms) { l.Periods = 0 }, "periods", nil},
		{"negative periods", func(l *LoanTerms) { l.Periods = -3 }, "periods", nil},
		{"more than 30 years", func(l *LoanTerms) { l.Periods = MaxPeriods + 1 }, "periods", nil},
		{"zero principal", func(l *LoanTerms) { l.Principal = amt("0") }, "principal must be positive", nil},
		{"negative principal", func(l *LoanTerms) { l.Principal = money.FromCents(-100_000) }, "principal must be positive", nil},
		{"principal above the limit", func(l *LoanTerms) {
			l.Principal = MaxPrincipal().Add(amt("0.01"))
			l.Tenders = []TenderShare{{TenderID: 1, Amount: l.Principal}}
		}, "above the limit", nil},
		{"negative borrower rate", func(l *LoanTerms) { l.BorrowerRate, l.InvestorRate = negative, negative }, "borrower rate must not be negative", nil},
		{"negative investor rate", func(l *LoanTerms) { l.InvestorRate = negative }, "investor rate must not be negative", nil},
		{"investor rate above borrower rate", func(l *LoanTerms) { l.InvestorRate = rate("0.120001") }, "above borrower rate", ErrNegativeCommission},
		{"rate beyond DECIMAL(9,6)", func(l *LoanTerms) { l.BorrowerRate = rate("999.999999").Add(rate("0.000001")) }, "above 999.999999", nil},
		{"no loan date", func(l *LoanTerms) { l.LoanDate = time.Time{} }, "loan date", nil},
		{"no tenders", func(l *LoanTerms) { l.Tenders = nil }, "no tenders", nil},
		{"zero tender", func(l *LoanTerms) {
			l.Tenders = append(l.Tenders, TenderShare{TenderID: 3, Amount: amt("0")})
		}, "tender 3: amount must be positive", nil},
		{"negative tender", func(l *LoanTerms) {
			l.Tenders = []TenderShare{{TenderID: 1, Amount: amt("1100")}, {TenderID: 2, Amount: money.FromCents(-10_000)}}
		}, "above the principal", nil},
		{"negative tender within the principal", func(l *LoanTerms) {
			l.Tenders = []TenderShare{{TenderID: 1, Amount: money.FromCents(-10_000)}, {TenderID: 2, Amount: amt("1100")}}
		}, "tender 1: amount must be positive", nil},
		{"same tender twice", func(l *LoanTerms) { l.Tenders[1].TenderID = 1 }, "tender 1 appears twice", nil},
		{"tenders short of the principal", func(l *LoanTerms) { l.Tenders[1].Amount = amt("399.99") }, "less than the principal", nil},
		{"tenders above the principal", func(l *LoanTerms) { l.Tenders[1].Amount = amt("400.01") }, "more than the principal", nil},
		{"one tender above the principal", func(l *LoanTerms) {
			l.Tenders = []TenderShare{{TenderID: 1, Amount: amt("1000000000000000")}}
		}, "above the principal", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			terms := valid()
			tt.change(&terms)
			s, err := Amortize(terms)
			if !errors.Is(err, ErrInvalidLoanTerms) {
				t.Fatalf("Amortize = %d repayment items, error %v; want ErrInvalidLoanTerms", len(s.Repayments), err)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not say %q", err, tt.wantText)
			}
			if tt.alsoIs != nil && !errors.Is(err, tt.alsoIs) {
				t.Errorf("error %q is not %v", err, tt.alsoIs)
			}
			if len(s.Repayments) != 0 || len(s.Receivables) != 0 {
				t.Errorf("a refused loan still has a schedule")
			}
		})
	}
}

func BenchmarkAmortize1000Tenders36Periods(b *testing.B) {
	tenders := make([]TenderShare, 1000)
	var total int64
	rng := rand.New(rand.NewPCG(1, 36))
	for i := range tenders {
		cents := 10_000 + rng.Int64N(5_000_000) // 100.00 .. 50,100.00
		tenders[i] = TenderShare{TenderID: int64(i + 1), InvestorID: int64(i%97 + 1), Amount: money.FromCents(cents)}
		total += cents
	}
	terms := LoanTerms{
		ProjectID: 1, BorrowerID: 1, Principal: money.FromCents(total),
		BorrowerRate: rate("0.1325"), InvestorRate: rate("0.1075"), Periods: 36, LoanDate: loanDay, Tenders: tenders,
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Amortize(terms); err != nil {
			b.Fatal(err)
		}
	}
}
