package servers

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"
)

type secretRequest struct{ Password string }

func TestAccessLogNeverLogsArguments(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	mw := accessLog(log.NewStdLogger(&buf))
	h := mw(func(context.Context, any) (any, error) { return nil, errors.Conflict("USERNAME_TAKEN", "taken") })
	if _, err := h(context.Background(), &secretRequest{Password: "hunter2-secret"}); err == nil {
		t.Fatal("want the handler's error back")
	}
	out := buf.String()
	if strings.Contains(out, "hunter2-secret") {
		t.Fatalf("password logged: %s", out)
	}
	if !strings.Contains(out, "reason=USERNAME_TAKEN") || !strings.Contains(out, "code=409") {
		t.Fatalf("log line lacks code and reason: %s", out)
	}
}
