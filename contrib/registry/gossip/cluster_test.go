package gossip_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/goxkit/gox"
	"github.com/goxkit/gox/contrib/registry/gossip"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware/retry"
	"github.com/goxkit/gox/middleware/timeout"
	"github.com/goxkit/gox/registry"
	"github.com/goxkit/gox/registry/ui"
	xhttp "github.com/goxkit/gox/transport/http"
)

const deadTimeout = 2 * time.Second

func clusterConfig(seeds ...string) gossip.Config {
	return gossip.Config{Seeds: seeds, BindAddr: "127.0.0.1", Port: -1, DeadTimeout: deadTimeout, SyncInterval: time.Second}
}

// TestServiceProcess is one service of the cluster test, run as a child
// process: a gox App serving GET /who (its name) and GET /members (its
// gossip view), registered through gossip. It prints its gossip address.
func TestServiceProcess(t *testing.T) {
	name := os.Getenv("GOX_GOSSIP_CHILD")
	if name == "" {
		t.Skip("run by TestThreeProcessesOneKilled as a child process")
	}
	var seeds []string
	if s := os.Getenv("GOX_GOSSIP_SEED"); s != "" {
		seeds = []string{s}
	}
	c := clusterConfig(seeds...)
	c.Name = name
	reg, err := gossip.Open(c, gossip.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("GOSSIP %s\n", reg.Addr())
	hc := xhttp.DefaultConfig()
	hc.Addr = "127.0.0.1:0"
	s, err := xhttp.NewServer(hc, xhttp.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	s.GET("/who", func(c *xhttp.Context) error { c.String(http.StatusOK, name); return nil })
	s.GET("/members", func(c *xhttp.Context) error { c.JSON(http.StatusOK, reg.Members()); return nil })
	var app *gox.App
	page := ui.Handler(ui.Options{Discovery: reg, Self: func() *registry.ServiceInstance { return app.Instance() }, Title: "who registry"})
	s.Engine().Any("/registry/*any", gin.BasicAuth(gin.Accounts{"admin": "s3cret"}), gin.WrapH(http.StripPrefix("/registry", page)))
	app = gox.New(gox.WithName("who"), gox.WithID(name), gox.WithServer(s), gox.WithRegistrar(reg),
		gox.WithResource("gossip", func(context.Context) error { return reg.Close() }),
		gox.WithLogger(slog.New(slog.DiscardHandler)))
	if err := app.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
}

type child struct {
	name, gossip string
	cmd          *exec.Cmd
}

func startChild(t *testing.T, name, seed string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestServiceProcess$", "-test.v")
	cmd.Env = append(os.Environ(), "GOX_GOSSIP_CHILD="+name, "GOX_GOSSIP_SEED="+seed)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{name: name, cmd: cmd}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "GOSSIP "); ok {
				addr <- a
			}
		}
	}()
	select {
	case c.gossip = <-addr:
	case <-time.After(10 * time.Second):
		t.Fatalf("child %s did not start", name)
	}
	return c
}

// Three service processes form a gossip cluster; a client (a fourth
// member, registering nothing) makes 1,000 idempotent calls by name while
// one service is killed with SIGKILL: every call succeeds, and the dead
// member leaves every view within the dead timeout.
func TestThreeProcessesOneKilled(t *testing.T) {
	a := startChild(t, "a", "")
	startChild(t, "b", a.gossip)
	c := startChild(t, "c", a.gossip)
	me, err := gossip.Open(clusterConfig(a.gossip), gossip.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer me.Close()
	client, err := xhttp.NewClient("discovery:///who", xhttp.WithDiscovery(me, nil),
		xhttp.WithClientMiddleware(timeout.Client(2*time.Second), retry.Client(retry.WithAttempts(3))))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx := context.Background()
	urls := map[string]string{}
	goxtest.Eventually(t, 15*time.Second, func() bool {
		set, _ := me.GetService(ctx, "who")
		for _, ins := range set {
			urls[ins.ID] = ins.Endpoint("http")
		}
		return len(set) == 3
	})
	who := func() (string, error) {
		resp, err := client.Do(mustGet(client.URL("/who")))
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		var b strings.Builder
		_, err = bufio.NewReader(resp.Body).WriteTo(&b)
		return b.String(), err
	}
	// from the kill on, watch every surviving view for c to go
	views := map[string]func() []string{"client": me.Members, "a": membersOf(urls["a"]), "b": membersOf(urls["b"])}
	var mu sync.Mutex
	gone := map[string]time.Duration{}
	var watching sync.WaitGroup
	watch := func(killed time.Time) {
		for name, members := range views {
			watching.Go(func() {
				for time.Since(killed) < deadTimeout+5*time.Second {
					if !slices.Contains(members(), "c") {
						mu.Lock()
						gone[name] = time.Since(killed)
						mu.Unlock()
						return
					}
					time.Sleep(20 * time.Millisecond)
				}
			})
		}
	}
	served := map[string]int{}
	for i := range 1000 {
		if i == 300 {
			if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			watch(time.Now())
		}
		name, err := who()
		if err != nil {
			t.Fatalf("call %d (%d after the kill): %v", i, max(i-300, 0), err)
		}
		served[name]++
		time.Sleep(3 * time.Millisecond) // spread the calls over the dead timeout
	}
	t.Logf("calls served: %v", served)
	if served["a"] == 0 || served["b"] == 0 || served["c"] == 0 {
		t.Fatalf("calls served %v; want every instance used", served)
	}
	watching.Wait()
	for name := range views {
		d, ok := gone[name]
		if !ok {
			t.Errorf("%s still lists c %v after the kill", name, deadTimeout+5*time.Second)
			continue
		}
		t.Logf("%s dropped c %v after the kill", name, d.Round(time.Millisecond))
		if d > deadTimeout+200*time.Millisecond { // + one poll and the gossip of the news
			t.Errorf("%s dropped c %v after the kill; the dead timeout is %v", name, d, deadTimeout)
		}
	}
	set, _ := me.GetService(ctx, "who")
	if len(set) != 2 {
		t.Fatalf("instances after the kill: %d", len(set))
	}
}

func mustGet(url string) *http.Request {
	r, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		panic(err)
	}
	return r
}

// membersOf asks a child for its gossip view over HTTP.
func membersOf(url string) func() []string {
	return func() []string {
		resp, err := http.Get(url + "/members")
		if err != nil {
			return []string{"c"} // no answer: not known to have dropped c
		}
		defer resp.Body.Close()
		var out []string
		if json.NewDecoder(resp.Body).Decode(&out) != nil {
			return []string{"c"}
		}
		return out
	}
}

// The registry page of a live three-process cluster, rendered by headless
// Chromium: every member's page lists the three instances of "who", each
// up, with this member marked; without the password there is no page.
func TestRegistryPageInChromium(t *testing.T) {
	goxtest.RequireBinary(t, "chromium", "apt-get install chromium") // before anything starts
	a := startChild(t, "a", "")
	startChild(t, "b", a.gossip)
	startChild(t, "c", a.gossip)
	me, err := gossip.Open(clusterConfig(a.gossip), gossip.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer me.Close()
	urls := map[string]string{}
	goxtest.Eventually(t, 15*time.Second, func() bool {
		set, _ := me.GetService(context.Background(), "who")
		for _, ins := range set {
			urls[ins.ID] = ins.Endpoint("http")
		}
		return len(set) == 3
	})
	for _, id := range []string{"a", "c"} {
		base := strings.TrimPrefix(urls[id], "http://")
		var dom string
		// the page asks every instance's /readyz: all three must answer
		goxtest.Eventually(t, 20*time.Second, func() bool {
			dom = goxtest.BrowserDOM(t, "http://admin:s3cret@"+base+"/registry/")
			return strings.Count(dom, `data-health="up"`) == 3
		})
		for _, want := range []string{"<title>who registry</title>", `data-service="who"`,
			`data-id="a"`, `data-id="b"`, `data-id="c"`, `class="instance self" data-id="` + id + `"`} {
			if !strings.Contains(dom, want) {
				t.Fatalf("%s's page lacks %s:\n%s", id, want, dom)
			}
		}
		if dom := goxtest.BrowserDOM(t, "http://"+base+"/registry/"); strings.Contains(dom, "data-service") {
			t.Fatalf("%s's page rendered without the password", id)
		}
	}
}
