package mq

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/p2p-dtx/p2p-dtx/pkg/operator"
)

// An operator's redrive (`make redrive`, POST /v1/operator/redrive): every dead letter
// still in the dead-letter topic goes back to its topic now, with a fresh budget of
// re-drives (P2P_REDRIVES 0) — what an operator does after fixing whatever made the
// consumer give up. It reads the dead-letter queues by offset with a pull consumer of a
// group of its own (<group>_OPERATOR), assigned its queues rather than rebalanced, so no
// earlier run's consumer can be handed the queue instead. The topic keeps every copy of
// a message that dead-lettered more than once; a run sends each message (keys and body)
// once however many copies it finds, so copies never multiply from run to run.

// pullWait is how long a pull may wait for the broker before the queue counts as read.
const pullWait = 3 * time.Second

// RedriveReport is what one operator redrive did.
type RedriveReport struct {
	Group      string `json:"group"`
	Read       int    `json:"read"`       // dead letters read
	Sent       int    `json:"sent"`       // sent back to the topic
	Duplicates int    `json:"duplicates"` // copies of a message already sent by this run
}

// OperatorGroup is the consumer group an operator's redrive reads group's dead letters with.
func OperatorGroup(group string) string { return group + "_OPERATOR" }

// RedriveAll sends every dead letter of the group back to its topic (see above).
func (r *Redriver) RedriveAll(ctx context.Context) (RedriveReport, error) {
	rep := RedriveReport{Group: r.ep.Group}
	dlq := DLQ(r.ep.Group)
	pc, err := rocketmq.NewPullConsumer(
		consumer.WithNsResolver(primitive.NewPassthroughResolver(r.ep.NameServers)),
		consumer.WithGroupName(OperatorGroup(r.ep.Group)),
		consumer.WithInstance(InstanceName(r.service+"-operator-redrive")),
		consumer.WithCredentials(r.creds),
	)
	if err != nil {
		return rep, fmt.Errorf("operator redrive of %s: %w", r.ep.Group, err)
	}
	if err := pc.Subscribe(dlq, consumer.MessageSelector{}); err != nil {
		return rep, fmt.Errorf("operator redrive of %s: subscribe %s: %w", r.ep.Group, dlq, err)
	}
	if err := pc.Start(); err != nil {
		return rep, fmt.Errorf("operator redrive of %s: %w", r.ep.Group, err)
	}
	defer func() {
		if err := pc.Shutdown(); err != nil {
			r.log.Warnw("msg", "operator redrive: shut the pull consumer down", "err", err)
		}
	}()
	queues, err := pc.GetTopicRouteInfo(dlq)
	if err != nil {
		return rep, fmt.Errorf("operator redrive of %s: the queues of %s: %w", r.ep.Group, dlq, err)
	}
	sent := map[[32]byte]bool{}
	for _, q := range queues {
		if err := r.redriveQueue(ctx, pc, q, sent, &rep); err != nil {
			return rep, err
		}
	}
	r.log.Warnw("msg", "operator redrive", "dlq", dlq, "read", rep.Read, "sent", rep.Sent, "duplicates", rep.Duplicates)
	return rep, nil
}

// pullConsumer is what redriveQueue needs of rocketmq-client-go's pull consumer.
type pullConsumer interface {
	PullFrom(ctx context.Context, queue *primitive.MessageQueue, offset int64, numbers int) (*primitive.PullResult, error)
}

func (r *Redriver) redriveQueue(ctx context.Context, pc pullConsumer, q *primitive.MessageQueue, sent map[[32]byte]bool,
	rep *RedriveReport) error {
	for offset := int64(0); ; {
		res, answered, err := pullOrWait(ctx, pc, q, offset)
		if !answered {
			return nil // nothing came within pullWait: the queue has been read
		}
		if err != nil {
			return fmt.Errorf("operator redrive of %s: pull queue %d at %d: %w", r.ep.Group, q.QueueId, offset, err)
		}
		switch res.Status {
		case primitive.PullFound:
		case primitive.PullOffsetIllegal:
			if res.NextBeginOffset > offset { // the queue's start was removed by retention
				offset = res.NextBeginOffset
				continue
			}
			return nil
		default: // no (more) messages
			return nil
		}
		for _, m := range res.GetMessageExts() {
			rep.Read++
			id := sha256.Sum256(append([]byte(m.GetKeys()+"\x00"), m.Body...))
			if sent[id] {
				rep.Duplicates++
				continue
			}
			if _, err := r.send(ctx, Redriven(m, r.ep.Topic, r.keep, 0)); err != nil {
				return fmt.Errorf("operator redrive of %s: send %s back: %w", r.ep.Group, m.MsgId, err)
			}
			sent[id] = true
			rep.Sent++
			redriven.Inc(ctx, "group", r.ep.Group, "outcome", "operator")
		}
		if res.NextBeginOffset <= offset || res.NextBeginOffset >= res.MaxOffset {
			return nil // read up to the end the broker reported
		}
		offset = res.NextBeginOffset
	}
}

// pullOrWait pulls from offset. The broker holds a pull at a queue's end until a message
// comes (long polling, about 20 s, whatever the context says), so a pull that has no
// answer within pullWait is left to finish on its own and answered is false: the queue has
// been read. The consumer's Shutdown ends such a pull.
func pullOrWait(ctx context.Context, pc pullConsumer, q *primitive.MessageQueue, offset int64) (*primitive.PullResult, bool, error) {
	type pulled struct {
		res *primitive.PullResult
		err error
	}
	done := make(chan pulled, 1)
	go func() {
		res, err := pc.PullFrom(ctx, q, offset, 32)
		done <- pulled{res, err}
	}()
	select {
	case p := <-done:
		return p.res, true, p.err
	case <-time.After(pullWait):
		return nil, false, nil
	case <-ctx.Done():
		return nil, true, ctx.Err()
	}
}

// OperatorHandler serves POST /v1/operator/redrive to a request with the operator token:
// one RedriveAll, answered with its report (pkg/operator refuses anyone else with 401).
func (r *Redriver) OperatorHandler(token operator.Token) http.Handler {
	return token.Require(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, `{"code":405,"reason":"METHOD_NOT_ALLOWED","message":"POST only"}`, http.StatusMethodNotAllowed)
			return
		}
		ctx, cancel := context.WithTimeout(req.Context(), 2*time.Minute)
		defer cancel()
		rep, err := r.RedriveAll(ctx)
		w.Header().Set("Content-Type", "application/json")
		var body any = rep
		if err != nil {
			r.log.Errorw("msg", "operator redrive failed", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			body = map[string]any{"code": http.StatusServiceUnavailable, "reason": "REDRIVE_FAILED", "message": err.Error()}
		}
		// The status is sent and the redrive done; a failed write only means the operator
		// went away before reading the report, which the log line above or below keeps.
		if werr := json.NewEncoder(w).Encode(body); werr != nil {
			r.log.Warnw("msg", "operator redrive: the report was not delivered", "err", werr)
		}
	}))
}
