package biz_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

func openApp() biz.Application {
	return biz.Application{
		PlatformNo: "P2PDTX", RequestNo: "OA20260101000001", ServiceName: biz.ServiceOpenAccount, PlatformUserID: 12,
		RealName: "Alice Zhang", IDNumber: "11010119900101123X", BankCardNo: "6222020000000000", Mobile: "13912345678",
		ReturnURL: "http://127.0.0.1:8020/custody/return",
	}
}

func rechargeApp() biz.Application {
	return biz.Application{
		PlatformNo: "P2PDTX", RequestNo: "RC1", ServiceName: biz.ServiceRecharge, PlatformUserID: 12,
		UserNo: "BU0000000001", Amount: money.MustParseAmount("500.00"), ReturnURL: "https://platform.example/r",
	}
}

func TestApplicationValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		edit  func(*biz.Application)
		field string // "" = valid
	}{
		{"opening", func(*biz.Application) {}, ""},
		{"recharge", func(a *biz.Application) { *a = rechargeApp() }, ""},
		{"no request number", func(a *biz.Application) { a.RequestNo = "" }, "requestNo"},
		{"request number too long", func(a *biz.Application) { a.RequestNo = "OA" + strings.Repeat("1", 63) }, "requestNo"},
		{"request number with a space", func(a *biz.Application) { a.RequestNo = "OA 1" }, "requestNo"},
		{"no platform user", func(a *biz.Application) { a.PlatformUserID = 0 }, "platformUserId"},
		{"unknown service", func(a *biz.Application) { a.ServiceName = "FREEZE" }, "serviceName"},
		{"no real name", func(a *biz.Application) { a.RealName = "" }, "realName"},
		{"id number with symbols", func(a *biz.Application) { a.IDNumber = "110101-1990" }, "idNumber"},
		{"card with letters", func(a *biz.Application) { a.BankCardNo = "6222abcd00000000" }, "bankCardNo"},
		{"javascript return URL", func(a *biz.Application) { a.ReturnURL = "javascript:alert(1)" }, "returnUrl"},
		{"relative return URL", func(a *biz.Application) { a.ReturnURL = "/custody/return" }, "returnUrl"},
		{"recharge of nothing", func(a *biz.Application) { *a = rechargeApp(); a.Amount = money.Amount{} }, "amount"},
		{"recharge without user", func(a *biz.Application) { *a = rechargeApp(); a.UserNo = "" }, "userNo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := openApp()
			tt.edit(&a)
			err := a.Validate()
			var ve *biz.ValidationError
			switch {
			case tt.field == "" && err != nil:
				t.Fatalf("Validate: %v, want valid", err)
			case tt.field != "" && (!errors.As(err, &ve) || ve.Field != tt.field):
				t.Fatalf("Validate: %v, want a problem with %s", err, tt.field)
			}
		})
	}
}

func TestCheckCustodyPassword(t *testing.T) {
	t.Parallel()
	tests := []struct {
		password, confirm string
		want              error
	}{
		{"135790", "135790", nil},
		{"000000", "000000", nil},
		{"135790", "135791", biz.ErrPasswordsDiffer},
		// Two different entries always read "do not match", whatever their format.
		{"12345", "123456", biz.ErrPasswordsDiffer},
		{"", "135790", biz.ErrPasswordsDiffer},
		{"12345", "12345", biz.ErrPasswordFormat},
		{"1234567", "1234567", biz.ErrPasswordFormat},
		{"abcdef", "abcdef", biz.ErrPasswordFormat},
		{"12 456", "12 456", biz.ErrPasswordFormat},
		{"１２３４５６", "１２３４５６", biz.ErrPasswordFormat}, // full-width digits
		{"", "", biz.ErrPasswordFormat},
	}
	for _, tt := range tests {
		if err := biz.CheckCustodyPassword(tt.password, tt.confirm); !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
			t.Errorf("CheckCustodyPassword(%q, %q) = %v, want %v", tt.password, tt.confirm, err, tt.want)
		}
	}
}
