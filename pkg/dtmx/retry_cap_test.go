package dtmx

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// Reset asks DTM's resetCronTime with the cap in seconds and the batch size, again while
// DTM says some remain, and adds up what it moved; an error answer is an error.
func TestRetryCapResetsInBatchesUntilNoneRemain(t *testing.T) {
	var calls []string
	remaining := 2
	dtm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls = append(calls, r.URL.Path+"?"+r.URL.RawQuery)
		remaining--
		fmt.Fprintf(w, `{"has_remaining":%v,"succeed_count":%d}`, remaining > 0, map[bool]int{true: 100, false: 7}[remaining > 0])
	}))
	defer dtm.Close()
	c, err := NewRetryCap(dtm.URL+"/api/dtmsvr", 90*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	n, err := c.Reset(context.Background())
	if err != nil || n != 107 || len(calls) != 2 || calls[0] != "/api/dtmsvr/resetCronTime?limit=100&timeout=90" {
		t.Fatalf("moved %d, %v; calls %v", n, err, calls)
	}
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	}))
	defer down.Close()
	c, _ = NewRetryCap(down.URL, time.Minute)
	if _, err := c.Reset(context.Background()); err == nil {
		t.Fatal("a 503 from DTM was no error")
	}
	if _, err := NewRetryCap("", time.Minute); err == nil {
		t.Fatal("no DTM address accepted")
	}
}
