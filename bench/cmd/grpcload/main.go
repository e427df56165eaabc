// Command grpcload drives UnaryCall at a gRPC server from -c goroutines over
// -conns connections for -d and prints the rate: the gRPC half of load.sh.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
)

// quantile is the q-quantile of sorted (0 when empty).
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[int(q*float64(len(sorted)-1)+0.5)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func main() {
	addr := flag.String("addr", "127.0.0.1:18090", "server address")
	conc := flag.Int("c", 50, "concurrent callers")
	conns := flag.Int("conns", 2, "connections")
	dur := flag.Duration("d", 10*time.Second, "duration (bounded: at most 2m)")
	flag.Parse()
	if *dur > 2*time.Minute {
		*dur = 2 * time.Minute
	}
	clients := make([]testpb.TestServiceClient, *conns)
	for i := range clients {
		cc, err := grpc.NewClient(*addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer cc.Close()
		clients[i] = testpb.NewTestServiceClient(cc)
	}
	req := &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("hello gox")}}
	deadline := time.Now().Add(*dur)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	var ok, failed atomic.Int64
	var wg sync.WaitGroup
	lat := make([][]time.Duration, *conc) // each caller's answered calls' latencies
	start := time.Now()
	for i := range *conc {
		c := clients[i%len(clients)]
		wg.Go(func() {
			for ctx.Err() == nil {
				t0 := time.Now()
				if _, err := c.UnaryCall(ctx, req); err == nil {
					lat[i] = append(lat[i], time.Since(t0))
					ok.Add(1)
				} else if time.Now().Before(deadline) { // calls cut off by the end of the run are not failures
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	all := slices.Concat(lat...)
	slices.Sort(all)
	fmt.Printf("requests/s: %.0f\nok: %d\nfailed: %d\np50: %.3fms\np99: %.3fms\n", float64(ok.Load())/secs, ok.Load(), failed.Load(),
		ms(quantile(all, 0.5)), ms(quantile(all, 0.99)))
	if failed.Load() > 0 {
		os.Exit(1)
	}
}
