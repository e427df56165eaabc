package main

import (
	"context"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v3"

	"github.com/goxkit/gox/cmd/gctl/internal/devloop"
)

// runCommand is `gctl run`: the services in the given directories, rebuilt
// and restarted when their sources change (live reload).
func runCommand() *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "run services and rebuild and restart them when their sources change (live reload)",
		ArgsUsage: "[dir ...]",
		Description: "Builds each project (default: the current directory) with go build and runs it. Saving a Go file,\n" +
			"a template, an embedded .sql file or go.mod rebuilds it while the running process keeps serving, then\n" +
			"stops that process gracefully (SIGTERM, killed after --stop-timeout) and starts the new one. A build\n" +
			"error is printed and the last good process keeps serving. A .proto change runs gctl gen proto first.\n" +
			"A change to config.yaml alone restarts nothing: the service's own watcher applies it. Several\n" +
			"directories run several services, each line prefixed with the service's name. Ctrl-C stops them all.\n" +
			"Colours only on a terminal and without NO_COLOR. See docs/dev-loop.md.",
		Flags: []cli.Flag{
			&cli.DurationFlag{Name: "debounce", Value: devloop.DefaultDebounce, Usage: "quiet `time` after the last change before rebuilding"},
			&cli.DurationFlag{Name: "stop-timeout", Value: devloop.DefaultStopTimeout, Usage: "`time` the old process has to stop after SIGTERM before it is killed (keep it above the service's app.stop_timeout to see it drain)"},
			&cli.StringSliceFlag{Name: "build-flag", Value: devloop.DefaultBuildFlags, Usage: "a `flag` of go build, repeated for several; the default leaves out the symbols a debugger needs, halving the link"},
			&cli.StringSliceFlag{Name: "arg", Usage: "an `argument` of the service binary, repeated for several (default none: a gox service serves)"},
		},
		Action: func(ctx context.Context, c *cli.Command) error {
			ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
			defer stop()
			go func() { <-ctx.Done(); stop() }() // a second Ctrl-C kills gctl at once
			w := c.Root().Writer
			return devloop.Run(ctx, c.Args().Slice(), devloop.Options{
				Debounce: c.Duration("debounce"), StopTimeout: c.Duration("stop-timeout"), Args: c.StringSlice("arg"),
				BuildFlags: c.StringSlice("build-flag"),
				Generate:   genProtoIn, Out: w, Colour: devloop.UseColour(w),
			})
		},
	}
}

// genProtoIn runs this gctl's `gen proto` in dir, the way make proto does.
func genProtoIn(ctx context.Context, dir string, env []string) ([]byte, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self, "gen", "proto")
	cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
	return cmd.CombinedOutput()
}
