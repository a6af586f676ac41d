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
		want   error
	}{
		"done":               {200, []byte(`{"requestNo":"F1"}`), nil},
		"short":              {422, kratos("INSUFFICIENT_BALANCE"), biz.ErrInsufficientBalance},
		"voided":             {409, kratos("FREEZE_VOIDED"), biz.ErrFreezeVoided},
		"transferred":        {409, kratos("FREEZE_TRANSFERRED"), biz.ErrFreezeTransferred},
		"another conflict":   {409, kratos("PROJECT_NOT_COLLECTING"), biz.ErrBankRefused},
		"a bad signature":    {401, kratos("BAD_SIGNATURE"), biz.ErrBankRefused},
		"throttled":          {429, kratos("TOO_MANY_REQUESTS"), biz.ErrBankUnavailable},
		"timed out":          {408, kratos("TIMEOUT"), biz.ErrBankUnavailable},
		"the bank is down":   {503, kratos("UNAVAILABLE"), biz.ErrBankUnavailable},
		"a proxy's 502 page": {502, []byte("<html>"), biz.ErrBankUnavailable},
	} {
		err := answerError(signing.Response{Status: c.status, Body: c.body})
		if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
}
