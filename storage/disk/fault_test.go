package disk_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/goxkit/gox/storage"
	"github.com/goxkit/gox/storage/disk"
)

// fullDisk fails writes with ENOSPC after n bytes, as a full disk does.
type fullDisk struct {
	w io.Writer
	n int
}

func (d *fullDisk) Write(p []byte) (int, error) {
	if len(p) > d.n {
		k, _ := d.w.Write(p[:d.n])
		d.n = 0
		return k, &os.PathError{Op: "write", Path: "ignored", Err: syscall.ENOSPC}
	}
	d.n -= len(p)
	return d.w.Write(p)
}

// leftovers returns every file under dir other than want.
func leftovers(t *testing.T, dir string, want ...string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if !d.IsDir() && !contains(want, filepath.ToSlash(rel)) {
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// A full disk (ENOSPC injected into the temporary file's writes; the tests
// run as root in CI, where a read-only chmod does not stop writes) fails the
// Put with an error naming the file, removes the temporary file and keeps
// the old object.
func TestDiskFullRemovesTempFile(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if _, err := s.Put(ctx, "dir/obj", strings.NewReader("old"), storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	disk.SetWriterWrap(s, func(w io.Writer) io.Writer { return &fullDisk{w: w, n: 100 << 10} })
	_, err := s.Put(ctx, "dir/obj", strings.NewReader(strings.Repeat("x", 1<<20)), storage.PutOptions{})
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Put on a full disk = %v, want ENOSPC", err)
	}
	if want := filepath.Join(s.Dir(), "dir", ".gox-tmp-"); !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), `"dir/obj"`) {
		t.Fatalf("error %q does not name the key and the file under %s", err, want)
	}
	if left := leftovers(t, s.Dir(), "dir/obj"); len(left) != 0 {
		t.Fatalf("files left behind: %q", left)
	}
	disk.SetWriterWrap(s, nil)
	rc, _, err := s.Get(ctx, "dir/obj", storage.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if b, _ := io.ReadAll(rc); string(b) != "old" {
		t.Fatalf("object after a failed Put: %q", b)
	}
}

// A read-only directory fails the Put with an error naming the path. As
// root, permissions do not apply, so the test needs a normal user.
func TestReadOnlyDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: a read-only mode does not stop root (TestDiskFullRemovesTempFile injects the failure instead)")
	}
	s := newStore(t)
	ro := filepath.Join(s.Dir(), "ro")
	if err := os.Mkdir(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(ro, 0o755) })
	_, err := s.Put(context.Background(), "ro/obj", strings.NewReader("x"), storage.PutOptions{})
	if !errors.Is(err, os.ErrPermission) || !strings.Contains(err.Error(), ro) {
		t.Fatalf("Put into a read-only directory = %v, want a permission error naming %s", err, ro)
	}
	if left := leftovers(t, s.Dir()); len(left) != 0 {
		t.Fatalf("files left behind: %q", left)
	}
}

// As root, a directory the kernel refuses to create files in (sysfs)
// stands for a read-only one: the Put fails naming the path, and the
// object is not there afterwards.
func TestUnwritableDirectoryAsRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("TestReadOnlyDirectory covers this for a normal user")
	}
	const dir = "/sys/kernel"
	if f, err := os.CreateTemp(dir, ".gox-probe-*"); err == nil {
		f.Close()
		os.Remove(f.Name())
		t.Skipf("%s accepts new files on this machine", dir)
	}
	s, err := disk.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Put(context.Background(), "gox-obj", strings.NewReader("x"), storage.PutOptions{})
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("Put into %s = %v, want an error naming the directory", dir, err)
	}
	t.Logf("Put: %v", err)
	if _, err := s.Stat(context.Background(), "gox-obj"); !errors.Is(err, storage.ErrNotExist) {
		t.Fatalf("Stat after the failed Put = %v, want ErrNotExist", err)
	}
}

// A symbolic link under the root pointing outside it does not expose what
// it points at: reads and writes through it fail, and listing skips it.
func TestSymlinkEscape(t *testing.T) {
	s := newStore(t)
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret")
	if err := os.WriteFile(secret, []byte("top secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(s.Dir(), "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(s.Dir(), "file")); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, key := range []string{"link/secret", "file"} {
		if _, _, err := s.Get(ctx, key, storage.GetOptions{}); err == nil || !strings.Contains(err.Error(), "escapes") && !errors.Is(err, storage.ErrNotExist) {
			t.Errorf("Get(%q) through a symlink out of the root = %v, want an error", key, err)
		}
		if _, err := s.Stat(ctx, key); err == nil {
			t.Errorf("Stat(%q) through a symlink out of the root succeeded", key)
		}
	}
	if _, err := s.Put(ctx, "link/planted", strings.NewReader("x"), storage.PutOptions{}); err == nil {
		t.Error("Put through a symlink out of the root succeeded")
	}
	if _, err := os.Stat(filepath.Join(outside, "planted")); err == nil {
		t.Error("Put wrote outside the root")
	}
	if err := s.Delete(ctx, "link/secret"); err == nil {
		if _, err := os.Stat(secret); err != nil {
			t.Error("Delete removed a file outside the root")
		}
	}
	res, err := s.List(ctx, "", storage.Page{})
	if err != nil || len(res.Items) != 0 {
		t.Fatalf("List = %+v, %v; want no symlinked object", res.Items, err)
	}
}

func TestKeyThatIsADirectory(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if _, err := s.Put(ctx, "a/b", strings.NewReader("x"), storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := s.Put(ctx, "a", strings.NewReader("x"), storage.PutOptions{})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(s.Dir(), "a")+" is a directory") {
		t.Fatalf("Put over a directory of keys = %v, want an error naming it", err)
	}
	_, err = s.Put(ctx, "a/b/c", strings.NewReader("x"), storage.PutOptions{})
	if err == nil || !strings.Contains(err.Error(), "is an object, not a directory") {
		t.Fatalf("Put under an object = %v, want an error saying so", err)
	}
	if left := leftovers(t, s.Dir(), "a/b"); len(left) != 0 {
		t.Fatalf("files left behind: %q", left)
	}
	_, err = s.Put(ctx, "x/.gox-tmp-1", strings.NewReader("x"), storage.PutOptions{})
	if !errors.Is(err, storage.ErrInvalidKey) {
		t.Fatalf("Put of a reserved name = %v, want ErrInvalidKey", err)
	}
}

func TestDeleteRemovesEmptyDirectories(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	for _, k := range []string{"a/b/c/d", "a/x"} {
		if _, err := s.Put(ctx, k, strings.NewReader("x"), storage.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Delete(ctx, "a/b/c/d"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), "a", "b")); !os.IsNotExist(err) {
		t.Fatalf("a/b is still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), "a", "x")); err != nil {
		t.Fatalf("a/x: %v", err)
	}
}

// A file placed in the directory by hand is neither listed nor served as
// an object; Get says why.
func TestForeignFile(t *testing.T) {
	s := newStore(t)
	if err := os.WriteFile(filepath.Join(s.Dir(), "hand.txt"), []byte("by hand"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.Get(context.Background(), "hand.txt", storage.GetOptions{})
	if err == nil || !strings.Contains(err.Error(), "not an object written by the gox disk store") || !strings.Contains(err.Error(), s.Dir()) {
		t.Fatalf("Get of a foreign file = %v", err)
	}
	res, err := s.List(context.Background(), "", storage.Page{})
	if err != nil || len(res.Items) != 0 {
		t.Fatalf("List = %+v, %v", res.Items, err)
	}
}
