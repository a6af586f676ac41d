package data

import (
	"errors"
	"testing"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
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
