package claims

import (
	"context"
	"slices"
	"testing"
)

// half holds the keys that start with "a".
type half struct{}

func (half) Claim(_ context.Context, _ string, keys []string) ([]string, error) {
	var out []string
	for _, k := range keys {
		if k[0] == 'a' {
			out = append(out, k)
		}
	}
	return out, nil
}

func TestFilterKeepsTheHeldItemsInOrder(t *testing.T) {
	type row struct{ key string }
	rows := []row{{"a1"}, {"b1"}, {"a2"}, {"b2"}, {"a3"}}
	got, err := Filter(context.Background(), half{}, "job", rows, func(r *row) string { return r.key })
	if err != nil {
		t.Fatal(err)
	}
	if want := []row{{"a1"}, {"a2"}, {"a3"}}; !slices.Equal(got, want) {
		t.Fatalf("Filter = %v, want %v", got, want)
	}
}

func TestAllHoldsEverything(t *testing.T) {
	rows := []int{3, 1, 2}
	got, err := Filter(context.Background(), All{}, "job", rows, func(i *int) string { return string(rune('0' + *i)) })
	if err != nil || !slices.Equal(got, rows) {
		t.Fatalf("Filter with All = %v, %v", got, err)
	}
}

func TestInstanceIsStableAndOverridable(t *testing.T) {
	t.Setenv("P2P_INSTANCE", "")
	t.Setenv("P2P_HTTP_PORT", "8030")
	if a, b := Instance("trade-center"), Instance("trade-center"); a != b || a == "" {
		t.Fatalf("Instance = %q then %q", a, b)
	}
	t.Setenv("P2P_INSTANCE", "trade-center-2")
	if got := Instance("trade-center"); got != "trade-center-2" {
		t.Fatalf("Instance with P2P_INSTANCE = %q", got)
	}
}
