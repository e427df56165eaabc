package sentry

import (
	"runtime"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/getsentry/sentry-go"
)

// maxFrames bounds the frames taken from one stack: the innermost ones are
// kept. A goroutine's stack is rarely deeper; Sentry shows no more.
const maxFrames = 200

// frame is one call of a stack written as text.
type frame struct {
	function string // as written, package path included: "github.com/acme/svc.(*T).Get"
	file     string
	line     int
}

// parseStack reads the frames of a stack written as text, innermost first:
// the first goroutine of runtime.Stack (and of a crash's output) or the
// lines of gox's errors.Error.Stack, which is the same format without the
// goroutine header, the arguments and the program counter offsets:
//
//	goroutine 7 [running]:
//	main.handler({0x4b2c3d, 0x5})
//		/src/main.go:12 +0x1d
//	created by net/http.(*Server).Serve in goroutine 1
//		/usr/lib/go/src/net/http/server.go:3454 +0x485
//
// The text comes from outside the process as far as the parser knows (a
// report built by any code), so anything is accepted: a line that is not a
// function or its location is skipped, a location whose line number does not
// parse is kept whole as the file, and at most maxFrames frames are read.
func parseStack(s string) []frame {
	var frames []frame
	pending := false // frames' last entry has a function and waits for its location
	for len(s) > 0 && len(frames) < maxFrames {
		line, rest, _ := strings.Cut(s, "\n")
		s = rest
		switch {
		case line == "" || strings.TrimSpace(line) == "":
			pending = false
		case line[0] == '\t' || line[0] == ' ':
			if !pending {
				continue
			}
			pending = false
			f := &frames[len(frames)-1]
			f.file, f.line = parseLocation(line)
		case strings.HasPrefix(line, "goroutine "):
			if len(frames) > 0 {
				return frames // the next goroutine's: one stack is reported
			}
			pending = false
		default:
			name := functionName(line)
			if name == "" {
				pending = false
				continue
			}
			frames = append(frames, frame{function: name})
			pending = true
		}
	}
	return frames
}

// functionName is the function of a line naming one ("pkg.F(0x1, {0x2})",
// "pkg.(*T).M(...)", "pkg.F" as errors.Error.Stack writes it, "created by
// pkg.G in goroutine 1"), or "" when the line names none.
func functionName(line string) string {
	line = strings.TrimRightFunc(line, unicode.IsSpace)
	if rest, ok := strings.CutPrefix(line, "created by "); ok {
		line = rest
		if i := strings.LastIndex(line, " in goroutine "); i >= 0 {
			line = line[:i]
		}
	}
	if strings.HasPrefix(line, "...") { // "...additional frames elided..."
		return ""
	}
	// the arguments: from the parenthesis matching the last one
	if strings.HasSuffix(line, ")") {
		depth := 0
	scan:
		for i := len(line) - 1; i >= 0; i-- {
			switch line[i] {
			case ')':
				depth++
			case '(':
				if depth--; depth == 0 {
					line = line[:i]
					break scan
				}
			}
		}
	}
	if line == "" || strings.IndexFunc(line, unicode.IsSpace) >= 0 {
		return "" // "panic: boom", "[originating from goroutine 1]:": no function is named with a space
	}
	return line
}

// parseLocation reads "\t/src/main.go:12 +0x1d" (or without the offset).
// A line number that does not parse, or is negative, leaves the text whole
// as the file and the line 0.
func parseLocation(line string) (file string, n int) {
	line = strings.TrimSpace(line)
	if i := strings.Index(line, " +0x"); i >= 0 {
		line = strings.TrimSpace(line[:i])
	}
	i := strings.LastIndexByte(line, ':')
	if i < 0 {
		return line, 0
	}
	n, err := strconv.Atoi(line[i+1:])
	if err != nil || n < 0 {
		return line, 0
	}
	return line[:i], n
}

// stacktrace turns the text of a stack into Sentry's frames, oldest call
// first as Sentry wants them. A recovered panic's stack starts with the
// code that recovered it: the frames down to the panic call are left out,
// so the last frame is where the panic happened. The runtime's own frames
// (runtime.gopanic, runtime.sigpanic ...) are left out as sentry-go leaves
// them out of the stacks it takes itself.
func stacktrace(s string) *sentry.Stacktrace {
	frames := parseStack(s)
	for i, f := range frames {
		if f.function == "panic" || f.function == "runtime.gopanic" {
			frames = frames[i+1:]
			break
		}
	}
	out := make([]sentry.Frame, 0, len(frames))
	for _, f := range slices.Backward(frames) {
		if strings.HasPrefix(f.function, "runtime.") && !strings.Contains(f.function, "/") {
			continue
		}
		out = append(out, sentry.NewFrame(runtime.Frame{Function: f.function, File: f.file, Line: f.line}))
	}
	if len(out) == 0 {
		return nil
	}
	return &sentry.Stacktrace{Frames: out}
}
