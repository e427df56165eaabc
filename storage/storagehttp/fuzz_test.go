package storagehttp

import (
	"net/http"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzRange checks the Range parser on any header: a range it accepts lies
// within the object and is never empty.
func FuzzRange(f *testing.F) {
	for _, s := range []string{"bytes=0-0", "bytes=5-", "bytes=-3", "bytes=1-2,4-5", "bytes=9-1", "bytes=-0", "bytes=99999999999999999999-", "items=1-2", "bytes= 1 - 2"} {
		f.Add(s, int64(10))
	}
	f.Fuzz(func(t *testing.T, header string, size int64) {
		if size < 0 {
			size = -size
		}
		if size < 0 {
			return
		}
		r, _ := http.NewRequest("GET", "/", nil)
		r.Header.Set("Range", header)
		off, n, partial, err := requestedRange(r, `"e"`, size)
		switch {
		case err != nil:
			return
		case !partial:
			if off != 0 || n != size {
				t.Fatalf("%q on %d bytes: whole object as %d+%d", header, size, off, n)
			}
		case off < 0 || n <= 0 || off+n > size:
			t.Fatalf("%q on %d bytes: range %d+%d out of the object", header, size, off, n)
		}
	})
}

// FuzzSafeFilename checks that any name comes out fit for a header.
func FuzzSafeFilename(f *testing.F) {
	for _, s := range []string{"a.txt", "../../etc/passwd", "a\"b", "名前.pdf", "a\r\nX-Evil: 1", "", "..", `C:\x\y.exe`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got := SafeFilename(name)
		if got == "" || got == "." || got == ".." || len(got) > 255 || !utf8.ValidString(got) ||
			strings.ContainsAny(got, "/\\\"") || strings.IndexFunc(got, unicode.IsControl) >= 0 {
			t.Fatalf("SafeFilename(%q) = %q", name, got)
		}
	})
}
