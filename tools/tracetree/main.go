// Command tracetree prints the traces of one business id as trees, from Jaeger's HTTP
// query API:
//
//	tracetree [-jaeger URL] [-wait 10s] [-settle 2s] [-lookback 24h] [-limit 20] ID
//
// ID is a DTM gid, a custody request number or a project id: every trace with a span
// tagged dtm.gid, custody.request_no or project.id equal to ID, in any service, is
// printed (a 32-hex-digit ID is also looked up as a trace id). One line per span,
// children under their parent by start time:
//
//	trace 5b8e…c60c  3 spans  52.3 ms  started 2026-12-02 10:12:26.016Z  (unified-account, user-center)
//	└─ user-center POST /v1/users  52.3 ms  ok  +0.0 ms  dtm.gid=Rk2…
//	   └─ unified-account /account.v1.Account/TryCreate  10.3 ms  error: boom  +2.0 ms  dtm.gid=Rk2… dtm.branch_id=01 dtm.op=try
//
// Spans reach Jaeger in batches, some seconds after the request: tracetree polls for up
// to -wait until a trace is found, then until no new span arrived for -settle. A span
// whose parent has not arrived (or never will) is shown at the root level.
//
// -jaeger defaults to $P2P_JAEGER_QUERY_URL (the local stack writes it into
// .run/stack.env), else http://127.0.0.1:16686. Exit status: 0 when a trace was printed,
// 1 when none was found or Jaeger could not be asked, 2 on a usage error.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tracetree", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := os.Getenv("P2P_JAEGER_QUERY_URL")
	if def == "" {
		def = "http://127.0.0.1:16686"
	}
	base := fs.String("jaeger", def, "Jaeger query URL; default $P2P_JAEGER_QUERY_URL, else http://127.0.0.1:16686")
	wait := fs.Duration("wait", 10*time.Second, "poll this long for a first trace (spans arrive in batches)")
	settle := fs.Duration("settle", 2*time.Second, "once found, poll until no new span arrived for this long")
	lookback := fs.Duration("lookback", 24*time.Hour, "search traces that started this long ago at most")
	limit := fs.Int("limit", 20, "at most this many traces per service and tag")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: tracetree [flags] <dtm gid | custody requestNo | project id | trace id>")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 || strings.TrimSpace(fs.Arg(0)) == "" {
		fs.Usage()
		return 2
	}
	id := strings.TrimSpace(fs.Arg(0))
	c := &client{
		base:     *base,
		http:     &http.Client{Timeout: 10 * time.Second},
		lookback: *lookback,
		limit:    *limit,
		now:      time.Now,
	}
	traces, err := c.findWait(context.Background(), id, *wait, *settle, 500*time.Millisecond)
	if err != nil {
		fmt.Fprintf(stderr, "tracetree: asking Jaeger's query API at %s: %v\n", *base, err)
		fmt.Fprintln(stderr, "tracetree: is it running? (make status; -jaeger or P2P_JAEGER_QUERY_URL for another one)")
		return 1
	}
	if len(traces) == 0 {
		fmt.Fprintf(stderr, "tracetree: no trace in %s has a span with %s = %q (searched every service, the last %v, for %v)\n",
			*base, strings.Join(searchKeys, ", "), id, *lookback, *wait)
		if traceIDPattern.MatchString(id) {
			fmt.Fprintf(stderr, "tracetree: nor is %s a trace id it holds\n", id)
		}
		return 1
	}
	out := bufio.NewWriter(stdout)
	for i, t := range traces {
		if i > 0 {
			fmt.Fprintln(out)
		}
		if err := render(out, t); err != nil {
			fmt.Fprintf(stderr, "tracetree: %v\n", err)
			return 1
		}
	}
	if err := out.Flush(); err != nil {
		fmt.Fprintf(stderr, "tracetree: %v\n", err)
		return 1
	}
	return 0
}
