// Package logging builds the structured logger every service uses: one logfmt line per
// event with the service's name and version, the trace and span it belongs to, filtered
// by level.
package logging

import (
	"os"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/middleware/tracing"
)

// New returns a logger that writes key=value lines to stdout at or above level
// ("debug", "info", "warn", "error"; anything else means info).
func New(service, version, level string) log.Logger {
	base := log.With(log.NewStdLogger(os.Stdout),
		"ts", log.DefaultTimestamp,
		"service", service,
		"version", version,
		"caller", log.DefaultCaller,
		// Empty outside a traced request; filled when the line is logged with its context
		// (log.WithContext, Helper.WithContext).
		"trace_id", tracing.TraceID(),
		"span_id", tracing.SpanID(),
	)
	return log.NewFilter(base, log.FilterLevel(log.ParseLevel(level)))
}
