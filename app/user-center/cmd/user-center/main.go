package main

import (
	"github.com/go-kratos/kratos/v2"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport/grpc"
	"github.com/go-kratos/kratos/v2/transport/http"

	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/server"
	"github.com/p2p-dtx/p2p-dtx/pkg/boot"
	"github.com/p2p-dtx/p2p-dtx/pkg/dtmx"
)

const name = "user-center"

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() { boot.Main(name, version, &conf.Bootstrap{}, wireApp) }

// newApp runs the HTTP and gRPC servers, the custody reconciliation job and the DTM
// retry cap.
func newApp(logger log.Logger, hs *http.Server, gs *grpc.Server, rec *server.Reconciler, retryCap *dtmx.RetryCapJob) *kratos.App {
	return boot.App(name, version, logger, kratos.Server(hs, gs, rec, retryCap))
}
