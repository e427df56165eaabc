package s3

import (
	"context"
	"encoding/base64"
	stderrors "errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/storage"
)

func validConfig() Config {
	c := DefaultConfig()
	c.Endpoint, c.Bucket, c.AccessKey, c.SecretKey = "http://127.0.0.1:8333", "uploads", "key", "very-secret-value"
	return c
}

func TestConfigValidate(t *testing.T) {
	key32 := base64.StdEncoding.EncodeToString(make([]byte, 32))
	tests := []struct {
		name string
		edit func(*Config)
		want string // substring of the error; "" = valid
	}{
		{"valid", func(*Config) {}, ""},
		{"aws default endpoint", func(c *Config) { c.Endpoint = "" }, ""},
		{"bare host", func(c *Config) { c.Endpoint = "s3.example.com:9000" }, ""},
		{"endpoint with path", func(c *Config) { c.Endpoint = "http://host/bucket" }, "s3.endpoint"},
		{"endpoint with user", func(c *Config) { c.Endpoint = "http://u:p@host" }, "s3.endpoint"},
		{"endpoint scheme", func(c *Config) { c.Endpoint = "ftp://host" }, `scheme "ftp"`},
		{"endpoint empty port", func(c *Config) { c.Endpoint = "host:" }, "empty host or port"},
		{"no bucket", func(c *Config) { c.Bucket = "" }, "s3.bucket is empty"},
		{"bucket upper case", func(c *Config) { c.Bucket = "Uploads" }, `s3.bucket "Uploads"`},
		{"bucket short", func(c *Config) { c.Bucket = "ab" }, "3 to 63"},
		{"bucket dash end", func(c *Config) { c.Bucket = "abc-" }, "start and end"},
		{"secret without key", func(c *Config) { c.AccessKey = "" }, "s3.access_key is empty"},
		{"key without secret", func(c *Config) { c.SecretKey = "" }, "s3.secret_key is empty"},
		{"addressing", func(c *Config) { c.Addressing = "dns" }, "s3.addressing"},
		{"part size small", func(c *Config) { c.PartSize = 1 << 20 }, "s3.part_size"},
		{"part size large", func(c *Config) { c.PartSize = 6 << 30 }, "s3.part_size"},
		{"retries", func(c *Config) { c.MaxRetries = -1 }, "s3.max_retries"},
		{"concurrency", func(c *Config) { c.Concurrency = 65 }, "s3.concurrency"},
		{"timeout", func(c *Config) { c.Timeout = -time.Second }, "s3.timeout"},
		{"sse mode", func(c *Config) { c.SSE.Mode = "aes" }, "s3.sse.mode"},
		{"sse s3", func(c *Config) { c.SSE.Mode = SSES3 }, ""},
		{"sse kms no id", func(c *Config) { c.SSE.Mode = SSEKMS }, "s3.sse.kms_key_id is empty"},
		{"sse kms", func(c *Config) { c.SSE = SSEConfig{Mode: SSEKMS, KMSKeyID: "k1"} }, ""},
		{"sse c no key", func(c *Config) { c.SSE.Mode = SSEC }, "s3.sse.customer_key is empty"},
		{"sse c bad base64", func(c *Config) { c.SSE = SSEConfig{Mode: SSEC, CustomerKey: "!!"} }, "not standard base64"},
		{"sse c short", func(c *Config) { c.SSE = SSEConfig{Mode: SSEC, CustomerKey: "c2hvcnQ="} }, "decodes to 5 bytes"},
		{"sse c", func(c *Config) { c.SSE = SSEConfig{Mode: SSEC, CustomerKey: key32} }, ""},
		{"sse key without c", func(c *Config) { c.SSE = SSEConfig{Mode: SSES3, CustomerKey: key32} }, "need s3.sse.mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.edit(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate = %v, want an error containing %q", err, tt.want)
			case err != nil && strings.Contains(err.Error(), c.SecretKey) && c.SecretKey != "":
				t.Fatalf("the error repeats the secret key: %v", err)
			}
			if _, nerr := New(c); (nerr == nil) != (err == nil) {
				t.Fatalf("New = %v, Validate = %v", nerr, err)
			}
		})
	}
}

func TestEndpoint(t *testing.T) {
	for _, tt := range []struct {
		endpoint string
		secure   bool
		host     string
		https    bool
	}{
		{"", false, "s3.amazonaws.com", true},
		{"http://127.0.0.1:8333", true, "127.0.0.1:8333", false},
		{"https://s3.example.com/", false, "s3.example.com", true},
		{"minio.local:9000", false, "minio.local:9000", false},
		{"minio.local:9000", true, "minio.local:9000", true},
	} {
		c := Config{Endpoint: tt.endpoint, Secure: tt.secure}
		host, https, err := c.endpoint()
		if err != nil || host != tt.host || https != tt.https {
			t.Errorf("endpoint(%q, secure %v) = %q, %v, %v; want %q, %v", tt.endpoint, tt.secure, host, https, err, tt.host, tt.https)
		}
	}
}

// TestValidationBeforeRequests: bad keys, metadata and signed-URL arguments
// fail with storage's typed errors before any request (the endpoint here
// does not exist).
func TestValidationBeforeRequests(t *testing.T) {
	c := validConfig()
	c.Endpoint = "http://127.0.0.1:1" // nothing listens
	s, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	for _, k := range storagetestInvalidKeys() {
		if _, err := s.Put(ctx, k, strings.NewReader("x"), storage.PutOptions{}); !stderrors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Put(%q) = %v, want ErrInvalidKey", k, err)
		}
		if _, _, err := s.Get(ctx, k, storage.GetOptions{}); !stderrors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Get(%q) = %v, want ErrInvalidKey", k, err)
		}
		if _, err := s.SignedURL(ctx, k, http.MethodGet, time.Minute); !stderrors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("SignedURL(%q) = %v, want ErrInvalidKey", k, err)
		}
	}
	_, err = s.Put(ctx, "k", strings.NewReader("x"), storage.PutOptions{Metadata: map[string]string{"bad key": "v"}})
	if !stderrors.Is(err, storage.ErrInvalidMetadata) {
		t.Errorf("Put with bad metadata = %v, want ErrInvalidMetadata", err)
	}
	for _, ttl := range []time.Duration{0, -time.Second, MaxSignedURLTTL + time.Second} {
		if _, err := s.SignedURL(ctx, "k", http.MethodGet, ttl); !errors.IsBadRequest(err) || !strings.Contains(err.Error(), "ttl") {
			t.Errorf("SignedURL ttl %v = %v, want a 400 naming the ttl", ttl, err)
		}
	}
	if _, err := s.SignedURL(ctx, "k", http.MethodDelete, time.Minute); !errors.IsBadRequest(err) || !strings.Contains(err.Error(), "DELETE") {
		t.Errorf("SignedURL DELETE = %v, want a 400 naming the method", err)
	}
	if _, _, err := s.Get(ctx, "k", storage.GetOptions{Offset: -1}); !stderrors.Is(err, storage.ErrInvalidRange) {
		t.Errorf("Get offset -1 = %v, want ErrInvalidRange", err)
	}
	// an unreachable server is ErrUnavailable naming the endpoint
	_, err = s.Stat(ctx, "k")
	if !stderrors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("Stat on a closed port = %v, want ErrUnavailable naming the endpoint", err)
	}
}

func storagetestInvalidKeys() []string {
	return []string{"", "/abs", "a/../b", "a//b", "nul\x00", "trail/", strings.Repeat("k", storage.MaxKeyLen+1)}
}

// TestMapErr: S3's error codes become storage's typed errors and this
// package's, with messages naming the key, endpoint and access key, never
// the secret.
func TestMapErr(t *testing.T) {
	s, err := New(validConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	resp := func(status int, code string) error {
		return minio.ErrorResponse{StatusCode: status, Code: code, Message: code + " message"}
	}
	for _, tt := range []struct {
		err  error
		want error
		text string
	}{
		{resp(404, "NoSuchKey"), storage.ErrNotExist, `"k"`},
		{resp(404, "NoSuchBucket"), ErrNoBucket, `bucket "uploads"`},
		{resp(416, "InvalidRange"), storage.ErrInvalidRange, `"k"`},
		{resp(403, "SignatureDoesNotMatch"), ErrAccessDenied, `access key "key": the signature does not match: the secret key is wrong`},
		{resp(403, "InvalidAccessKeyId"), ErrAccessDenied, "unknown to the server"},
		{resp(403, "SomethingElse"), ErrAccessDenied, "HTTP 403"},
		{resp(503, "SlowDown"), ErrUnavailable, "SlowDown"},
		{resp(500, "InternalError"), ErrS3, "HTTP 500 InternalError"},
		{stderrors.New("dial tcp: connection refused"), ErrUnavailable, "connection refused"},
		{context.DeadlineExceeded, errors.Timeout("", ""), "deadline"},
		{storage.TooLarge("k", 3), storage.ErrTooLarge, "3 bytes"},
	} {
		got := s.mapErr(ctx, "get", "k", tt.err)
		if !stderrors.Is(got, tt.want) || !strings.Contains(got.Error(), tt.text) {
			t.Errorf("mapErr(%v) = %v, want %v containing %q", tt.err, got, tt.want, tt.text)
		}
		if strings.Contains(got.Error(), "very-secret-value") {
			t.Errorf("mapErr(%v) repeats the secret: %v", tt.err, got)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if got := s.mapErr(cctx, "put", "k", stderrors.New("request failed")); !stderrors.Is(got, context.Canceled) || errors.Code(got) != errors.StatusClientClosed {
		t.Errorf("mapErr after cancel = %v, want context.Canceled with code 499", got)
	}
}

func TestLimitReader(t *testing.T) {
	for _, tt := range []struct {
		n, max  int
		tooLong bool
	}{{10, 0, false}, {10, 10, false}, {10, 9, true}, {0, 1, false}, {1 << 20, 1<<20 - 1, true}} {
		l := &limitReader{r: strings.NewReader(strings.Repeat("x", tt.n)), max: int64(tt.max), key: "k"}
		b, err := io.ReadAll(l)
		if tt.tooLong {
			if !stderrors.Is(err, storage.ErrTooLarge) || len(b) > tt.max+1 {
				t.Errorf("%d bytes, max %d: read %d, err %v; want ErrTooLarge", tt.n, tt.max, len(b), err)
			}
		} else if err != nil || len(b) != tt.n {
			t.Errorf("%d bytes, max %d: read %d, err %v", tt.n, tt.max, len(b), err)
		}
	}
}

func TestTotalFromContentRange(t *testing.T) {
	for v, want := range map[string]int64{"bytes 0-9/100": 100, "bytes 5-5/6": 6, "bytes */0": 0, "bytes 0-1/*": -1, "": -1, "0-9/10": -1, "bytes 0-9/-3": -1} {
		got, ok := totalFromContentRange(v)
		if (want < 0 && ok) || (want >= 0 && (!ok || got != want)) {
			t.Errorf("totalFromContentRange(%q) = %d, %v; want %d", v, got, ok, want)
		}
	}
}

// FuzzTotalFromContentRange: the server's Content-Range header never makes
// the parser panic or return a negative size.
func FuzzTotalFromContentRange(f *testing.F) {
	for _, s := range []string{"bytes 0-9/100", "bytes */0", "bytes 0-1/*", "", "bytes 1-2/99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if n, ok := totalFromContentRange(v); ok && n < 0 {
			t.Fatalf("%q: negative size %d", v, n)
		}
	})
}

// FuzzConfigValidate: any endpoint and bucket from a config file is either
// accepted and builds a client, or refused with an error naming the field.
func FuzzConfigValidate(f *testing.F) {
	for _, s := range [][2]string{{"http://127.0.0.1:8333", "b-1"}, {"host:9000", "a.b.c"}, {"https://[::1]:443/", "xyz"}, {"http://%zz", "AB"}, {"", ""}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, endpoint, bucket string) {
		c := validConfig()
		c.Endpoint, c.Bucket = endpoint, bucket
		err := c.Validate()
		if err != nil {
			if !strings.Contains(err.Error(), "s3.") {
				t.Fatalf("error names no field: %v", err)
			}
			return
		}
		if s, err := New(c); err == nil {
			s.Close()
		} else if !strings.Contains(err.Error(), "s3.endpoint") {
			t.Fatalf("Validate accepted %q but New: %v", endpoint, err)
		}
	})
}
