package storage_test

import (
	"testing"

	"github.com/goxkit/gox/storage"
	"github.com/goxkit/gox/storage/storagetest"
)

func TestMemoryContract(t *testing.T) {
	storagetest.Run(t, func(*testing.T) storage.Store { return storage.NewMemory() }, storagetest.InMemory())
}
