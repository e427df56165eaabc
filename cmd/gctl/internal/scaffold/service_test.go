package scaffold_test

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/goxkit/gox/cmd/gctl/internal/scaffold"
)

// storeAddr returns the address of a real server CI starts (ETCD_ENDPOINTS,
// CONSUL_HTTP_ADDR, S3_ENDPOINT): missing, the test fails in CI and is
// skipped elsewhere.
func storeAddr(t *testing.T, env string) string {
	t.Helper()
	v := os.Getenv(env)
	if v == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set: CI must start the server (scripts/test.sh sources ci/*.sh)", env)
		}
		t.Skipf("%s is not set: start the server as its ci/*.sh script does", env)
	}
	return strings.Split(v, ",")[0]
}

// builtService scaffolds o into a temporary directory, builds it as ./svc
// (GOWORK=off, as a user's project builds) and points http.addr at a free
// port; edit, if set, changes config.yaml further. It returns the
// project's directory and the service's address.
func builtService(t *testing.T, o scaffold.Options, edit func(cfg string) string) (dir, addr string) {
	t.Helper()
	source := scaffold.FindSource("")
	if source == "" {
		t.Fatal("the test runs inside the gox checkout but FindSource found none")
	}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	dir = filepath.Join(t.TempDir(), o.Base())
	if _, err := scaffold.Render(o, dir, source, false); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	for _, args := range [][]string{{"mod", "tidy"}, {"build", "-o", "svc", "."}} {
		cmd := exec.Command("go", args...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = l.Addr().String()
	l.Close()
	cfgFile := filepath.Join(dir, "config.yaml")
	b, err := os.ReadFile(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(b), `addr: ":8080"`, `addr: "`+addr+`"`, 1)
	if edit != nil {
		cfg = edit(cfg)
	}
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, addr
}

// service is a running ./svc serve.
type service struct {
	t    *testing.T
	cmd  *exec.Cmd
	log  string
	addr string
}

// startService runs ./svc serve in dir with env added to the test's, and
// waits until addr's /readyz answers 200. It is killed when the test ends
// if still running.
func startService(t *testing.T, dir, addr string, env ...string) *service {
	t.Helper()
	s := &service{t: t, addr: addr, log: filepath.Join(t.TempDir(), "serve.log")}
	logFile, err := os.Create(s.log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logFile.Close() })
	s.cmd = exec.Command("./svc", "serve")
	s.cmd.Dir, s.cmd.Stdout, s.cmd.Stderr = dir, logFile, logFile
	s.cmd.Env = append(os.Environ(), env...)
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.cmd.Process.Kill() })
	s.waitFor("ready", s.ready)
	return s
}

// logs is what the service wrote so far.
func (s *service) logs() string { b, _ := os.ReadFile(s.log); return string(b) }

// ready reports whether /readyz answers 200.
func (s *service) ready() bool {
	res, err := http.Get("http://" + s.addr + "/readyz")
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

// waitFor polls ok for up to 30 s; the failure shows the service's log.
func (s *service) waitFor(what string, ok func() bool) {
	s.t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !ok(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			s.t.Fatalf("%s: not within 30 s; serve's log:\n%s", what, s.logs())
		}
	}
}

// stop sends SIGTERM and expects a clean exit.
func (s *service) stop() {
	s.t.Helper()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	if err := s.cmd.Wait(); err != nil {
		s.t.Fatalf("serve after SIGTERM: %v\n%s", err, s.logs())
	}
}
