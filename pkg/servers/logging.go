package servers

import (
	"context"
	"time"

	"github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/middleware"
	"github.com/go-kratos/kratos/v2/transport"
)

// accessLog logs one line per request: transport, operation, status code, reason and
// latency. Unlike Kratos' logging middleware it never logs the request's arguments:
// they carry passwords, password hashes and personal data.
func accessLog(logger log.Logger) middleware.Middleware {
	return func(handler middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			start := time.Now()
			kind, operation := "", ""
			if tr, ok := transport.FromServerContext(ctx); ok {
				kind, operation = string(tr.Kind()), tr.Operation()
			}
			reply, err := handler(ctx, req)
			level, code, reason := log.LevelInfo, int32(200), ""
			if err != nil {
				se := errors.FromError(err)
				code, reason = se.Code, se.Reason
				level = log.LevelWarn
				if code >= 500 {
					level = log.LevelError
				}
			}
			kv := []any{"kind", kind, "operation", operation, "code", code, "reason", reason,
				"latency_ms", time.Since(start).Milliseconds()}
			if err != nil {
				kv = append(kv, "error", err.Error())
			}
			log.WithContext(ctx, logger).Log(level, kv...)
			return reply, err
		}
	}
}
