package s3

import (
	"testing"

	"github.com/goxkit/gox/storage"
	"github.com/goxkit/gox/storage/storagetest"
)

var storageFirstPage = storage.Page{}

// TestContract runs gox's storage contract suite against SeaweedFS: the same
// tests storage.Memory and storage/disk pass. The large object (32 MiB, 7
// parts of 5 MiB) streams through Put and Get allocating less than 16 MiB:
// the one 5 MiB part buffer, and garbage of minio-go's streaming signature
// (64 KiB chunks, used over plain HTTP) and of the race detector (10.5 MiB
// without -race, 13.3 MiB with it).
func TestContract(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store {
		s := openTest(t, nil)
		emptyBucket(t, s)
		return s
	}, storagetest.WithLargeObject(32<<20, 16<<20))
}

// TestContractConcurrentParts runs the suite with three parts in flight: the
// large object then allocates less than 28 MiB (three 5 MiB part buffers).
func TestContractConcurrentParts(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store {
		s := openTest(t, func(c *Config) { c.Concurrency = 3 })
		emptyBucket(t, s)
		return s
	}, storagetest.WithLargeObject(32<<20, 28<<20))
}
