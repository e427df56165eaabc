package errors

import (
	"runtime"
	"strconv"
	"strings"
)

const maxDepth = 32

// stack is a list of program counters, resolved to text only when asked, so
// making an error costs one runtime.Callers.
type stack []uintptr

func callers(skip int) stack {
	var pcs [maxDepth]uintptr
	n := runtime.Callers(skip, pcs[:])
	return stack(append([]uintptr(nil), pcs[:n]...))
}

func (s stack) String() string {
	if len(s) == 0 {
		return ""
	}
	var b strings.Builder
	frames := runtime.CallersFrames(s)
	for {
		f, more := frames.Next()
		b.WriteString(f.Function)
		b.WriteString("\n\t")
		b.WriteString(f.File)
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(f.Line))
		b.WriteByte('\n')
		if !more {
			return b.String()
		}
	}
}
