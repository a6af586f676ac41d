package money

import (
	"database/sql/driver"
	"fmt"

	"github.com/shopspring/decimal"
)

// Amount is a sum of money in yuan, exact to the cent. The zero value is 0.00.
//
// Parsed amounts fit a DECIMAL(20,2) column; arithmetic results are not range-checked.
type Amount struct {
	_ [0]func() // == would compare the decimal's internal pointers; use Equal or Cmp
	d decimal.Decimal
}

// cents gives every Amount the same scale, so equal amounts have equal representations.
func cents(d decimal.Decimal) Amount { return Amount{d: d.Round(amountFormat.places)} }

// ParseAmount parses a non-negative amount with at most 2 decimals, such as "10000",
// "10000.5" or "10000.00". Errors are *ParseError.
func ParseAmount(s string) (Amount, error) {
	d, err := amountFormat.parse(s, false)
	if err != nil {
		return Amount{}, err
	}
	return Amount{d: d}, nil
}

// ParseSignedAmount is ParseAmount allowing a leading "-", for balance changes and
// differences.
func ParseSignedAmount(s string) (Amount, error) {
	d, err := amountFormat.parse(s, true)
	if err != nil {
		return Amount{}, err
	}
	return Amount{d: d}, nil
}

// MustParseAmount is ParseAmount that panics on error, for constants and tests.
func MustParseAmount(s string) Amount {
	a, err := ParseAmount(s)
	if err != nil {
		panic(err)
	}
	return a
}

// FromCents returns the amount of c cents.
func FromCents(c int64) Amount { return Amount{d: decimal.New(c, -2)} }

// AmountFromDecimal converts d exactly; it fails with ErrPrecision if d has a non-zero
// digit below the cent, so that rounding is always an explicit choice (RoundCent,
// TruncateCent).
func AmountFromDecimal(d decimal.Decimal) (Amount, error) {
	if !d.Equal(d.Truncate(amountFormat.places)) {
		return Amount{}, fmt.Errorf("money: %s is not a whole number of cents: %w", d, ErrPrecision)
	}
	return cents(d), nil
}

// RoundCent rounds d to the cent, half away from zero: 0.005 → 0.01, 0.004 → 0.00,
// 2.675 → 2.68, -0.005 → -0.01. This is the platform's rule for every computed figure
// (amortization payments, interest, commissions); for positive values it is the usual
// "round half up".
func RoundCent(d decimal.Decimal) Amount {
	// decimal.Round rounds half away from zero.
	return cents(d)
}

// TruncateCent drops the digits below the cent (rounds toward zero): 2.679 → 2.67,
// -2.679 → -2.67. Useful when shares are cut down and the remainder is assigned explicitly.
func TruncateCent(d decimal.Decimal) Amount {
	return cents(d.Truncate(amountFormat.places))
}

// Sum adds amounts; the sum of none is 0.00.
func Sum(amounts ...Amount) Amount {
	total := decimal.Zero
	for _, a := range amounts {
		total = total.Add(a.d)
	}
	return cents(total)
}

// Add returns a + b.
func (a Amount) Add(b Amount) Amount { return cents(a.d.Add(b.d)) }

// Sub returns a − b, which may be negative.
func (a Amount) Sub(b Amount) Amount { return cents(a.d.Sub(b.d)) }

// Neg returns −a.
func (a Amount) Neg() Amount { return cents(a.d.Neg()) }

// Cmp returns -1, 0 or +1 as a is less than, equal to or greater than b.
func (a Amount) Cmp(b Amount) int { return a.d.Cmp(b.d) }

// Equal reports whether a and b are the same amount.
func (a Amount) Equal(b Amount) bool { return a.d.Equal(b.d) }

// IsZero reports whether a is 0.00.
func (a Amount) IsZero() bool { return a.d.IsZero() }

// IsPositive reports whether a > 0.
func (a Amount) IsPositive() bool { return a.d.IsPositive() }

// IsNegative reports whether a < 0.
func (a Amount) IsNegative() bool { return a.d.IsNegative() }

// Decimal returns the value for intermediate computations; bring results back with
// RoundCent, TruncateCent or AmountFromDecimal.
func (a Amount) Decimal() decimal.Decimal { return a.d }

// Cents returns the amount in cents. It panics beyond ±92,233,720,368,547,758.07 yuan,
// far above any amount the platform handles.
func (a Amount) Cents() int64 {
	c := a.d.Shift(amountFormat.places).BigInt()
	if !c.IsInt64() {
		panic(fmt.Sprintf("money: %s yuan does not fit in int64 cents", a))
	}
	return c.Int64()
}

// String returns the amount with exactly two decimals, e.g. "10000.00" or "-0.50".
func (a Amount) String() string { return a.d.StringFixed(amountFormat.places) }

// MarshalJSON encodes the amount as a JSON string, e.g. "10000.00".
func (a Amount) MarshalJSON() ([]byte, error) { return []byte(`"` + a.String() + `"`), nil }

// UnmarshalJSON accepts a JSON string in the ParseSignedAmount format; JSON numbers are
// refused. Negative values are accepted so that any Amount round-trips; validate
// user input with ParseAmount or IsNegative.
func (a *Amount) UnmarshalJSON(data []byte) error {
	s, isNull, err := amountFormat.unmarshalJSON(data)
	if err != nil || isNull {
		return err
	}
	parsed, err := ParseSignedAmount(s)
	if err != nil {
		return err
	}
	*a = parsed
	return nil
}

// MarshalText encodes the amount as String does (for YAML and form values).
func (a Amount) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText accepts the ParseSignedAmount format.
func (a *Amount) UnmarshalText(text []byte) error {
	parsed, err := ParseSignedAmount(string(text))
	if err != nil {
		return err
	}
	*a = parsed
	return nil
}

// Value stores the amount in a DECIMAL(20,2) column as its two-decimal string.
func (a Amount) Value() (driver.Value, error) { return a.String(), nil }

// Scan reads a DECIMAL column delivered as []byte or string, or an integer column as
// int64 (a number of yuan, not cents). Floats are refused with ErrFloat; NULL is refused
// (use sql.Null[money.Amount]).
func (a *Amount) Scan(src any) error {
	s, err := amountFormat.scanText(src, "Amount")
	if err != nil {
		return err
	}
	parsed, err := ParseSignedAmount(s)
	if err != nil {
		return fmt.Errorf("money: scan Amount: %w", err)
	}
	*a = parsed
	return nil
}
