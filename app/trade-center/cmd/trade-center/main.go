// Command trade-center runs the trade-center service: projects (loan listings), tenders,
// full-loan approval (which starts repayment with a RocketMQ transactional message),
// failed projects and their refunds, and the installment branch repayment's DTM
// two-phase messages call.
package main

import (
	"github.com/go-kratos/kratos/v2"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport/grpc"
	"github.com/go-kratos/kratos/v2/transport/http"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/server"
	"github.com/p2p-dtx/p2p-dtx/pkg/boot"
)

const name = "trade-center"

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() { boot.Main(name, version, &conf.Bootstrap{}, wireApp) }

// newApp registers every server with the app, so they start and stop with it: the
// producer of the start-repayment message and the background jobs (tender settler,
// collection run, refunds) beside HTTP and gRPC.
func newApp(logger log.Logger, hs *http.Server, gs *grpc.Server, producer *server.StartRepaymentProducer,
	settler *server.TenderSettler, collector *server.Collector, refunder *server.Refunder,
	republisher *server.Republisher, redriver *server.StartRepaymentRedriver) *kratos.App {
	return boot.App(name, version, logger, kratos.Server(producer, settler, collector, refunder, republisher, redriver, hs, gs))
}
