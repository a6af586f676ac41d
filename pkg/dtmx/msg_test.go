package dtmx

import (
	"context"
	"errors"
	"testing"

	"google.golang.org/grpc/metadata"
)

// A check-back is answered only for a two-phase message's check-back metadata; anything
// else is refused before the database is touched (db is nil here).
func TestQueryPreparedRefusesWhatIsNotACheckBack(t *testing.T) {
	t.Parallel()
	branch := func(kv ...string) context.Context {
		return metadata.NewIncomingContext(context.Background(), metadata.Pairs(kv...))
	}
	for name, ctx := range map[string]context.Context{
		"no metadata": context.Background(),
		"a TCC try": branch("dtm-gid", "g1", "dtm-trans_type", "tcc", "dtm-branch_id", "01", "dtm-op", "try",
			"dtm-dtm", "127.0.0.1:36790"),
		"a message's step": branch("dtm-gid", "g1", "dtm-trans_type", "msg", "dtm-branch_id", "01", "dtm-op", "action",
			"dtm-dtm", "127.0.0.1:36790"),
	} {
		if err := QueryPrepared(ctx, nil); !errors.Is(err, ErrNotMessageCheckBack) {
			t.Errorf("%s: %v, want ErrNotMessageCheckBack", name, err)
		}
	}
}

func TestNewMessagesNeedsTheServerAndTheCheckBack(t *testing.T) {
	t.Parallel()
	if _, err := NewMessages(nil, nil, "127.0.0.1:9040/x.Y/QueryPrepared", nil, nil); err == nil {
		t.Error("no DTM server: accepted")
	}
}
