// Package money holds exact decimal money for the platform: Amount (yuan with at most two
// decimals, i.e. whole cents) and Rate (an interest rate such as 0.15 with at most six
// decimals). Both wrap shopspring/decimal; there is deliberately no way to build them
// from a float, and the JSON and database/sql codecs refuse floats, because binary floats
// cannot hold most cent values and would round amortization results wrongly.
//
// Text forms accepted by the parsers: an optional "-" (signed parsers only), one or more
// digits, and optionally "." followed by one or more digits. Rejected: empty strings,
// exponent notation ("1e3"), NaN and infinities, a leading "+" or ".", a trailing ".",
// spaces and digit separators. Trailing zeros beyond the allowed decimals are accepted
// since they do not change the value ("10.500" is 10.50 yuan).
//
// Amount and Rate are not comparable with ==: compare them with Equal or Cmp.
package money

import (
	"errors"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// Reasons a value is refused, to be checked with errors.Is.
var (
	ErrSyntax    = errors.New("money: not a plain decimal number")
	ErrPrecision = errors.New("money: too many decimal places")
	ErrNegative  = errors.New("money: negative value")
	ErrRange     = errors.New("money: too many digits before the decimal point")
	ErrFloat     = errors.New("money: floats are never accepted for money")
)

// ParseError reports why a string is not a valid Amount or Rate. Reason reads after a
// field name, so a service can answer "amount: " + Reason, e.g.
// "amount: must have at most 2 decimal places".
type ParseError struct {
	Kind   string // "amount" or "rate"
	Input  string
	Reason string
	Err    error // ErrSyntax, ErrPrecision, ErrNegative or ErrRange
}

func (e *ParseError) Error() string {
	in := e.Input
	if len(in) > 40 {
		in = in[:40] + "..."
	}
	return fmt.Sprintf("money: invalid %s %q: %s", e.Kind, in, e.Reason)
}

func (e *ParseError) Unwrap() error { return e.Err }

// format describes the accepted text of one kind of value.
type format struct {
	kind    string
	places  int32 // decimals kept
	digits  int   // digits allowed before the decimal point (the column's range)
	example string
}

var (
	amountFormat = format{kind: "amount", places: 2, digits: 18, example: "10000.00"} // DECIMAL(20,2)
	rateFormat   = format{kind: "rate", places: 6, digits: 3, example: "0.15"}        // DECIMAL(9,6)
)

// parse validates s against f and returns its value with exactly f.places decimals.
func (f format) parse(s string, signed bool) (decimal.Decimal, error) {
	fail := func(err error, reason string) (decimal.Decimal, error) {
		return decimal.Decimal{}, &ParseError{Kind: f.kind, Input: s, Reason: reason, Err: err}
	}
	if s == "" {
		return fail(ErrSyntax, "must not be empty")
	}
	unsigned, negative := strings.CutPrefix(s, "-")
	whole, frac, hasPoint := strings.Cut(unsigned, ".")
	if !isDigits(whole) || hasPoint && !isDigits(frac) {
		if strings.ContainsAny(s, "eE") {
			if _, err := decimal.NewFromString(s); err == nil {
				return fail(ErrSyntax, "must not use exponent notation (such as 1e3); write the number out")
			}
		}
		return fail(ErrSyntax, fmt.Sprintf("must be a plain decimal number such as %q", f.example))
	}
	wholeDigits := len(strings.TrimLeft(whole, "0"))
	fracDigits := len(strings.TrimRight(frac, "0"))
	if negative && !signed && wholeDigits+fracDigits > 0 {
		return fail(ErrNegative, "must not be negative")
	}
	if fracDigits > int(f.places) {
		return fail(ErrPrecision, fmt.Sprintf("must have at most %d decimal places", f.places))
	}
	if wholeDigits > f.digits {
		return fail(ErrRange, fmt.Sprintf("must have at most %d digits before the decimal point", f.digits))
	}
	d, err := decimal.NewFromString(s)
	if err != nil { // unreachable: s is a subset of what NewFromString accepts
		return fail(ErrSyntax, err.Error())
	}
	return d.Round(f.places), nil // exact: no significant digit is dropped
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// unmarshalJSON decodes a JSON string (null leaves the value alone, as encoding/json does).
func (f format) unmarshalJSON(data []byte) (s string, isNull bool, err error) {
	switch {
	case string(data) == "null":
		return "", true, nil
	case len(data) < 2 || data[0] != '"' || data[len(data)-1] != '"':
		return "", false, fmt.Errorf("money: %s must be a JSON string such as %q, got %s", f.kind, f.example, truncate(data))
	}
	// Plain decimal text has no escapes; anything else is refused by parse.
	return string(data[1 : len(data)-1]), false, nil
}

// scanText returns the text of a database value; typ names the Go type for messages.
func (f format) scanText(src any, typ string) (string, error) {
	switch v := src.(type) {
	case []byte:
		return string(v), nil
	case string:
		return v, nil
	case int64:
		return fmt.Sprint(v), nil
	case float64, float32:
		return "", fmt.Errorf("money: scan %s from %T: %w; read the DECIMAL column as text", typ, src, ErrFloat)
	case nil:
		return "", fmt.Errorf("money: scan %s: column is NULL; use sql.Null[money.%s] for nullable columns", typ, typ)
	default:
		return "", fmt.Errorf("money: scan %s: unsupported type %T", typ, src)
	}
}

func truncate(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}
