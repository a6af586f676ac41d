package data

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/custodyapi"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// EncodeNotification renders n as the protocol's notification JSON.
func EncodeNotification(n biz.Notification) ([]byte, error) {
	b := custodyapi.Notification{
		RequestNo: n.RequestNo, ServiceName: string(n.ServiceName), Status: string(n.Status), UserNo: n.UserNo,
		FailureReason: n.FailureReason, FinishedAt: n.FinishedAt.UTC().Format(time.RFC3339),
	}
	if n.PlatformUserID != 0 {
		b.PlatformUserID = strconv.FormatInt(n.PlatformUserID, 10)
	}
	if n.Amount != nil {
		b.Amount = n.Amount.String()
	}
	return json.Marshal(b)
}

// DecodeNotification reads the protocol's notification JSON.
func DecodeNotification(data []byte) (biz.Notification, error) {
	var b custodyapi.Notification
	if err := json.Unmarshal(data, &b); err != nil {
		return biz.Notification{}, fmt.Errorf("notification: %w", err)
	}
	if b.RequestNo == "" {
		return biz.Notification{}, fmt.Errorf("notification: no requestNo")
	}
	n := biz.Notification{
		RequestNo: b.RequestNo, ServiceName: biz.ServiceName(b.ServiceName), Status: biz.RequestStatus(b.Status),
		UserNo: b.UserNo, FailureReason: b.FailureReason,
	}
	if b.PlatformUserID != "" {
		id, err := strconv.ParseInt(b.PlatformUserID, 10, 64)
		if err != nil {
			return biz.Notification{}, fmt.Errorf("notification %s: platformUserId: %w", b.RequestNo, err)
		}
		n.PlatformUserID = id
	}
	if b.Amount != "" {
		a, err := money.ParseAmount(b.Amount)
		if err != nil {
			return biz.Notification{}, fmt.Errorf("notification %s: %w", b.RequestNo, err)
		}
		n.Amount = &a
	}
	if b.FinishedAt != "" {
		t, err := time.Parse(time.RFC3339, b.FinishedAt)
		if err != nil {
			return biz.Notification{}, fmt.Errorf("notification %s: finishedAt: %w", b.RequestNo, err)
		}
		n.FinishedAt = t
	}
	return n, nil
}
