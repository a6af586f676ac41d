package service

import (
	"encoding/json"
	"errors"
	"html/template"
	"net/http"

	kerrors "github.com/go-kratos/kratos/v2/errors"

	"github.com/go-kratos/kratos/v2/log"

	v1 "github.com/p2p-dtx/p2p-dtx/api/user-center/v1"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/custodyapi"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
	"github.com/p2p-dtx/p2p-dtx/pkg/telemetry"
)

// notificationAck is the signed 200 answer: the request as it now stands, and whether
// this notification is the one that completed it.
type notificationAck struct {
	RequestNo string `json:"requestNo"`
	Status    string `json:"status"`
	Applied   bool   `json:"applied"`
}

// CustodyNotifications receives the bank's notifications: POST /v1/custody/notifications.
type CustodyNotifications struct {
	uc     *biz.CustodyUsecase
	signer *signing.Signer
	log    *log.Helper
}

// NewCustodyNotifications returns the callback handler; signer signs its answers.
func NewCustodyNotifications(uc *biz.CustodyUsecase, signer *signing.Signer, logger log.Logger) *CustodyNotifications {
	return &CustodyNotifications{uc: uc, signer: signer,
		log: log.NewHelper(log.With(logger, "module", "custody/notification"))}
}

// Handle is the handler behind signing.Verifier.Require: body is verified and its nonce
// used up. It answers 200, signed, only once the result is committed or recognised as a
// duplicate; anything else makes the bank try again later.
func (n *CustodyNotifications) Handle(w http.ResponseWriter, r *http.Request, body []byte) {
	var msg custodyapi.Notification
	if err := json.Unmarshal(body, &msg); err != nil || msg.RequestNo == "" {
		n.refuse(w, "", http.StatusBadRequest, v1.ErrorReason_INVALID_NOTIFICATION.String(),
			"body is not a custody notification (JSON with requestNo)")
		return
	}
	telemetry.Annotate(r.Context(), telemetry.KeyRequestNo.String(msg.RequestNo))
	applied, err := n.uc.ReceiveNotification(r.Context(), biz.BankResult{
		RequestNo: msg.RequestNo, Kind: msg.ServiceName, Status: biz.RequestStatus(msg.Status), UserNo: msg.UserNo,
		PlatformUserID: msg.PlatformUserID, Amount: msg.Amount, FailureReason: msg.FailureReason,
	})
	if err != nil {
		refusal := notificationRefusal(err)
		notifications.Inc(r.Context(), "outcome", "refused", "reason", refusal.Reason)
		if refusal.Reason == reasonInternal {
			n.log.WithContext(r.Context()).Errorw("msg", "custody notification not applied", "request_no", msg.RequestNo, "err", err)
			signing.WriteError(w, http.StatusInternalServerError, reasonInternal, refusal.Message)
			return
		}
		n.refuse(w, msg.RequestNo, int(refusal.Code), refusal.Reason, err.Error())
		return
	}
	outcome := "applied"
	if !applied.Changed {
		outcome = "duplicate" // the result was known already: acknowledged, nothing changed
	}
	notifications.Inc(r.Context(), "outcome", outcome, "reason", "")
	n.log.WithContext(r.Context()).Infow("msg", "custody notification acknowledged", "request_no", msg.RequestNo,
		"status", applied.Request.Status, "applied", applied.Changed)
	signing.WriteSigned(w, n.signer, http.StatusOK, notificationAck{RequestNo: msg.RequestNo,
		Status: string(applied.Request.Status), Applied: applied.Changed})
}

// notifications counts the bank's signed callbacks by outcome: applied, duplicate
// (acknowledged, nothing changed) or refused (with the reason answered).
var notifications = telemetry.NewCounter("p2p_custody_notifications", "custody result notifications received, by outcome")

// reasonInternal answers a notification that could not be applied for a passing reason:
// the bank tries again later.
const reasonInternal = "INTERNAL"

// notificationRefusal is how the callback answers a result it cannot apply.
func notificationRefusal(err error) *kerrors.Error {
	switch {
	case errors.Is(err, biz.ErrFaultCallbackReject):
		return kerrors.New(http.StatusInternalServerError, v1.ErrorReason_FAULT_INJECTED.String(), err.Error())
	case errors.Is(err, biz.ErrRequestNotFound):
		return kerrors.New(http.StatusNotFound, v1.ErrorReason_REQUEST_NOT_FOUND.String(), err.Error())
	case errors.Is(err, biz.ErrResultMismatch):
		return kerrors.New(http.StatusBadRequest, v1.ErrorReason_NOTIFICATION_MISMATCH.String(), err.Error())
	case errors.Is(err, biz.ErrInvalidResult):
		return kerrors.New(http.StatusBadRequest, v1.ErrorReason_INVALID_NOTIFICATION.String(), err.Error())
	}
	return kerrors.New(http.StatusInternalServerError, reasonInternal, "the notification could not be applied; try again later")
}

func (n *CustodyNotifications) refuse(w http.ResponseWriter, requestNo string, code int, reason, message string) {
	n.log.Warnw("msg", "custody notification refused", "request_no", requestNo, "code", code, "reason", reason, "err", message)
	signing.WriteError(w, code, reason, message)
}

var returnPage = template.Must(template.New("return").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Back at the platform</title></head>
<body><h1>Back at the platform</h1>
<p>The bank has your request{{if .}} {{.}}{{end}}. Its result arrives shortly; its status is at
GET /v1/custody/requests/{requestNo}.</p></body></html>
`))

// ReturnPage is where the bank's "Request accepted" page sends the browser back
// (custody.return_url): GET /custody/return.
func ReturnPage(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		signing.WriteError(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "use GET")
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// html/template escapes the request number, which comes from the URL.
	if err := returnPage.Execute(w, r.URL.Query().Get("requestNo")); err != nil {
		return // the status is sent; a failed write only means the browser went away
	}
}
