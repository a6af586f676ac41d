package money

import (
	"database/sql/driver"
	"fmt"

	"github.com/shopspring/decimal"
)

var twelve = decimal.NewFromInt(12)

// monthlyRatePlaces is where MonthlyRate rounds a non-terminating quotient (0.10/12 =
// 0.00833…): the error is below 1e-20 per yuan per period, far from any cent.
const monthlyRatePlaces = 20

// Rate is an interest rate as a fraction (0.15 is 15 %), exact to six decimals. Annual
// rates are the usual kind; the type does not care. The zero value is 0.
//
// Parsed rates are non-negative and fit a DECIMAL(9,6) column; Sub may give a negative
// rate (a spread).
type Rate struct {
	_ [0]func() // == would compare the decimal's internal pointers; use Equal or Cmp
	d decimal.Decimal
}

func micro(d decimal.Decimal) Rate { return Rate{d: d.Round(rateFormat.places)} }

// ParseRate parses a non-negative rate with at most 6 decimals and at most 3 digits
// before the decimal point, such as "0.15", "0.085" or "0.150000". Errors are *ParseError.
func ParseRate(s string) (Rate, error) {
	d, err := rateFormat.parse(s, false)
	if err != nil {
		return Rate{}, err
	}
	return Rate{d: d}, nil
}

// MustParseRate is ParseRate that panics on error, for constants and tests.
func MustParseRate(s string) Rate {
	r, err := ParseRate(s)
	if err != nil {
		panic(err)
	}
	return r
}

func parseSignedRate(s string) (Rate, error) {
	d, err := rateFormat.parse(s, true)
	if err != nil {
		return Rate{}, err
	}
	return Rate{d: d}, nil
}

// Add returns r + o.
func (r Rate) Add(o Rate) Rate { return micro(r.d.Add(o.d)) }

// Sub returns r − o, e.g. the platform's spread between the borrower's and the
// investors' rates; it is negative if o > r.
func (r Rate) Sub(o Rate) Rate { return micro(r.d.Sub(o.d)) }

// Cmp returns -1, 0 or +1 as r is less than, equal to or greater than o.
func (r Rate) Cmp(o Rate) int { return r.d.Cmp(o.d) }

// Equal reports whether r and o are the same rate.
func (r Rate) Equal(o Rate) bool { return r.d.Equal(o.d) }

// IsZero reports whether r is 0.
func (r Rate) IsZero() bool { return r.d.IsZero() }

// IsNegative reports whether r < 0 (only a Sub result can be).
func (r Rate) IsNegative() bool { return r.d.IsNegative() }

// Decimal returns the rate as a fraction for computations.
func (r Rate) Decimal() decimal.Decimal { return r.d }

// MonthlyRate returns r/12 without rounding to any money precision: exact when the
// quotient terminates (0.15 → 0.0125, always within 8 decimals for a 6-decimal rate),
// otherwise rounded at the 20th decimal (0.10 → 0.00833333333333333333). Round only the
// money figures computed from it, with RoundCent.
func (r Rate) MonthlyRate() decimal.Decimal {
	if q := r.d.DivRound(twelve, rateFormat.places+2); q.Mul(twelve).Equal(r.d) {
		return q
	}
	return r.d.DivRound(twelve, monthlyRatePlaces)
}

// String returns the shortest exact form: "0.15", "0.085", "1", "0".
func (r Rate) String() string { return r.d.String() }

// MarshalJSON encodes the rate as a JSON string, e.g. "0.15".
func (r Rate) MarshalJSON() ([]byte, error) { return []byte(`"` + r.String() + `"`), nil }

// UnmarshalJSON accepts a JSON string in the ParseRate format, also negative so that
// any Rate round-trips; JSON numbers are refused.
func (r *Rate) UnmarshalJSON(data []byte) error {
	s, isNull, err := rateFormat.unmarshalJSON(data)
	if err != nil || isNull {
		return err
	}
	parsed, err := parseSignedRate(s)
	if err != nil {
		return err
	}
	*r = parsed
	return nil
}

// MarshalText encodes the rate as String does.
func (r Rate) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText accepts the ParseRate format, also negative.
func (r *Rate) UnmarshalText(text []byte) error {
	parsed, err := parseSignedRate(string(text))
	if err != nil {
		return err
	}
	*r = parsed
	return nil
}

// Value stores the rate in a DECIMAL(9,6) column as its String form.
func (r Rate) Value() (driver.Value, error) { return r.String(), nil }

// Scan reads a DECIMAL column delivered as []byte or string, or an integer as int64.
// Floats are refused with ErrFloat; NULL is refused (use sql.Null[money.Rate]).
func (r *Rate) Scan(src any) error {
	s, err := rateFormat.scanText(src, "Rate")
	if err != nil {
		return err
	}
	parsed, err := parseSignedRate(s)
	if err != nil {
		return fmt.Errorf("money: scan Rate: %w", err)
	}
	*r = parsed
	return nil
}
