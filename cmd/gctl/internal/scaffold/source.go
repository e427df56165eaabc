package scaffold

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// CoreModule is the module path of gox core.
const CoreModule = "github.com/goxkit/gox"

// FindSource returns the root of the gox source checkout gctl runs from, or ""
// when it is not run from one. explicit (the --gox-source flag or GOX_SOURCE)
// wins; otherwise the path this file was compiled from is tried, which holds
// for `go run ./cmd/gctl` and `go build` in a checkout (not with -trimpath).
func FindSource(explicit string) string {
	candidates := []string{explicit, os.Getenv("GOX_SOURCE")}
	if _, file, _, ok := runtime.Caller(0); ok {
		// file is <root>/cmd/gctl/internal/scaffold/source.go
		candidates = append(candidates, filepath.Join(filepath.Dir(file), "..", "..", "..", ".."))
	}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if abs, err := filepath.Abs(c); err == nil && modulePath(filepath.Join(abs, "go.mod")) == CoreModule {
			return abs
		}
	}
	return ""
}

func modulePath(gomod string) string {
	f, err := os.Open(gomod)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.TrimSpace(rest)
		}
	}
	return ""
}
