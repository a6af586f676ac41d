package service_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"

	v1 "github.com/p2p-dtx/p2p-dtx/api/bank-custody/v1"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/service"
	"github.com/p2p-dtx/p2p-dtx/pkg/operator"
	"github.com/p2p-dtx/p2p-dtx/pkg/transporttest"
)

// operatorToken is this package's tests' P2P_OPERATOR_TOKEN, set before any test runs:
// the service reads it once when it is built.
const operatorToken = "0123456789abcdef0123456789abcdef"

func TestMain(m *testing.M) {
	if err := os.Setenv(operator.EnvVar, operatorToken); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

// asOperator is a request context carrying the operator token.
func asOperator() context.Context { return listCall(operatorToken) }

// listCall is a ListNotifications request carrying token (none when empty).
func listCall(token string) context.Context {
	h := transporttest.Header{}
	if token != "" {
		h[operator.Header] = token
	}
	return transporttest.HTTP(v1.OperationBankCustodyListNotifications, h)
}

// fakeLog serves attempts from memory and counts the queries it was asked.
type fakeLog struct {
	attempts map[string][]biz.NotificationAttempt
	err      error
	queries  int
}

func (f *fakeLog) Attempts(_ context.Context, requestNo string) ([]biz.NotificationAttempt, error) {
	f.queries++
	if f.err != nil {
		return nil, f.err
	}
	return f.attempts[requestNo], nil
}

func newService(repo biz.NotificationRepo) *service.BankCustodyService {
	return service.NewBankCustodyService(biz.NewNotificationUsecase(repo))
}

func TestListNotifications(t *testing.T) {
	t.Parallel()
	first := time.Date(2025, 1, 2, 3, 4, 5, 123456000, time.UTC)
	repo := &fakeLog{attempts: map[string][]biz.NotificationAttempt{
		"REQ-1": {
			{RequestNo: "REQ-1", Attempt: 1, AttemptedAt: first, HTTPStatus: 0, Error: "dial tcp: connection refused"},
			{RequestNo: "REQ-1", Attempt: 2, AttemptedAt: first.Add(time.Minute), HTTPStatus: 500, Error: "platform answered 500"},
			{RequestNo: "REQ-1", Attempt: 3, AttemptedAt: first.Add(6 * time.Minute), HTTPStatus: 200},
		},
	}}
	reply, err := newService(repo).ListNotifications(asOperator(), &v1.ListNotificationsRequest{RequestNo: "REQ-1"})
	if err != nil {
		t.Fatal(err)
	}
	items := reply.GetItems()
	if len(items) != 3 {
		t.Fatalf("items = %v, want 3 attempts", items)
	}
	for i, it := range items {
		if it.GetRequestNo() != "REQ-1" || it.GetAttempt() != int32(i+1) {
			t.Errorf("item %d = %v", i, it)
		}
	}
	if got := items[0]; got.GetHttpStatus() != 0 || got.GetError() != "dial tcp: connection refused" ||
		!got.GetAttemptedAt().AsTime().Equal(first) {
		t.Errorf("unreachable attempt = %v", got)
	}
	if got := items[2]; got.GetHttpStatus() != 200 || got.GetError() != "" {
		t.Errorf("delivered attempt = %v", got)
	}

	none, err := newService(repo).ListNotifications(asOperator(), &v1.ListNotificationsRequest{RequestNo: "REQ-UNKNOWN"})
	if err != nil || none.GetItems() == nil || len(none.GetItems()) != 0 {
		t.Fatalf("attempts of an unknown request = %v, %v; want an empty list", none, err)
	}
}

func TestListNotificationsRequiresRequestNo(t *testing.T) {
	t.Parallel()
	for _, requestNo := range []string{"", "   "} {
		repo := &fakeLog{}
		_, err := newService(repo).ListNotifications(asOperator(), &v1.ListNotificationsRequest{RequestNo: requestNo})
		ke := kerrors.FromError(err)
		if ke.Code != 400 || !v1.IsInvalidArgument(err) || ke.Message != "requestNo: required" {
			t.Errorf("ListNotifications(%q) error = %v; want 400 INVALID_ARGUMENT \"requestNo: required\"", requestNo, err)
		}
		if repo.queries != 0 {
			t.Errorf("ListNotifications(%q) queried the log", requestNo)
		}
	}
}

func TestListNotificationsStoreFailure(t *testing.T) {
	t.Parallel()
	down := errors.New("connection refused")
	_, err := newService(&fakeLog{err: down}).ListNotifications(asOperator(), &v1.ListNotificationsRequest{RequestNo: "REQ-1"})
	if !errors.Is(err, down) || v1.IsInvalidArgument(err) {
		t.Fatalf("error = %v, want the storage error passed through", err)
	}
}

func TestListNotificationsRequiresTheOperatorToken(t *testing.T) {
	t.Parallel()
	for name, ctx := range map[string]context.Context{
		"no token":    listCall(""),
		"wrong token": listCall(operatorToken[1:] + "x"),
	} {
		repo := &fakeLog{}
		_, err := newService(repo).ListNotifications(ctx, &v1.ListNotificationsRequest{RequestNo: "REQ-1"})
		if e := kerrors.FromError(err); e.Code != 401 || e.Reason != operator.Reason {
			t.Errorf("%s: error = %v, want 401 %s", name, err, operator.Reason)
		}
		if repo.queries != 0 {
			t.Errorf("%s: the log was queried", name)
		}
	}
}
