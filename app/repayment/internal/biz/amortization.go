package biz

import (
	"cmp"
	"errors"
	"fmt"
	"math/big"
	"math/bits"
	"slices"
	"time"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// Equal-installment (等额本息) amortization of a fully funded project: the borrower's
// repayment plan and every investor's receivable plan, exact to the cent.
//
// Rules (DESIGN.md "Money"), and the choices made where the design leaves room:
//
//   - Payment. A = P·r(1+r)^n / ((1+r)^n − 1) with r = borrower rate / 12, rounded to the
//     cent half away from zero (money.RoundCent's rule); A = P/n, rounded the same way,
//     when the rate is 0. A is computed exactly, as a ratio of integers (see
//     installmentCents), not with a decimal precision: a payment can lie exactly on a
//     half cent even when r does not terminate (4,199,328.60 at 10 % over 4 months pays
//     1,071,794.405 exactly, which must become .41), and decimal arithmetic at any fixed
//     number of places (20, 30, 40 …) gives 1,071,794.404999… and rounds it down.
//   - Borrower, period k. Interest = remaining principal × r, rounded to the cent;
//     principal = A − interest, but never more than what remains (that cap only bites
//     for loans of a few cents, where rounding A up would otherwise repay too early);
//     the last period repays exactly what remains, so principals sum to P.
//   - Investors' principal. A tender of amount T has repaid, after period k, its exact
//     pro-rata part of the borrower's cumulative principal C_k, i.e. C_k·T/P, rounded
//     down or up by largest remainder: every tender gets the part rounded down, and the
//     cents left over go to the largest fractions (ties: lower TenderID). A tender's
//     period principal is the difference of its cumulative parts, so per period the
//     tenders' principals add up to the borrower's, and since C_n = P each tender's add
//     up to its amount. Plain largest remainder can take a cent back as C_k grows (the
//     Alabama paradox: a small tender rounded up in one period is rounded down in the
//     next, a principal of −0.01), so principalSplit never takes a cent back and settles
//     the difference with the other tenders: a tender is never a cent or more ahead of
//     its exact part; in the rare period where the cents left over do not suffice, the
//     missing cents are taken, one per tender, from the tenders with the smallest
//     fractions, which then lag their exact part by between one and two cents until
//     later periods catch them up.
//   - Investors' interest. The investors' interest for the period is the borrower's
//     remaining principal × investor rate / 12, rounded to the cent, shared among the
//     tenders by largest remainder of remaining principal × investor rate / 12. Each
//     tender's interest is therefore its own interest rounded down or up. Rounding each
//     tender's interest on its own would be simpler, but with many tenders the roundings
//     add up to more than the spread, and the commission would go negative in some
//     periods whenever the spread is small or zero.
//   - Commission = borrower's amount − investors' amounts. By the two rules above it is
//     round(R·rb/12) − round(R·ri/12) for the remaining principal R, never negative when
//     the investor rate is at most the borrower rate, and exactly 0 when they are equal.
//     An investor rate above the borrower rate is refused with ErrNegativeCommission.
//
// All figures are integers of cents while computing, with 128-bit products where two
// figures are multiplied; the limits on principal and rates (MaxPrincipal, DECIMAL(9,6)
// rates) keep every product within 128 bits and every result within int64.

// Limits of a loan the platform amortizes.
const (
	MaxPeriods = 360 // thirty years of monthly payments

	maxPrincipalCents = 100_000_000_000_000 // 10^12 yuan
	microPerUnit      = 1_000_000           // rates are exact to six decimals
	maxRateMicro      = 999_999_999         // DECIMAL(9,6): at most 999.999999
	monthlyDivisor    = 12 * microPerUnit   // r = rate/12 = micro / monthlyDivisor
)

// MaxPrincipal is the largest principal Amortize accepts, far above any project.
func MaxPrincipal() money.Amount { return money.FromCents(maxPrincipalCents) }

var (
	// ErrInvalidLoanTerms wraps every refusal of the terms; the message names the problem.
	ErrInvalidLoanTerms = errors.New("invalid loan terms")
	// ErrNegativeCommission: the investors would earn more than the borrower pays, which
	// happens exactly when the investor rate is above the borrower rate.
	ErrNegativeCommission = errors.New("platform commission would be negative")
)

// TenderShare is one tender's part of the funded project.
type TenderShare struct {
	TenderID   int64
	InvestorID int64
	Amount     money.Amount
	// InvestorUserNo is the investor's custody user number, copied onto the receivables.
	InvestorUserNo string
}

// LoanTerms are what the plans are computed from; Principal is the sum of the tenders.
type LoanTerms struct {
	ProjectID    int64
	BorrowerID   int64
	Principal    money.Amount
	BorrowerRate money.Rate // annual; what the borrower pays
	InvestorRate money.Rate // annual; what investors earn, BorrowerRate minus the commission rate
	Periods      int        // months
	LoanDate     time.Time  // the day the money reached the borrower; its calendar date counts
	Tenders      []TenderShare
	// The bank's numbers of the project and the borrower, copied onto the plan.
	BankProjectNo  string
	BorrowerUserNo string
}

// Schedule is the outcome of a full-loan approval: the borrower's plan by period and the
// investors' plans ordered by tender (TenderID), then period — the order PlanRepo returns.
type Schedule struct {
	Repayments  []RepaymentItem
	Receivables []ReceivableItem
}

// Amortize computes the borrower's repayment plan and every tender's receivable plan for
// equal monthly installments. Every item is pending. Per period the tenders'
// principals add up to the borrower's principal, and the borrower's amount equals the
// investors' amounts plus the commission, to the cent. Refused terms give an error
// wrapping ErrInvalidLoanTerms (and ErrNegativeCommission for an investor rate above the
// borrower rate).
func Amortize(t LoanTerms) (Schedule, error) {
	borrowerMicro, investorMicro, err := validateTerms(t)
	if err != nil {
		return Schedule{}, err
	}
	n := t.Periods
	principal := t.Principal.Cents()
	payment := installmentCents(principal, borrowerMicro, n)

	tenders := slices.Clone(t.Tenders)
	slices.SortFunc(tenders, func(a, b TenderShare) int { return cmp.Compare(a.TenderID, b.TenderID) })
	outstanding := make([]int64, len(tenders)) // each tender's principal not yet repaid
	for i, tender := range tenders {
		outstanding[i] = tender.Amount.Cents()
	}
	principalSplit := newPrincipalSplit(outstanding, principal)

	s := Schedule{
		Repayments:  make([]RepaymentItem, 0, n),
		Receivables: make([]ReceivableItem, len(tenders)*n),
	}
	var interestSplit apportionment
	remaining := principal // the borrower's principal not yet repaid; always Σ outstanding
	for k := 1; k <= n; k++ {
		due := dueDate(t.LoanDate, k)
		interest := monthlyInterestCents(remaining, borrowerMicro)
		periodPrincipal := remaining
		if k < n {
			periodPrincipal = min(payment-interest, remaining)
		}
		if err := principalSplit.next(periodPrincipal); err != nil {
			return Schedule{}, err
		}
		investorInterest := monthlyInterestCents(remaining, investorMicro)
		if err := interestSplit.share(investorInterest, outstanding, uint64(investorMicro), monthlyDivisor); err != nil {
			return Schedule{}, err
		}

		var investorAmounts int64
		for i, tender := range tenders {
			p, in := principalSplit.shares[i], interestSplit.shares[i]
			investorAmounts += p + in
			s.Receivables[i*n+k-1] = ReceivableItem{
				ProjectID: t.ProjectID, TenderID: tender.TenderID, InvestorID: tender.InvestorID,
				Period: k, DueDate: due,
				Principal: money.FromCents(p), Interest: money.FromCents(in), Amount: money.FromCents(p + in),
				Status: ReceivablePending, InvestorUserNo: tender.InvestorUserNo,
			}
			outstanding[i] -= p
		}
		amount := periodPrincipal + interest
		commission := amount - investorAmounts
		if commission < 0 {
			// Unreachable with validated terms (see the rules above); kept so that a
			// change to the rules can never silently pay investors out of nowhere.
			return Schedule{}, fmt.Errorf("period %d: borrower pays %s, investors receive %s: %w",
				k, money.FromCents(amount), money.FromCents(investorAmounts), ErrNegativeCommission)
		}
		s.Repayments = append(s.Repayments, RepaymentItem{
			ProjectID: t.ProjectID, BorrowerID: t.BorrowerID, Period: k, DueDate: due,
			Principal: money.FromCents(periodPrincipal), Interest: money.FromCents(interest),
			Amount: money.FromCents(amount), Commission: money.FromCents(commission),
			Status: PlanPending, BankProjectNo: t.BankProjectNo, BorrowerUserNo: t.BorrowerUserNo,
		})
		remaining -= periodPrincipal
	}
	return s, nil
}

// validateTerms checks the terms and returns both rates in millionths.
func validateTerms(t LoanTerms) (borrowerMicro, investorMicro int64, err error) {
	invalid := func(format string, args ...any) (int64, int64, error) {
		return 0, 0, fmt.Errorf("%w: "+format, append([]any{ErrInvalidLoanTerms}, args...)...)
	}
	if t.Periods < 1 || t.Periods > MaxPeriods {
		return invalid("periods must be 1 to %d, got %d", MaxPeriods, t.Periods)
	}
	if !t.Principal.IsPositive() {
		return invalid("principal must be positive, got %s", t.Principal)
	}
	if t.Principal.Cmp(MaxPrincipal()) > 0 {
		return invalid("principal %s is above the limit %s", t.Principal, MaxPrincipal())
	}
	if borrowerMicro, err = rateMicro("borrower rate", t.BorrowerRate); err != nil {
		return 0, 0, err
	}
	if investorMicro, err = rateMicro("investor rate", t.InvestorRate); err != nil {
		return 0, 0, err
	}
	if investorMicro > borrowerMicro {
		return 0, 0, fmt.Errorf("%w: investor rate %s is above borrower rate %s: %w",
			ErrInvalidLoanTerms, t.InvestorRate, t.BorrowerRate, ErrNegativeCommission)
	}
	if t.LoanDate.IsZero() {
		return invalid("loan date is missing")
	}
	if len(t.Tenders) == 0 {
		return invalid("no tenders")
	}
	seen := make(map[int64]bool, len(t.Tenders))
	var sum int64
	for _, tender := range t.Tenders {
		if !tender.Amount.IsPositive() {
			return invalid("tender %d: amount must be positive, got %s", tender.TenderID, tender.Amount)
		}
		if seen[tender.TenderID] {
			return invalid("tender %d appears twice", tender.TenderID)
		}
		seen[tender.TenderID] = true
		// Compared before converting, so that neither Cents nor the sum can overflow.
		if tender.Amount.Cmp(t.Principal) > 0 {
			return invalid("tender %d: amount %s is above the principal %s", tender.TenderID, tender.Amount, t.Principal)
		}
		if sum += tender.Amount.Cents(); sum > t.Principal.Cents() {
			return invalid("tenders add up to more than the principal %s", t.Principal)
		}
	}
	if sum != t.Principal.Cents() {
		return invalid("tenders add up to %s, less than the principal %s", money.FromCents(sum), t.Principal)
	}
	return borrowerMicro, investorMicro, nil
}

// rateMicro is an annual rate in millionths (0.15 → 150000).
func rateMicro(name string, r money.Rate) (int64, error) {
	if r.IsNegative() {
		return 0, fmt.Errorf("%w: %s must not be negative, got %s", ErrInvalidLoanTerms, name, r)
	}
	d := r.Decimal().Shift(6)
	if !d.IsInteger() {
		return 0, fmt.Errorf("%w: %s %s has more than 6 decimals", ErrInvalidLoanTerms, name, r)
	}
	micro := d.BigInt()
	if !micro.IsInt64() || micro.Int64() > maxRateMicro {
		return 0, fmt.Errorf("%w: %s %s is above 999.999999", ErrInvalidLoanTerms, name, r)
	}
	return micro.Int64(), nil
}

// installmentCents is the monthly payment in cents for principal P (cents), an annual rate
// of micro millionths and n months, rounded half up.
//
// With b = 12·10^6 and c = b + micro, r = micro/b and 1+r = c/b, so
//
//	A = P·r·(1+r)^n / ((1+r)^n − 1) = P·micro·c^n / (b·(c^n − b^n))
//
// a ratio of integers evaluated exactly with math/big: no precision to choose, and a
// value on a half cent is recognised as such. c^n has at most about 3,250 digits
// (c < 10^9, n ≤ 360), and it is computed once per loan.
func installmentCents(principal, micro int64, n int) int64 {
	if micro == 0 {
		return (2*principal + int64(n)) / (2 * int64(n)) // round(P/n), half up
	}
	b := big.NewInt(monthlyDivisor)
	c := big.NewInt(monthlyDivisor + micro)
	exp := big.NewInt(int64(n))
	cn := new(big.Int).Exp(c, exp, nil)
	bn := new(big.Int).Exp(b, exp, nil)
	num := new(big.Int).Mul(big.NewInt(principal), big.NewInt(micro))
	num.Mul(num, cn)
	den := new(big.Int).Sub(cn, bn)
	den.Mul(den, b)
	// round half up: floor((2·num + den) / (2·den)); all terms are positive.
	num.Lsh(num, 1).Add(num, den)
	den.Lsh(den, 1)
	return num.Quo(num, den).Int64() // A ≤ P·(1+r) < 2^63 within the limits
}

// monthlyInterestCents is one month's interest on principal (cents) at an annual rate of
// micro millionths: principal·micro/(12·10^6), rounded half up. Exact, unlike
// principal × money.Rate.MonthlyRate(), which is cut at the 20th decimal for rates such
// as 0.10 and so rounds 100.20 × 0.10/12 = 0.835 down.
func monthlyInterestCents(principal, micro int64) int64 {
	hi, lo := bits.Mul64(uint64(principal), uint64(micro))
	lo, carry := bits.Add64(lo, monthlyDivisor/2, 0) // divisor is even: +½ then floor
	q, _ := bits.Div64(hi+carry, lo, monthlyDivisor)
	return int64(q)
}

// apportionment shares a total among tenders by largest remainder; its slices are reused
// from period to period.
type apportionment struct {
	shares    []int64
	fractions []uint64 // numerators of the fractional parts, over the common denominator
	order     []ranked
}

// share sets shares[i] to the exact quota weights[i]·mul/den rounded down, then gives one
// more cent to each of the largest fractional parts (ties: lower index) until the shares
// add up to total. The callers choose total so that it is at least the sum of the
// rounded-down quotas and at most that sum plus the number of non-zero fractions, which
// makes every share its quota rounded down or up; anything else is a bug, reported as an
// error rather than a wrong plan.
func (a *apportionment) share(total int64, weights []int64, mul, den uint64) error {
	n := len(weights)
	a.shares = slices.Grow(a.shares[:0], n)[:n]
	a.fractions = slices.Grow(a.fractions[:0], n)[:n]
	left := total
	for i, w := range weights {
		if mul == 0 || w == 0 {
			a.shares[i], a.fractions[i] = 0, 0
			continue
		}
		hi, lo := bits.Mul64(uint64(w), mul)
		q, r := bits.Div64(hi, lo, den) // callers keep the quota below 2^63
		a.shares[i], a.fractions[i] = int64(q), r
		left -= int64(q)
	}
	if left == 0 {
		return nil
	}
	a.order = a.order[:0]
	for i, f := range a.fractions {
		if f > 0 {
			a.order = append(a.order, ranked{f, i})
		}
	}
	if left < 0 || left > int64(len(a.order)) {
		return fmt.Errorf("apportioning %d cents: %d left over for %d fractions", total, left, len(a.order))
	}
	sortRanked(a.order, true)
	for _, r := range a.order[:left] {
		a.shares[r.index]++
	}
	return nil
}

// ranked is a tender (by index, i.e. by TenderID) with the fraction of its quota.
type ranked struct {
	fraction uint64
	index    int
}

// sortRanked orders by fraction, largest or smallest first, ties by lower index.
func sortRanked(r []ranked, largestFirst bool) {
	slices.SortFunc(r, func(a, b ranked) int {
		switch {
		case a.fraction == b.fraction:
			return a.index - b.index
		case (a.fraction > b.fraction) == largestFirst:
			return -1
		default:
			return 1
		}
	})
}

// principalSplit shares the borrower's principal of each period among the tenders (see
// "Investors' principal" above). Tender i's exact cumulative part is Q = C·T_i/P; its
// share of a period is what brings it from repaid[i] to ⌊Q⌋ — nothing if it is already
// at ⌈Q⌉ from an earlier round-up — and the cents left over go one each to the largest
// fractions of Q among the others. The cents left over are the sum of those fractions
// minus what the tenders at ⌈Q⌉ are ahead by, so there are never more of them than
// tenders with a fraction; they are negative only when the tenders ahead are ahead by
// more than the others' fractions add up to, and then that many cents are taken back,
// one each, from the tenders with a share and the smallest fractions.
type principalSplit struct {
	amounts   []int64 // T_i, cents
	total     int64   // P = Σ T_i
	repaid    []int64 // each tender's principal so far
	repaidC   int64   // C, the borrower's principal so far
	shares    []int64 // this period's shares
	fractions []uint64
	order     []ranked
}

func newPrincipalSplit(amounts []int64, total int64) *principalSplit {
	n := len(amounts)
	return &principalSplit{
		amounts: slices.Clone(amounts), total: total, repaid: make([]int64, n),
		shares: make([]int64, n), fractions: make([]uint64, n), order: make([]ranked, 0, n),
	}
}

// next shares periodPrincipal; the shares are in s.shares until the next call.
func (s *principalSplit) next(periodPrincipal int64) error {
	s.repaidC += periodPrincipal
	left := periodPrincipal
	for i, amount := range s.amounts {
		hi, lo := bits.Mul64(uint64(s.repaidC), uint64(amount))
		q, r := bits.Div64(hi, lo, uint64(s.total)) // Q ≤ T_i, so no overflow
		if due := int64(q) - s.repaid[i]; due >= 0 {
			s.shares[i], s.fractions[i] = due, r
		} else { // already at ⌈Q⌉: keeps it, gets nothing, and is no candidate for more
			s.shares[i], s.fractions[i] = 0, 0
		}
		left -= s.shares[i]
	}
	switch {
	case left > 0:
		s.order = s.order[:0]
		for i, f := range s.fractions {
			if f > 0 {
				s.order = append(s.order, ranked{f, i})
			}
		}
		if left > int64(len(s.order)) {
			return fmt.Errorf("sharing principal of %d cents: %d cents left over for %d fractions", periodPrincipal, left, len(s.order))
		}
		sortRanked(s.order, true)
		for _, r := range s.order[:left] {
			s.shares[r.index]++
		}
	case left < 0:
		// Σ shares = periodPrincipal − left ≥ −left, so there is always enough to take back.
		for left < 0 {
			s.order = s.order[:0]
			for i, sh := range s.shares {
				if sh > 0 {
					s.order = append(s.order, ranked{s.fractions[i], i})
				}
			}
			if len(s.order) == 0 { // cannot happen, see above; guards the loop
				return fmt.Errorf("sharing principal of %d cents: %d cents to take back from no share", periodPrincipal, -left)
			}
			sortRanked(s.order, false)
			for _, r := range s.order[:min(int64(len(s.order)), -left)] {
				s.shares[r.index]--
				left++
			}
		}
	}
	for i, sh := range s.shares {
		s.repaid[i] += sh
	}
	return nil
}

// dueDate is k months after the loan's calendar date, on the same day of the month or
// the month's last day if it is shorter (Jan 31 → Feb 28 or 29, Mar 31, Apr 30, …), at
// midnight UTC.
func dueDate(loan time.Time, k int) time.Time {
	y, m, d := loan.Date()
	first := time.Date(y, m+time.Month(k), 1, 0, 0, 0, 0, time.UTC)
	lastDay := first.AddDate(0, 1, -1).Day()
	return first.AddDate(0, 0, min(d, lastDay)-1)
}
