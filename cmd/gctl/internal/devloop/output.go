package devloop

import (
	"bytes"
	"io"
	"os"
	"sync"
)

// maxLine bounds a partial line a prefixed writer holds: a service writing
// megabytes without a newline is cut into lines of this size.
const maxLine = 64 << 10

// colours are ANSI foreground colours given to services in turn.
var colours = []string{"36", "35", "33", "32", "34", "31"}

// console serializes the lines of every service onto one writer.
type console struct {
	mu  sync.Mutex
	w   io.Writer
	pad int // width of the widest name, so the output lines up
}

// prefixed is an io.Writer that writes whole lines to the console, each
// starting with the service's (coloured) name.
type prefixed struct {
	c      *console
	prefix []byte
	mu     sync.Mutex
	buf    []byte
}

func (c *console) writer(name string, colour string) *prefixed {
	p := name + " "
	for len(p) < c.pad+1 {
		p += " "
	}
	p += "| "
	if colour != "" {
		p = "\x1b[" + colour + "m" + p + "\x1b[0m"
	}
	return &prefixed{c: c, prefix: []byte(p)}
}

func (p *prefixed) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(b)
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 && len(p.buf) < maxLine {
			break
		}
		if i < 0 {
			i = maxLine - 1
		}
		if err := p.line(p.buf[:i+1]); err != nil {
			return n, err
		}
		p.buf = p.buf[i+1:]
	}
	if len(p.buf) == 0 {
		p.buf = nil // let a large burst's array go
	}
	return n, nil
}

// Flush writes what is left of a line that did not end (a process that
// died mid-line).
func (p *prefixed) Flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.buf) > 0 {
		_ = p.line(append(p.buf, '\n'))
		p.buf = nil
	}
}

func (p *prefixed) line(l []byte) error {
	p.c.mu.Lock()
	defer p.c.mu.Unlock()
	if l[len(l)-1] != '\n' {
		l = append(l[:len(l):len(l)], '\n')
	}
	_, err := p.c.w.Write(append(p.prefix[:len(p.prefix):len(p.prefix)], l...))
	return err
}

// UseColour reports whether output to w should be coloured: w is a
// terminal and NO_COLOR (https://no-color.org) is unset or empty.
func UseColour(w io.Writer) bool {
	if os.Getenv("NO_COLOR") != "" {
		return false
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
