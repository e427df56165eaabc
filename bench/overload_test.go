package bench

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goxkit/gox/goxtest"
)

// TestOverload is the overload sweep's 3× step as a test with generous
// bounds: offered three times its capacity, open loop, each call with a
// 500 ms deadline, a gox service protected by the default governance keeps
// answering its health route, and answers in time — served or refused — a
// good share of the calls, twice what it answers unprotected, when it
// serves almost nothing in time.
// The servers and the generator are bench/cmd/overloadserver and
// bench/cmd/overload built without the race detector, each pinned to a CPU
// of its own with taskset (which CI must have).
func TestOverload(t *testing.T) {
	if testing.Short() {
		t.Skip("an overload run takes about 40 s")
	}
	taskset := goxtest.RequireBinary(t, "taskset", "apt-get install util-linux")
	dir := t.TempDir()
	for _, cmd := range []string{"overload", "overloadserver"} {
		build := exec.Command("go", "build", "-o", filepath.Join(dir, cmd), "./cmd/"+cmd)
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build ./cmd/%s: %v\n%s", cmd, err, out)
		}
	}
	ports := goxtest.FreePorts(t, 2)
	gen := func(addr string, args ...string) map[string]float64 {
		t.Helper()
		cmd := exec.Command(taskset, append([]string{"-c", "0", filepath.Join(dir, "overload"), "-addr", addr}, args...)...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("overload %v: %v", args, err)
		}
		return fields(string(out))
	}
	results := map[string]map[string]float64{}
	var capacity float64
	for i, mode := range []string{"gox", "goxgov"} {
		addr := fmt.Sprintf("127.0.0.1:%d", ports[i])
		srv := exec.Command(taskset, "-c", "1", filepath.Join(dir, "overloadserver"), "-mode", mode, "-addr", addr, "-log", dir)
		srv.Env = append(os.Environ(), "GIN_MODE=release")
		stop := goxtest.StartServer(t, srv, 20*time.Second, func() bool { return goxtest.TCPOpen(addr) })
		if mode == "gox" {
			capacity = gen(addr, "-closed", "16", "-d", "3s")["goodput"]
			if capacity < 50 {
				t.Fatalf("capacity %.0f calls/s: too little to measure", capacity)
			}
		}
		health := probe("http://" + addr + "/healthz")
		r := gen(addr, "-plan", fmt.Sprintf("%.0fx6s", 3*capacity))
		r["health"] = health()
		results[mode] = r
		stop()
		t.Logf("%s at 3× (%.0f/s): goodput %.0f/s, shed %.0f/s, timeouts %.0f/s, 2xx p99 %.0f ms, health %.0f%%",
			mode, 3*capacity, r["goodput"], r["shed"], r["timeouts"]/6, r["p99_ms"], 100*r["health"])
	}
	gov, raw := results["goxgov"], results["gox"]
	offered := 3 * capacity
	answered := func(r map[string]float64) float64 { return r["goodput"] + r["shed"] } // in time, served or refused
	if gov["health"] < 0.9 {
		t.Errorf("protected: /healthz answered %.0f%% of probes within a second; want 90%%", 100*gov["health"])
	}
	if answered(gov) < 2*answered(raw) || answered(gov) < 0.4*offered {
		t.Errorf("protected: %.0f of %.0f calls/s answered in time (unprotected: %.0f); want 40%% and twice the unprotected",
			answered(gov), offered, answered(raw))
	}
	if gov["goodput"] < 2*raw["goodput"] {
		t.Errorf("protected: %.0f calls/s served in time, not twice the unprotected %.0f/s", gov["goodput"], raw["goodput"])
	}
	if raw["goodput"] > 0.3*capacity {
		t.Errorf("unprotected: %.0f calls/s in time at 3×, %.0f%% of capacity: the run did not overload it", raw["goodput"], 100*raw["goodput"]/capacity)
	}
}

var field = regexp.MustCompile(`(\w+)=([-0-9.e+]+|NaN)`)

// fields reads the key=value figures of cmd/overload's first output line.
func fields(out string) map[string]float64 {
	line, _, _ := bufio.NewReader(strings.NewReader(out)).ReadLine()
	m := map[string]float64{}
	for _, kv := range field.FindAllStringSubmatch(string(line), -1) {
		v, _ := strconv.ParseFloat(kv[2], 64)
		m[kv[1]] = v
	}
	return m
}

// probe GETs url ten times a second, each with a second to answer, until
// the returned func is called; that says the share answered 200 in time.
func probe(url string) func() float64 {
	ctx, cancel := context.WithCancel(context.Background())
	var sent, ok atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			sent.Add(1)
			wg.Go(func() {
				rctx, rcancel := context.WithTimeout(context.Background(), time.Second)
				defer rcancel()
				req, _ := http.NewRequestWithContext(rctx, http.MethodGet, url, nil)
				if resp, err := http.DefaultClient.Do(req); err == nil {
					if resp.StatusCode == http.StatusOK {
						ok.Add(1)
					}
					resp.Body.Close()
				}
			})
		}
	})
	return func() float64 {
		cancel()
		wg.Wait()
		return float64(ok.Load()) / float64(max(sent.Load(), 1))
	}
}
