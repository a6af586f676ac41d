package driver

import (
	"context"
	"net/http"
)

// ArmFault arms a fault point of the service at base (its /debug/faults, enabled on the
// local stack): the next times passes through point fail, or wait delayMs for a delay
// point. Fault points are process-wide, so whoever arms one runs alone. It sends the
// stack's operator token (OperatorToken).
func (p *Platform) ArmFault(ctx context.Context, base, point string, times, delayMs int) error {
	op, err := p.operator()
	if err != nil {
		return err
	}
	body := map[string]any{"point": point, "times": times, "delayMs": delayMs}
	return op.Call(ctx, http.MethodPost, base+"/debug/faults", "", body, nil)
}

// ClearFaults disarms every fault point of the service at base, as the operator.
func (p *Platform) ClearFaults(ctx context.Context, base string) error {
	op, err := p.operator()
	if err != nil {
		return err
	}
	return op.Call(ctx, http.MethodDelete, base+"/debug/faults", "", nil, nil)
}
