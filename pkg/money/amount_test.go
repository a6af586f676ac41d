package money_test

import (
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestParseAmount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in         string
		signed     bool
		want       string // String() of the result when valid
		wantErr    error
		wantReason string
	}{
		{in: "10000", want: "10000.00"},
		{in: "10000.5", want: "10000.50"},
		{in: "10000.00", want: "10000.00"},
		{in: "0", want: "0.00"},
		{in: "0.01", want: "0.01"},
		{in: "007.10", want: "7.10"},
		{in: "10.500", want: "10.50"}, // trailing zeros do not add precision
		{in: "-0", want: "0.00"},
		{in: "999999999999999999.99", want: "999999999999999999.99"},
		{in: "-10.5", signed: true, want: "-10.50"},
		{in: "-0.01", signed: true, want: "-0.01"},
		{in: "", wantErr: money.ErrSyntax, wantReason: "must not be empty"},
		{in: "abc", wantErr: money.ErrSyntax, wantReason: `must be a plain decimal number such as "10000.00"`},
		{in: "1e3", wantErr: money.ErrSyntax, wantReason: "must not use exponent notation"},
		{in: "1.5E2", wantErr: money.ErrSyntax, wantReason: "must not use exponent notation"},
		{in: "NaN", wantErr: money.ErrSyntax, wantReason: "plain decimal number"},
		{in: "Inf", wantErr: money.ErrSyntax, wantReason: "plain decimal number"},
		{in: "+5", wantErr: money.ErrSyntax, wantReason: "plain decimal number"},
		{in: ".5", wantErr: money.ErrSyntax, wantReason: "plain decimal number"},
		{in: "5.", wantErr: money.ErrSyntax, wantReason: "plain decimal number"},
		{in: " 5", wantErr: money.ErrSyntax, wantReason: "plain decimal number"},
		{in: "5 ", wantErr: money.ErrSyntax, wantReason: "plain decimal number"},
		{in: "1,000.00", wantErr: money.ErrSyntax, wantReason: "plain decimal number"},
		{in: "1.2.3", wantErr: money.ErrSyntax, wantReason: "plain decimal number"},
		{in: "--5", signed: true, wantErr: money.ErrSyntax, wantReason: "plain decimal number"},
		{in: "-", signed: true, wantErr: money.ErrSyntax, wantReason: "plain decimal number"},
		{in: "10000.001", wantErr: money.ErrPrecision, wantReason: "must have at most 2 decimal places"},
		{in: "0.005", wantErr: money.ErrPrecision, wantReason: "must have at most 2 decimal places"},
		{in: "-1.234", signed: true, wantErr: money.ErrPrecision, wantReason: "must have at most 2 decimal places"},
		{in: "-10", wantErr: money.ErrNegative, wantReason: "must not be negative"},
		{in: "-0.01", wantErr: money.ErrNegative, wantReason: "must not be negative"},
		{in: "1000000000000000000", wantErr: money.ErrRange, wantReason: "must have at most 18 digits before the decimal point"},
	}
	for _, tt := range tests {
		name := tt.in
		if tt.signed {
			name = "signed " + name
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			parse := money.ParseAmount
			if tt.signed {
				parse = money.ParseSignedAmount
			}
			got, err := parse(tt.in)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("error: %v", err)
				}
				if got.String() != tt.want {
					t.Fatalf("= %s, want %s", got, tt.want)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			var pe *money.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			if pe.Kind != "amount" || pe.Input != tt.in || !strings.Contains(pe.Reason, tt.wantReason) {
				t.Fatalf("ParseError = %+v, want kind amount, input %q, reason containing %q", pe, tt.in, tt.wantReason)
			}
			if !strings.Contains(err.Error(), pe.Reason) {
				t.Fatalf("Error() = %q does not contain the reason", err)
			}
		})
	}
}

func TestParseErrorReadsAfterFieldName(t *testing.T) {
	t.Parallel()
	_, err := money.ParseAmount("12.345")
	var pe *money.ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v is not a *ParseError", err)
	}
	if got := "amount: " + pe.Reason; got != "amount: must have at most 2 decimal places" {
		t.Fatalf("message = %q", got)
	}
	if got := err.Error(); got != `money: invalid amount "12.345": must have at most 2 decimal places` {
		t.Fatalf("Error() = %q", got)
	}
}

func TestMustParseAmountPanics(t *testing.T) {
	t.Parallel()
	if got := money.MustParseAmount("1.5"); got.String() != "1.50" {
		t.Fatalf("MustParseAmount(1.5) = %s", got)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("MustParseAmount(-1) did not panic")
		}
	}()
	money.MustParseAmount("-1")
}

func TestAmountString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a    money.Amount
		want string
	}{
		{"zero value", money.Amount{}, "0.00"},
		{"cents", money.FromCents(123456), "1234.56"},
		{"one cent", money.FromCents(1), "0.01"},
		{"negative cents", money.FromCents(-5), "-0.05"},
		{"negated", money.MustParseAmount("10").Neg(), "-10.00"},
		{"negated zero", money.Amount{}.Neg(), "0.00"},
		{"large", money.MustParseAmount("123456789012345678.9"), "123456789012345678.90"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.a.String(); got != tt.want {
				t.Fatalf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAmountArithmetic(t *testing.T) {
	t.Parallel()
	a := money.MustParseAmount("100.10")
	b := money.MustParseAmount("0.2")
	if got := a.Add(b).String(); got != "100.30" {
		t.Errorf("Add = %s", got)
	}
	if got := b.Sub(a).String(); got != "-99.90" {
		t.Errorf("Sub = %s", got)
	}
	if a.Cmp(b) != 1 || b.Cmp(a) != -1 || a.Cmp(money.MustParseAmount("100.1")) != 0 {
		t.Error("Cmp does not order 100.10 > 0.20")
	}
	if !a.Equal(money.MustParseAmount("100.100")) || a.Equal(b) {
		t.Error("Equal is wrong")
	}
	if !money.FromCents(0).Equal(money.Amount{}) {
		t.Error("FromCents(0) differs from the zero value")
	}
	neg := b.Sub(a)
	for _, c := range []struct {
		name             string
		a                money.Amount
		zero, pos, isNeg bool
	}{
		{"zero", money.Amount{}, true, false, false},
		{"positive", a, false, true, false},
		{"negative", neg, false, false, true},
	} {
		if c.a.IsZero() != c.zero || c.a.IsPositive() != c.pos || c.a.IsNegative() != c.isNeg {
			t.Errorf("%s: IsZero/IsPositive/IsNegative = %v/%v/%v", c.name, c.a.IsZero(), c.a.IsPositive(), c.a.IsNegative())
		}
	}
	if got := a.Decimal(); !got.Equal(dec("100.1")) {
		t.Errorf("Decimal() = %s", got)
	}
}

func TestCents(t *testing.T) {
	t.Parallel()
	for _, c := range []int64{0, 1, -1, 99, 100, 123456789, -987654321, math.MaxInt64, math.MinInt64} {
		if got := money.FromCents(c).Cents(); got != c {
			t.Errorf("FromCents(%d).Cents() = %d", c, got)
		}
	}
	if got := money.MustParseAmount("10000.5").Cents(); got != 1000050 {
		t.Errorf("Cents() of 10000.50 = %d", got)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Cents() beyond int64 did not panic")
		}
	}()
	money.MustParseAmount("999999999999999999.99").Cents()
}

func TestRoundCent(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"0.005", "0.01"},
		{"0.004", "0.00"},
		{"0.0049999999", "0.00"},
		{"2.675", "2.68"}, // the float64 nearest 2.675 is below it and would round to 2.67
		{"1.005", "1.01"}, // likewise for float64
		{"0.015", "0.02"},
		{"0.025", "0.03"}, // half-even (banker's) rounding would give 0.02
		{"2.665", "2.67"},
		{"-0.005", "-0.01"}, // away from zero, not toward +infinity
		{"-2.675", "-2.68"},
		{"-0.004", "0.00"},
		{"1234.5", "1234.50"},
		{"7", "7.00"},
		{"0.00833333333333333333", "0.01"},
		{"99999.994999", "99999.99"},
		{"99999.995", "100000.00"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := money.RoundCent(dec(tt.in)).String(); got != tt.want {
				t.Fatalf("RoundCent(%s) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestTruncateCent(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"2.679": "2.67", "-2.679": "-2.67", "0.009": "0.00", "5": "5.00", "1.10": "1.10"} {
		if got := money.TruncateCent(dec(in)).String(); got != want {
			t.Errorf("TruncateCent(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestAmountFromDecimal(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"1.5": "1.50", "1.500000": "1.50", "-3": "-3.00", "0": "0.00"} {
		got, err := money.AmountFromDecimal(dec(in))
		if err != nil || got.String() != want {
			t.Errorf("AmountFromDecimal(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"1.505", "0.001", "-0.0000001"} {
		if _, err := money.AmountFromDecimal(dec(in)); !errors.Is(err, money.ErrPrecision) {
			t.Errorf("AmountFromDecimal(%s) error = %v, want ErrPrecision", in, err)
		}
	}
}

func TestSum(t *testing.T) {
	t.Parallel()
	m := money.MustParseAmount
	tests := []struct {
		name    string
		amounts []money.Amount
		want    string
	}{
		{"none", nil, "0.00"},
		{"one", []money.Amount{m("5.5")}, "5.50"},
		{"tenths that floats get wrong", []money.Amount{m("0.1"), m("0.2")}, "0.30"},
		{"many cents", func() []money.Amount {
			var as []money.Amount
			for range 1000 {
				as = append(as, m("0.01"))
			}
			return as
		}(), "10.00"},
		{"with negatives", []money.Amount{m("100"), money.FromCents(-2550), m("0.5")}, "75.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := money.Sum(tt.amounts...).String(); got != tt.want {
				t.Fatalf("Sum = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestAddSubExactProperty checks Add and Sub against int64 cent arithmetic for many
// random values, including values well beyond float64's exact cent range.
func TestAddSubExactProperty(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(20240601, 1))
	const limit = int64(1) << 61 // keeps a+b within int64
	for i := range 20000 {
		var ca, cb int64
		if i%2 == 0 {
			ca, cb = rng.Int64N(2*limit)-limit, rng.Int64N(2*limit)-limit
		} else { // realistic amounts below 10 million yuan
			ca, cb = rng.Int64N(1_000_000_000), rng.Int64N(1_000_000_000)
		}
		a, b := money.FromCents(ca), money.FromCents(cb)
		sum := a.Add(b)
		if sum.Cents() != ca+cb {
			t.Fatalf("%s + %s = %s, want %d cents", a, b, sum, ca+cb)
		}
		if back := sum.Sub(b); !back.Equal(a) || back.String() != a.String() {
			t.Fatalf("(%s + %s) - %s = %s, want %s", a, b, b, back, a)
		}
		if diff := a.Sub(b); diff.Cents() != ca-cb || !diff.Add(b).Equal(a) {
			t.Fatalf("%s - %s = %s, want %d cents", a, b, diff, ca-cb)
		}
		if got, want := a.String(), centsString(ca); got != want {
			t.Fatalf("String() of %d cents = %s, want %s", ca, got, want)
		}
		parsed, err := money.ParseSignedAmount(a.String())
		if err != nil || !parsed.Equal(a) {
			t.Fatalf("ParseSignedAmount(%s) = %s, %v", a, parsed, err)
		}
	}
}

// centsString formats cents with integer arithmetic only.
func centsString(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}

func TestAmountJSON(t *testing.T) {
	t.Parallel()
	type tender struct {
		Amount money.Amount `json:"amount"`
	}
	out, err := json.Marshal(tender{Amount: money.MustParseAmount("10000")})
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `{"amount":"10000.00"}` {
		t.Fatalf("Marshal = %s", out)
	}
	var back tender
	if err := json.Unmarshal(out, &back); err != nil || back.Amount.String() != "10000.00" {
		t.Fatalf("Unmarshal = %s, %v", back.Amount, err)
	}

	tests := []struct {
		in      string
		want    string
		wantErr string
	}{
		{in: `{"amount":"-12.5"}`, want: "-12.50"},
		{in: `{"amount":"0.10"}`, want: "0.10"},
		{in: `{"amount":null}`, want: "0.00"},
		{in: `{}`, want: "0.00"},
		{in: `{"amount":10000.5}`, wantErr: `amount must be a JSON string such as "10000.00"`},
		{in: `{"amount":true}`, wantErr: "must be a JSON string"},
		{in: `{"amount":"1.234"}`, wantErr: "must have at most 2 decimal places"},
		{in: `{"amount":"1e3"}`, wantErr: "exponent notation"},
		{in: `{"amount":""}`, wantErr: "must not be empty"},
		{in: `{"amount":"\u0031"}`, wantErr: "plain decimal number"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			var got tender
			err := json.Unmarshal([]byte(tt.in), &got)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got.Amount.String() != tt.want {
				t.Fatalf("= %s, %v; want %s", got.Amount, err, tt.want)
			}
		})
	}
}

func TestAmountText(t *testing.T) {
	t.Parallel()
	text, err := money.FromCents(-150).MarshalText()
	if err != nil || string(text) != "-1.50" {
		t.Fatalf("MarshalText = %s, %v", text, err)
	}
	var a money.Amount
	if err := a.UnmarshalText(text); err != nil || !a.Equal(money.FromCents(-150)) {
		t.Fatalf("UnmarshalText = %s, %v", a, err)
	}
	if err := a.UnmarshalText([]byte("1.001")); !errors.Is(err, money.ErrPrecision) {
		t.Fatalf("UnmarshalText(1.001) error = %v", err)
	}
}

func TestAmountSQL(t *testing.T) {
	t.Parallel()
	var _ driver.Valuer = money.Amount{}
	var _ sql.Scanner = (*money.Amount)(nil)

	v, err := money.MustParseAmount("10000.5").Value()
	if err != nil || v != "10000.50" {
		t.Fatalf("Value() = %#v, %v; want the string 10000.50", v, err)
	}
	if v, _ := (money.Amount{}).Value(); v != "0.00" {
		t.Fatalf("zero Value() = %#v", v)
	}

	tests := []struct {
		name    string
		src     any
		want    string
		wantErr error
		wantMsg string
	}{
		{name: "bytes as MySQL sends DECIMAL", src: []byte("10000.50"), want: "10000.50"},
		{name: "string", src: "0.01", want: "0.01"},
		{name: "negative", src: []byte("-3.10"), want: "-3.10"},
		{name: "sum with more scale", src: []byte("12.500000"), want: "12.50"},
		{name: "int64 is yuan", src: int64(5), want: "5.00"},
		{name: "float64", src: 10000.5, wantErr: money.ErrFloat, wantMsg: "floats are never accepted for money"},
		{name: "float32", src: float32(1), wantErr: money.ErrFloat, wantMsg: "floats are never accepted for money"},
		{name: "NULL", src: nil, wantMsg: "NULL"},
		{name: "bool", src: true, wantMsg: "unsupported type bool"},
		{name: "sub-cent", src: []byte("0.125"), wantErr: money.ErrPrecision, wantMsg: "scan Amount"},
		{name: "garbage", src: "ten", wantErr: money.ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := money.MustParseAmount("42") // unchanged on error
			err := a.Scan(tt.src)
			if tt.wantErr == nil && tt.wantMsg == "" {
				if err != nil || a.String() != tt.want {
					t.Fatalf("Scan = %s, %v; want %s", a, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Scan(%#v) succeeded with %s", tt.src, a)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error = %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error = %v, want it to contain %q", err, tt.wantMsg)
			}
			if a.String() != "42.00" {
				t.Errorf("failed Scan changed the amount to %s", a)
			}
		})
	}

	// A nullable column goes through sql.Null.
	var n sql.Null[money.Amount]
	if err := n.Scan(nil); err != nil || n.Valid {
		t.Fatalf("sql.Null Scan(nil) = %+v, %v", n, err)
	}
	if err := n.Scan([]byte("7.00")); err != nil || !n.Valid || n.V.String() != "7.00" {
		t.Fatalf("sql.Null Scan = %+v, %v", n, err)
	}
}
