package data

import (
	"errors"
	"testing"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/custodyapi"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
)

func TestAnswerErrorMapsTheBanksRefusals(t *testing.T) {
	t.Parallel()
	kratos := func(reason string) []byte { return []byte(`{"reason":"` + reason + `","message":"m"}`) }
	for name, c := range map[string]struct {
		status int
		body   []byte
		signed bool
		want   error
	}{
		"done":               {200, []byte(`{"requestNo":"F1"}`), true, nil},
		"short":              {422, kratos("INSUFFICIENT_BALANCE"), true, biz.ErrInsufficientBalance},
		"voided":             {409, kratos("FREEZE_VOIDED"), true, biz.ErrFreezeVoided},
		"transferred":        {409, kratos("FREEZE_TRANSFERRED"), true, biz.ErrFreezeTransferred},
		"another conflict":   {409, kratos("PROJECT_NOT_COLLECTING"), true, biz.ErrBankRefused},
		"a signed 401":       {401, kratos("BAD_SIGNATURE"), true, biz.ErrBankRefused},
		"throttled":          {429, kratos("TOO_MANY_REQUESTS"), true, biz.ErrBankUnavailable},
		"timed out":          {408, kratos("TIMEOUT"), true, biz.ErrBankUnavailable},
		"the bank is down":   {503, kratos("UNAVAILABLE"), true, biz.ErrBankUnavailable},
		"a proxy's 502 page": {502, []byte("<html>"), false, biz.ErrBankUnavailable},
		// The same refusals unsigned (a proxy, a gateway's clock skew, a forger) are no
		// refusal: the outcome is unknown and the tender stays PENDING for the settler.
		"short, unsigned":      {422, kratos("INSUFFICIENT_BALANCE"), false, biz.ErrBankUnavailable},
		"voided, unsigned":     {409, kratos("FREEZE_VOIDED"), false, biz.ErrBankUnavailable},
		"a conflict, unsigned": {409, kratos("PROJECT_NOT_COLLECTING"), false, biz.ErrBankUnavailable},
		"an unsigned 401":      {401, kratos("BAD_SIGNATURE"), false, biz.ErrBankUnavailable},
	} {
		err := answerError(signing.Response{Status: c.status, Body: c.body, Signed: c.signed})
		if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
}

func TestFreezeItemErrorReadsEachResultOfABatch(t *testing.T) {
	t.Parallel()
	f := biz.BankFreeze{RequestNo: "FZ1", ProjectNo: "PN1", UserNo: "BU1", Amount: money.MustParseAmount("100.00")}
	result := func(status string, code int, reason string) custodyapi.FreezeItemResult {
		return custodyapi.FreezeItemResult{RequestNo: "FZ1", UserNo: "BU1", Amount: "100.00", Status: status, Code: code, Reason: reason}
	}
	other := result("FROZEN", 0, "")
	other.RequestNo = "FZ2"
	more := result("FROZEN", 0, "")
	more.Amount = "1000.00"
	for name, c := range map[string]struct {
		r    custodyapi.FreezeItemResult
		want error
	}{
		"frozen":                {result("FROZEN", 0, ""), nil},
		"a repeat after a loan": {result("TRANSFERRED", 0, ""), nil},
		"short":                 {result("REFUSED", 422, "INSUFFICIENT_BALANCE"), biz.ErrInsufficientBalance},
		"voided":                {result("REFUSED", 409, "FREEZE_VOIDED"), biz.ErrFreezeVoided},
		"another refusal":       {result("REFUSED", 409, "EXCEEDS_PROJECT_AMOUNT"), biz.ErrBankRefused},
		// A result that is not about this freeze, or in a status we do not know, settles
		// nothing: the tender stays PENDING and a single freeze asks again.
		"about another freeze": {other, biz.ErrBankUnavailable},
		"another amount":       {more, biz.ErrBankUnavailable},
		"an unknown status":    {result("HELD", 0, ""), biz.ErrBankUnavailable},
		"a refusal to retry":   {result("REFUSED", 429, "TOO_MANY_REQUESTS"), biz.ErrBankUnavailable},
	} {
		err := freezeItemError(f, c.r)
		if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
}
