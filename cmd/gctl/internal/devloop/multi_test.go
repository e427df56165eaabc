//go:build linux

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
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/goxkit/gox/cmd/gctl/internal/devloop"
	"github.com/goxkit/gox/cmd/gctl/internal/scaffold"
)

// TestRunTwoServices is `gctl run ./alpha ./beta` through the API the
// command calls: two scaffolded api services on their own ports both
// answer, every output line carries its service's name, an edit in beta
// restarts beta alone (alpha keeps its process) and is served within 10 s,
// and cancelling (what Ctrl-C does) stops both, leaving no process and no
// process group behind.
func TestRunTwoServices(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two scaffolded projects")
	}
	began := time.Now()
	alpha, alphaAddr := newProject(t, scaffold.KindAPI, "alpha")
	beta, betaAddr := newProject(t, scaffold.KindAPI, "beta")
	bins := realDir(t, t.TempDir())
	out := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- devloop.Run(ctx, []string{alpha, beta}, devloop.Options{
			Env: []string{"GOWORK=off", "GOFLAGS="}, Out: out, StopTimeout: 10 * time.Second, TempDir: bins,
		})
	}()
	for _, addr := range []string{alphaAddr, betaAddr} {
		if _, err := poll(addr, "hello, ", 5*time.Minute); err != nil { // the first builds compile everything
			t.Fatalf("%s: %v\nlog:\n%s", addr, err, out)
		}
	}
	t.Logf("both serving %s after the start", time.Since(began).Round(time.Millisecond))

	running := services(t, bins)
	for _, name := range []string{"alpha", "beta"} {
		p, ok := running[name]
		if !ok {
			t.Fatalf("no %s process runs from %s: %v\nlog:\n%s", name, bins, running, out)
		}
		if p.pgid != p.pid {
			t.Errorf("%s (pid %d) runs in process group %d, not one of its own", name, p.pid, p.pgid)
		}
	}
	checkPrefixes(t, out.String(), map[string]string{"alpha": "alpha | ", "beta": "beta  | "})

	mark := len(out.String())
	edit(t, filepath.Join(beta, "internal", "service", "greeter.go"), `"hello, "`, `"hi from beta, "`)
	took, err := poll(betaAddr, "hi from beta, ", 10*time.Second)
	if err != nil {
		t.Fatalf("beta: %v\nlog:\n%s", err, out)
	}
	t.Logf("beta's edit served %s after the save", took.Round(time.Millisecond))
	if _, err := poll(alphaAddr, "hello, ", time.Second); err != nil {
		t.Errorf("alpha after beta's restart: %v", err)
	}
	after := services(t, bins)
	if after["alpha"].pid != running["alpha"].pid {
		t.Errorf("alpha restarted (pid %d, then %d) when only beta changed\nlog:\n%s", running["alpha"].pid, after["alpha"].pid, out)
	}
	if after["beta"].pid == running["beta"].pid || after["beta"].pid == 0 {
		t.Errorf("beta's process (pid %d, then %d) was not replaced", running["beta"].pid, after["beta"].pid)
	}
	since := out.String()[mark:]
	if !strings.Contains(since, "beta  | gctl: rebuilt in ") {
		t.Errorf("no rebuild of beta reported:\n%s", since)
	}
	if strings.Contains(since, "alpha | gctl:") {
		t.Errorf("alpha reacted to beta's edit:\n%s", since)
	}
	checkPrefixes(t, out.String(), map[string]string{"alpha": "alpha | ", "beta": "beta  | "})

	stopped := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("Run did not return within 30 s of the cancel\nlog:\n%s", out)
	}
	t.Logf("stopped in %s", time.Since(stopped).Round(time.Millisecond))
	checkGone(t, bins, running, after)
	for _, addr := range []string{alphaAddr, betaAddr} {
		if _, err := http.Get("http://" + addr + "/v1/hello/ann"); err == nil {
			t.Errorf("%s still answers after Run returned", addr)
		}
	}
	for _, p := range []string{"alpha | gctl: stopping", "beta  | gctl: stopping"} {
		if !strings.Contains(out.String(), p) {
			t.Errorf("no %q in the log:\n%s", p, out)
		}
	}
	t.Logf("TestRunTwoServices took %s", time.Since(began).Round(time.Millisecond))
}

// TestRunProtoChange is the .proto path of the built gctl: `gctl run` in a
// scaffolded rpc project; an RPC with an HTTP binding added to the .proto
// and its handler written in the same burst are generated (gctl gen proto,
// no protoc), built and served; a syntax error in the .proto is reported
// with its file and line and the last good process keeps serving until the
// fix is saved; SIGINT to gctl's process group (Ctrl-C) stops gctl and the
// service.
func TestRunProtoChange(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gctl and a scaffolded rpc project")
	}
	began := time.Now()
	gctl := buildGctl(t)
	dir, addr := newProject(t, scaffold.KindRPC, "hellorpc")
	tmp := realDir(t, t.TempDir()) // gctl run's TMPDIR: its binaries are built under it
	out := &lockedBuffer{}
	cmd := exec.Command(gctl, "run", "--stop-timeout", "10s")
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, out, out
	called := filepath.Join(tmp, "protoc-called")
	// GORACE: a gctl built with -race would sleep a second before exiting
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=", "TMPDIR="+tmp, "PATH="+trapProtoc(t, called),
		"GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
	// a process group of its own, signalled as a whole below: what Ctrl-C in
	// a terminal does to the foreground job
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	waited := false
	defer func() {
		if !waited { // failed: gctl and its builds (the services die with gctl)
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	}()
	if _, err := poll(addr, "hello, ", 5*time.Minute); err != nil {
		t.Fatalf("%v\nlog:\n%s", err, out)
	}
	t.Logf("serving %s after the start", time.Since(began).Round(time.Millisecond))
	first := services(t, tmp)["hellorpc"]
	if first.pid == 0 {
		t.Fatalf("no hellorpc process runs from %s\nlog:\n%s", tmp, out)
	}

	proto := filepath.Join(dir, "api", "greeter", "v1", "greeter.proto")
	edit(t, proto, `    option (google.api.http) = {get: "/v1/hello/{name}"};
  }
`, `    option (google.api.http) = {get: "/v1/hello/{name}"};
  }

  // SayBye says goodbye, over HTTP as GET /v1/bye/{name}.
  rpc SayBye(SayByeRequest) returns (SayByeResponse) {
    option (google.api.http) = {get: "/v1/bye/{name}"};
  }
`)
	appendFile(t, proto, "\nmessage SayByeRequest {\n  string name = 1;\n}\n\nmessage SayByeResponse {\n  string message = 1;\n}\n")
	writeFile(t, filepath.Join(dir, "internal", "handler", "bye.go"), `package handler

import (
	"context"

	greeterv1 "hellorpc/api/greeter/v1"
)

// SayBye says goodbye to req.Name.
func (g *Greeter) SayBye(ctx context.Context, req *greeterv1.SayByeRequest) (*greeterv1.SayByeResponse, error) {
	return &greeterv1.SayByeResponse{Message: "bye, " + req.GetName()}, nil
}
`)
	took, err := get("http://"+addr+"/v1/bye/ann", `{"message":"bye, ann"}`, 30*time.Second)
	if err != nil {
		t.Fatalf("the new RPC's route: %v\nlog:\n%s", err, out)
	}
	t.Logf("the new RPC answered over HTTP %s after the save", took.Round(time.Millisecond))
	if _, err := os.Stat(called); err == nil {
		t.Error("gctl run called protoc")
	}
	for _, f := range []string{"greeter.pb.go", "greeter_grpc.pb.go", "greeter_http.gox.go"} {
		if b, err := os.ReadFile(filepath.Join(dir, "api", "greeter", "v1", f)); err != nil || !strings.Contains(string(b), "SayBye") {
			t.Errorf("%s was not regenerated with SayBye (%v)", f, err)
		}
	}

	mark := len(out.String())
	edit(t, proto, "message SayByeRequest {\n", "message SayByeRequest {\n  string oops = ;\n")
	line := 0
	for i, l := range strings.Split(readFile(t, proto), "\n") {
		if strings.Contains(l, "oops") {
			line = i + 1
		}
	}
	at := regexp.MustCompile(`api/greeter/v1/greeter\.proto:` + strconv.Itoa(line) + `:\d+: `)
	for deadline := time.Now().Add(time.Minute); !strings.Contains(out.String()[mark:], "the last good build keeps serving"); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no failure reported for the .proto syntax error\nlog:\n%s", out)
		}
	}
	if since := out.String()[mark:]; !at.MatchString(since) || !strings.Contains(since, "generating from .proto failed") {
		t.Errorf("the syntax error is not reported at greeter.proto:%d:\n%s", line, since)
	}
	if _, err := get("http://"+addr+"/v1/bye/bob", `{"message":"bye, bob"}`, time.Second); err != nil {
		t.Errorf("the last good process stopped answering after a .proto syntax error: %v\nlog:\n%s", err, out)
	}

	// the fix is generated, built and served again
	mark = len(out.String())
	edit(t, proto, "  string oops = ;\n", "")
	for deadline := time.Now().Add(time.Minute); !strings.Contains(out.String()[mark:], "gctl: rebuilt in "); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the fixed .proto was not rebuilt\nlog:\n%s", out)
		}
	}
	if _, err := get("http://"+addr+"/v1/bye/cy", `{"message":"bye, cy"}`, 10*time.Second); err != nil {
		t.Errorf("after the .proto was fixed: %v\nlog:\n%s", err, out)
	}

	running := services(t, tmp)
	stopped := time.Now()
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		waited = true
		if err != nil {
			t.Errorf("gctl run after SIGINT: %v\nlog:\n%s", err, out)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("gctl run did not exit within 30 s of SIGINT\nlog:\n%s", out)
	}
	t.Logf("stopped in %s", time.Since(stopped).Round(time.Millisecond))
	checkGone(t, tmp, map[string]proc{"first": first}, running)
	if _, err := http.Get("http://" + addr + "/v1/hello/ann"); err == nil {
		t.Error("the service still answers after gctl run exited")
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "gctl-run-*")); len(left) > 0 {
		t.Errorf("gctl run left its build directory: %v", left)
	}
	t.Logf("TestRunProtoChange took %s", time.Since(began).Round(time.Millisecond))
}

// TestRunStopsWhatTheServiceStarted: a service that runs a program of its
// own (a worker, a sidecar, sh -c) and leaves it when stopped. Started from
// a terminal without gctl, Ctrl-C reaches that program too (the foreground
// process group); under gctl run the service has a group of its own, so
// gctl must stop the group: on a restart and on Ctrl-C, or the program
// outlives gctl (holding its ports and files).
func TestRunStopsWhatTheServiceStarted(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a project")
	}
	dir := filepath.Join(t.TempDir(), "spawner")
	writeFile(t, filepath.Join(dir, "go.mod"), "module spawner\n\ngo 1.22\n")
	writeFile(t, filepath.Join(dir, "main.go"), `package main

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
)

func main() {
	// a worker that ignores SIGTERM and writes to the service's output
	worker := exec.Command("sh", "-c", "trap '' TERM; exec sleep 600")
	worker.Stdout, worker.Stderr = os.Stdout, os.Stderr
	if err := worker.Start(); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println("version 1: worker", worker.Process.Pid)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM)
	<-stop
	fmt.Println("stopped; the worker is left running")
}
`)
	bins := realDir(t, t.TempDir())
	out := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- devloop.Run(ctx, []string{dir}, devloop.Options{
			Env: []string{"GOWORK=off", "GOFLAGS="}, Out: out, StopTimeout: 10 * time.Second, TempDir: bins,
		})
	}()
	worker := func(version string) int {
		t.Helper()
		re := regexp.MustCompile(version + `: worker (\d+)`)
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
			if m := re.FindStringSubmatch(out.String()); m != nil {
				pid, _ := strconv.Atoi(m[1])
				t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) }) // should the test fail
				return pid
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %s started\nlog:\n%s", version, out)
			}
		}
	}
	first := worker("version 1")
	seen := []map[string]proc{services(t, bins)}
	edit(t, filepath.Join(dir, "main.go"), `"version 1: worker"`, `"version 2: worker"`)
	second := worker("version 2")
	if !gone(first) {
		t.Errorf("the worker of the first process (pid %d) outlived its restart\nlog:\n%s", first, out)
	}
	seen = append(seen, services(t, bins))
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("Run did not return within 30 s of the cancel\nlog:\n%s", out)
	}
	if !gone(second) {
		t.Errorf("the worker of the last process (pid %d) outlived gctl run\nlog:\n%s", second, out)
	}
	checkGone(t, bins, seen...)
}

// gone reports whether pid has stopped running (a zombie has) within 5 s:
// a process killed a moment ago may still be dying.
func gone(pid int) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return true
		}
		s := string(b)
		if f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]); len(f) > 0 && f[0] == "Z" {
			return true
		}
	}
	return false
}

// newProject renders a gctl new project of kind (no database, queue or
// cache: the quickest to build) named name, its listeners on free ports,
// and returns its directory and HTTP address.
func newProject(t *testing.T, kind, name string) (dir, addr string) {
	t.Helper()
	source := scaffold.FindSource("")
	if source == "" {
		t.Fatal("the test runs inside the gox checkout but FindSource found none")
	}
	dir = filepath.Join(t.TempDir(), name)
	o := scaffold.Options{Kind: kind, Name: name, DB: "none", Queue: "none", Cache: "none", Metric: "prom", Registry: "memory"}
	if _, err := scaffold.Render(o, dir, source, false); err != nil {
		t.Fatal(err)
	}
	tidy := exec.Command("go", "mod", "tidy")
	tidy.Dir, tidy.Env = dir, append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	if b, err := tidy.CombinedOutput(); err != nil {
		t.Fatalf("go mod tidy: %v\n%s", err, b)
	}
	addr = freeAddr(t)
	config := filepath.Join(dir, "config.yaml")
	edit(t, config, `addr: ":8080"`, `addr: "`+addr+`"`)
	if kind == scaffold.KindRPC {
		edit(t, config, `addr: ":9090"`, `addr: "`+freeAddr(t)+`"`)
	}
	return dir, addr
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

// buildGctl builds the gctl command into a temporary directory, with -race
// when this test binary has it (the packages the test compiled are reused).
func buildGctl(t *testing.T) string {
	t.Helper()
	start := time.Now()
	bin := filepath.Join(t.TempDir(), "gctl")
	args := []string{"build", "-o", bin}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-race" && s.Value == "true" {
				args = append(args, "-race")
			}
		}
	}
	b, err := exec.Command("go", append(args, "github.com/goxkit/gox/cmd/gctl")...).CombinedOutput()
	if err != nil {
		t.Fatalf("go build gctl: %v\n%s", err, b)
	}
	t.Logf("gctl built in %s", time.Since(start).Round(time.Millisecond))
	return bin
}

// trapProtoc returns $PATH with a directory first whose protoc fails and
// creates the file called: gctl gen proto needs no protoc, and one on the
// machine must not be used. (Dropping the directories holding protoc would
// drop /usr/bin, and the C compiler with it: builds without cgo would miss
// the build cache and take minutes.)
func trapProtoc(t *testing.T, called string) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "protoc"), "#!/bin/sh\ntouch '"+called+"'\necho 'protoc must not be needed' >&2\nexit 1\n")
	if err := os.Chmod(filepath.Join(dir, "protoc"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir + string(filepath.ListSeparator) + os.Getenv("PATH")
}

// get asks url until the body is want, and says how long that took.
func get(url, want string, within time.Duration) (time.Duration, error) {
	start := time.Now()
	c := &http.Client{Timeout: time.Second}
	last := "no answer"
	for time.Since(start) < within {
		if resp, err := c.Get(url); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.TrimSpace(string(b)) == want {
				return time.Since(start), nil
			}
			last = resp.Status + " " + string(b)
		} else {
			last = err.Error()
		}
		time.Sleep(20 * time.Millisecond) // polling a real server, not waiting for time
	}
	return 0, fmt.Errorf("GET %s: no %s within %s; last: %s", url, want, within, last)
}

// checkPrefixes asserts that every line of out starts with one of the
// prefixes, and that each service wrote lines of its own (not only gctl's).
func checkPrefixes(t *testing.T, out string, prefixes map[string]string) {
	t.Helper()
	own := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		found := false
		for name, p := range prefixes {
			if rest, ok := strings.CutPrefix(l, p); ok {
				found = true
				own[name] = own[name] || !strings.HasPrefix(rest, "gctl: ")
			}
		}
		if !found {
			t.Errorf("a line without a service's prefix: %q", l)
		}
	}
	for name := range prefixes {
		if !own[name] {
			t.Errorf("no line of %s's own output in:\n%s", name, out)
		}
	}
}

// proc is a service process found under /proc.
type proc struct{ pid, pgid int }

func realDir(t *testing.T, dir string) string {
	t.Helper()
	d, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// services lists the processes whose executable lies under root (the
// binaries gctl run builds), by the executable's name.
func services(t *testing.T, root string) map[string]proc {
	t.Helper()
	found := map[string]proc{}
	for _, p := range allProcs(t) {
		exe, err := os.Readlink("/proc/" + strconv.Itoa(p.pid) + "/exe")
		if err != nil || !strings.HasPrefix(exe, root+string(filepath.Separator)) {
			continue
		}
		found[filepath.Base(strings.TrimSuffix(exe, " (deleted)"))] = p
	}
	return found
}

// allProcs reads the pid and process group of every process.
func allProcs(t *testing.T) []proc {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var ps []proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // exited meanwhile
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) < 3 || f[0] == "Z" {
			continue
		}
		pgid, _ := strconv.Atoi(f[2])
		ps = append(ps, proc{pid: pid, pgid: pgid})
	}
	return ps
}

// checkGone asserts that no process runs a binary under root any more and
// that none is left in the process groups of the services seen. A process
// killed a moment ago may still be dying: it is given 5 s.
func checkGone(t *testing.T, root string, seen ...map[string]proc) {
	t.Helper()
	groups := map[int]bool{}
	for _, m := range seen {
		for _, p := range m {
			groups[p.pgid] = true
		}
	}
	var left []string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		left = nil
		for name, p := range services(t, root) {
			left = append(left, fmt.Sprintf("service %s (pid %d)", name, p.pid))
		}
		for _, p := range allProcs(t) {
			if groups[p.pgid] {
				left = append(left, fmt.Sprintf("process %d in a service's process group %d", p.pid, p.pgid))
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
	}
	for _, l := range left {
		t.Errorf("still running: %s", l)
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, name, content string) {
	t.Helper()
	f, err := os.OpenFile(name, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteString(content)
	if err = errors.Join(err, f.Close()); err != nil {
		t.Fatal(err)
	}
}
