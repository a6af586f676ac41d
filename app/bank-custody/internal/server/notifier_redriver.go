package server

import (
	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data"
	"github.com/p2p-dtx/p2p-dtx/pkg/mq"
)

// NotifierRedriver sends the bank's result notifications that dead-lettered in
// %DLQ%CID_BANK_NOTIFIER (the platform answered no 200 through the whole retry schedule)
// back to TP_BANK_NOTIFY, at most mq.DefaultRedriveMax times each (pkg/mq/redrive.go), so
// the notifier tries again once the platform is back. user-center's reconciliation job
// closes such a request too; the redriver is the bank keeping its best-effort promise.
type NotifierRedriver struct{ *mq.Redriver }

// NewNotifierRedriver returns the redriver; Start connects it.
func NewNotifierRedriver(publisher *data.Publisher, logger log.Logger) (*NotifierRedriver, error) {
	ep := mq.Endpoint{Topic: data.NotifyTopic, Group: data.NotifierGroup, NameServers: publisher.NameServers()}
	r, err := mq.NewRedriver("bank-custody", ep, []string{mq.PropertySignature, data.PropertyPlatformNo}, logger)
	if err != nil {
		return nil, err
	}
	return &NotifierRedriver{r}, nil
}
