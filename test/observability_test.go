package test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/p2p-dtx/p2p-dtx/test/stack"
)

// Observability (DESIGN.md "Observability", README "Observe it"): one business
// transaction is one trace in Jaeger, and every service's /metrics counts what happened.
// Spans reach Jaeger in batches, so each check polls the query API with a deadline.

// jaegerSpan is a span as Jaeger's query API returns it, with its service resolved.
type jaegerSpan struct {
	TraceID       string `json:"traceID"`
	SpanID        string `json:"spanID"`
	OperationName string `json:"operationName"`
	References    []struct {
		RefType string `json:"refType"`
		SpanID  string `json:"spanID"`
	} `json:"references"`
	Tags []struct {
		Key   string `json:"key"`
		Value any    `json:"value"`
	} `json:"tags"`
	ProcessID string `json:"processID"`
	Service   string `json:"-"`
}

func (s jaegerSpan) tag(key string) string {
	for _, t := range s.Tags {
		if t.Key == key {
			return fmt.Sprint(t.Value)
		}
	}
	return ""
}

func (s jaegerSpan) String() string {
	return fmt.Sprintf("%s %q gid=%s op=%s", s.Service, s.OperationName, s.tag("dtm.gid"), s.tag("dtm.op"))
}

// tracesWith returns the traces holding a span of service tagged key=value, as span lists.
func tracesWith(service, key, value string) ([][]jaegerSpan, error) {
	tags, _ := json.Marshal(map[string]string{key: value})
	// Jaeger's default search window is the last two days.
	q := url.Values{"service": {service}, "tags": {string(tags)}, "limit": {"20"}}
	res, err := http.Get(stack.JaegerQuery + "/api/traces?" + q.Encode())
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		return nil, fmt.Errorf("jaeger: %s: %s", res.Status, b)
	}
	var out struct {
		Data []struct {
			Spans     []jaegerSpan `json:"spans"`
			Processes map[string]struct {
				ServiceName string `json:"serviceName"`
			} `json:"processes"`
		} `json:"data"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return nil, err
	}
	traces := make([][]jaegerSpan, 0, len(out.Data))
	for _, tr := range out.Data {
		for i := range tr.Spans {
			tr.Spans[i].Service = tr.Processes[tr.Spans[i].ProcessID].ServiceName
		}
		traces = append(traces, tr.Spans)
	}
	return traces, nil
}

// oneTrace is someTrace for a flow that makes exactly one trace with that key.
func oneTrace(t *testing.T, service, key, value string, check func([]jaegerSpan) error) []jaegerSpan {
	t.Helper()
	return someTrace(t, service, key, value, func(spans []jaegerSpan) error {
		traces, err := tracesWith(service, key, value)
		if err != nil {
			return err
		}
		if len(traces) != 1 {
			return fmt.Errorf("%d traces with %s=%s in %s, want 1", len(traces), key, value, service)
		}
		return check(spans)
	})
}

// want says which spans a trace must hold: each entry is matched by a span of that
// service whose operation contains the text and whose tags include the given ones.
type wantSpan struct {
	service, operation string
	tags               map[string]string
}

func holds(spans []jaegerSpan, want ...wantSpan) error {
	var missing []string
next:
	for _, w := range want {
		for _, s := range spans {
			if s.Service != w.service || !strings.Contains(s.OperationName, w.operation) {
				continue
			}
			for k, v := range w.tags {
				if s.tag(k) != v {
					continue next
				}
			}
			continue next
		}
		missing = append(missing, fmt.Sprintf("%s %q %v", w.service, w.operation, w.tags))
	}
	if len(missing) > 0 {
		return fmt.Errorf("trace of %d spans lacks %s; it has %v", len(spans), strings.Join(missing, "; "), spans)
	}
	return nil
}

// connected fails unless every span but one root has its parent in the trace.
func connected(spans []jaegerSpan) error {
	ids := map[string]bool{}
	for _, s := range spans {
		ids[s.SpanID] = true
	}
	var roots []string
	for _, s := range spans {
		hasParent := false
		for _, r := range s.References {
			if r.RefType == "CHILD_OF" && ids[r.SpanID] {
				hasParent = true
			}
		}
		if !hasParent {
			roots = append(roots, s.String())
		}
	}
	if len(roots) != 1 {
		return fmt.Errorf("trace has %d roots, want 1: %v", len(roots), roots)
	}
	return nil
}

// someTrace polls until one of the traces holding a span of service tagged key=value
// passes check, and returns its spans.
func someTrace(t *testing.T, service, key, value string, check func([]jaegerSpan) error) []jaegerSpan {
	t.Helper()
	var spans []jaegerSpan
	stack.Eventually(t, 30*time.Second, func() error {
		traces, err := tracesWith(service, key, value)
		if err != nil {
			return err
		}
		errs := make([]string, 0, len(traces))
		for _, tr := range traces {
			if err := check(tr); err != nil {
				errs = append(errs, err.Error())
				continue
			}
			spans = tr
			return nil
		}
		return fmt.Errorf("%d traces with %s=%s in %s, none as wanted: %s", len(traces), key, value, service, strings.Join(errs, " | "))
	})
	return spans
}

func TestTraceOfATCCRegistration(t *testing.T) {
	c := registeredUser(t, stack.Load(t), "INVESTOR")
	gid := map[string]string{"dtm.gid": c.Gid}
	tagged := func(op string) map[string]string { return map[string]string{"dtm.gid": c.Gid, "dtm.op": op} }
	oneTrace(t, "user-center", "dtm.gid", c.Gid, func(spans []jaegerSpan) error {
		if err := holds(spans,
			wantSpan{"user-center", "/usercenter.v1.UserCenter/CreateUser", nil},
			wantSpan{"user-center", "registration TCC", gid},
			wantSpan{"unified-account", "AccountRegistration/TryCreateAccount", tagged("try")},
			wantSpan{"unified-account", "AccountRegistration/ConfirmCreateAccount", tagged("confirm")},
			wantSpan{"user-center", "ConsumerRegistration/TryCreateConsumer", tagged("try")},
			wantSpan{"user-center", "ConsumerRegistration/ConfirmCreateConsumer", tagged("confirm")},
		); err != nil {
			return err
		}
		return connected(spans)
	})
}

func TestTraceOfACustodyOpening(t *testing.T) {
	c := registeredUser(t, stack.Load(t), "INVESTOR")
	g := c.requestAccount(t)
	throughBank(t, g.Gateway)
	c.waitOpen(t, 30*time.Second)
	no := map[string]string{"custody.request_no": g.RequestNo}
	// Opening the bank's page (POST /gateway) is a browser request, and a trace, of its
	// own; the confirmation's trace is the one that reaches user-center.
	someTrace(t, "bank-custody", "custody.request_no", g.RequestNo, func(spans []jaegerSpan) error {
		if err := holds(spans,
			wantSpan{"bank-custody", "POST /gateway/confirm", no},
			wantSpan{"bank-custody", "send TP_BANK_NOTIFY", no},
			wantSpan{"bank-custody", "process TP_BANK_NOTIFY", no},
			wantSpan{"bank-custody", "HTTP POST /v1/custody/notifications", nil},
			wantSpan{"user-center", "POST /v1/custody/notifications", no},
		); err != nil {
			return err
		}
		return connected(spans)
	})
}

func TestTraceOfALoan(t *testing.T) {
	w := newMoneyWorld(t)
	borrower, investors := w.people(t, 2, "500.00", "")
	l := w.lend(t, borrower, investors, []string{"300.00", "200.00"}, 3)
	project := map[string]string{"project.id": l.id}
	oneTrace(t, "trade-center", "project.id", l.id, func(spans []jaegerSpan) error {
		if err := holds(spans,
			wantSpan{"trade-center", "ApproveLoan", project},
			wantSpan{"trade-center", "send TP_START_REPAYMENT", project},
			wantSpan{"trade-center", "execute-local-transaction TP_START_REPAYMENT", nil},
			wantSpan{"repayment", "process TP_START_REPAYMENT", project},
		); err != nil {
			return err
		}
		return connected(spans)
	})
}

// scrape reads a service's /metrics as Prometheus text.
func scrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s/metrics: %s", base, res.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("%s/metrics is not Prometheus text: %v", base, err)
	}
	return families
}

// counterSum adds up the samples of a counter family whose labels include want.
func counterSum(families map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	f := families[name]
	if f == nil {
		return 0
	}
	var sum float64
next:
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		sum += m.GetCounter().GetValue()
	}
	return sum
}

func TestMetricsOfEveryServiceCountARegistration(t *testing.T) {
	env := stack.Load(t)
	before := map[string]map[string]*dto.MetricFamily{}
	for _, s := range stack.Services {
		before[s.Name] = scrape(t, s.HTTP)
	}
	registeredUser(t, env, "INVESTOR")
	after := map[string]map[string]*dto.MetricFamily{}
	for _, s := range stack.Services {
		after[s.Name] = scrape(t, s.HTTP)
		if after[s.Name]["server_requests_code_total"] == nil || after[s.Name]["go_goroutines"] == nil {
			t.Errorf("%s/metrics lacks Kratos' server metrics or the Go runtime's", s.HTTP)
		}
	}
	grew := func(svc, name string, labels map[string]string) {
		t.Helper()
		b, a := counterSum(before[svc], name, labels), counterSum(after[svc], name, labels)
		if a != b+1 {
			t.Errorf("%s %s%v: %v before, %v after the registration; want one more", svc, name, labels, b, a)
		}
	}
	grew("user-center", "p2p_registrations_total", map[string]string{"mode": "TCC", "outcome": "succeeded"})
	grew("user-center", "server_requests_code_total", map[string]string{"operation": "/usercenter.v1.UserCenter/CreateUser", "code": "200"})
	grew("unified-account", "p2p_dtm_branch_calls_total", map[string]string{"op": "try", "result": "ok"})
	grew("unified-account", "p2p_dtm_branch_calls_total", map[string]string{"op": "confirm", "result": "ok"})
	grew("user-center", "p2p_dtm_branch_calls_total", map[string]string{"op": "confirm", "result": "ok"})
}
