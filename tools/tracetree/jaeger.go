package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The JSON of Jaeger's HTTP query API (/api/services, /api/traces, /api/traces/<id>):
// every answer is {"data": ..., "errors": [...]}; times and durations are microseconds.
type apiResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []apiError      `json:"errors"`
}

type apiError struct {
	Code int    `json:"code"`
	Msg  string `json:"msg"`
}

type trace struct {
	TraceID   string             `json:"traceID"`
	Spans     []span             `json:"spans"`
	Processes map[string]process `json:"processes"`
}

type span struct {
	TraceID       string      `json:"traceID"`
	SpanID        string      `json:"spanID"`
	OperationName string      `json:"operationName"`
	References    []reference `json:"references"`
	StartTime     int64       `json:"startTime"` // µs since the epoch
	Duration      int64       `json:"duration"`  // µs
	Tags          []keyValue  `json:"tags"`
	ProcessID     string      `json:"processID"`
}

type reference struct {
	RefType string `json:"refType"` // CHILD_OF or FOLLOWS_FROM
	TraceID string `json:"traceID"`
	SpanID  string `json:"spanID"`
}

type process struct {
	ServiceName string `json:"serviceName"`
}

type keyValue struct {
	Key   string `json:"key"`
	Type  string `json:"type"`
	Value any    `json:"value"`
}

// tag returns the value of the span's tag key as text ("" and false when it has none).
func (s span) tag(key string) (string, bool) {
	for _, kv := range s.Tags {
		if kv.Key == key {
			return valueString(kv.Value), true
		}
	}
	return "", false
}

func valueString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64: // JSON numbers: int64 tags are whole numbers
		return strconv.FormatFloat(x, 'f', -1, 64)
	case nil:
		return ""
	default:
		return fmt.Sprint(x)
	}
}

// searchKeys are the tags a business id is looked for under, each across every service.
var searchKeys = []string{"dtm.gid", "custody.request_no", "project.id"}

var traceIDPattern = regexp.MustCompile(`^[0-9a-fA-F]{32}$`)

type client struct {
	base     string // e.g. http://127.0.0.1:16686
	http     *http.Client
	lookback time.Duration
	limit    int
	now      func() time.Time
}

// errNotFound is /api/traces/<id> answering 404.
var errNotFound = errors.New("trace not found")

func (c *client) get(ctx context.Context, path string, query url.Values, out any) error {
	u := strings.TrimRight(c.base, "/") + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err // "Get <url>: dial tcp ...: connection refused"
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	var r apiResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("GET %s: HTTP %d, not Jaeger's JSON: %.200s", u, resp.StatusCode, body)
	}
	if resp.StatusCode == http.StatusNotFound {
		return errNotFound
	}
	if resp.StatusCode != http.StatusOK || len(r.Errors) > 0 {
		msg := http.StatusText(resp.StatusCode)
		if len(r.Errors) > 0 {
			msg = r.Errors[0].Msg
		}
		return fmt.Errorf("GET %s: HTTP %d: %s", u, resp.StatusCode, msg)
	}
	if len(r.Data) == 0 || string(r.Data) == "null" {
		return nil
	}
	return json.Unmarshal(r.Data, out)
}

func (c *client) services(ctx context.Context) ([]string, error) {
	var names []string
	err := c.get(ctx, "/api/services", nil, &names)
	sort.Strings(names)
	return names, err
}

// search: the traces with a span of service that has tag key=value, in the lookback window.
func (c *client) search(ctx context.Context, service, key, value string) ([]trace, error) {
	tags, err := json.Marshal(map[string]string{key: value})
	if err != nil {
		return nil, err
	}
	now := c.now()
	q := url.Values{
		"service": {service},
		"tags":    {string(tags)},
		"start":   {strconv.FormatInt(now.Add(-c.lookback).UnixMicro(), 10)},
		"end":     {strconv.FormatInt(now.UnixMicro(), 10)},
		"limit":   {strconv.Itoa(c.limit)},
	}
	var out []trace
	err = c.get(ctx, "/api/traces", q, &out)
	return out, err
}

func (c *client) trace(ctx context.Context, id string) (trace, error) {
	var out []trace
	if err := c.get(ctx, "/api/traces/"+strings.ToLower(id), nil, &out); err != nil {
		return trace{}, err
	}
	if len(out) == 0 {
		return trace{}, errNotFound
	}
	return out[0], nil
}

// find returns every trace that has a span carrying id under one of searchKeys (in any
// service), plus the trace whose id is id when it looks like a trace id; ordered by
// start time. None found is no error.
func (c *client) find(ctx context.Context, id string) ([]trace, error) {
	byID := map[string]trace{}
	if traceIDPattern.MatchString(id) {
		t, err := c.trace(ctx, id)
		switch {
		case err == nil:
			byID[t.TraceID] = t
		case !errors.Is(err, errNotFound):
			return nil, err
		}
	}
	services, err := c.services(ctx)
	if err != nil {
		return nil, err
	}
	for _, svc := range services {
		for _, key := range searchKeys {
			found, err := c.search(ctx, svc, key, id)
			if err != nil {
				return nil, err
			}
			for _, t := range found {
				// The same trace comes back once per service and key: keep the copy with
				// the most spans (a later query may see spans that arrived meanwhile).
				if prev, ok := byID[t.TraceID]; !ok || len(t.Spans) > len(prev.Spans) {
					byID[t.TraceID] = t
				}
			}
		}
	}
	out := make([]trace, 0, len(byID))
	for _, t := range byID {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool {
		si, sj := traceStart(out[i]), traceStart(out[j])
		if si != sj {
			return si < sj
		}
		return out[i].TraceID < out[j].TraceID
	})
	return out, nil
}

func spanCount(ts []trace) int {
	n := 0
	for _, t := range ts {
		n += len(t.Spans)
	}
	return n
}

// findWait polls find (every `every`) until a trace is found or wait has passed. Once
// one is found it keeps polling until no new span or trace has arrived for settle
// (spans come in batches, service by service), at the latest until the wait deadline or
// settle after the first find, whichever is later. When nothing is found, the last
// error (if any) is returned.
func (c *client) findWait(ctx context.Context, id string, wait, settle, every time.Duration) ([]trace, error) {
	deadline := c.now().Add(wait)
	var (
		best    []trace
		lastErr error
		changed time.Time // when best last grew
	)
	for {
		found, err := c.find(ctx, id)
		lastErr = err
		if err == nil && (spanCount(found) > spanCount(best) || len(found) > len(best)) {
			if len(best) == 0 && c.now().Add(settle).After(deadline) {
				deadline = c.now().Add(settle)
			}
			best, changed = found, c.now()
		}
		if len(best) > 0 && c.now().Sub(changed) >= settle {
			return best, nil
		}
		if !c.now().Before(deadline) {
			if len(best) > 0 {
				return best, nil
			}
			return nil, lastErr
		}
		select {
		case <-ctx.Done():
			return best, ctx.Err()
		case <-time.After(every):
		}
	}
}
