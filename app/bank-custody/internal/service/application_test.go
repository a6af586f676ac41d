package service_test

import (
	"encoding/base64"
	"errors"
	"testing"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/service"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestDecodeApplication(t *testing.T) {
	t.Parallel()
	open, err := service.DecodeApplication(b64(`{"requestNo":"OA1","serviceName":"OPEN_ACCOUNT","platformUserId":"12",
		"realName":"Alice Zhang","idNumber":"110101199001011234","bankCardNo":"6222020000000000",
		"mobile":"13912345678","returnUrl":"http://127.0.0.1:8020/custody/return"}`))
	if err != nil {
		t.Fatal(err)
	}
	if open.RequestNo != "OA1" || open.ServiceName != biz.ServiceOpenAccount || open.PlatformUserID != 12 ||
		open.RealName != "Alice Zhang" || open.IDNumber != "110101199001011234" || open.BankCardNo != "6222020000000000" ||
		open.Mobile != "13912345678" || open.ReturnURL != "http://127.0.0.1:8020/custody/return" || !open.Amount.IsZero() {
		t.Fatalf("opening %+v", open)
	}
	// A number is accepted for platformUserId as well as protojson's string.
	recharge, err := service.DecodeApplication(b64(`{"requestNo":"RC1","serviceName":"RECHARGE","platformUserId":12,
		"userNo":"BU0000000001","amount":"500.10","returnUrl":"http://127.0.0.1:8020/custody/return"}`))
	if err != nil {
		t.Fatal(err)
	}
	if recharge.PlatformUserID != 12 || recharge.UserNo != "BU0000000001" || recharge.Amount.String() != "500.10" {
		t.Fatalf("recharge %+v", recharge)
	}
}

func TestDecodeApplicationRefusals(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct{ reqData, field string }{
		"not base64":         {"%%%", "reqData"},
		"url-safe base64":    {base64.URLEncoding.EncodeToString([]byte(`{"requestNo":"OA?>"}` + "\xfb\xff")), "reqData"},
		"not JSON":           {b64("requestNo=OA1"), "reqData"},
		"platform user text": {b64(`{"platformUserId":"twelve"}`), "platformUserId"},
		"float amount":       {b64(`{"serviceName":"RECHARGE","amount":"1.005"}`), "amount"},
		"negative amount":    {b64(`{"serviceName":"RECHARGE","amount":"-1.00"}`), "amount"},
		"no amount":          {b64(`{"serviceName":"RECHARGE"}`), "amount"},
	} {
		_, err := service.DecodeApplication(tc.reqData)
		var ve *biz.ValidationError
		if !errors.As(err, &ve) || ve.Field != tc.field {
			t.Errorf("%s: %v, want a problem with %s", name, err, tc.field)
		}
	}
}

func TestMaskIDNumber(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"11010119900101123X": "110***********123X",
		"1234567":            "*******",
		"12345678":           "123*5678",
	} {
		if got := service.MaskIDNumber(in); got != want {
			t.Errorf("MaskIDNumber(%q) = %q, want %q", in, got, want)
		}
	}
}
