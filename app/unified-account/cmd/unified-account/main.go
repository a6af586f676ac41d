// Command unified-account runs the unified-account service: login accounts and tokens.
package main

import (
	"context"

	"github.com/go-kratos/kratos/v2"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport/grpc"
	"github.com/go-kratos/kratos/v2/transport/http"

	"github.com/p2p-dtx/p2p-dtx/app/unified-account/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/unified-account/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/boot"
)

const name = "unified-account"

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() { boot.Main(name, version, &conf.Bootstrap{}, wireApp) }

func newApp(c *conf.Bootstrap, logger log.Logger, sessions *biz.SessionUsecase, hs *http.Server, gs *grpc.Server) *kratos.App {
	return boot.App(name, version, logger,
		kratos.Server(hs, gs),
		// The admin must exist before the first request can ask for a token.
		kratos.BeforeStart(func(ctx context.Context) error {
			a := c.GetAdmin()
			admin, err := sessions.ProvisionAdmin(ctx, a.GetUsername(), a.GetMobile(), a.GetPassword())
			if err != nil {
				return err
			}
			log.NewHelper(logger).Infow("msg", "admin account provisioned", "user_id", admin.ID, "username", admin.Username)
			return nil
		}),
	)
}
