package deploy

import (
	"context"
	"debug/elf"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/goxkit/gox/cmd/gctl/internal/scaffold"
)

// TestBuildStageWithoutDocker runs what the Dockerfile's build stage runs,
// without Docker: the go build command line is read from the rendered
// Dockerfile of a scaffolded project (only its -o moves to a temp dir and
// GOARCH follows this machine), and the binary it makes must be static
// (distroless/static has no libc), report the version passed as
// VERSION, and serve /readyz.
func TestBuildStageWithoutDocker(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a scaffolded project")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the image is linux; debug/elf checks a linux binary")
	}
	source := scaffold.FindSource("")
	if source == "" {
		t.Fatal("the test runs inside the gox checkout but FindSource found none")
	}
	dir := filepath.Join(t.TempDir(), "hello")
	o := scaffold.Options{Kind: "api", Name: "example.com/hello", DB: "none", Queue: "none", Cache: "none", Metric: "prom", Registry: "memory"}
	if _, err := scaffold.Render(o, dir, source, false); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	tidy := exec.Command("go", "mod", "tidy")
	tidy.Dir, tidy.Env = dir, env
	if b, err := tidy.CombinedOutput(); err != nil {
		t.Fatalf("go mod tidy: %v\n%s", err, b)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cfg := filepath.Join(dir, "config.yaml")
	b, _ := os.ReadFile(cfg)
	if err := os.WriteFile(cfg, []byte(strings.Replace(string(b), `addr: ":8080"`, `addr: "`+addr+`"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}

	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	files, err := Render(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Write(p.Dir, files); err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(filepath.Join(dir, "deploy", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), p.Binary)
	build := buildCommand(t, string(text), map[string]string{"TARGETARCH": runtime.GOARCH, "VERSION": "v1.2.3-docker"}, bin)
	build.Dir, build.Env = dir, append(env, build.Env...)
	t.Logf("running the build stage's command: %s %v", strings.Join(build.Env[len(env):], " "), build.Args)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("the Dockerfile's go build fails: %v\n%s", err, out)
	}
	assertStatic(t, bin)

	version, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil || !strings.Contains(string(version), "v1.2.3-docker") {
		t.Errorf("--version says %q (%v), want the VERSION build arg", version, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	serve := exec.CommandContext(ctx, bin, "serve") // the image's ENTRYPOINT and CMD, in its WORKDIR's layout
	serve.Dir, serve.Cancel = dir, func() error { return serve.Process.Signal(syscall.SIGTERM) }
	var log strings.Builder
	serve.Stdout, serve.Stderr = &log, &log
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		serve.Process.Signal(syscall.SIGTERM)
		serve.Wait()
	}()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz did not answer 200 within a minute (last: %v)\n%s", err, log.String())
		}
	}
}

// buildCommand returns the go build of the Dockerfile's build stage: the
// RUN that holds it, its --mount flags dropped, its leading VAR=value
// assignments as the environment, $VAR and ${VAR} expanded from the
// stage's ARG defaults overridden by args, and -o redirected to out.
func buildCommand(t *testing.T, dockerfile string, args map[string]string, out string) *exec.Cmd {
	t.Helper()
	stages, err := parseDockerfile(dockerfile)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	run := ""
	for _, in := range stages[0].instructions {
		switch in.cmd {
		case "ARG":
			name, def, _ := strings.Cut(in.args, "=")
			vars[name] = def
		case "RUN":
			if strings.Contains(in.args, "go build") {
				run = in.args
			}
		}
	}
	if run == "" {
		t.Fatalf("no go build in the build stage:\n%s", dockerfile)
	}
	for k, v := range args {
		if _, ok := vars[k]; !ok {
			t.Fatalf("the build stage has no ARG %s", k)
		}
		vars[k] = v
	}
	words, err := shellWords(os.Expand(run, func(k string) string { return vars[k] }))
	if err != nil {
		t.Fatal(err)
	}
	for len(words) > 0 && strings.HasPrefix(words[0], "--mount=") {
		words = words[1:]
	}
	var env []string
	for len(words) > 0 && strings.Contains(words[0], "=") && !strings.HasPrefix(words[0], "-") {
		env, words = append(env, words[0]), words[1:]
	}
	if len(words) < 2 || words[0] != "go" || words[1] != "build" {
		t.Fatalf("the RUN is not a single go build: %s", run)
	}
	for i, w := range words {
		if w == "-o" && i+1 < len(words) {
			words[i+1] = out
		}
	}
	cmd := exec.Command(words[0], words[1:]...)
	cmd.Env = env
	return cmd
}

// assertStatic fails unless bin is a statically linked ELF executable: no
// interpreter (the dynamic loader) and no dynamic section.
func assertStatic(t *testing.T, bin string) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP || prog.Type == elf.PT_DYNAMIC {
			t.Errorf("%s is dynamically linked (%s segment): it will not start on distroless/static", bin, prog.Type)
		}
	}
	if s := f.Section(".dynamic"); s != nil {
		t.Errorf("%s has a .dynamic section", bin)
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("%s needs %s", bin, fmt.Sprint(libs))
	}
}
