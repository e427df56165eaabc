// Command s3upload measures the memory and throughput of one upload of a
// large body from a reader that is not seekable and of unknown size (what an
// HTTP request body is) to an S3-compatible server: through gox's Store
// (mode gox) or through minio-go's PutObject with size -1 (mode minio, with
// its default part size, or with -part-size). It prints one line: the mode,
// the size, the time, the throughput, the peak heap sampled every 5 ms, the
// bytes allocated and the peak RSS of the process (getrusage), so each mode
// runs in a process of its own:
//
//	S3_ENDPOINT=http://127.0.0.1:19633 S3_ACCESS_KEY=... S3_SECRET_KEY=... S3_BUCKET=gox-ci \
//	  go run ./internal/s3upload -mode gox -size 100
//
// bench/RESULTS.md ("S3 storage (issue 23)") has the figures.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"

	s3 "github.com/goxkit/gox/contrib/storage/s3"
	"github.com/goxkit/gox/storage"
)

func main() {
	mode := flag.String("mode", "gox", "gox (contrib/storage/s3 Store.Put) or minio (minio-go PutObject, size -1)")
	sizeMiB := flag.Int64("size", 100, "MiB to upload")
	partSize := flag.Int64("part-size", 0, "part size in bytes: 0 is the default (gox 16 MiB, minio-go its own choice for unknown sizes)")
	concurrency := flag.Int("concurrency", 1, "gox: parts in flight (s3.concurrency)")
	flag.Parse()

	cfg := s3.DefaultConfig()
	cfg.Endpoint, cfg.AccessKey, cfg.SecretKey = os.Getenv("S3_ENDPOINT"), os.Getenv("S3_ACCESS_KEY"), os.Getenv("S3_SECRET_KEY")
	cfg.Bucket, cfg.Region, cfg.CreateBucket = envOr("S3_BUCKET", "gox-ci"), envOr("S3_REGION", "us-east-1"), true
	if *partSize > 0 {
		cfg.PartSize = *partSize
	}
	cfg.Concurrency = *concurrency
	ctx := context.Background()
	st, err := s3.Open(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()

	size := *sizeMiB << 20
	body := &pattern{left: size}
	var peak atomic.Uint64
	stop := sampleHeap(&peak)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	key := fmt.Sprintf("bench/s3upload-%s-%d", *mode, time.Now().UnixNano())
	switch *mode {
	case "gox":
		_, err = st.Put(ctx, key, body, storage.PutOptions{})
	case "minio":
		_, err = st.Client().PutObject(ctx, st.Bucket(), key, body, -1, minio.PutObjectOptions{PartSize: uint64(*partSize)})
	default:
		log.Fatalf("-mode %q is not gox or minio", *mode)
	}
	elapsed := time.Since(start)
	stop()
	if err != nil {
		log.Fatal(err)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	_ = st.Delete(ctx, key)
	ps := "default"
	if *partSize > 0 {
		ps = fmt.Sprintf("%d MiB", *partSize>>20)
	}
	if *mode == "gox" {
		ps += fmt.Sprintf(" concurrency=%d", *concurrency)
	}
	fmt.Printf("mode=%s part_size=%s size=%d MiB time=%.2fs throughput=%.1f MiB/s peak_heap=%.1f MiB allocated=%.1f MiB peak_rss=%.1f MiB\n",
		*mode, ps, *sizeMiB, elapsed.Seconds(), float64(*sizeMiB)/elapsed.Seconds(),
		float64(peak.Load())/(1<<20), float64(after.TotalAlloc-before.TotalAlloc)/(1<<20), float64(ru.Maxrss)/1024)
}

// pattern yields left bytes of a pattern; it is not an io.Seeker, so
// neither client can learn the size.
type pattern struct{ left, off int64 }

func (p *pattern) Read(b []byte) (int, error) {
	if p.left == 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > p.left {
		b = b[:p.left]
	}
	for i := range b {
		b[i] = byte(p.off + int64(i))
	}
	p.left -= int64(len(b))
	p.off += int64(len(b))
	return len(b), nil
}

// sampleHeap records the largest live heap (objects) seen every 5 ms until
// the returned func is called.
func sampleHeap(peak *atomic.Uint64) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	go func() {
		defer close(finished)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
