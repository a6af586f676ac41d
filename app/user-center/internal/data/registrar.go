package data

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/dtm-labs/dtm/client/dtmcli"
	"github.com/dtm-labs/dtm/client/dtmcli/dtmimp"
	"github.com/dtm-labs/dtm/client/dtmgrpc"
	"github.com/go-kratos/kratos/v2/log"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/types/known/emptypb"

	uav1 "github.com/p2p-dtx/p2p-dtx/api/unified-account/v1"
	ucv1 "github.com/p2p-dtx/p2p-dtx/api/user-center/v1"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/conf"
	pconf "github.com/p2p-dtx/p2p-dtx/pkg/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/dtmx"
	"github.com/p2p-dtx/p2p-dtx/pkg/telemetry"
)

// Branch URLs as DTM calls them: host:port + the generated full method name.
const (
	accountTry     = uav1.AccountRegistration_TryCreateAccount_FullMethodName
	accountConfirm = uav1.AccountRegistration_ConfirmCreateAccount_FullMethodName
	accountCancel  = uav1.AccountRegistration_CancelCreateAccount_FullMethodName
	accountXA      = uav1.AccountRegistration_XaCreateAccount_FullMethodName

	consumerTry     = ucv1.ConsumerRegistration_TryCreateConsumer_FullMethodName
	consumerConfirm = ucv1.ConsumerRegistration_ConfirmCreateConsumer_FullMethodName
	consumerCancel  = ucv1.ConsumerRegistration_CancelCreateConsumer_FullMethodName
	consumerXA      = ucv1.ConsumerRegistration_XaCreateConsumer_FullMethodName
)

// dtmRegistrar runs registrations as DTM global transactions over gRPC.
type dtmRegistrar struct {
	conf    *pconf.DTM
	account string          // unified-account's gRPC host:port
	self    string          // this service's gRPC host:port
	key     *dtmx.BranchKey // credentials for the branch headers, seals the password hash
	http    *http.Client
	log     *log.Helper
}

// NewRegistrar returns the DTM-backed Registrar.
func NewRegistrar(c *conf.Bootstrap, key *dtmx.BranchKey, logger log.Logger) (biz.Registrar, error) {
	d := c.GetDtm()
	if d.GetServer() == "" || d.GetBranchHost() == "" || c.GetPeers().GetUnifiedAccountGrpc() == "" {
		return nil, errors.New("dtm.server, dtm.branch_host and peers.unified_account_grpc are required")
	}
	dtmx.QuietClientLogs()
	dtmx.LimitBranchCalls(d.GetBranchTimeout().AsDuration())
	dtmx.TraceCalls()
	return &dtmRegistrar{
		conf:    d,
		account: c.GetPeers().GetUnifiedAccountGrpc(),
		self:    d.GetBranchHost(),
		key:     key,
		http:    telemetry.Client(5 * time.Second),
		log:     log.NewHelper(logger),
	}, nil
}

// Register runs one registration as the global transaction gid, in a span of its own
// that every branch call (and DTM's phase 2 and retries) continues.
func (r *dtmRegistrar) Register(ctx context.Context, mode biz.Mode, u biz.NewUser, afterTries func(context.Context) error) (res biz.Registered, err error) {
	gid, err := newGID()
	if err != nil {
		return biz.Registered{}, err
	}
	ctx, span := telemetry.Tracer().Start(ctx, "registration "+string(mode), trace.WithAttributes(telemetry.KeyGID.String(gid)))
	defer func() {
		telemetry.Fail(span, err)
		span.End()
		registrations.Inc(ctx, "mode", string(mode), "outcome", outcome(res, err))
	}()
	return r.register(ctx, gid, mode, u, afterTries)
}

// registrations counts registrations by mode (tcc, xa) and outcome.
var registrations = telemetry.NewCounter("p2p_registrations", "registrations by mode and outcome")

// outcome names what a registration ended as: succeeded, pending (committed, a Confirm
// still retrying), username_taken, mobile_taken, rolled_back, unknown (DTM had not
// decided when the answer was due) or error.
func outcome(res biz.Registered, err error) string {
	switch {
	case err == nil && res.Settled:
		return "succeeded"
	case err == nil:
		return "pending"
	case errors.Is(err, biz.ErrUsernameTaken):
		return "username_taken"
	case errors.Is(err, biz.ErrMobileTaken):
		return "mobile_taken"
	case errors.Is(err, biz.ErrRolledBack), errors.Is(err, biz.ErrFaultInjected):
		return "rolled_back"
	case errors.Is(err, biz.ErrOutcomeUnknown):
		return "unknown"
	}
	return "error"
}

func (r *dtmRegistrar) register(ctx context.Context, gid string, mode biz.Mode, u biz.NewUser, afterTries func(context.Context) error) (biz.Registered, error) {
	// The hash travels sealed for this gid: DTM stores and logs the branch payload.
	sealed, err := r.key.Seal(gid, []byte(u.PasswordHash))
	if err != nil {
		return biz.Registered{}, err
	}
	accountReq := &uav1.CreateAccountRequest{
		Username: u.Username, Mobile: u.Mobile, SealedPasswordHash: sealed, Role: u.Role,
	}
	var account uav1.CreateAccountReply
	consumerReq := func() *ucv1.CreateConsumerRequest {
		return &ucv1.CreateConsumerRequest{UserId: account.GetUserId(), Username: u.Username, Mobile: u.Mobile, Role: u.Role}
	}
	// The global transaction outlives a caller that hangs up: DTM must still be told to
	// submit or abort.
	txCtx := context.WithoutCancel(ctx)
	options := func(t *dtmimp.TransBase) {
		t.Context = txCtx
		// Submit and Abort return only after Confirm/Cancel ran, so the answer reflects
		// the settled transaction.
		t.WaitResult = true
		t.RetryInterval = r.conf.GetRetryIntervalSeconds()
		t.TimeoutToFail = r.conf.GetTimeoutToFailSeconds()
		// Every branch call, retry and phase 2 carries the transaction's credential and
		// its trace context.
		r.key.Authorize(t)
		dtmx.TraceBranches(txCtx, t)
	}

	switch mode {
	case biz.ModeXA:
		err = dtmgrpc.XaGlobalTransaction2(r.conf.GetServer(), gid, func(xa *dtmgrpc.XaGrpc) { options(&xa.TransBase) },
			func(xa *dtmgrpc.XaGrpc) error {
				if err := xa.CallBranch(accountReq, r.account+accountXA, &account); err != nil {
					return err
				}
				if err := xa.CallBranch(consumerReq(), r.self+consumerXA, &emptypb.Empty{}); err != nil {
					return err
				}
				return afterTries(txCtx)
			})
	default:
		err = dtmgrpc.TccGlobalTransaction2(r.conf.GetServer(), gid, func(tcc *dtmgrpc.TccGrpc) { options(&tcc.TransBase) },
			func(tcc *dtmgrpc.TccGrpc) error {
				if err := tcc.CallBranch(accountReq, r.account+accountTry, r.account+accountConfirm, r.account+accountCancel, &account); err != nil {
					return err
				}
				if err := tcc.CallBranch(consumerReq(), r.self+consumerTry, r.self+consumerConfirm, r.self+consumerCancel, &emptypb.Empty{}); err != nil {
					return err
				}
				return afterTries(txCtx)
			})
	}
	res := biz.Registered{UserID: account.GetUserId(), GID: gid}
	if err == nil {
		// Submit waited for the result: both Confirms (or XA commits) succeeded.
		res.Settled = true
		return res, nil
	}
	// Submit or Abort may come back before DTM finished (a Confirm or Cancel is being
	// retried), or fail while DTM's outcome is unknown to it (DTM or its store went away
	// mid-call): wait for the final state, so a 409 means nothing is left behind and a
	// success means both sides are ACTIVE.
	status, werr := r.settle(txCtx, gid)
	res, err = afterFailure(res, status, err)
	switch {
	case errors.Is(err, biz.ErrOutcomeUnknown):
		r.log.Warnw("msg", "registration outcome unknown after the settle wait", "gid", gid, "mode", string(mode), "status", status, "cause", err, "wait", werr)
	case err == nil:
		r.log.Warnw("msg", "registration committed, confirm still retrying", "gid", gid, "err", werr)
	default:
		r.log.Infow("msg", "registration rolled back", "gid", gid, "mode", string(mode), "status", status, "cause", err)
	}
	return res, err
}

// afterFailure decides what a registration whose Submit or Abort failed (cause) answers,
// from the status DTM last gave for it within the settle wait ("" when DTM never
// answered). Only DTM's own decision counts: a call that failed says nothing about what
// DTM stored before it failed (under a MariaDB restart a Submit failed with "invalid
// connection" after DTM had recorded it, and both sides went ACTIVE).
//   - succeed: both Confirms (or XA commits) ran → success, settled;
//   - submitted: committed, a Confirm still being retried → success, the consumer PENDING
//     until DTM finishes;
//   - failed, aborting: rolled back (or being rolled back: the Cancels are DTM's to finish)
//     → the refusal the cause maps to; absent (DTM holds no such transaction: the
//     Prepare never landed, so no branch ran) → the same;
//   - prepared, or no answer: not decided yet (DTM submits or aborts it later) →
//     ErrOutcomeUnknown, never a refusal the caller would act on.
func afterFailure(res biz.Registered, status string, cause error) (biz.Registered, error) {
	switch status {
	case dtmcli.StatusSucceed:
		res.Settled = true
		return res, nil
	case dtmcli.StatusSubmitted:
		return res, nil
	case dtmcli.StatusFailed, dtmcli.StatusAborting, statusAbsent:
		return res, rolledBack(cause)
	}
	if status == "" {
		status = "no answer"
	}
	return res, fmt.Errorf("%w: DTM's status %s after the settle wait: %v", biz.ErrOutcomeUnknown, status, cause)
}

// rolledBack maps the failure that made DTM roll back to what the caller is told.
func rolledBack(err error) error {
	switch {
	case uav1.IsUsernameTaken(err), ucv1.IsUsernameTaken(err):
		return biz.ErrUsernameTaken
	case uav1.IsMobileTaken(err), ucv1.IsMobileTaken(err):
		return biz.ErrMobileTaken
	case errors.Is(err, biz.ErrFaultInjected):
		return biz.ErrFaultInjected
	}
	return fmt.Errorf("%w: %v", biz.ErrRolledBack, err)
}

// gidAlphabet keeps gids alphanumeric, as DTM's own are: they end up in XA ids and URLs.
const gidAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// newGID makes the global transaction's id here instead of asking DTM (one round trip
// less per registration): 22 characters of a 62-letter alphabet, 130 random bits, so two
// initiators never pick the same one. XA branch ids are gid-01, well under XA's 64 bytes.
func newGID() (string, error) {
	var b [22]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("new gid: %w", err)
	}
	for i := range b {
		b[i] = gidAlphabet[int(b[i])%len(gidAlphabet)]
	}
	return string(b[:]), nil
}

// errNoTransaction is DTM answering that it holds no transaction of that gid: its Prepare
// never landed, so no branch ran.
var errNoTransaction = errors.New("no such transaction")

// statusAbsent is what settle reports for a gid DTM has no transaction of.
const statusAbsent = "absent"

// settle polls DTM until the transaction is succeed or failed, or the settle wait ends;
// it returns the last status seen ("" when DTM never answered; statusAbsent at once
// when DTM says it has no such transaction).
func (r *dtmRegistrar) settle(ctx context.Context, gid string) (string, error) {
	wait := r.conf.GetSettleWait().AsDuration()
	if wait <= 0 {
		wait = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var status string
	for {
		s, err := r.status(ctx, gid)
		if errors.Is(err, errNoTransaction) {
			return statusAbsent, nil
		}
		if err == nil {
			status = s
			if s == dtmcli.StatusSucceed || s == dtmcli.StatusFailed {
				return s, nil
			}
		}
		select {
		case <-ctx.Done():
			return status, fmt.Errorf("dtm still %q after %v: %w", status, wait, ctx.Err())
		case <-tick.C:
		}
	}
}

// status asks DTM's HTTP API for a global transaction's status.
func (r *dtmRegistrar) status(ctx context.Context, gid string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		r.conf.GetHttpServer()+"/query?gid="+url.QueryEscape(gid), nil)
	if err != nil {
		return "", err
	}
	resp, err := r.http.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// DTM answers 500 when its store fails: that says nothing about the transaction.
		return "", fmt.Errorf("dtm query %s: %s", gid, resp.Status)
	}
	var body struct {
		Transaction *struct {
			Status string `json:"status"`
		} `json:"transaction"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return "", fmt.Errorf("dtm query %s: %w", gid, err)
	}
	if body.Transaction == nil {
		return "", fmt.Errorf("dtm query %s: %w", gid, errNoTransaction)
	}
	return body.Transaction.Status, nil
}
