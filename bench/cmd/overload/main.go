// Command overload is the load generator of overload.sh: HTTP/1.1 GETs sent
// open-loop, at a constant arrival rate, each with a deadline.
//
//	overload -addr 127.0.0.1:18091 -plan 500x10s            # one step
//	overload -addr 127.0.0.1:18091 -plan 500x5s,3000x10s,500x10s -recover
//	overload -addr 127.0.0.1:18091 -closed 16 -d 5s          # capacity, closed loop
//
// Open loop. Request i of a phase at rate R is due at the phase's start plus
// i/R, whatever happened to the requests before it: the scheduler hands it,
// on time, to a goroutine of its own, which sends it over an idle keep-alive
// connection or, when none is idle, over a new one (so a slow server gets
// more connections, not fewer requests). Connections are capped (-maxconns);
// a request due when the cap is reached and none is idle is not sent and
// counts as failed ("noconn"), it does not wait. With the cap above rate ×
// timeout (every request ends by its deadline), the cap is never the limit.
//
// Deadline. Each request must be answered within -timeout of when it was
// due (not of when it was sent: a late scheduler costs the request, and the
// latency is counted from when it was due, so the figures do not hide a
// slow generator). The remaining time goes to the server in -header (gox's
// timeout middleware reads X-Gox-Timeout, a Go duration). When the deadline
// passes the connection is closed with a reset (SO_LINGER 0, as a client
// giving up does, without filling the port range with TIME_WAIT) and the
// request counts as a timeout.
//
// Output, one line per phase, key=value: sent, ok (2xx within the deadline)
// per second, shed (429 and 503) per second, timeouts, connection errors,
// noconn, other statuses, p50 and p99 of the 2xx, and the scheduler's lag.
// With -recover the first phase is the idle reference (the p99 of its 2xx)
// and the analysis is of the last one: over windows of -window of requests
// by their due time, slid by 10 ms, the p99 of all requests (anything but a
// 2xx within the deadline counts as infinitely slow) against twice the idle
// p99; it prints when the first good window ends (recovered) and when the
// window ends after which every window is good (settled), both from the
// phase's start, and how many windows of the idle phase itself are bad
// against the same limit (the host's noise); and, counting only the 2xx in
// time (a window with none is bad), when the first good window ends
// (recovered_2xx: a shedder may answer in time what it admits while still
// refusing some).
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Outcomes of a request.
const (
	outOK      = iota + 1 // 2xx within the deadline
	outShed               // 429 or 503
	outOther              // any other status
	outTimeout            // no answer by the deadline
	outConnErr            // dial, write or read failed before the deadline
	outNoConn             // not sent: connection cap reached, none idle
)

type phase struct {
	rate float64
	dur  time.Duration
}

type record struct {
	due     time.Duration // from the run's start
	latency time.Duration // from due to the end of the response
	lag     time.Duration // how late the scheduler handed it out
	out     uint8
}

type conn struct {
	c net.Conn
	r *bufio.Reader
}

// pool keeps idle keep-alive connections and counts open ones.
type pool struct {
	mu   sync.Mutex
	idle []*conn
	open int
	max  int
	peak int
}

// get returns an idle connection, or nil and true when the caller may dial
// a new one (counted as open), or false when the cap is reached.
func (p *pool) get() (*conn, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.idle); n > 0 {
		c := p.idle[n-1]
		p.idle = p.idle[:n-1]
		return c, true
	}
	if p.open >= p.max {
		return nil, false
	}
	p.open++
	p.peak = max(p.peak, p.open)
	return nil, true
}

func (p *pool) put(c *conn) {
	p.mu.Lock()
	p.idle = append(p.idle, c)
	p.mu.Unlock()
}

// drop closes c (nil: a dial that failed) with a reset and frees its slot.
func (p *pool) drop(c *conn) {
	if c != nil {
		if tc, ok := c.c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = c.c.Close()
	}
	p.mu.Lock()
	p.open--
	p.mu.Unlock()
}

func (p *pool) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.idle {
		_ = c.c.Close()
	}
	p.idle = nil
}

type gen struct {
	addr, path, header string
	timeout            time.Duration
	pool               pool
}

func main() {
	g := &gen{}
	flag.StringVar(&g.addr, "addr", "127.0.0.1:18091", "server address")
	flag.StringVar(&g.path, "path", "/work", "path to GET")
	flag.StringVar(&g.header, "header", "X-Gox-Timeout", "header carrying the remaining time as a Go duration (empty: none)")
	flag.DurationVar(&g.timeout, "timeout", 500*time.Millisecond, "deadline of each request, from when it is due")
	plan := flag.String("plan", "500x10s", "phases, RATExDURATION separated by commas (open loop)")
	maxConns := flag.Int("maxconns", 6000, "cap on open connections (open loop)")
	recov := flag.Bool("recover", false, "analyse the recovery in the last phase, the first being the idle reference")
	window := flag.Duration("window", 200*time.Millisecond, "-recover: sliding window")
	closed := flag.Int("closed", 0, "closed loop instead: this many connections sending back to back (capacity)")
	dur := flag.Duration("d", 5*time.Second, "-closed: how long")
	timeline := flag.String("timeline", "", "write one line per 100 ms of due time (sent ok shed fail p99_ms) to this file")
	profile := flag.String("cpuprofile", "", "write the generator's CPU profile here")
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "overload:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	g.pool.max = *maxConns
	if *closed > 0 {
		if err := g.closedLoop(*closed, *dur); err != nil {
			fmt.Fprintln(os.Stderr, "overload:", err)
			os.Exit(1)
		}
		return
	}
	phases, err := parsePlan(*plan)
	if err != nil {
		fmt.Fprintln(os.Stderr, "overload:", err)
		os.Exit(2)
	}
	if *recov && len(phases) < 3 {
		fmt.Fprintln(os.Stderr, "overload: -recover needs at least three phases: idle, spike, after")
		os.Exit(2)
	}
	recs, starts := g.openLoop(phases)
	for i, p := range phases {
		from, to := starts[i], starts[i]+p.dur
		fmt.Println(summary(i, p, pick(recs, from, to), g.timeout))
	}
	fmt.Printf("conns peak=%d cap=%d\n", g.pool.peak, g.pool.max)
	if *recov {
		fmt.Println(recovery(recs, starts, phases, *window))
	}
	if *timeline != "" {
		if err := writeTimeline(*timeline, recs); err != nil {
			fmt.Fprintln(os.Stderr, "overload:", err)
			os.Exit(1)
		}
	}
}

func parsePlan(s string) ([]phase, error) {
	var ps []phase
	for _, f := range strings.Split(s, ",") {
		r, d, ok := strings.Cut(strings.TrimSpace(f), "x")
		if !ok {
			return nil, fmt.Errorf("phase %q is not RATExDURATION", f)
		}
		rate, err := strconv.ParseFloat(r, 64)
		if err != nil || rate <= 0 {
			return nil, fmt.Errorf("phase %q: bad rate", f)
		}
		dur, err := time.ParseDuration(d)
		if err != nil || dur <= 0 {
			return nil, fmt.Errorf("phase %q: bad duration", f)
		}
		ps = append(ps, phase{rate, dur})
	}
	return ps, nil
}

// openLoop runs the phases back to back and returns every request's record
// (in due order) and each phase's start.
func (g *gen) openLoop(phases []phase) ([]record, []time.Duration) {
	total := 0
	for _, p := range phases {
		total += int(p.rate * p.dur.Seconds())
	}
	recs := make([]record, total)
	starts := make([]time.Duration, len(phases))
	var wg sync.WaitGroup
	t0 := time.Now().Add(10 * time.Millisecond)
	i := 0
	var at time.Duration
	for pi, p := range phases {
		starts[pi] = at
		n := int(p.rate * p.dur.Seconds())
		for k := range n {
			due := at + time.Duration(float64(k)*float64(time.Second)/p.rate)
			dueAt := t0.Add(due)
			if d := time.Until(dueAt); d > 0 {
				time.Sleep(d)
			}
			r := &recs[i]
			r.due = due
			r.lag = time.Since(dueAt)
			i++
			c, ok := g.pool.get()
			if !ok {
				r.out = outNoConn
				continue
			}
			wg.Go(func() { g.do(r, dueAt, c) })
		}
		at += p.dur
	}
	wg.Wait()
	g.pool.closeAll()
	return recs[:i], starts
}

// do sends one request over c (nil: a new connection) and records it.
func (g *gen) do(r *record, dueAt time.Time, c *conn) {
	deadline := dueAt.Add(g.timeout)
	fail := func(err error) {
		r.latency = time.Since(dueAt)
		r.out = outConnErr
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() || !time.Now().Before(deadline) {
			r.out = outTimeout
		}
		g.pool.drop(c)
	}
	if c == nil {
		d := net.Dialer{Deadline: deadline}
		nc, err := d.Dial("tcp", g.addr)
		if err != nil {
			fail(err)
			return
		}
		c = &conn{c: nc, r: bufio.NewReaderSize(nc, 4096)}
	}
	left := time.Until(deadline)
	if left <= 0 {
		r.latency, r.out = time.Since(dueAt), outTimeout
		g.pool.put(c) // unused: still good
		return
	}
	_ = c.c.SetDeadline(deadline)
	req := "GET " + g.path + " HTTP/1.1\r\nHost: " + g.addr + "\r\n"
	if g.header != "" {
		req += g.header + ": " + strconv.FormatInt(left.Milliseconds(), 10) + "ms\r\n"
	}
	if _, err := io.WriteString(c.c, req+"\r\n"); err != nil {
		fail(err)
		return
	}
	resp, err := http.ReadResponse(c.r, nil)
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	if err != nil {
		fail(err)
		return
	}
	r.latency = time.Since(dueAt)
	switch s := resp.StatusCode; {
	case s >= 200 && s < 300 && r.latency <= g.timeout:
		r.out = outOK
	case s >= 200 && s < 300:
		r.out = outTimeout
	case s == http.StatusTooManyRequests || s == http.StatusServiceUnavailable:
		r.out = outShed
	default:
		r.out = outOther
	}
	if resp.Close {
		g.pool.drop(c)
		return
	}
	g.pool.put(c)
}

// pick returns the records due in [from, to).
func pick(recs []record, from, to time.Duration) []record {
	i, _ := slices.BinarySearchFunc(recs, from, func(r record, t time.Duration) int { return cmpDur(r.due, t) })
	j, _ := slices.BinarySearchFunc(recs, to, func(r record, t time.Duration) int { return cmpDur(r.due, t) })
	return recs[i:j]
}

func cmpDur(a, b time.Duration) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func summary(i int, p phase, recs []record, timeout time.Duration) string {
	var n [outNoConn + 1]int
	var ok, lags []time.Duration
	for _, r := range recs {
		n[r.out]++
		if r.out == outOK {
			ok = append(ok, r.latency)
		}
		lags = append(lags, r.lag)
	}
	s := p.dur.Seconds()
	slices.Sort(ok)
	slices.Sort(lags)
	return fmt.Sprintf("phase=%d rate=%.0f dur=%s sent=%d ok=%d goodput=%.1f shed=%.1f timeouts=%d connerr=%d noconn=%d other=%d p50_ms=%.2f p99_ms=%.2f lag_p99_ms=%.2f lag_max_ms=%.2f timeout=%s",
		i, p.rate, p.dur, len(recs), n[outOK], float64(n[outOK])/s, float64(n[outShed])/s,
		n[outTimeout], n[outConnErr], n[outNoConn], n[outOther],
		ms(quantile(ok, 0.5)), ms(quantile(ok, 0.99)), ms(quantile(lags, 0.99)), ms(quantile(lags, 1)), timeout)
}

// quantile of sorted d, nearest rank; NaN for none.
func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return -1
	}
	k := int(math.Ceil(q*float64(len(d)))) - 1
	return d[max(k, 0)]
}

func ms(d time.Duration) float64 {
	if d < 0 {
		return math.NaN()
	}
	return float64(d) / float64(time.Millisecond)
}

// p99All is the p99 of recs with anything but outOK counted as infinite.
func p99All(recs []record) time.Duration {
	if len(recs) == 0 {
		return -1
	}
	d := make([]time.Duration, len(recs))
	for i, r := range recs {
		d[i] = time.Duration(math.MaxInt64)
		if r.out == outOK {
			d[i] = r.latency
		}
	}
	slices.Sort(d)
	return quantile(d, 0.99)
}

// p99OK is the p99 of the 2xx within the deadline among recs (-1: none).
func p99OK(recs []record) time.Duration {
	var d []time.Duration
	for _, r := range recs {
		if r.out == outOK {
			d = append(d, r.latency)
		}
	}
	slices.Sort(d)
	return quantile(d, 0.99)
}

func recovery(recs []record, starts []time.Duration, phases []phase, w time.Duration) string {
	var idleOK []time.Duration
	for _, r := range pick(recs, starts[0], starts[0]+phases[0].dur) {
		if r.out == outOK {
			idleOK = append(idleOK, r.latency)
		}
	}
	slices.Sort(idleOK)
	idle := quantile(idleOK, 0.99)
	if idle < 0 {
		return "recovery idle_p99_ms=NaN recovered_ms=n/a settled_ms=n/a (no 2xx in the idle phase)"
	}
	limit := 2 * idle
	// windows of the idle phase against the same limit: how often the host's
	// noise alone makes a window bad
	_, _, idleBad := windows(recs, starts[0], starts[0]+phases[0].dur, w, limit, p99All)
	last := len(phases) - 1
	from, to := starts[last], starts[last]+phases[last].dur
	recovered, settled, bad := windows(recs, from, to, w, limit, p99All)
	ok2xx, _, _ := windows(recs, from, to, w, limit, p99OK)
	f := func(d time.Duration) string {
		if d < 0 {
			return "never"
		}
		return strconv.FormatInt(d.Milliseconds(), 10)
	}
	return fmt.Sprintf("recovery idle_p99_ms=%.2f limit_ms=%.2f recovered_ms=%s settled_ms=%s bad_windows=%d idle_bad_windows=%d recovered_2xx_ms=%s window=%s",
		ms(idle), ms(limit), f(recovered), f(settled), bad, idleBad, f(ok2xx), w)
}

// windows slides a window of w by 10 ms over the requests due in [from, to)
// and returns when the first window whose p99 (by p99All or p99OK) is
// within limit ends, when the window ends after which all are, both from
// from (-1: never), and how many windows are not.
func windows(recs []record, from, to, w, limit time.Duration, p99 func([]record) time.Duration) (recovered, settled time.Duration, bad int) {
	recovered, settled = -1, -1
	for t := from; t+w <= to; t += 10 * time.Millisecond {
		if p := p99(pick(recs, t, t+w)); p >= 0 && p <= limit {
			if recovered < 0 {
				recovered = t + w - from
			}
			if settled < 0 {
				settled = t + w - from
			}
			continue
		}
		settled = -1
		bad++
	}
	return recovered, settled, bad
}

func writeTimeline(path string, recs []record) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	const step = 100 * time.Millisecond
	for t := time.Duration(0); len(recs) > 0; t += step {
		j := 0
		for j < len(recs) && recs[j].due < t+step {
			j++
		}
		var ok, shed int
		var lat []time.Duration
		for _, r := range recs[:j] {
			switch r.out {
			case outOK:
				ok++
				lat = append(lat, r.latency)
			case outShed:
				shed++
			}
		}
		slices.Sort(lat)
		fmt.Fprintf(w, "%.1f %d %d %d %d %.2f\n", t.Seconds(), j, ok, shed, j-ok-shed, ms(quantile(lat, 0.99)))
		recs = recs[j:]
	}
	if err := w.Flush(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// closedLoop keeps n connections each sending its next request as soon as
// the last is answered, for d, and prints the rate of 2xx: the capacity.
func (g *gen) closedLoop(n int, d time.Duration) error {
	var okN, bad atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var errOnce sync.Once
	var first error
	fail := func(err error) { errOnce.Do(func() { first = err }) }
	end := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			nc, err := net.Dial("tcp", g.addr)
			if err != nil {
				fail(err)
				return
			}
			defer nc.Close()
			br := bufio.NewReader(nc)
			var mine []time.Duration
			for time.Now().Before(end) {
				t := time.Now()
				req := "GET " + g.path + " HTTP/1.1\r\nHost: " + g.addr + "\r\n"
				if g.header != "" {
					req += g.header + ": " + strconv.FormatInt(g.timeout.Milliseconds(), 10) + "ms\r\n"
				}
				_ = nc.SetDeadline(t.Add(5 * time.Second))
				if _, err := io.WriteString(nc, req+"\r\n"); err != nil {
					fail(err)
					return
				}
				resp, err := http.ReadResponse(br, nil)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
				}
				if err != nil {
					fail(err)
					return
				}
				if resp.StatusCode/100 == 2 {
					okN.Add(1)
					mine = append(mine, time.Since(t))
				} else {
					bad.Add(1)
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if first != nil && !errors.Is(first, syscall.ECONNRESET) {
		return first
	}
	el := time.Since(start).Seconds()
	slices.Sort(lat)
	fmt.Printf("closed conns=%d ok=%d goodput=%.1f non2xx=%d p50_ms=%.2f p99_ms=%.2f\n",
		n, okN.Load(), float64(okN.Load())/el, bad.Load(), ms(quantile(lat, 0.5)), ms(quantile(lat, 0.99)))
	return nil
}
