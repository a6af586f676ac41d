//go:build wireinject

package main

import (
	"github.com/go-kratos/kratos/v2"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/google/wire"

	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/data"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/server"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/service"
)

// wireApp wires the application.
func wireApp(*conf.Bootstrap, log.Logger) (*kratos.App, func(), error) {
	panic(wire.Build(server.ProviderSet, data.ProviderSet, biz.ProviderSet, service.ProviderSet, newApp))
}
