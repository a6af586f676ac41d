package driver

import (
	"context"
	"net/http"
)

// ArmFault arms a fault point of the service at base (its /debug/faults, enabled on the
// local stack): the next times passes through point fail, or wait delayMs for a delay
// point. Fault points are process-wide, so whoever arms one runs alone.
func (p *Platform) ArmFault(ctx context.Context, base, point string, times, delayMs int) error {
	body := map[string]any{"point": point, "times": times, "delayMs": delayMs}
	return p.Call(ctx, http.MethodPost, base+"/debug/faults", "", body, nil)
}

// ClearFaults disarms every fault point of the service at base.
func (p *Platform) ClearFaults(ctx context.Context, base string) error {
	return p.Call(ctx, http.MethodDelete, base+"/debug/faults", "", nil, nil)
}
