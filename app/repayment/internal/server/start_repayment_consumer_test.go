package server

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	tcv1 "github.com/p2p-dtx/p2p-dtx/api/trade-center/v1"
)

func startRepaymentBody(t *testing.T, edit func(*tcv1.StartRepayment)) []byte {
	t.Helper()
	e := &tcv1.StartRepayment{
		ProjectId: 9, BorrowerId: 7, Principal: "1000.00", BorrowerRate: "0.15", InvestorRate: "0.12", Periods: 12,
		LoanedAt: timestamppb.New(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)), LoanRequestNo: "LN000000000009",
		Tenders: []*tcv1.StartRepayment_Tender{
			{TenderId: 1, InvestorId: 21, Amount: "600.00", InvestorUserNo: "BU0000000021"},
			{TenderId: 2, InvestorId: 22, Amount: "400.00", InvestorUserNo: "BU0000000022"},
		},
		BankProjectNo: "BP000000000009", BorrowerUserNo: "BU0000000007",
	}
	if edit != nil {
		edit(e)
	}
	b, err := protojson.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeStartRepayment(t *testing.T) {
	t.Parallel()
	terms, err := decodeStartRepayment(startRepaymentBody(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	if terms.ProjectID != 9 || terms.BorrowerID != 7 || terms.Principal.String() != "1000.00" ||
		terms.BorrowerRate.String() != "0.15" || terms.InvestorRate.String() != "0.12" || terms.Periods != 12 ||
		!terms.LoanDate.Equal(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)) || len(terms.Tenders) != 2 ||
		terms.Tenders[1].TenderID != 2 || terms.Tenders[1].InvestorID != 22 || terms.Tenders[1].Amount.String() != "400.00" ||
		terms.BankProjectNo != "BP000000000009" || terms.BorrowerUserNo != "BU0000000007" ||
		terms.Tenders[1].InvestorUserNo != "BU0000000022" {
		t.Fatalf("terms %+v", terms)
	}
	// A message from before the bank's numbers were carried still writes the plans (which
	// the repayment run then leaves alone).
	old, err := decodeStartRepayment(startRepaymentBody(t, func(e *tcv1.StartRepayment) {
		e.BankProjectNo, e.BorrowerUserNo = "", ""
		for _, tender := range e.Tenders {
			tender.InvestorUserNo = ""
		}
	}))
	if err != nil || old.BankProjectNo != "" || old.Tenders[0].InvestorUserNo != "" {
		t.Fatalf("a message without the bank's numbers: %+v, %v", old, err)
	}
	// The wire format is protojson: int64 as strings, lowerCamelCase names.
	if body := string(startRepaymentBody(t, nil)); !strings.Contains(body, `"projectId":"9"`) || !strings.Contains(body, `"loanedAt":"2026-03-04T05:06:07Z"`) {
		t.Fatalf("body %s", body)
	}
}

func TestDecodeStartRepaymentRefusesBadMessages(t *testing.T) {
	t.Parallel()
	for name, body := range map[string][]byte{
		"not JSON":        []byte("{"),
		"float principal": []byte(`{"projectId":"9","principal":1000.5}`),
		"bad principal":   startRepaymentBody(t, func(e *tcv1.StartRepayment) { e.Principal = "1e3" }),
		"bad rate":        startRepaymentBody(t, func(e *tcv1.StartRepayment) { e.BorrowerRate = "-0.1" }),
		"bad tender":      startRepaymentBody(t, func(e *tcv1.StartRepayment) { e.Tenders[0].Amount = "6OO" }),
		"no project":      startRepaymentBody(t, func(e *tcv1.StartRepayment) { e.ProjectId = 0 }),
		"no loan date":    startRepaymentBody(t, func(e *tcv1.StartRepayment) { e.LoanedAt = nil }),
		"unknown field":   []byte(`{"projectId":"9","password":"x"}`),
	} {
		if _, err := decodeStartRepayment(body); err == nil {
			t.Errorf("%s: decoded %s", name, body)
		}
	}
}
