package deploycheck

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The scaffolded apiSQLite project is built once per test binary and run
// once (serve); every test that needs the binary shares both.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error

	serveOnce sync.Once
	served    *servedBinary
	serveErr  error
)

// goEnv is the environment of go commands run in a scaffolded project:
// outside the gox workspace, as a user's project is.
func goEnv() []string { return append(os.Environ(), "GOWORK=off", "GOFLAGS=") }

// binary builds the apiSQLite project as its Dockerfile's build stage does
// (CGO_ENABLED=0) and returns the binary's path.
func binary(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a scaffolded project")
	}
	p := scaffolded(t, apiSQLite)
	buildOnce.Do(func() {
		tidy := exec.Command("go", "mod", "tidy")
		tidy.Dir, tidy.Env = p.dir, goEnv()
		if out, err := tidy.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go mod tidy: %v\n%s", err, out)
			return
		}
		bin := filepath.Join(root, "bin", p.Binary)
		build := exec.Command("go", "build", "-o", bin, ".")
		build.Dir, build.Env = p.dir, append(goEnv(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		binPath = bin
	})
	if buildErr != nil {
		t.Fatalf("build %s: %v", p.Binary, buildErr)
	}
	return binPath
}

// servedBinary is the apiSQLite binary running serve as the chart's serve
// container runs it: its args, the rendered ConfigMap's config.yaml in a
// directory standing for the mount (only http.addr moved to a free
// port), the environment the chart sets from the Secret.
type servedBinary struct {
	addr string // host:port of http.addr
	cmd  *exec.Cmd
	log  *strings.Builder
}

// serveBinary starts serve once; configText is the ConfigMap's
// config.yaml, args the serve container's args with the mount path
// already replaced, env its environment.
func serveBinary(t testing.TB, configText string, args func(mountDir string) []string, env []string) *servedBinary {
	t.Helper()
	bin := binary(t)
	serveOnce.Do(func() { served, serveErr = startServe(bin, configText, args, env) })
	if serveErr != nil {
		t.Fatal(serveErr)
	}
	return served
}

func startServe(bin, configText string, args func(string) []string, env []string) (*servedBinary, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	mount := filepath.Join(root, "serve", "mount")
	work := filepath.Join(root, "serve", "app") // the image's WORKDIR
	for _, d := range []string{mount, filepath.Join(work, "data")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	text, n := replaceKey(configText, "http", "addr", `"`+addr+`"`)
	if n != 1 {
		return nil, fmt.Errorf("config.yaml: http.addr not found to move it to a free port")
	}
	if err := os.WriteFile(filepath.Join(mount, "config.yaml"), []byte(text), 0o644); err != nil {
		return nil, err
	}
	log := &strings.Builder{}
	cmd := exec.Command(bin, args(mount)...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = work, append(os.Environ(), env...), &syncWriter{b: log}, &syncWriter{b: log}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &servedBinary{addr: addr, cmd: cmd, log: log}
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if cmd.ProcessState != nil || time.Now().After(deadline) {
			stop(s)
			return nil, fmt.Errorf("serve did not answer /readyz 200 within 90 s (last: %v); its output:\n%s", err, log.String())
		}
	}
}

// replaceKey replaces the value of key directly under the top-level
// section of a YAML text, returning how many lines it changed: a line
// edit, so the rest of the file stays byte for byte as rendered.
func replaceKey(text, section, key, value string) (string, int) {
	lines := strings.Split(text, "\n")
	in, n := false, 0
	for i, line := range lines {
		if line != "" && line[0] != ' ' && line[0] != '#' {
			in = strings.HasPrefix(line, section+":")
			continue
		}
		if in && strings.HasPrefix(line, "  "+key+":") {
			lines[i] = "  " + key + ": " + value
			n++
		}
	}
	return strings.Join(lines, "\n"), n
}

type syncWriter struct {
	mu sync.Mutex
	b  *strings.Builder
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func stop(s *servedBinary) {
	if s == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(45 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
}

// stopBinary stops serve if a test started it.
func stopBinary() { stop(served) }

// runHelp runs bin with args and --help, as a user checks a command
// exists, and returns its exit error and output.
func runHelp(bin string, args []string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append(append([]string{}, args...), "--help")...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
