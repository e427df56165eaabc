// Command rategen sends HTTP GETs at a fixed rate over keep-alive
// connections and prints how many were answered, for cpu.sh, which measures
// what each request costs the server in CPU time when the server is not
// saturated (no load generator feedback in the figure):
//
//	rategen -addr 127.0.0.1:18081 -path /ping -rate 20000 -c 50 -d 3s
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18081", "server address")
	path := flag.String("path", "/ping", "path to GET")
	rate := flag.Int("rate", 20000, "requests per second, over all connections")
	conns := flag.Int("c", 50, "connections, each sending its share of the rate")
	dur := flag.Duration("d", 3*time.Second, "how long to send")
	flag.Parse()
	if *rate <= 0 || *conns <= 0 || *dur <= 0 {
		fmt.Fprintln(os.Stderr, "rategen: -rate, -c and -d must be positive")
		os.Exit(2)
	}
	req := []byte("GET " + *path + " HTTP/1.1\r\nHost: " + *addr + "\r\n\r\n")
	interval := time.Duration(float64(time.Second) * float64(*conns) / float64(*rate))
	end := time.Now().Add(*dur)
	var answered atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	for i := range *conns {
		wg.Go(func() {
			c, err := net.Dial("tcp", *addr)
			if err != nil {
				failed.Store(err)
				return
			}
			defer c.Close()
			r := bufio.NewReader(c)
			next := time.Now().Add(interval * time.Duration(i) / time.Duration(*conns)) // spread the connections
			for time.Now().Before(end) {
				if d := time.Until(next); d > 0 {
					time.Sleep(d)
				}
				next = next.Add(interval)
				if _, err := c.Write(req); err != nil {
					failed.Store(err)
					return
				}
				resp, err := http.ReadResponse(r, nil)
				if err != nil {
					failed.Store(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				answered.Add(1)
			}
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		fmt.Fprintln(os.Stderr, "rategen:", err)
		os.Exit(1)
	}
	fmt.Println(answered.Load())
}
