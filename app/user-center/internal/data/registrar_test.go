package data

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/dtm-labs/dtm/client/dtmcli"
	"google.golang.org/protobuf/types/known/durationpb"

	uav1 "github.com/p2p-dtx/p2p-dtx/api/unified-account/v1"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/biz"
	pconf "github.com/p2p-dtx/p2p-dtx/pkg/conf"
)

// A registration whose Submit or Abort failed is answered from DTM's own decision, never
// from the failed call: under a MariaDB restart a Submit failed with "invalid connection"
// after DTM had recorded it, and the caller was told 409 while both sides went ACTIVE.
func TestAFailedSubmitIsAnsweredFromWhatDTMDecided(t *testing.T) {
	t.Parallel()
	broken := errors.New("rpc error: code = Internal desc = invalid connection")
	taken := uav1.ErrorUsernameTaken("username taken")
	for _, c := range []struct {
		status  string
		cause   error
		settled bool
		want    error // nil: success
	}{
		{dtmcli.StatusSucceed, broken, true, nil},
		{dtmcli.StatusSubmitted, broken, false, nil},
		{dtmcli.StatusFailed, broken, false, biz.ErrRolledBack},
		{dtmcli.StatusAborting, broken, false, biz.ErrRolledBack},
		{dtmcli.StatusFailed, taken, false, biz.ErrUsernameTaken},
		{statusAbsent, broken, false, biz.ErrRolledBack},
		{dtmcli.StatusPrepared, broken, false, biz.ErrOutcomeUnknown},
		{"", broken, false, biz.ErrOutcomeUnknown},
	} {
		res, err := afterFailure(biz.Registered{UserID: 7, GID: "g"}, c.status, c.cause)
		switch {
		case c.want == nil && err != nil:
			t.Errorf("status %q: got %v, want success", c.status, err)
		case c.want != nil && !errors.Is(err, c.want):
			t.Errorf("status %q, cause %v: got %v, want %v", c.status, c.cause, err, c.want)
		case res.Settled != c.settled:
			t.Errorf("status %q: settled %v, want %v", c.status, res.Settled, c.settled)
		case res.UserID != 7:
			t.Errorf("status %q: user id %d, want 7", c.status, res.UserID)
		}
	}
}

// DTM answers 500 when its store fails; that is no answer about the transaction, unlike
// a 200 with no transaction in it.
func TestSettleTellsAnAbsentTransactionFromDTMFailing(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		code   int
		body   string
		status string
	}{
		{"store down", http.StatusInternalServerError, `{"error":"invalid connection"}`, ""},
		{"never prepared", http.StatusOK, `{"transaction":null,"branches":[]}`, statusAbsent},
		{"undecided", http.StatusOK, `{"transaction":{"status":"prepared"}}`, dtmcli.StatusPrepared},
		{"committed", http.StatusOK, `{"transaction":{"status":"succeed"}}`, dtmcli.StatusSucceed},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dtm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(c.code)
				_, _ = w.Write([]byte(c.body))
			}))
			defer dtm.Close()
			r := &dtmRegistrar{conf: &pconf.DTM{HttpServer: dtm.URL, SettleWait: durationpb.New(300 * time.Millisecond)}, http: dtm.Client()}
			status, _ := r.settle(context.Background(), "g")
			if status != c.status {
				t.Errorf("settle = %q, want %q", status, c.status)
			}
		})
	}
}
