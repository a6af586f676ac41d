// Command bank-custody runs the mock custody bank: its pages, its signed API, its users,
// accounts and request log, the poller that completes requests and the notifier.
package main

import (
	"github.com/go-kratos/kratos/v2"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport/grpc"
	"github.com/go-kratos/kratos/v2/transport/http"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/server"
	"github.com/p2p-dtx/p2p-dtx/pkg/boot"
)

const name = "bank-custody"

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() { boot.Main(name, version, &conf.Bootstrap{}, wireApp) }

func newApp(logger log.Logger, hs *http.Server, gs *grpc.Server, poller *server.Poller, notifier *server.Notifier,
	redriver *server.NotifierRedriver) *kratos.App {
	return boot.App(name, version, logger, kratos.Server(hs, gs, poller, notifier, redriver))
}
