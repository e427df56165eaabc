package pyroscope

import (
	"runtime"
	"strings"
)

// goroutinesOf counts the goroutines whose stack mentions pkg.
func goroutinesOf(pkg string) int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		if strings.Contains(g, pkg) {
			n++
		}
	}
	return n
}
