package s3

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/goxkit/gox/goxtest"
)

// TestMain fails the package's tests when a goroutine outlives them: a
// lister not drained, a connection left open by a Store not closed.
func TestMain(m *testing.M) { goxtest.VerifyNoLeaks(m) }

const serverHint = "start SeaweedFS with scripts/test.sh's start_seaweedfs (ci/seaweedfs.sh) and export S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_BUCKET"

// testConfig is the Config of the S3 server the environment names (CI starts
// SeaweedFS, ci/seaweedfs.sh): it fails in CI and skips elsewhere without one.
func testConfig(t testing.TB) Config {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Endpoint = goxtest.RequireEnv(t, "S3_ENDPOINT", serverHint)
	cfg.AccessKey = goxtest.RequireEnv(t, "S3_ACCESS_KEY", serverHint)
	cfg.SecretKey = goxtest.RequireEnv(t, "S3_SECRET_KEY", serverHint)
	cfg.Bucket = envOr("S3_BUCKET", "gox-ci")
	cfg.Region = envOr("S3_REGION", "us-east-1")
	cfg.CreateBucket = true
	cfg.PartSize = MinPartSize
	cfg.Timeout = 30 * time.Second
	return cfg
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// openTest opens a Store on the test server, with cfg changed by edit, and
// closes it when the test ends.
func openTest(t testing.TB, edit func(*Config)) *Store {
	t.Helper()
	cfg := testConfig(t)
	if edit != nil {
		edit(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Open(ctx, cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// emptyBucket deletes every object and aborts every multipart upload in the
// store's bucket, so that a test starts from an empty store.
func emptyBucket(t testing.TB, s *Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := s.AbortIncomplete(ctx, "", 0); err != nil {
		t.Fatalf("AbortIncomplete: %v", err)
	}
	for {
		res, err := s.List(ctx, "", storageFirstPage)
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		for _, it := range res.Items {
			if err := s.Delete(ctx, it.Key); err != nil {
				t.Fatalf("Delete %q: %v", it.Key, err)
			}
		}
		if len(res.Items) == 0 {
			return
		}
	}
}
