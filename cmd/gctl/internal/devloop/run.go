package devloop

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/mod/modfile"
)

// Run runs the projects in dirs until ctx ends, each rebuilt and restarted
// when its sources change, then stops them all gracefully and removes the
// binaries. It fails at once, starting nothing, when a directory is not a
// Go module with a main package at its root.
func Run(ctx context.Context, dirs []string, opts Options) error {
	opts.defaults()
	if len(dirs) == 0 {
		dirs = []string{"."}
	}
	names := make([]string, len(dirs))
	abs := make([]string, len(dirs))
	for i, d := range dirs {
		a, name, err := project(d)
		if err != nil {
			return err
		}
		abs[i], names[i] = a, name
	}
	names = unique(names)
	tmp := opts.TempDir
	if tmp == "" {
		t, err := os.MkdirTemp("", "gctl-run-")
		if err != nil {
			return fmt.Errorf("gctl run: temporary directory for the builds: %w", err)
		}
		defer os.RemoveAll(t)
		tmp = t
	}
	con := &console{w: opts.Out}
	for _, n := range names {
		con.pad = max(con.pad, len(n))
	}
	var wg sync.WaitGroup
	errs := make([]error, len(dirs))
	for i := range dirs {
		colour := ""
		if opts.Colour {
			colour = colours[i%len(colours)]
		}
		w := con.writer(names[i], colour)
		s := newService(names[i], abs[i], filepath.Join(tmp, names[i]), opts, w, w)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.run(ctx); err != nil {
				errs[i] = fmt.Errorf("%s: %w", names[i], err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// project checks that dir holds a Go module with a main package and returns
// its absolute path and the name of its binary (the module path's last
// element).
func project(dir string) (abs, name string, err error) {
	abs, err = filepath.Abs(dir)
	if err != nil {
		return "", "", fmt.Errorf("gctl run %s: %w", dir, err)
	}
	b, err := os.ReadFile(filepath.Join(abs, "go.mod"))
	if err != nil {
		return "", "", fmt.Errorf("gctl run %s: not a Go project: no go.mod there (gctl run takes the directories of services, such as those gctl new writes): %w", dir, err)
	}
	mod := modfile.ModulePath(b)
	if mod == "" {
		return "", "", fmt.Errorf("gctl run %s: go.mod has no module line", dir)
	}
	if _, err := os.Stat(filepath.Join(abs, "main.go")); err != nil {
		return "", "", fmt.Errorf("gctl run %s: no main.go at the module root (gctl run builds the package in the directory it is given)", dir)
	}
	return abs, binaryName(mod), nil
}

// binaryName is what go build names a module's binary: its last path
// element, the one before a major version suffix (shop for example.com/shop/v2).
func binaryName(mod string) string {
	elems := strings.Split(mod, "/")
	n := elems[len(elems)-1]
	if len(elems) > 1 && len(n) > 1 && n[0] == 'v' && strings.Trim(n[1:], "0123456789") == "" {
		n = elems[len(elems)-2]
	}
	return n
}

// unique gives services of the same name distinct prefixes: shop, shop-2.
func unique(names []string) []string {
	seen := map[string]int{}
	out := make([]string, len(names))
	for i, n := range names {
		seen[n]++
		if seen[n] > 1 {
			n = fmt.Sprintf("%s-%d", n, seen[n])
		}
		out[i] = n
	}
	return out
}
