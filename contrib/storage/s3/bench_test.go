package s3

import (
	"context"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/goxkit/gox/storage"
)

// BenchmarkPutUnknownSize uploads 32 MiB from a reader that is not seekable
// (an HTTP request body, say) through Store.Put and through minio-go's
// PutObject with size -1 and the same part size: throughput (MB/s) and
// bytes allocated per upload. internal/s3upload measures the peak RSS of a
// 100 MiB upload (bench/RESULTS.md).
//
//	go test -run '^$' -bench PutUnknownSize -benchtime 5x ./contrib/storage/s3
func BenchmarkPutUnknownSize(b *testing.B) {
	const size = 32 << 20
	s := openTest(b, func(c *Config) { c.PartSize = DefaultPartSize })
	ctx := context.Background()
	b.Run("gox", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Put(ctx, "bench/put", &hookReader{left: size}, storage.PutOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("minio-go", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.client.PutObject(ctx, s.bucket, "bench/put", &hookReader{left: size}, -1, minio.PutObjectOptions{PartSize: DefaultPartSize}); err != nil {
				b.Fatal(err)
			}
		}
	})
	_ = s.Delete(ctx, "bench/put")
}
