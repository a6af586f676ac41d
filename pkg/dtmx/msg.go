package dtmx

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/dtm-labs/dtm/client/dtmcli/dtmimp"
	"github.com/dtm-labs/dtm/client/dtmgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/p2p-dtx/p2p-dtx/pkg/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/entx"
)

// Two-phase messages (DTM's "msg"): the sender prepares the message, runs its local
// transaction inside DTM's barrier — the barrier row commits or rolls back with the
// business change — and submits; DTM then calls every step until it succeeds. When the
// submit never arrives, DTM asks the sender's QueryPrepared, which answers from that
// barrier row (and, if the transaction did not commit, writes a rollback row first, so a
// late commit can no longer happen).

// Messages sends one service's two-phase messages on its pool.
type Messages struct {
	server        string // DTM's gRPC address
	queryPrepared string // where DTM checks back: host:port + the full method name
	timeoutToFail int64
	retryInterval int64
	key           *BranchKey
	db            *sql.DB
	bind          func(context.Context, *entx.Driver) context.Context
}

// MsgStep is one step of a message: DTM calls Action (host:port + full method name) with
// Payload until it succeeds.
type MsgStep struct {
	Action  string
	Payload proto.Message
}

// NewMessages returns the sender of a service whose pool is db; bind is its entx.Store.Bind.
// From c it takes the server, timeout_to_fail_seconds (how long a prepared message waits
// for its submit before DTM checks back; DTM's own default when 0) and
// retry_interval_seconds (the first retry delay of a failing step).
// key authorizes every message's branch calls and check-backs.
func NewMessages(c *conf.DTM, key *BranchKey, queryPrepared string, db *sql.DB, bind func(context.Context, *entx.Driver) context.Context) (*Messages, error) {
	if c.GetServer() == "" || queryPrepared == "" {
		return nil, errors.New("dtmx: a two-phase message needs DTM's server and the sender's QueryPrepared")
	}
	QuietClientLogs()
	TraceCalls()
	return &Messages{server: c.GetServer(), queryPrepared: queryPrepared, timeoutToFail: c.GetTimeoutToFailSeconds(),
		retryInterval: c.GetRetryIntervalSeconds(), key: key, db: db, bind: bind}, nil
}

// DoAndSubmit sends the message gid: prepare, fn in the barrier's local transaction (the
// repositories find it in the context fn gets), submit. fn's error is returned as is and
// the message is aborted. Any other error leaves the message prepared or submitted as far
// as DTM got: whether fn committed is then the barrier's (and the database's) to say.
// ctx bounds the calls to DTM and the local transaction.
func (m *Messages) DoAndSubmit(ctx context.Context, gid string, steps []MsgStep, fn func(ctx context.Context) error) error {
	msg := dtmgrpc.NewMsgGrpc(m.server, gid)
	msg.Context = ctx
	msg.TimeoutToFail, msg.RetryInterval = m.timeoutToFail, m.retryInterval
	m.key.Authorize(&msg.TransBase)
	TraceBranches(ctx, &msg.TransBase)
	for _, s := range steps {
		msg.Add(s.Action, s.Payload)
	}
	return msg.DoAndSubmitDB(m.queryPrepared, m.db, func(tx *sql.Tx) error {
		return fn(m.bind(ctx, entx.New(tx)))
	})
}

// ErrNotMessageCheckBack refuses a QueryPrepared call that does not carry the DTM
// metadata of a two-phase message's check-back; nothing is written.
var ErrNotMessageCheckBack = errors.New("dtmx: not a check-back of a two-phase message")

// QueryPrepared answers DTM's check-back for the message in ctx from the barrier rows on
// db: nil when its local transaction committed; gRPC Aborted when it did not (and from now
// on cannot); any other error is retried by DTM.
func QueryPrepared(ctx context.Context, db *sql.DB) error {
	bb, err := dtmgrpc.BarrierFromGrpc(ctx)
	if err != nil || bb.TransType != "msg" || bb.BranchID != dtmimp.MsgDoBranch0 || bb.Op != dtmimp.MsgDoOp {
		return ErrNotMessageCheckBack
	}
	return dtmgrpc.DtmError2GrpcError(bb.QueryPrepared(db))
}

// submitMethod is the DTM client's submit call.
const submitMethod = "/dtmgimp.Dtm/Submit"

var dropOnce sync.Once

// DropSubmits makes the DTM client of this process fail a Submit without sending it
// whenever drop says so — what a submit lost on the network looks like (a fault point).
// Call it once at start, before the first message: the client builds its connections
// with the interceptors registered by then.
func DropSubmits(drop func() bool) {
	dropOnce.Do(func() {
		dtmgrpc.AddUnaryInterceptor(func(ctx context.Context, method string, req, reply any,
			cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			if method == submitMethod && drop() {
				return status.Error(codes.Unavailable, fmt.Sprintf("dtmx: %s dropped before it was sent", method))
			}
			return invoker(ctx, method, req, reply, cc, opts...)
		})
	})
}
