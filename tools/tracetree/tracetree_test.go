package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fixture: testdata/traces.json, a hand-written answer of Jaeger's /api/traces in the
// shape Jaeger v2.13 gives (a registration whose TCC try failed, with a span whose
// parent never arrived and a duplicate span; a loan approval's transactional message).
func fixture(t *testing.T) []trace {
	t.Helper()
	raw, err := os.ReadFile("testdata/traces.json")
	if err != nil {
		t.Fatal(err)
	}
	var r apiResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	var ts []trace
	if err := json.Unmarshal(r.Data, &ts); err != nil {
		t.Fatal(err)
	}
	if len(ts) != 2 {
		t.Fatalf("fixture has %d traces, want 2", len(ts))
	}
	return ts
}

const wantRegistration = `trace 0af7651916cd43dd8448eb211c80319c  5 spans  48.2 ms  started 2026-12-02 10:12:26.000Z  (unified-account, user-center)
├─ user-center POST /v1/users  48.2 ms  ok  +0.0 ms  dtm.gid=Rk2TFKxZq
│  └─ user-center dtmgrpc.TccGlobalTransaction  46.0 ms  error: rpc error: code = Aborted desc = mobile taken  +0.9 ms  dtm.gid=Rk2TFKxZq
│     ├─ user-center /user_center.v1.Branch/TryCreateConsumer  5.1 ms  ok  +1.9 ms  dtm.gid=Rk2TFKxZq dtm.branch_id=01 dtm.op=try
│     └─ unified-account /unified_account.v1.Account/TryCreateAccount  8.2 ms  error  +2.3 ms  dtm.gid=Rk2TFKxZq dtm.branch_id=02 dtm.op=try
└─ unified-account ent.Tx  1.2 ms  ok  +3.0 ms  (parent 1111111111111111 not in the trace)
`

const wantLoan = `trace 4bf92f3577b34da6a3ce929d0e0e4736  3 spans  1520.3 ms  started 2026-12-02 10:13:20.000Z  (repayment, trade-center)
└─ trade-center POST /v1/projects/{id}/loan  120.5 ms  ok  +0.0 ms  custody.request_no=LN20261202000042 project.id=42
   └─ trade-center TP_START_REPAYMENT send  15.4 ms  ok  +80.0 ms  project.id=42 messaging.destination.name=TP_START_REPAYMENT messaging.message.id=7F000001000118B4AAC2
      └─ repayment TP_START_REPAYMENT process  310.3 ms  ok  +1210.0 ms  project.id=42 messaging.destination.name=TP_START_REPAYMENT messaging.message.id=7F000001000118B4AAC2
`

func TestRenderRecordedTraces(t *testing.T) {
	ts := fixture(t)
	for i, want := range []string{wantRegistration, wantLoan} {
		var b bytes.Buffer
		if err := render(&b, ts[i]); err != nil {
			t.Fatal(err)
		}
		if b.String() != want {
			t.Errorf("trace %s rendered as\n%s\nwant\n%s", ts[i].TraceID, b.String(), want)
		}
	}
}

func TestBuildTreeOrdersChildrenAndKeepsOrphansAtTheRoot(t *testing.T) {
	reg := fixture(t)[0]
	roots := buildTree(reg)
	if len(roots) != 2 {
		t.Fatalf("%d roots, want the request and the orphan", len(roots))
	}
	if roots[0].span.SpanID != "00f067aa0ba902b7" || roots[1].span.SpanID != "00f067aa0ba902bb" {
		t.Errorf("roots %s, %s", roots[0].span.SpanID, roots[1].span.SpanID)
	}
	if roots[1].note == "" || roots[0].note != "" {
		t.Errorf("notes %q, %q: only the orphan has one", roots[0].note, roots[1].note)
	}
	branches := roots[0].children[0].children
	if len(branches) != 2 {
		t.Fatalf("%d branches under the global transaction, want 2 (the duplicate span is dropped)", len(branches))
	}
	// Listed TryCreateAccount first, but TryCreateConsumer started first.
	if branches[0].service != "user-center" || branches[1].service != "unified-account" {
		t.Errorf("branches in order %s, %s; want by start time", branches[0].service, branches[1].service)
	}
	// The consumer follows a span of another trace: the link is not its parent.
	loan := buildTree(fixture(t)[1])
	if len(loan) != 1 || len(loan[0].children) != 1 || len(loan[0].children[0].children) != 1 {
		t.Fatalf("the loan trace is not one chain of three spans")
	}
}

func TestBuildTreeSurvivesReferenceCycles(t *testing.T) {
	ref := func(id string) []reference { return []reference{{RefType: "CHILD_OF", TraceID: "t", SpanID: id}} }
	tr := trace{TraceID: "t", Processes: map[string]process{"p": {ServiceName: "s"}}, Spans: []span{
		{SpanID: "a", References: ref("b"), StartTime: 1, ProcessID: "p"},
		{SpanID: "b", References: ref("a"), StartTime: 2, ProcessID: "p"},
		{SpanID: "c", References: ref("c"), StartTime: 3, ProcessID: "p"},
		{SpanID: "d", StartTime: 0}, // no process: service "?"
	}}
	var b bytes.Buffer
	if err := render(&b, tr); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 5 { // header + 4 spans, each once
		t.Fatalf("rendered\n%s", b.String())
	}
	if !strings.Contains(lines[1], "? ") {
		t.Errorf("a span without a process: %q", lines[1])
	}
}

func TestStatus(t *testing.T) {
	for _, c := range []struct {
		tags []keyValue
		want string
	}{
		{nil, "ok"},
		{[]keyValue{{Key: "otel.status_code", Value: "OK"}}, "ok"},
		{[]keyValue{{Key: "otel.status_code", Value: "ERROR"}}, "error"},
		{[]keyValue{{Key: "error", Value: true}}, "error"},
		{[]keyValue{{Key: "error", Value: false}}, "ok"},
		{[]keyValue{{Key: "error", Value: true}, {Key: "otel.status_description", Value: "x"}}, "error: x"},
	} {
		if got := status(span{Tags: c.tags}); got != c.want {
			t.Errorf("status(%v) = %q, want %q", c.tags, got, c.want)
		}
	}
}

// fakeJaeger answers /api/services, /api/traces (service + tags, as Jaeger's search: a
// trace matches when one span of that service has the tag) and /api/traces/<id> from
// the fixture. visible, given how many times /api/services was asked (once per find),
// limits how many spans of each trace it has "received".
type fakeJaeger struct {
	traces   []trace
	visible  func(round int64) int
	rounds   atomic.Int64
	searches atomic.Int64
}

func (f *fakeJaeger) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	answer := func(code int, data any) {
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]any{"data": data, "errors": nil})
	}
	received := func(t trace) trace {
		if f.visible != nil {
			if n := f.visible(f.rounds.Load()); n < len(t.Spans) {
				t.Spans = t.Spans[:n]
			}
		}
		return t
	}
	switch {
	case r.URL.Path == "/api/services":
		f.rounds.Add(1)
		answer(200, []string{"user-center", "unified-account", "trade-center", "repayment"})
	case r.URL.Path == "/api/traces":
		f.searches.Add(1)
		q := r.URL.Query()
		for _, p := range []string{"service", "tags", "start", "end", "limit"} {
			if q.Get(p) == "" {
				http.Error(w, "missing "+p, 400)
				return
			}
		}
		if s, _ := strconv.ParseInt(q.Get("start"), 10, 64); s > time.Now().UnixMicro() || s < time.Now().Add(-48*time.Hour).UnixMicro() {
			http.Error(w, "start not in µs", 400)
			return
		}
		var tags map[string]string
		if err := json.Unmarshal([]byte(q.Get("tags")), &tags); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		out := []trace{}
		for _, t := range f.traces {
			t = received(t)
			if matches(t, q.Get("service"), tags) {
				out = append(out, t)
			}
		}
		answer(200, out)
	case strings.HasPrefix(r.URL.Path, "/api/traces/"):
		id := strings.TrimPrefix(r.URL.Path, "/api/traces/")
		for _, t := range f.traces {
			if t.TraceID == id {
				answer(200, []trace{received(t)})
				return
			}
		}
		w.WriteHeader(404)
		_, _ = w.Write([]byte(`{"data":null,"errors":[{"code":404,"msg":"trace not found"}]}`))
	default:
		http.NotFound(w, r)
	}
}

func matches(t trace, service string, tags map[string]string) bool {
	for _, s := range t.Spans {
		if t.Processes[s.ProcessID].ServiceName != service {
			continue
		}
		all := true
		for k, v := range tags {
			if got, ok := s.tag(k); !ok || got != v {
				all = false
			}
		}
		if all {
			return true
		}
	}
	return false
}

func newClient(url string) *client {
	return &client{base: url, http: &http.Client{Timeout: 5 * time.Second}, lookback: 24 * time.Hour, limit: 20, now: time.Now}
}

func TestFindLooksUpEveryKeyInEveryService(t *testing.T) {
	f := &fakeJaeger{traces: fixture(t)}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := newClient(srv.URL)
	for _, tc := range []struct{ id, want string }{
		{"Rk2TFKxZq", "0af7651916cd43dd8448eb211c80319c"},                        // dtm.gid
		{"LN20261202000042", "4bf92f3577b34da6a3ce929d0e0e4736"},                 // custody.request_no
		{"42", "4bf92f3577b34da6a3ce929d0e0e4736"},                               // project.id, an int64 tag
		{"4bf92f3577b34da6a3ce929d0e0e4736", "4bf92f3577b34da6a3ce929d0e0e4736"}, // a trace id
		{"4BF92F3577B34DA6A3CE929D0E0E4736", "4bf92f3577b34da6a3ce929d0e0e4736"},
		{"ffffffffffffffffffffffffffffffff", ""},
		{"nope", ""},
	} {
		got, err := c.find(t.Context(), tc.id)
		if err != nil {
			t.Fatalf("find(%s): %v", tc.id, err)
		}
		if tc.want == "" {
			if len(got) != 0 {
				t.Errorf("find(%s) = %d traces, want none", tc.id, len(got))
			}
			continue
		}
		if len(got) != 1 || got[0].TraceID != tc.want {
			t.Errorf("find(%s) = %v, want exactly trace %s", tc.id, traceIDs(got), tc.want)
		}
	}
	// 4 services × 3 keys per id.
	if n := f.searches.Load(); n != 7*12 {
		t.Errorf("%d searches, want %d", n, 7*12)
	}
}

func traceIDs(ts []trace) []string {
	var ids []string
	for _, t := range ts {
		ids = append(ids, t.TraceID)
	}
	return ids
}

func TestFindWaitPollsUntilTheSpansStopArriving(t *testing.T) {
	// The request's root span is there at once, one more span arrives with every poll.
	f := &fakeJaeger{traces: fixture(t)[:1], visible: func(round int64) int { return int(round) }}
	srv := httptest.NewServer(f)
	defer srv.Close()
	got, err := newClient(srv.URL).findWait(t.Context(), "Rk2TFKxZq", 5*time.Second, 150*time.Millisecond, 20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(got[0].Spans) != 6 {
		t.Fatalf("got %d traces (%d spans), want the whole trace", len(got), spanCount(got))
	}
}

func TestRunExitStatus(t *testing.T) {
	srv := httptest.NewServer(&fakeJaeger{traces: fixture(t)})
	defer srv.Close()
	var out, errOut bytes.Buffer
	if rc := run([]string{"-jaeger", srv.URL, "-wait", "0", "-settle", "0", "42"}, &out, &errOut); rc != 0 {
		t.Fatalf("exit %d: %s", rc, errOut.String())
	}
	if out.String() != wantLoan {
		t.Errorf("printed\n%s", out.String())
	}
	out.Reset()
	errOut.Reset()
	if rc := run([]string{"-jaeger", srv.URL, "-wait", "100ms", "missing-gid"}, &out, &errOut); rc != 1 {
		t.Errorf("nothing found: exit %d, want 1", rc)
	}
	if !strings.Contains(errOut.String(), `"missing-gid"`) || out.Len() != 0 {
		t.Errorf("nothing found: stdout %q, stderr %q", out.String(), errOut.String())
	}
	// Jaeger not there: a clear message, exit 1.
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	errOut.Reset()
	if rc := run([]string{"-jaeger", dead.URL, "-wait", "0", "x"}, &out, &errOut); rc != 1 || !strings.Contains(errOut.String(), "query API at "+dead.URL+": Get") {
		t.Errorf("no Jaeger: exit %d, stderr %q", rc, errOut.String())
	}
	if rc := run(nil, &out, &errOut); rc != 2 {
		t.Errorf("no id: exit %d, want 2", rc)
	}
}
