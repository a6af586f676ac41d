// Package testkey makes keys (request numbers, names) that no other test — running in
// parallel, or in an earlier run against the same database — uses: tests that share the
// stack's MariaDB cannot count on an empty table.
package testkey

import (
	"fmt"
	"sync/atomic"
	"time"
)

var serial atomic.Int64

// New is prefix, the time in nanoseconds and a 4-digit counter: unique within a process
// and across runs.
func New(prefix string) string {
	return fmt.Sprintf("%s%d%04d", prefix, time.Now().UnixNano(), Seq()%10000)
}

// Seq is the next number of a counter shared by the process's tests.
func Seq() int64 { return serial.Add(1) }
