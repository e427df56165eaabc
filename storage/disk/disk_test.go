package disk_test

import (
	"testing"

	"github.com/goxkit/gox/storage"
	"github.com/goxkit/gox/storage/disk"
	"github.com/goxkit/gox/storage/storagetest"
)

func newStore(t *testing.T, opts ...disk.Option) *disk.Store {
	t.Helper()
	s, err := disk.New(t.TempDir(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestContract(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store { return newStore(t) })
}
