// Package logging builds the structured logger every service uses: one logfmt line per
// event with the service's name and version, filtered by level.
package logging

import (
	"os"

	"github.com/go-kratos/kratos/v2/log"
)

// New returns a logger that writes key=value lines to stdout at or above level
// ("debug", "info", "warn", "error"; anything else means info).
func New(service, version, level string) log.Logger {
	base := log.With(log.NewStdLogger(os.Stdout),
		"ts", log.DefaultTimestamp,
		"service", service,
		"version", version,
		"caller", log.DefaultCaller,
	)
	return log.NewFilter(base, log.FilterLevel(log.ParseLevel(level)))
}
