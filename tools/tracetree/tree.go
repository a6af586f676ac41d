package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// businessKeys are the tags shown on a span's line, in this order, when it has them.
var businessKeys = []string{
	"dtm.gid", "dtm.branch_id", "dtm.op",
	"custody.request_no", "project.id",
	"messaging.destination.name", "messaging.message.id",
}

type node struct {
	span     span
	service  string
	note     string // why a span with a parent is a root
	children []*node
}

// buildTree arranges a trace's spans by parent: the parent is the span's CHILD_OF
// reference in the same trace (else its first reference there, as Jaeger's UI does).
// Spans without a parent, and spans whose parent is not in the trace (not received
// yet, or never sent), are roots. Siblings are ordered by start time, then span id.
func buildTree(t trace) []*node {
	nodes := make(map[string]*node, len(t.Spans))
	order := make([]*node, 0, len(t.Spans))
	for _, s := range t.Spans {
		if _, dup := nodes[s.SpanID]; dup {
			continue
		}
		n := &node{span: s, service: t.Processes[s.ProcessID].ServiceName}
		if n.service == "" {
			n.service = "?"
		}
		nodes[s.SpanID] = n
		order = append(order, n)
	}
	var roots []*node
	for _, n := range order {
		parentID := parentOf(n.span, t.TraceID)
		parent := nodes[parentID]
		switch {
		case parentID == "":
			roots = append(roots, n)
		case parent == nil || parent == n:
			n.note = "parent " + parentID + " not in the trace"
			roots = append(roots, n)
		default:
			parent.children = append(parent.children, n)
		}
	}
	// A reference cycle (corrupt data) would leave spans unreachable from any root:
	// show them at the root level too.
	seen := map[*node]bool{}
	var mark func(*node)
	mark = func(n *node) {
		if seen[n] {
			return
		}
		seen[n] = true
		for _, c := range n.children {
			mark(c)
		}
	}
	for _, r := range roots {
		mark(r)
	}
	for _, n := range order {
		if seen[n] {
			continue
		}
		parentID := parentOf(n.span, t.TraceID)
		n.note = "parent " + parentID + " in a reference cycle"
		if p := nodes[parentID]; p != nil { // cut the cycle above n
			kept := p.children[:0]
			for _, c := range p.children {
				if c != n {
					kept = append(kept, c)
				}
			}
			p.children = kept
		}
		roots = append(roots, n)
		mark(n)
	}
	sortNodes(roots)
	return roots
}

func parentOf(s span, traceID string) string {
	first := ""
	for _, r := range s.References {
		if r.TraceID != "" && !strings.EqualFold(r.TraceID, traceID) {
			continue // a link to another trace
		}
		if r.RefType == "CHILD_OF" {
			return r.SpanID
		}
		if first == "" {
			first = r.SpanID
		}
	}
	return first
}

func sortNodes(ns []*node) {
	sort.SliceStable(ns, func(i, j int) bool {
		if ns[i].span.StartTime != ns[j].span.StartTime {
			return ns[i].span.StartTime < ns[j].span.StartTime
		}
		return ns[i].span.SpanID < ns[j].span.SpanID
	})
	for _, n := range ns {
		sortNodes(n.children)
	}
}

func traceStart(t trace) int64 {
	var start int64
	for i, s := range t.Spans {
		if i == 0 || s.StartTime < start {
			start = s.StartTime
		}
	}
	return start
}

func traceEnd(t trace) int64 {
	var end int64
	for _, s := range t.Spans {
		end = max(end, s.StartTime+s.Duration)
	}
	return end
}

// status is "ok", or "error" (with the status description when there is one), from the
// span's error or otel.status_code tag.
func status(s span) string {
	errTag, _ := s.tag("error")
	code, _ := s.tag("otel.status_code")
	if errTag != "true" && !strings.EqualFold(code, "ERROR") {
		return "ok"
	}
	if d, ok := s.tag("otel.status_description"); ok && d != "" {
		return "error: " + oneLine(d, 80)
	}
	return "error"
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func ms(us int64) string { return fmt.Sprintf("%.1f ms", float64(us)/1000) }

// render writes one trace: a header line, then one line per span, indented under its
// parent:
//
//	<service> <operation>  <duration>  <ok|error[: description]>  +<offset from the trace's start>  <business keys>
func render(w io.Writer, t trace) error {
	roots := buildTree(t)
	services, ids := map[string]bool{}, map[string]bool{}
	for _, s := range t.Spans {
		services[t.Processes[s.ProcessID].ServiceName] = true
		ids[s.SpanID] = true
	}
	start := traceStart(t)
	names := make([]string, 0, len(services))
	for s := range services {
		names = append(names, s)
	}
	sort.Strings(names)
	if _, err := fmt.Fprintf(w, "trace %s  %d spans  %s  started %s  (%s)\n", t.TraceID, len(ids),
		ms(traceEnd(t)-start), time.UnixMicro(start).UTC().Format("2006-01-02 15:04:05.000Z"),
		strings.Join(names, ", ")); err != nil {
		return err
	}
	var walk func(ns []*node, prefix string) error
	walk = func(ns []*node, prefix string) error {
		for i, n := range ns {
			branch, next := "├─ ", "│  "
			if i == len(ns)-1 {
				branch, next = "└─ ", "   "
			}
			if _, err := fmt.Fprintf(w, "%s%s%s\n", prefix, branch, line(n, start)); err != nil {
				return err
			}
			if err := walk(n.children, prefix+next); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(roots, "")
}

func line(n *node, traceStart int64) string {
	parts := []string{
		n.service + " " + n.span.OperationName,
		ms(n.span.Duration),
		status(n.span),
		"+" + ms(n.span.StartTime-traceStart),
	}
	var keys []string
	for _, k := range businessKeys {
		if v, ok := n.span.tag(k); ok {
			keys = append(keys, k+"="+v)
		}
	}
	if len(keys) > 0 {
		parts = append(parts, strings.Join(keys, " "))
	}
	if n.note != "" {
		parts = append(parts, "("+n.note+")")
	}
	return strings.Join(parts, "  ")
}
