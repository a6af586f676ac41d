// Command repayment runs the repayment service: borrowers' repayment plans and investors'
// receivable plans, written when trade-center's start-repayment message arrives, and
// their execution at the bank, installment by installment.
package main

import (
	"github.com/go-kratos/kratos/v2"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport/grpc"
	"github.com/go-kratos/kratos/v2/transport/http"

	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/server"
	"github.com/p2p-dtx/p2p-dtx/pkg/boot"
	"github.com/p2p-dtx/p2p-dtx/pkg/dtmx"
)

const name = "repayment"

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() { boot.Main(name, version, &conf.Bootstrap{}, wireApp) }

// newApp registers the start-repayment consumer, the repayment runner and the DTM retry
// cap with the app beside HTTP and gRPC, so they start and stop with them.
func newApp(logger log.Logger, hs *http.Server, gs *grpc.Server, consumer *server.StartRepaymentConsumer,
	runner *server.RepaymentRunner, retryCap *dtmx.RetryCapJob) *kratos.App {
	return boot.App(name, version, logger, kratos.Server(consumer, runner, retryCap, hs, gs))
}
