package profiling

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// The directory keeps the newest KeepFiles profiles holding at most
// MaxBytes; the newest stays whatever its size, and files gox did not write
// are never touched.
func TestRotation(t *testing.T) {
	dir := t.TempDir()
	foreign := []string{"notes.txt", "gox-profile.pb.gz", "gox-20200101T000000.000000000Z-disk.pb.gz"}
	for _, name := range foreign {
		if err := os.WriteFile(filepath.Join(dir, name), make([]byte, 1000), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s := store{dir: dir, keepFiles: 3, maxBytes: 250}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var written []string
	for i, rule := range []string{"cpu", "heap", "goroutine", "cpu", "heap"} {
		p, err := s.write(at.Add(time.Duration(i)*time.Second), rule, make([]byte, 100))
		if err != nil {
			t.Fatal(err)
		}
		written = append(written, filepath.Base(p))
	}
	// 100 bytes each: two fit in 250.
	want := append(slices.Clone(foreign), written[3:]...)
	slices.Sort(want)
	if got := profileFiles(t, dir); !slices.Equal(got, want) {
		t.Fatalf("files %v, want %v", got, want)
	}
	// A profile bigger than MaxBytes alone is kept, the others go.
	big, err := s.write(at.Add(time.Hour), "heap", make([]byte, 1000))
	if err != nil {
		t.Fatal(err)
	}
	want = append(slices.Clone(foreign), filepath.Base(big))
	slices.Sort(want)
	if got := profileFiles(t, dir); !slices.Equal(got, want) {
		t.Fatalf("files %v, want %v", got, want)
	}
	// KeepFiles bounds the count.
	s.maxBytes = 1 << 20
	for i := range 5 {
		if _, err := s.write(at.Add(2*time.Hour+time.Duration(i)*time.Second), "cpu", []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if got := profileFiles(t, dir); len(got) != len(foreign)+3 {
		t.Fatalf("files %v, want the 3 newest profiles and the foreign files", got)
	}
}
