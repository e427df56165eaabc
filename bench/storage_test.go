package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/goxkit/gox/storage"
	"github.com/goxkit/gox/storage/disk"
)

// File storage (issue 23): the disk Store's Put (temp file, fsync, rename,
// directory fsync, trailer) and Get (open, trailer read, section reader)
// against os.WriteFile (no fsync: what a naive service does) and
// os.WriteFile followed by an fsync (the same durability), and os.ReadFile,
// in one run, at 4 KiB and 1 MiB.
//
//	cd bench && go test -run '^$' -bench 'Storage' -benchtime 2s .
func BenchmarkStorage(b *testing.B) {
	for _, size := range []int{4 << 10, 1 << 20} {
		data := bytes.Repeat([]byte("gox storage "), size/12+1)[:size]
		name := fmt.Sprintf("%dKiB", size>>10)
		b.Run("Put/"+name+"/disk", func(b *testing.B) {
			s := newDisk(b)
			b.SetBytes(int64(size))
			for i := 0; b.Loop(); i++ {
				if _, err := s.Put(context.Background(), fmt.Sprintf("d/%d", i%64), bytes.NewReader(data), storage.PutOptions{ContentType: "text/plain"}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("Put/"+name+"/os.WriteFile+fsync", func(b *testing.B) {
			dir := b.TempDir()
			b.SetBytes(int64(size))
			for i := 0; b.Loop(); i++ {
				if err := writeSync(filepath.Join(dir, fmt.Sprint(i%64)), data); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("Put/"+name+"/os.WriteFile", func(b *testing.B) {
			dir := b.TempDir()
			b.SetBytes(int64(size))
			for i := 0; b.Loop(); i++ {
				if err := os.WriteFile(filepath.Join(dir, fmt.Sprint(i%64)), data, 0o644); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("Get/"+name+"/disk", func(b *testing.B) {
			s := newDisk(b)
			if _, err := s.Put(context.Background(), "d/x", bytes.NewReader(data), storage.PutOptions{}); err != nil {
				b.Fatal(err)
			}
			buf := bytes.NewBuffer(make([]byte, 0, size))
			b.SetBytes(int64(size))
			for b.Loop() {
				rc, _, err := s.Get(context.Background(), "d/x", storage.GetOptions{})
				if err != nil {
					b.Fatal(err)
				}
				buf.Reset()
				_, err = buf.ReadFrom(rc)
				rc.Close()
				if err != nil || buf.Len() != size {
					b.Fatal(err, buf.Len())
				}
			}
		})
		b.Run("Get/"+name+"/os.ReadFile", func(b *testing.B) {
			p := filepath.Join(b.TempDir(), "x")
			if err := os.WriteFile(p, data, 0o644); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(size))
			for b.Loop() {
				if got, err := os.ReadFile(p); err != nil || len(got) != size {
					b.Fatal(err)
				}
			}
		})
	}
}

func newDisk(b *testing.B) *disk.Store {
	s, err := disk.New(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func writeSync(name string, data []byte) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
