package email

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/goxkit/gox/report"
)

// maxStackLines bounds the stack read for a fingerprint (and shown in an
// email): a deep recursion does not make a huge key or a huge email.
const maxStackLines = 200

// fingerprint names a report's group: identical failures — the same code,
// operation and stack, once the stack is rid of what differs between two
// goroutines failing at the same place — share it.
func fingerprint(r *report.Report) string {
	h := sha256.New()
	h.Write([]byte(strconv.Itoa(r.Code)))
	h.Write([]byte{0})
	h.Write([]byte(r.Operation))
	h.Write([]byte{0})
	h.Write([]byte(normalizeStack(r.Stack)))
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// normalizeStack keeps a stack's functions and file:line positions and
// drops what changes from one goroutine to the next: the "goroutine N
// [running]:" header, argument values (pointers, lengths), the "+0x1d" pc
// offsets, "in goroutine N" of "created by" lines, and any other hex
// address. It reads both runtime.Stack's text and gox errors' Stack.
func normalizeStack(s string) string {
	var b strings.Builder
	n := 0
	for line := range strings.Lines(s) {
		line = normalizeLine(line)
		if line == "" {
			continue
		}
		if n++; n > maxStackLines {
			break
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// normalizeLine normalizes one line of a stack until nothing changes
// (each step shortens it), so that normalizing twice changes nothing. It
// returns "" for a line to drop.
func normalizeLine(line string) string {
	for {
		prev := line
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "goroutine ") && strings.HasSuffix(line, ":") {
			return ""
		}
		if i := strings.Index(line, " in goroutine "); i >= 0 && strings.HasPrefix(line, "created by ") {
			line = line[:i]
		}
		if i := strings.LastIndex(line, " +0x"); i >= 0 {
			line = line[:i]
		}
		if strings.HasSuffix(line, ")") { // main.f(0xc000012345, 0x3): the arguments
			if i := strings.LastIndexByte(line, '('); i > 0 {
				line = line[:i]
			}
		}
		line = stripHex(line)
		if line == prev {
			return line
		}
	}
}

// stripHex replaces every 0x-number with "0x".
func stripHex(s string) string {
	if !strings.Contains(s, "0x") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '0' && i+1 < len(s) && s[i+1] == 'x' {
			b.WriteString("0x")
			i += 2
			for i < len(s) && isHex(s[i]) {
				i++
			}
			i--
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }
