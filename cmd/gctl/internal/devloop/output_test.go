package devloop

import (
	"bytes"
	"strings"
	"testing"
)

func TestPrefixedLines(t *testing.T) {
	var out bytes.Buffer
	con := &console{w: &out, pad: len("svc-a")}
	a, b := con.writer("svc-a", ""), con.writer("b", "36")
	_, _ = a.Write([]byte("one\ntw"))
	_, _ = b.Write([]byte("x\n"))
	_, _ = a.Write([]byte("o\nthree"))
	a.Flush()
	want := "svc-a | one\n\x1b[36mb     | \x1b[0mx\nsvc-a | two\nsvc-a | three\n"
	if out.String() != want {
		t.Fatalf("got %q\nwant %q", out.String(), want)
	}
}

func TestUseColour(t *testing.T) {
	t.Setenv("NO_COLOR", "")
	if UseColour(&bytes.Buffer{}) {
		t.Fatal("colour on a buffer")
	}
	t.Setenv("NO_COLOR", "1")
	if UseColour(nil) {
		t.Fatal("colour with NO_COLOR")
	}
}

// FuzzPrefixed: whatever a service writes, in whatever pieces, comes out
// as the same bytes, each line prefixed, no line longer than the bound.
func FuzzPrefixed(f *testing.F) {
	f.Add([]byte("hello\nworld"), uint8(3))
	f.Add([]byte("\n\n\x1b[31mred\x1b[0m\n"), uint8(1))
	f.Add(bytes.Repeat([]byte("a"), maxLine+5), uint8(200))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		var out bytes.Buffer
		con := &console{w: &out}
		w := con.writer("s", "")
		step := int(chunk) + 1
		for i := 0; i < len(data); i += step {
			_, _ = w.Write(data[i:min(i+step, len(data))])
		}
		w.Flush()
		var got []byte
		for _, line := range strings.SplitAfter(out.String(), "\n") {
			if line == "" {
				continue
			}
			rest, ok := strings.CutPrefix(line, "s | ")
			if !ok || !strings.HasSuffix(line, "\n") || len(rest) > maxLine+1 { // a cut piece gains a newline
				t.Fatalf("line %.80q (%d bytes)", line, len(line))
			}
			got = append(got, rest...)
		}
		// a flushed partial line gains the newline it lacked, and a line cut
		// at the bound gains one where it was cut
		if norm := bytes.ReplaceAll(got, []byte("\n"), nil); !bytes.Equal(norm, bytes.ReplaceAll(data, []byte("\n"), nil)) {
			t.Fatalf("bytes lost or changed")
		}
	})
}
