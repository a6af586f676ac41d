package service

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// reqData is the JSON a platform puts, base64-encoded, in a gateway form's reqData field
// (docs/custody-protocol.md "Browser gateway").
type reqData struct {
	RequestNo      string  `json:"requestNo"`
	ServiceName    string  `json:"serviceName"`
	PlatformUserID flexInt `json:"platformUserId"`
	RealName       string  `json:"realName"`
	IDNumber       string  `json:"idNumber"`
	BankCardNo     string  `json:"bankCardNo"`
	Mobile         string  `json:"mobile"`
	UserNo         string  `json:"userNo"`
	Amount         string  `json:"amount"`
	ReturnURL      string  `json:"returnUrl"`
}

// DecodeApplication decodes a form's reqData (standard base64 of JSON) into the
// application the platform signed. The result is not validated yet (biz does that).
func DecodeApplication(encoded string) (biz.Application, error) {
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return biz.Application{}, &biz.ValidationError{Field: "reqData", Problem: "not standard base64"}
	}
	var d reqData
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&d); err != nil {
		var fe *flexIntError
		if errors.As(err, &fe) {
			return biz.Application{}, &biz.ValidationError{Field: "platformUserId", Problem: fe.Error()}
		}
		return biz.Application{}, &biz.ValidationError{Field: "reqData", Problem: "not a JSON object: " + err.Error()}
	}
	a := biz.Application{
		RequestNo: d.RequestNo, ServiceName: biz.ServiceName(d.ServiceName), PlatformUserID: int64(d.PlatformUserID),
		RealName: d.RealName, IDNumber: d.IDNumber, BankCardNo: d.BankCardNo, Mobile: d.Mobile,
		UserNo: d.UserNo, ReturnURL: d.ReturnURL,
	}
	if a.ServiceName.MovesMoney() || d.Amount != "" {
		amount, err := money.ParseAmount(d.Amount)
		if err != nil {
			var pe *money.ParseError
			if errors.As(err, &pe) {
				return biz.Application{}, &biz.ValidationError{Field: "amount", Problem: pe.Reason}
			}
			return biz.Application{}, &biz.ValidationError{Field: "amount", Problem: err.Error()}
		}
		a.Amount = amount
	}
	return a, nil
}

// flexInt is an int64 sent as a JSON string ("12", as protojson prints int64) or number.
type flexInt int64

type flexIntError struct{ raw string }

func (e *flexIntError) Error() string { return fmt.Sprintf("%s is not a whole number", e.raw) }

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return &flexIntError{raw: string(b)}
	}
	*f = flexInt(n)
	return nil
}
