package server

import (
	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/dtmx"
	"github.com/p2p-dtx/p2p-dtx/pkg/servers"
)

// DTMRetryCap brings DTM's far-away retries forward (pkg/dtmx RetryCap), so a participant
// that comes back after any outage is retried within about a minute, not after DTM's
// doubled interval.
type DTMRetryCap struct{ *servers.Periodic }

// NewDTMRetryCap returns the job; Start runs it.
func NewDTMRetryCap(c *conf.Bootstrap, logger log.Logger) (*DTMRetryCap, error) {
	job, err := dtmx.RetryCapJob(c.GetDtm(), logger)
	if err != nil {
		return nil, err
	}
	return &DTMRetryCap{job}, nil
}
