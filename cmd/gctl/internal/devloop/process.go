package devloop

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"
)

// waitDelay is how long the output of what a stopped service started is
// still read before that is killed (see killGroup).
const waitDelay = time.Second

// proc is a running service process.
type proc interface {
	// Stop asks the process to stop (SIGTERM), waits up to timeout for it to
	// exit, then kills it. It returns once the process has exited and says
	// whether it had to be killed.
	Stop(timeout time.Duration) (killed bool)
	// Done is closed when the process has exited; Err then says how.
	Done() <-chan struct{}
	Err() error
}

type process struct {
	cmd   *exec.Cmd
	done  chan struct{}
	err   error
	clock Clock
}

// startProcess runs bin in dir with args, its output to stdout and stderr.
func startProcess(bin, dir string, args, env []string, stdout, stderr io.Writer, clock Clock) (*process, error) {
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, stdout, stderr
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = sysProcAttr()
	// Wait returns once the output is closed, and what the service started
	// may hold it open: give that waitDelay after the service exited.
	cmd.WaitDelay = waitDelay
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{}), clock: clock}
	go func() {
		err := cmd.Wait()
		if errors.Is(err, exec.ErrWaitDelay) {
			err = nil // it exited with status 0; what it left running held the output
		}
		p.err = err
		killGroup(cmd.Process.Pid) // what it started and left running
		close(p.done)
	}()
	return p, nil
}

func (p *process) Done() <-chan struct{} { return p.done }

func (p *process) Err() error {
	select {
	case <-p.done:
		return p.err
	default:
		return nil
	}
}

func (p *process) Stop(timeout time.Duration) bool {
	select {
	case <-p.done:
		return false
	default:
	}
	if err := terminate(p.cmd.Process); err != nil && !errors.Is(err, os.ErrProcessDone) {
		_ = p.cmd.Process.Kill()
		<-p.done
		return true
	}
	select {
	case <-p.done:
		return false
	case <-p.clock.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		return true
	}
}
