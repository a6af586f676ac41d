package biz

import (
	"cmp"
	"errors"
	"net/url"
	"unicode/utf8"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// Application is what a platform asks the bank, through the browser gateway, to do on a
// user's behalf: open a custody account, recharge one or withdraw from it.
type Application struct {
	PlatformNo     string
	RequestNo      string
	ServiceName    ServiceName
	PlatformUserID int64
	// Account opening.
	RealName   string
	IDNumber   string
	BankCardNo string
	Mobile     string
	// Recharge and withdrawal.
	UserNo string
	Amount money.Amount
	// ReturnURL is where the "Request accepted" page links back to.
	ReturnURL string
}

// Validate checks the application before the bank shows it to the user.
func (a Application) Validate() error {
	if err := validRequestNo(a.RequestNo); err != nil {
		return err
	}
	if a.PlatformUserID <= 0 {
		return &ValidationError{"platformUserId", "must be a positive number"}
	}
	switch a.ServiceName {
	case ServiceOpenAccount:
		switch {
		case a.RealName == "" || utf8.RuneCountInString(a.RealName) > 64:
			return &ValidationError{"realName", "required, at most 64 characters"}
		case !isAlnum(a.IDNumber, 6, 32):
			return &ValidationError{"idNumber", "must be 6 to 32 letters or digits"}
		case !isDigits(a.BankCardNo, 8, 32):
			return &ValidationError{"bankCardNo", "must be 8 to 32 digits"}
		case len(a.Mobile) > 20:
			return &ValidationError{"mobile", "at most 20 characters"}
		}
	case ServiceRecharge, ServiceWithdraw:
		if err := cmp.Or(validUserNo("userNo", a.UserNo), positiveAmount(a.Amount)); err != nil {
			return err
		}
	default:
		return &ValidationError{"serviceName", "must be OPEN_ACCOUNT, RECHARGE or WITHDRAW"}
	}
	u, err := url.Parse(a.ReturnURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(a.ReturnURL) > 1024 {
		return &ValidationError{"returnUrl", "must be an absolute http(s) URL"}
	}
	return nil
}

// Reasons the custody password typed on the bank's page is refused.
var (
	ErrPasswordsDiffer = errors.New("passwords do not match")
	ErrPasswordFormat  = errors.New("the custody password must be 6 digits")
	// ErrWrongPassword: a withdrawal's password is not the one set at account opening.
	ErrWrongPassword = errors.New("wrong custody password")
	// ErrExceedsAvailable: a withdrawal asks more than balance − frozen.
	ErrExceedsAvailable = errors.New("the amount exceeds the available balance")
)

// CheckCustodyPassword checks the two passwords typed on the bank's page. A difference is
// reported before the format, so that two different entries always read "do not match".
func CheckCustodyPassword(password, confirm string) error {
	if password != confirm {
		return ErrPasswordsDiffer
	}
	if !isDigits(password, 6, 6) {
		return ErrPasswordFormat
	}
	return nil
}
