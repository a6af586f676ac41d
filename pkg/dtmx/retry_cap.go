package dtmx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/pkg/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/servers"
)

// DTM retries a failing branch with an interval that doubles without bound (v1.19.0,
// dtmsvr getNextCronInterval): after a participant was down for ten minutes, its next
// retry can be ten minutes after it is back. DTM's own remedy is its resetCronTime API
// ("unfinished transactions need to be retried as soon as possible after business
// downtime is recovered"), which moves every unfinished transaction whose next retry is
// further away than a given time to now. RetryCap calls it periodically, so no retry is
// ever scheduled more than about cap + interval away: a participant that comes back after
// any outage is retried within that bound. The cap must stay above the initiators'
// timeout_to_fail_seconds, so that a transaction still being prepared is never looked at
// early (the reset only touches transactions scheduled further than cap away).

// RetryCap resets DTM's far-away retries.
type RetryCap struct {
	api  string // DTM's HTTP API, e.g. http://127.0.0.1:36789/api/dtmsvr
	cap  time.Duration
	http *http.Client
}

// NewRetryCap returns the cap for DTM's HTTP API at api.
func NewRetryCap(api string, cap time.Duration) (*RetryCap, error) {
	if api == "" {
		return nil, errors.New("dtm.http_server is not set (DTM's HTTP API, for resetCronTime)")
	}
	if cap < time.Second {
		return nil, fmt.Errorf("dtm retry cap %v: must be at least 1s", cap)
	}
	return &RetryCap{api: api, cap: cap, http: &http.Client{Timeout: 5 * time.Second}}, nil
}

// resetBatch is how many transactions one resetCronTime call moves.
const resetBatch = 100

// Reset moves every unfinished transaction whose next retry is more than the cap away to
// now, in batches, and returns how many it moved.
func (c *RetryCap) Reset(ctx context.Context) (int64, error) {
	var total int64
	for range 50 { // at most 5,000 transactions a pass
		q := url.Values{"timeout": {strconv.Itoa(int(c.cap / time.Second))}, "limit": {strconv.Itoa(resetBatch)}}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.api+"/resetCronTime?"+q.Encode(), nil)
		if err != nil {
			return total, err
		}
		resp, err := c.http.Do(req)
		if err != nil {
			return total, fmt.Errorf("dtm resetCronTime: %w", err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if err != nil {
			return total, fmt.Errorf("dtm resetCronTime: %w", err)
		}
		if resp.StatusCode != http.StatusOK {
			return total, fmt.Errorf("dtm resetCronTime: HTTP %d: %s", resp.StatusCode, body)
		}
		var out struct {
			HasRemaining bool  `json:"has_remaining"`
			SucceedCount int64 `json:"succeed_count"`
		}
		if err := json.Unmarshal(body, &out); err != nil {
			return total, fmt.Errorf("dtm resetCronTime: %w: %s", err, body)
		}
		total += out.SucceedCount
		if !out.HasRemaining {
			return total, nil
		}
	}
	return total, nil
}

// minRetryCap is the smallest cap RetryCapJob uses.
const minRetryCap = time.Minute

// RetryCapJob is RetryCap run as a service's background job (a Kratos transport.Server):
// the cap is a minute, or twice the transactions' timeout_to_fail when that is longer, and
// a pass runs every third of it. Several services (and instances) may run it: the reset
// is idempotent.
type RetryCapJob struct{ *servers.Periodic }

// NewRetryCapJob returns the job for the DTM settings c (dtm.http_server, the DTM API);
// Start runs it.
func NewRetryCapJob(c *conf.DTM, logger log.Logger) (*RetryCapJob, error) {
	capAfter := max(minRetryCap, 2*time.Duration(c.GetTimeoutToFailSeconds())*time.Second)
	rc, err := NewRetryCap(c.GetHttpServer(), capAfter)
	if err != nil {
		return nil, err
	}
	return &RetryCapJob{servers.NewJob("dtm retry cap", "server/dtm-retry-cap", logger, capAfter/3,
		func(ctx context.Context, lg *log.Helper) error {
			n, err := rc.Reset(ctx)
			if n > 0 {
				lg.Infow("msg", "dtm retries brought forward", "transactions", n, "cap", capAfter.String())
			}
			return err
		}, servers.PassTimeout(capAfter/3))}, nil
}
