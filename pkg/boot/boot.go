// Package boot is the main function every service shares: parse -conf, load the typed
// config, refuse to start with an unsafe one (checks.go), build the structured logger,
// install tracing and metrics (pkg/telemetry), wire the app and run it until SIGINT/SIGTERM.
package boot

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/go-kratos/kratos/v2"
	"github.com/go-kratos/kratos/v2/log"
	"google.golang.org/protobuf/proto"

	"github.com/p2p-dtx/p2p-dtx/pkg/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/logging"
	"github.com/p2p-dtx/p2p-dtx/pkg/operator"
	"github.com/p2p-dtx/p2p-dtx/pkg/telemetry"
)

// Config is a service's Bootstrap message: every one has a log section.
type Config interface {
	proto.Message
	GetLog() *conf.Log
}

// Wire builds the app from its config (wire's generated wireApp).
type Wire[C Config] func(C, log.Logger) (*kratos.App, func(), error)

// Main runs a service and exits non-zero with one line on stderr when it cannot start.
func Main[C Config](name, version string, bc C, wire Wire[C]) {
	confPath := flag.String("conf", "configs/local.yaml", "config file")
	flag.Parse()
	if err := run(name, version, *confPath, bc, wire); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

func run[C Config](name, version, confPath string, bc C, wire Wire[C]) error {
	if err := conf.Load(confPath, bc); err != nil {
		return err
	}
	deployment := &conf.Deployment{}
	if err := conf.Load(confPath, deployment); err != nil {
		return err
	}
	if err := checkConfig(bc, deployment, operator.FromEnv()); err != nil {
		return fmt.Errorf("config %s: %w", confPath, err)
	}
	logger := logging.New(name, version, bc.GetLog().GetLevel())
	tc, err := telemetry.FromEnv(name, version)
	if err != nil {
		return err
	}
	shutdown, err := telemetry.Setup(context.Background(), tc, logger)
	if err != nil {
		return err
	}
	defer func() {
		// Flush the spans of the last requests; a trace store that is down costs at most
		// this long at exit.
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if err := shutdown(ctx); err != nil {
			log.NewHelper(logger).Warnw("msg", "telemetry: spans not flushed at exit", "err", err)
		}
	}()
	app, cleanup, err := wire(bc, logger)
	if err != nil {
		return err
	}
	defer cleanup()
	return app.Run()
}

// App returns a Kratos app with the service's name, version, logger and servers.
func App(name, version string, logger log.Logger, opts ...kratos.Option) *kratos.App {
	return kratos.New(append([]kratos.Option{
		kratos.Name(name), kratos.Version(version), kratos.Logger(logger),
	}, opts...)...)
}
