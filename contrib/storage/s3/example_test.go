package s3_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	s3 "github.com/goxkit/gox/contrib/storage/s3"
	"github.com/goxkit/gox/storage"
)

// Open a bucket on a self-hosted server (path-style addressing is chosen
// for it), store an object from a stream of unknown size, and hand out a
// URL a browser can download it from for 15 minutes.
func Example() {
	cfg := s3.DefaultConfig()
	cfg.Endpoint = "http://127.0.0.1:8333" // SeaweedFS, Garage, Ceph RGW, ...; "" is AWS
	cfg.Region, cfg.Bucket = "us-east-1", "uploads"
	cfg.AccessKey, cfg.SecretKey = os.Getenv("S3_ACCESS_KEY"), os.Getenv("S3_SECRET_KEY")
	cfg.SSE.Mode = s3.SSES3

	ctx := context.Background()
	st, err := s3.Open(ctx, cfg) // fails here, by name, on a bad endpoint, credentials or bucket
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	info, err := st.Put(ctx, "reports/2026-12.csv", strings.NewReader("month,total\n12,42\n"),
		storage.PutOptions{ContentType: "text/csv", MaxSize: 10 << 20})
	if err != nil {
		fmt.Println(err)
		return
	}
	url, err := st.SignedURL(ctx, info.Key, http.MethodGet, 15*time.Minute)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(info.Size, url != "")
}
