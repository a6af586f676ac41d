// Command rpc-cost measures the CPU one small unary call costs on loopback, client and
// server together, over gRPC and over HTTP/1.1 + JSON.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/p2p-dtx/p2p-dtx/test/stack"
)

type echoServer interface {
	Echo(context.Context, *wrapperspb.StringValue) (*wrapperspb.StringValue, error)
}

type echo struct{}

func (echo) Echo(_ context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
	return wrapperspb.String(in.GetValue()), nil
}

var desc = grpc.ServiceDesc{
	ServiceName: "bench.Echo",
	HandlerType: (*echoServer)(nil),
	Methods: []grpc.MethodDesc{{MethodName: "Echo", Handler: func(srv any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
		in := new(wrapperspb.StringValue)
		if err := dec(in); err != nil {
			return nil, err
		}
		return srv.(echoServer).Echo(ctx, in)
	}}},
}

func serve(kind, addr string) error {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if kind == "grpc" {
		s := grpc.NewServer()
		s.RegisterService(&desc, echo{})
		return s.Serve(lis)
	}
	return http.Serve(lis, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]string
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(m); err != nil {
			fmt.Fprintln(os.Stderr, "rpc-cost: answer:", err)
		}
	}))
}

// cpu is the user and system CPU time process pid has used (clock ticks of 10 ms).
func cpu(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		panic(err)
	}
	f := strings.Fields(string(b)[strings.LastIndexByte(string(b), ')')+2:])
	u, errU := strconv.Atoi(f[11])
	s, errS := strconv.Atoi(f[12])
	if err := errors.Join(errU, errS); err != nil {
		panic(err)
	}
	return time.Duration(u+s) * time.Second / 100
}

func self() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err) // only with a bad argument
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func main() {
	kind := flag.String("kind", "grpc", "grpc or http")
	srv := flag.Bool("serve", false, "")
	addr := flag.String("addr", "127.0.0.1:19999", "")
	n := flag.Int("n", 40000, "calls")
	c := flag.Int("c", 16, "concurrent callers")
	flag.Parse()
	if *srv {
		if err := serve(*kind, *addr); err != nil {
			fmt.Fprintln(os.Stderr, "rpc-cost: serve:", err)
			os.Exit(1)
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-serve", "-kind", *kind, "-addr", *addr)
	if err := cmd.Start(); err != nil {
		panic(err)
	}
	defer cmd.Process.Kill()
	// Ready once it accepts a connection.
	if err := stack.Poll(context.Background(), 20*time.Millisecond, 10*time.Second, func() error {
		c, err := net.Dial("tcp", *addr)
		if err == nil {
			err = c.Close()
		}
		return err
	}); err != nil {
		panic(err)
	}
	call, err := caller(*kind, *addr, *c)
	if err != nil {
		panic(err)
	}
	for i := 0; i < 200; i++ {
		if err := call(); err != nil {
			panic(err)
		}
	}
	c0, s0, t0 := self(), cpu(cmd.Process.Pid), time.Now()
	var left atomic.Int64
	left.Store(int64(*n))
	var wg sync.WaitGroup
	for i := 0; i < *c; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for left.Add(-1) >= 0 {
				if err := call(); err != nil {
					panic(err)
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(t0)
	cc, sc := self()-c0, cpu(cmd.Process.Pid)-s0
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(*n) }
	fmt.Printf("%-5s %d calls, %d callers: %.0f calls/s, CPU per call: client %.1f µs, server %.1f µs, both %.1f µs\n",
		*kind, *n, *c, float64(*n)/el.Seconds(), per(cc), per(sc), per(cc+sc))
}

// caller returns one echo call of a 300-byte payload over kind to addr.
func caller(kind, addr string, callers int) (func() error, error) {
	payload := strings.Repeat("x", 300)
	if kind == "grpc" {
		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return nil, err
		}
		return func() error {
			out := new(wrapperspb.StringValue)
			return conn.Invoke(context.Background(), "/bench.Echo/Echo", wrapperspb.String(payload), out)
		}, nil
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: callers}}
	body, err := json.Marshal(map[string]string{"v": payload})
	if err != nil {
		return nil, err
	}
	return func() error {
		resp, err := hc.Post("http://"+addr+"/echo", "application/json", bytes.NewReader(body))
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		if err = errors.Join(err, resp.Body.Close()); err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("echo answered %s", resp.Status)
		}
		return err
	}, nil
}
