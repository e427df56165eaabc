package goxtest

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// replicaEnv marks a test binary started by StartReplicas.
const replicaEnv = "GOX_TEST_REPLICA"

// StartReplicas runs n copies of the test binary, with env added to their
// environment, as the replicas of a rollout starting at the same instant:
// each is held until all have started, then all are released at once. It
// waits for them and fails t naming every replica that did not exit 0,
// with its output. The test binary's TestMain calls RunAsReplica first.
func StartReplicas(t testing.TB, n int, env ...string) {
	t.Helper()
	cmds := make([]*exec.Cmd, n)
	outs := make([]*bytes.Buffer, n)
	gates := make([]io.Closer, n)
	for i := range cmds {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(append(os.Environ(), replicaEnv+"=1"), env...)
		outs[i] = &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = outs[i], outs[i]
		gate, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i], gates[i] = cmd, gate
	}
	for _, g := range gates {
		_ = g.Close() // go: every replica's stdin ends at once
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("replica %d of %d failed to start (%v): %s", i+1, n, err, strings.TrimSpace(outs[i].String()))
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// RunAsReplica, called first in TestMain, returns at once unless the binary
// was started by StartReplicas; then it waits for the release, runs start
// and exits: 0 when start returns nil, else 1 after printing the error.
func RunAsReplica(start func() error) {
	if os.Getenv(replicaEnv) == "" {
		return
	}
	_, _ = io.Copy(io.Discard, os.Stdin) // held until StartReplicas closes it
	if err := start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}
