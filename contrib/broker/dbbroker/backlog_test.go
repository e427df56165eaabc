package dbbroker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goxkit/gox/broker"
	"github.com/goxkit/gox/contrib/broker/dbbroker"
	"github.com/goxkit/gox/contrib/database/xgorm"
	"github.com/goxkit/gox/contrib/prometheus"
	"github.com/goxkit/gox/goxtest"
)

// fakeClock is the time the backlog is counted at.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// logBuffer collects what the broker logs.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *logBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// join makes group a consumer group of topic, as a consumer does on its
// first Receive, on a topic with nothing due for it.
func join(t *testing.T, b *dbbroker.Broker, topic, group string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if d, err := b.Receive(ctx, topic, group); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("join %s/%s: received %v, %v; want nothing", topic, group, d, err)
	}
}

func receive(t *testing.T, b *dbbroker.Broker, topic, group string) broker.Delivery {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d, err := b.Receive(ctx, topic, group)
	if err != nil {
		t.Fatalf("receive %s/%s: %v", topic, group, err)
	}
	return d
}

// exported is a Prometheus registry with the broker's Collector, as serve
// builds it, and what a scrape of it in the text format holds.
func exported(t *testing.T, b *dbbroker.Broker) func() string {
	m := prometheus.New(prometheus.WithoutRuntimeCollectors())
	m.Registry().MustRegister(b.Collector())
	return func() string {
		w := httptest.NewRecorder()
		m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
		return w.Body.String()
	}
}

// scrapeShows waits until a scrape holds every line of want (the
// Collector samples in its own goroutine), failing with the scrape.
func scrapeShows(t *testing.T, scrape func() string, want ...string) {
	t.Helper()
	has := func() bool {
		body := scrape()
		for _, w := range want {
			if !strings.Contains(body, w+"\n") {
				return false
			}
		}
		return true
	}
	for end := time.Now().Add(10 * time.Second); !has(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("the scrape lacks some of\n%s\nscrape:\n%s", strings.Join(want, "\n"), scrape())
		}
	}
}

// Two groups consume a topic; one works through part of it. The backlog
// each group's consumers see is exported per group: what is due and not
// being handled. A message held by a consumer counts again once its
// reservation ran out, a delayed one once it is due, a dead letter in its
// own gauge, and a group with nothing waiting keeps its series at 0.
func TestBacklogGauge(t *testing.T) {
	for name, cfg := range map[string]func(*testing.T) xgorm.Config{"sqlite": sqlite, "postgres": postgres, "mysql": mysql} {
		t.Run(name, func(t *testing.T) {
			db := open(t, cfg(t))
			b, err := dbbroker.New(db, fast())
			b = goxtest.Opened(t, b, err)
			clock := &fakeClock{}
			ticks := make(chan time.Time)
			dbbroker.SetClock(b, clock.now, ticks)
			ctx := context.Background()

			join(t, b, "orders", "billing")
			join(t, b, "orders", "audit")
			join(t, b, "orders", "idle")
			for _, id := range []string{"o1", "o2", "o3", "o4", "o5"} {
				if err := b.Publish(ctx, "orders", &broker.Message{ID: id}); err != nil {
					t.Fatal(err)
				}
			}
			if err := b.Publish(ctx, "orders", &broker.Message{ID: "later"}, broker.WithDelay(time.Hour)); err != nil {
				t.Fatal(err)
			}
			if err := b.Publish(ctx, "mail", &broker.Message{ID: "m1"}); err != nil { // no group yet
				t.Fatal(err)
			}
			// billing: two handled, one being handled, one dead-lettered
			for range 2 {
				if err := receive(t, b, "orders", "billing").Ack(ctx); err != nil {
					t.Fatal(err)
				}
			}
			_ = receive(t, b, "orders", "billing") // held, never settled: its consumer dies
			if err := receive(t, b, "orders", "billing").DeadLetter(ctx, errors.New("card refused")); err != nil {
				t.Fatal(err)
			}
			// idle: its copies handled at once
			for range 5 {
				if err := receive(t, b, "orders", "idle").Ack(ctx); err != nil {
					t.Fatal(err)
				}
			}

			clock.set(time.Now())
			scrape := exported(t, b) // samples at once
			scrapeShows(t, scrape,
				`gox_queue_backlog{group="billing",topic="orders"} 1`,
				`gox_queue_backlog{group="audit",topic="orders"} 5`,
				`gox_queue_backlog{group="idle",topic="orders"} 0`,
				`gox_queue_backlog{group="",topic="mail"} 1`,
				`gox_queue_dead_letters{group="billing",topic="orders"} 1`,
				`gox_queue_dead_letters{group="audit",topic="orders"} 0`,
				`gox_queue_backlog_overflow 0`)

			// the holder dies: past its visibility timeout the message is ready again
			clock.add(fast().Visibility + time.Second)
			ticks <- time.Now()
			scrapeShows(t, scrape, `gox_queue_backlog{group="billing",topic="orders"} 2`, `gox_queue_backlog{group="audit",topic="orders"} 5`)

			// the delayed message comes due
			clock.add(time.Hour)
			if err := b.Collector().Sample(ctx); err != nil {
				t.Fatal(err)
			}
			scrapeShows(t, scrape,
				`gox_queue_backlog{group="billing",topic="orders"} 3`,
				`gox_queue_backlog{group="audit",topic="orders"} 6`,
				`gox_queue_backlog{group="idle",topic="orders"} 1`)

			pairs, overflow, err := b.Backlog(ctx)
			if err != nil || overflow != 0 || len(pairs) != 4 ||
				pairs[0] != (dbbroker.Backlog{Topic: "mail", Group: "", Ready: 1}) ||
				pairs[2] != (dbbroker.Backlog{Topic: "orders", Group: "billing", Ready: 3, DeadLetters: 1}) {
				t.Fatalf("Backlog = %+v, %d, %v", pairs, overflow, err)
			}
		})
	}
}

// The exported pairs are bounded by backlog_series: the rest are counted in
// the overflow gauge, and logged once, not at every count.
func TestBacklogBounded(t *testing.T) {
	db := open(t, sqlite(t))
	c := fast()
	c.BacklogSeries = 2
	var log logBuffer
	b, err := dbbroker.New(db, c, dbbroker.WithLogger(slog.New(slog.NewTextHandler(&log, nil))))
	b = goxtest.Opened(t, b, err)
	ctx := context.Background()
	for _, topic := range []string{"a", "b", "c", "d", "e"} {
		if err := b.Publish(ctx, topic, &broker.Message{}); err != nil {
			t.Fatal(err)
		}
	}
	scrape := exported(t, b)
	for range 3 {
		if err := b.Collector().Sample(ctx); err != nil {
			t.Fatal(err)
		}
	}
	scrapeShows(t, scrape, `gox_queue_backlog{group="",topic="a"} 1`, `gox_queue_backlog{group="",topic="b"} 1`, `gox_queue_backlog_overflow 3`)
	if body := scrape(); strings.Contains(body, `topic="c"`) {
		t.Fatalf("a pair past backlog_series was exported:\n%s", body)
	}
	if n := strings.Count(log.String(), "more topic and group pairs than backlog_series"); n != 1 {
		t.Fatalf("the overflow was logged %d times over 4 counts; want once:\n%s", n, log.String())
	}
}

// A count that fails (the table is gone) keeps the last count exported and
// is logged once while it lasts; the next count that works replaces it.
func TestBacklogCountFails(t *testing.T) {
	db := open(t, sqlite(t))
	var log logBuffer
	b, err := dbbroker.New(db, fast(), dbbroker.WithLogger(slog.New(slog.NewTextHandler(&log, nil))))
	b = goxtest.Opened(t, b, err)
	ctx := context.Background()
	if err := b.Publish(ctx, "orders", &broker.Message{}); err != nil {
		t.Fatal(err)
	}
	scrape := exported(t, b)
	scrapeShows(t, scrape, `gox_queue_backlog{group="",topic="orders"} 1`)
	if err := db.Default().Migrator().DropTable(&dbbroker.Failed{}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := b.Collector().Sample(ctx); err == nil || !strings.Contains(err.Error(), "dbbroker: count the backlog") {
			t.Fatalf("count without the dead-letter table: %v", err)
		}
	}
	scrapeShows(t, scrape, `gox_queue_backlog{group="",topic="orders"} 1`)
	if n := strings.Count(log.String(), "counting the backlog failed"); n != 1 {
		t.Fatalf("the failure was logged %d times over 2 counts; want once:\n%s", n, log.String())
	}
	if err := b.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(ctx, "orders", &broker.Message{}); err != nil {
		t.Fatal(err)
	}
	if err := b.Collector().Sample(ctx); err != nil {
		t.Fatal(err)
	}
	scrapeShows(t, scrape, `gox_queue_backlog{group="",topic="orders"} 2`)
	if !strings.Contains(log.String(), "counting the backlog works again") {
		t.Fatalf("the recovery was not logged:\n%s", log.String())
	}
}

// Close stops the sampling (goleak checks the goroutine is gone at the end
// of the package's tests); a Collector asked for after Close never starts.
func TestCollectorStopsWithBroker(t *testing.T) {
	db := open(t, sqlite(t))
	b, err := dbbroker.New(db, fast())
	if err != nil {
		t.Fatal(err)
	}
	c := b.Collector()
	if b.Collector() != c {
		t.Fatal("a second Collector call returned another Collector")
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b2, err := dbbroker.New(db, fast())
	if err != nil {
		t.Fatal(err)
	}
	_ = b2.Close()
	_ = b2.Collector()
	if err := b2.Close(); err != nil {
		t.Fatal(err)
	}
}

// The count reads the claim index alone (SQLite's and MariaDB's plans).
func TestBacklogUsesClaimIndex(t *testing.T) {
	for name, cfg := range map[string]func(*testing.T) xgorm.Config{"sqlite": sqlite, "mysql": mysql} {
		t.Run(name, func(t *testing.T) {
			db := open(t, cfg(t))
			plan := ""
			prefix := "EXPLAIN QUERY PLAN "
			if name == "mysql" {
				prefix = "EXPLAIN FORMAT=JSON "
			}
			rows, err := db.Default().Raw(prefix+dbbroker.BacklogQuery, time.Now().UnixMilli()).Rows()
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			cols, _ := rows.Columns()
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				for _, v := range vals {
					if s, ok := v.([]byte); ok {
						v = string(s)
					}
					if s, ok := v.(string); ok {
						plan += s + "\n"
					}
				}
			}
			want := []string{"COVERING INDEX gox_queue_claim"}
			if name == "mysql" {
				want = []string{`"key": "gox_queue_claim"`, `"using_index": true`}
			}
			for _, w := range want {
				if !strings.Contains(plan, w) {
					t.Fatalf("the plan of the count lacks %q:\n%s", w, plan)
				}
			}
		})
	}
}

// A Prometheus server scrapes the serve-like process and answers the
// query a KEDA prometheus trigger runs. Before any consumer of a topic ever
// ran (deployed scaled to zero), its messages wait ungrouped, under group
// "": the query must include them or the consumers are never started.
func TestKEDAQueryOnPrometheus(t *testing.T) {
	bin := goxtest.RequireBinary(t, "prometheus", "apt-get install prometheus, or run bash ci/test.sh")
	db := open(t, sqlite(t))
	b, err := dbbroker.New(db, fast())
	b = goxtest.Opened(t, b, err)
	ctx := context.Background()
	for _, id := range []string{"o1", "o2"} { // no consumer of orders ever ran
		if err := b.Publish(ctx, "orders", &broker.Message{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	join(t, b, "invoices", "billing")
	for _, id := range []string{"i1", "i2", "i3"} {
		if err := b.Publish(ctx, "invoices", &broker.Message{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	m := prometheus.New(prometheus.WithoutRuntimeCollectors())
	m.Registry().MustRegister(b.Collector())
	if err := b.Collector().Sample(ctx); err != nil {
		t.Fatal(err)
	}
	target := httptest.NewServer(m.Handler())
	t.Cleanup(target.Close)

	dir := t.TempDir()
	cfg := fmt.Sprintf("global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: serve\n    static_configs: [{targets: [%q]}]\n",
		strings.TrimPrefix(target.URL, "http://"))
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	cmd := exec.Command(bin, "--config.file="+filepath.Join(dir, "prometheus.yml"), "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	logf, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	want := map[string]string{
		`sum(gox_queue_backlog{topic="orders",group=~"billing|"}) or vector(0)`:   "2",
		`sum(gox_queue_backlog{topic="orders",group="billing"}) or vector(0)`:     "0", // why the query needs |
		`sum(gox_queue_backlog{topic="invoices",group=~"billing|"}) or vector(0)`: "3",
		`sum(gox_queue_backlog{topic="refunds",group=~"billing|"}) or vector(0)`:  "0",
	}
	deadline := time.Now().Add(45 * time.Second) // target discovery batches every 5 s, then the first scrape
	for len(want) > 0 && time.Now().Before(deadline) {
		if v, ok := queryValue(addr, `up{job="serve"}`); !ok || v != "1" {
			time.Sleep(500 * time.Millisecond) // nothing scraped yet
			continue
		}
		for q, v := range want {
			got, ok := queryValue(addr, q)
			if !ok || got != v {
				t.Fatalf("Prometheus answers %s with %q (%v); want %s", q, got, ok, v)
			}
			delete(want, q)
		}
	}
	if len(want) > 0 {
		log, _ := os.ReadFile(filepath.Join(dir, "prometheus.log"))
		t.Fatalf("Prometheus never scraped the service; its log:\n%s", log)
	}
}

func queryValue(addr, q string) (string, bool) {
	resp, err := http.Get("http://" + addr + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	var r struct {
		Data struct {
			Result []struct {
				Value []any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if json.NewDecoder(resp.Body).Decode(&r) != nil || len(r.Data.Result) == 0 || len(r.Data.Result[0].Value) < 2 {
		return "", false
	}
	v, _ := r.Data.Result[0].Value[1].(string)
	return v, true
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
