package deploycheck

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// TestServePodContainersRun runs the other containers of the SQLite
// project's serve pod (its consumers and the migrate initContainer share
// the pod, and so the database file) as the kubelet would, next to the
// running serve, with the ConfigMap's config.yaml and the Secret's
// variable: db migrate exits 0; each consumer starts (gox logs
// "started") and, on SIGTERM, stops cleanly within app.stop_timeout.
func TestServePodContainersRun(t *testing.T) {
	p, objs := render(t, valueSets[1]) // existingSecret set
	c := serveContainer(t, objs)
	configPath, _ := splitArgs(c)
	var configText string
	for _, cm := range byKind[*corev1.ConfigMap](objs) {
		if cm.Name == p.Binary {
			configText = cm.Data["config.yaml"]
		}
	}
	env := []string{"MANAGEMENT_PASSWORD=from-the-secret"}
	mountArgs := func(c corev1.Container) func(string) []string {
		return func(mount string) []string {
			var args []string
			for _, a := range c.Args {
				args = append(args, strings.ReplaceAll(a, path.Dir(configPath), mount))
			}
			return args
		}
	}
	serveBinary(t, configText, mountArgs(c), env) // writes the mount and the working directory
	bin := binary(t)
	mount, work := filepath.Join(root, "serve", "mount"), filepath.Join(root, "serve", "app")
	cfg, err := parseServiceConfig(configText)
	if err != nil {
		t.Fatal(err)
	}
	var podSpec *corev1.PodSpec
	for _, pd := range pods(objs) {
		if slices0(pd.spec.Containers, isServe) {
			podSpec = &pd.spec
		}
	}
	if podSpec == nil || len(podSpec.Containers) < 2 {
		t.Fatalf("the SQLite project's serve pod has no consumer containers: %+v", podSpec)
	}
	for _, ic := range podSpec.InitContainers {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, bin, mountArgs(ic)(mount)...)
		cmd.Dir, cmd.Env = work, append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			t.Errorf("initContainer %s (%v): %v\n%s", ic.Name, ic.Args, err, out)
		}
	}
	for _, cc := range podSpec.Containers {
		if isServe(cc) {
			continue
		}
		t.Run(cc.Name, func(t *testing.T) {
			log := &syncWriter{b: &strings.Builder{}}
			cmd := exec.Command(bin, mountArgs(cc)(mount)...)
			cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = work, append(os.Environ(), env...), log, log
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			started := false
			for deadline := time.Now().Add(time.Minute); !started && time.Now().Before(deadline); {
				select {
				case err := <-exited:
					t.Fatalf("%v exited before it started: %v\n%s", cc.Args, err, log.String())
				case <-time.After(50 * time.Millisecond):
				}
				started = appStarted.MatchString(log.String())
			}
			if !started {
				cmd.Process.Kill()
				<-exited
				t.Fatalf("%v logged no \"started\" within a minute:\n%s", cc.Args, log.String())
			}
			cmd.Process.Signal(syscall.SIGTERM)
			select {
			case err := <-exited:
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					t.Errorf("%v exits %v on SIGTERM, want 0:\n%s", cc.Args, err, log.String())
				}
			case <-time.After(cfg.stopTimeout + 5*time.Second):
				cmd.Process.Kill()
				<-exited
				t.Errorf("%v did not stop within app.stop_timeout %s of SIGTERM:\n%s", cc.Args, cfg.stopTimeout, log.String())
			}
		})
	}
}

// appStarted is gox's App log line once every server started (console
// or JSON format); a consumer's own "consumer started" comes before it.
var appStarted = regexp.MustCompile(`\tstarted\t|"msg":"started"`)

func slices0(cs []corev1.Container, f func(corev1.Container) bool) bool {
	for _, c := range cs {
		if f(c) {
			return true
		}
	}
	return false
}
