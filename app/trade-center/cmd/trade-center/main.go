// Command trade-center runs the trade-center service: projects (loan listings) and tenders.
package main

import (
	"github.com/go-kratos/kratos/v2"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport/grpc"
	"github.com/go-kratos/kratos/v2/transport/http"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/boot"
)

const name = "trade-center"

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() { boot.Main(name, version, &conf.Bootstrap{}, wireApp) }

func newApp(logger log.Logger, hs *http.Server, gs *grpc.Server) *kratos.App {
	return boot.App(name, version, logger, kratos.Server(hs, gs))
}
