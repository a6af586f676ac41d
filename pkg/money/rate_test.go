package money_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

func TestParseRate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in         string
		want       string
		wantErr    error
		wantReason string
	}{
		{in: "0.15", want: "0.15"},
		{in: "0.150000", want: "0.15"},
		{in: "0.085", want: "0.085"},
		{in: "0.000001", want: "0.000001"},
		{in: "0", want: "0"},
		{in: "0.000000", want: "0"},
		{in: "1", want: "1"},
		{in: "12.5", want: "12.5"},
		{in: "999.999999", want: "999.999999"},
		{in: "0.12345600", want: "0.123456"},
		{in: "", wantErr: money.ErrSyntax, wantReason: "must not be empty"},
		{in: "15%", wantErr: money.ErrSyntax, wantReason: `must be a plain decimal number such as "0.15"`},
		{in: "1.5e-1", wantErr: money.ErrSyntax, wantReason: "exponent notation"},
		{in: "0.1234567", wantErr: money.ErrPrecision, wantReason: "must have at most 6 decimal places"},
		{in: "-0.01", wantErr: money.ErrNegative, wantReason: "must not be negative"},
		{in: "1000", wantErr: money.ErrRange, wantReason: "must have at most 3 digits before the decimal point"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := money.ParseRate(tt.in)
			if tt.wantErr == nil {
				if err != nil || got.String() != tt.want {
					t.Fatalf("= %s, %v; want %s", got, err, tt.want)
				}
				return
			}
			var pe *money.ParseError
			if !errors.Is(err, tt.wantErr) || !errors.As(err, &pe) {
				t.Fatalf("error = %v, want a *ParseError wrapping %v", err, tt.wantErr)
			}
			if pe.Kind != "rate" || !strings.Contains(pe.Reason, tt.wantReason) {
				t.Fatalf("ParseError = %+v, want kind rate and reason containing %q", pe, tt.wantReason)
			}
		})
	}
}

func TestRateArithmetic(t *testing.T) {
	t.Parallel()
	borrower, investor := money.MustParseRate("0.15"), money.MustParseRate("0.12")
	if got := borrower.Sub(investor).String(); got != "0.03" {
		t.Errorf("spread = %s, want 0.03", got)
	}
	if s := investor.Sub(borrower); s.String() != "-0.03" || !s.IsNegative() {
		t.Errorf("negative spread = %s", s)
	}
	if got := investor.Add(money.MustParseRate("0.000001")).String(); got != "0.120001" {
		t.Errorf("Add = %s", got)
	}
	if borrower.Cmp(investor) != 1 || !borrower.Equal(money.MustParseRate("0.150")) || borrower.Equal(investor) {
		t.Error("Cmp/Equal are wrong")
	}
	if !(money.Rate{}).IsZero() || borrower.IsZero() || (money.Rate{}).String() != "0" {
		t.Error("zero value is not 0")
	}
	if !borrower.Decimal().Equal(dec("0.15")) {
		t.Errorf("Decimal() = %s", borrower.Decimal())
	}
}

func TestMonthlyRate(t *testing.T) {
	t.Parallel()
	tests := []struct{ annual, want string }{
		{"0.15", "0.0125"},
		{"0.12", "0.01"},
		{"0.000001", "0.00000008333333333333"}, // 1e-6/12 does not terminate
		{"0.000012", "0.000001"},
		{"0.10", "0.00833333333333333333"},
		{"0.08", "0.00666666666666666667"},
		{"0", "0"},
	}
	for _, tt := range tests {
		t.Run(tt.annual, func(t *testing.T) {
			t.Parallel()
			got := money.MustParseRate(tt.annual).MonthlyRate()
			if got.String() != tt.want {
				t.Fatalf("MonthlyRate(%s) = %s, want %s", tt.annual, got, tt.want)
			}
		})
	}
	// An exact quotient really is exact: 12 monthly rates give back the annual rate.
	if got := money.MustParseRate("0.153").MonthlyRate().Mul(dec("12")); !got.Equal(dec("0.153")) {
		t.Errorf("12 × MonthlyRate(0.153) = %s", got)
	}
	// Interest of one month on 10000.00 at 15 % a year, rounded once at the end.
	interest := money.RoundCent(money.MustParseAmount("10000").Decimal().Mul(money.MustParseRate("0.15").MonthlyRate()))
	if interest.String() != "125.00" {
		t.Errorf("monthly interest = %s, want 125.00", interest)
	}
}

func TestRateJSON(t *testing.T) {
	t.Parallel()
	type project struct {
		AnnualRate money.Rate `json:"annualRate"`
	}
	out, err := json.Marshal(project{AnnualRate: money.MustParseRate("0.150000")})
	if err != nil || string(out) != `{"annualRate":"0.15"}` {
		t.Fatalf("Marshal = %s, %v", out, err)
	}
	var back project
	if err := json.Unmarshal(out, &back); err != nil || !back.AnnualRate.Equal(money.MustParseRate("0.15")) {
		t.Fatalf("Unmarshal = %s, %v", back.AnnualRate, err)
	}
	if err := json.Unmarshal([]byte(`{"annualRate":"-0.03"}`), &back); err != nil || back.AnnualRate.String() != "-0.03" {
		t.Fatalf("negative rate round trip = %s, %v", back.AnnualRate, err)
	}
	for in, wantErr := range map[string]string{
		`{"annualRate":0.15}`:        `rate must be a JSON string such as "0.15"`,
		`{"annualRate":"0.1234567"}`: "must have at most 6 decimal places",
	} {
		if err := json.Unmarshal([]byte(in), &back); err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("Unmarshal(%s) error = %v, want %q", in, err, wantErr)
		}
	}
	text, err := money.MustParseRate("0.085").MarshalText()
	if err != nil || string(text) != "0.085" {
		t.Fatalf("MarshalText = %s, %v", text, err)
	}
	var r money.Rate
	if err := r.UnmarshalText(text); err != nil || r.String() != "0.085" {
		t.Fatalf("UnmarshalText = %s, %v", r, err)
	}
}

func TestRateSQL(t *testing.T) {
	t.Parallel()
	v, err := money.MustParseRate("0.15").Value()
	if err != nil || v != "0.15" {
		t.Fatalf("Value() = %#v, %v", v, err)
	}
	tests := []struct {
		name    string
		src     any
		want    string
		wantErr error
	}{
		{name: "DECIMAL(9,6) bytes", src: []byte("0.150000"), want: "0.15"},
		{name: "string", src: "0.085000", want: "0.085"},
		{name: "int64", src: int64(1), want: "1"},
		{name: "float64", src: 0.15, wantErr: money.ErrFloat},
		{name: "too precise", src: "0.1234567", wantErr: money.ErrPrecision},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var r money.Rate
			err := r.Scan(tt.src)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil || r.String() != tt.want {
				t.Fatalf("Scan = %s, %v; want %s", r, err, tt.want)
			}
		})
	}
	var r money.Rate
	if err := r.Scan(nil); err == nil || !strings.Contains(err.Error(), "NULL") {
		t.Fatalf("Scan(nil) error = %v", err)
	}
}
