// Package storagetest is the contract suite of storage.Store: one set of
// tests that every backend passes (storage.Memory, storage/disk, and the S3
// backend in contrib/storage/s3), so that code written against one behaves
// the same on the others.
//
//	func TestContract(t *testing.T) {
//		storagetest.Run(t, func(t *testing.T) storage.Store {
//			s, err := disk.New(t.TempDir())
//			if err != nil {
//				t.Fatal(err)
//			}
//			return s
//		})
//	}
//
// Each subtest gets a new, empty store from the function. The suite checks
// what a user of the store notices: content and Info after Put, Get with
// ranges, Stat, Delete, List with prefixes and pages (also while objects are
// written), the typed errors, concurrent Puts to one key (the last wins and
// no reader ever sees a torn object), a failed Put leaving nothing behind,
// and a large object streamed through Put and Get with bounded memory.
package storagetest

import (
	"testing"

	"github.com/goxkit/gox/storage"
)

// Option adjusts the suite for a backend.
type Option func(*config)

type config struct {
	largeSize    int64
	largeAlloc   int64
	skipLargeMem bool
}

// WithLargeObject sets the size of the large object the suite streams
// through Put and Get (32 MiB by default), and the most bytes the process may
// allocate while doing so (8 MiB by default): a backend that buffers the
// object whole fails. An S3 backend, which buffers one part, sets it above
// its part size.
func WithLargeObject(size, maxAlloc int64) Option {
	return func(c *config) { c.largeSize, c.largeAlloc = size, maxAlloc }
}

// InMemory tells the suite that the backend holds objects in memory
// (storage.Memory): the large-object test checks the content but not the
// allocation.
func InMemory() Option { return func(c *config) { c.skipLargeMem = true } }

// Run runs the contract suite against the stores newStore returns, one new
// store per subtest. Subtests do not run in parallel (the large-object test
// measures the process's allocation).
func Run(t *testing.T, newStore func(t *testing.T) storage.Store, opts ...Option) {
	c := config{largeSize: 32 << 20, largeAlloc: 8 << 20}
	for _, o := range opts {
		o(&c)
	}
	tests := []struct {
		name string
		fn   func(*testing.T, storage.Store)
	}{
		{"PutGet", testPutGet},
		{"Overwrite", testOverwrite},
		{"EmptyObject", testEmptyObject},
		{"Stat", testStat},
		{"Ranges", testRanges},
		{"NotExist", testNotExist},
		{"Delete", testDelete},
		{"InvalidKeys", testInvalidKeys},
		{"InvalidMetadata", testInvalidMetadata},
		{"MaxSize", testMaxSize},
		{"FailedReader", testFailedReader},
		{"CanceledContext", testCanceledContext},
		{"List", testList},
		{"ListPages", testListPages},
		{"ListOrder", testListOrder},
		{"ListInvalidToken", testListInvalidToken},
		{"ListWhileWriting", testListWhileWriting},
		{"ConcurrentPuts", testConcurrentPuts},
		{"LargeObject", func(t *testing.T, s storage.Store) { testLargeObject(t, s, c) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newStore(t)) })
	}
}
