package data

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

func TestNotificationJSONIsTheProtocols(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 21, 11, 0, 0, 123000000, time.UTC)
	body, err := EncodeNotification(biz.Notification{RequestNo: "OA1", ServiceName: biz.ServiceOpenAccount,
		Status: biz.RequestSuccess, UserNo: "BU0000000001", PlatformUserID: 12, FinishedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"requestNo":"OA1","serviceName":"OPEN_ACCOUNT","status":"SUCCESS","userNo":"BU0000000001",` +
		`"platformUserId":"12","amount":"","failureReason":"","finishedAt":"2026-11-21T11:00:00Z"}`
	if string(body) != want {
		t.Fatalf("body\n%s\nwant\n%s", body, want)
	}
	amount := money.MustParseAmount("500.1")
	n := biz.Notification{RequestNo: "RC1", ServiceName: biz.ServiceRecharge, Status: biz.RequestFailed,
		UserNo: "BU1", PlatformUserID: 7, Amount: &amount, FailureReason: "unknown userNo BU1", FinishedAt: at.Truncate(time.Second)}
	body, err = EncodeNotification(n)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]string
	if err := json.Unmarshal(body, &fields); err != nil || fields["amount"] != "500.10" || len(fields) != 8 {
		t.Fatalf("recharge body %s (%v)", body, err)
	}
	back, err := DecodeNotification(body)
	if err != nil {
		t.Fatal(err)
	}
	if back.RequestNo != n.RequestNo || back.Status != n.Status || back.PlatformUserID != 7 || !back.Amount.Equal(amount) ||
		back.FailureReason != n.FailureReason || !back.FinishedAt.Equal(n.FinishedAt) || back.ServiceName != n.ServiceName {
		t.Fatalf("round trip %+v, want %+v", back, n)
	}
	if _, err := DecodeNotification([]byte(`{"status":"SUCCESS"}`)); err == nil {
		t.Error("a notification without requestNo decoded")
	}
}
