package devloop_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goxkit/gox/cmd/gctl/internal/devloop"
	"github.com/goxkit/gox/cmd/gctl/internal/scaffold"
)

// TestRunScaffoldedProject is the loop a user sees: a project gctl new
// wrote, served by Run; an edit of the hello message answers within 10 s; a
// syntax error leaves the old process answering; cancelling stops it.
// GOX_RUN_SAMPLES=n times n one-line edits and logs the median
// save-to-serving time (docs/dev-loop.md).
func TestRunScaffoldedProject(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a scaffolded project")
	}
	dir, addr := scaffolded(t)
	out := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- devloop.Run(ctx, []string{dir}, devloop.Options{Env: []string{"GOWORK=off", "GOFLAGS="}, Out: out, StopTimeout: 10 * time.Second})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		if _, err := http.Get("http://" + addr + "/v1/hello/ann"); err == nil {
			t.Error("the service still answers after Run returned")
		}
		if !strings.Contains(out.String(), "gctl: stopping") {
			t.Errorf("log:\n%s", out)
		}
	}()
	if _, err := poll(addr, "hello, ", 5*time.Minute); err != nil { // the first build compiles everything
		t.Fatalf("%v\nlog:\n%s", err, out)
	}
	greeter := filepath.Join(dir, "internal", "service", "greeter.go")
	samples := 1
	if n, err := strconv.Atoi(os.Getenv("GOX_RUN_SAMPLES")); err == nil && n > 0 {
		samples = n
	}
	var took []time.Duration
	msg := "hello, "
	for i := range samples {
		next := fmt.Sprintf("hi from gctl run %d, ", i)
		edit(t, greeter, `"`+msg+`"`, `"`+next+`"`)
		d, err := poll(addr, next, 10*time.Second)
		if err != nil {
			t.Fatalf("edit %d: %v\nlog:\n%s", i, err, out)
		}
		took, msg = append(took, d), next
	}
	slices.Sort(took)
	t.Logf("save-to-serving of a one-line edit: median %s over %d (min %s, max %s)", took[len(took)/2], len(took),
		took[0], took[len(took)-1])

	b, _ := os.ReadFile(greeter)
	if err := os.WriteFile(greeter, append(b, "\nfunc broken(\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(2 * time.Minute); !strings.Contains(out.String(), "the last good build keeps serving"); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no build failure reported\nlog:\n%s", out)
		}
	}
	if !strings.Contains(out.String(), "syntax error") {
		t.Errorf("the compiler's message is not shown:\n%s", out)
	}
	if _, err := poll(addr, msg, time.Second); err != nil {
		t.Fatalf("the last good process stopped answering after a syntax error: %v\nlog:\n%s", err, out)
	}
}

// scaffolded renders a gctl new api project (no database, queue or cache,
// the quickest to build) listening on a free port.
func scaffolded(t *testing.T) (dir, addr string) {
	t.Helper()
	source := scaffold.FindSource("")
	if source == "" {
		t.Fatal("the test runs inside the gox checkout but FindSource found none")
	}
	dir = filepath.Join(t.TempDir(), "hello")
	o := scaffold.Options{Kind: "api", Name: "hello", DB: "none", Queue: "none", Cache: "none", Metric: "prom", Registry: "memory"}
	if _, err := scaffold.Render(o, dir, source, false); err != nil {
		t.Fatal(err)
	}
	tidy := exec.Command("go", "mod", "tidy")
	tidy.Dir, tidy.Env = dir, append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	if b, err := tidy.CombinedOutput(); err != nil {
		t.Fatalf("go mod tidy: %v\n%s", err, b)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = l.Addr().String()
	l.Close()
	edit(t, filepath.Join(dir, "config.yaml"), `addr: ":8080"`, `addr: "`+addr+`"`)
	return dir, addr
}

func edit(t *testing.T, file, old, new string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s does not contain %s", file, old)
	}
	if err := os.WriteFile(file, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

var asked atomic.Int64

// poll asks GET /v1/hello/<a new name> until the message starts with want
// (a name's first greeting), and says how long that took.
func poll(addr, want string, within time.Duration) (time.Duration, error) {
	start := time.Now()
	c := &http.Client{Timeout: time.Second}
	last := "no answer"
	for time.Since(start) < within {
		if resp, err := c.Get("http://" + addr + "/v1/hello/u" + strconv.FormatInt(asked.Add(1), 10)); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.HasPrefix(string(b), `{"message":"`+want) {
				return time.Since(start), nil
			}
			last = string(b)
		} else {
			last = err.Error()
		}
		time.Sleep(20 * time.Millisecond) // polling a real server, not waiting for time
	}
	return 0, errors.New("no answer with " + strconv.Quote(want) + " within " + within.String() + "; last: " + last)
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
