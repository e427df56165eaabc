package s3

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// Addressing styles (Config.Addressing).
const (
	// AddressingAuto uses virtual-host style on AWS (and the few hosts
	// minio-go knows to want it) and path style everywhere else, so that a
	// self-hosted server needs no wildcard DNS.
	AddressingAuto = "auto"
	// AddressingPath always puts the bucket in the path: http://host/bucket/key.
	AddressingPath = "path"
	// AddressingVirtual always puts the bucket in the host name:
	// http://bucket.host/key.
	AddressingVirtual = "virtual"
)

// Server-side encryption modes (SSEConfig.Mode).
const (
	SSENone = ""    // whatever the bucket's default is
	SSES3   = "s3"  // SSE-S3: the server's own keys (x-amz-server-side-encryption: AES256)
	SSEKMS  = "kms" // SSE-KMS: a key of the server's KMS, by id
	SSEC    = "c"   // SSE-C: a 256-bit key the client sends with every request
)

// Part sizes (Config.PartSize): S3's bounds.
const (
	MinPartSize     = 5 << 20
	MaxPartSize     = 5 << 30
	DefaultPartSize = 16 << 20
	maxParts        = 10000
)

// Config configures a Store. Start from DefaultConfig and fill in Endpoint,
// Bucket and the credentials; in a config file it is the block
//
//	storage:
//	  s3:
//	    endpoint: https://s3.eu-west-1.amazonaws.com   # or http://127.0.0.1:8333
//	    region: eu-west-1
//	    bucket: uploads
//	    access_key: ${S3_ACCESS_KEY}
//	    secret_key: ${S3_SECRET_KEY}
//	    part_size: 16777216
//	    sse: {mode: s3}
type Config struct {
	// Endpoint is the server: a URL (https://host[:port] or
	// http://host[:port], which also sets Secure) or a bare host[:port],
	// reached over HTTPS unless Secure is false. Empty means AWS S3
	// (s3.amazonaws.com over HTTPS).
	Endpoint string `yaml:"endpoint"`
	// Secure selects HTTPS for a bare host Endpoint. DefaultConfig sets it.
	Secure bool `yaml:"secure"`
	// Region is the bucket's region, used in request signatures. Empty lets
	// minio-go ask the server (one extra request) and falls back to us-east-1.
	Region string `yaml:"region"`
	// Bucket is the bucket every key lives in. It must exist unless
	// CreateBucket is set.
	Bucket string `yaml:"bucket"`
	// CreateBucket makes Open create Bucket when it does not exist.
	CreateBucket bool `yaml:"create_bucket"`
	// AccessKey and SecretKey are the static credentials; SessionToken is
	// for temporary ones (STS). Errors and logs never carry SecretKey.
	AccessKey    string `yaml:"access_key"`
	SecretKey    string `yaml:"secret_key"`
	SessionToken string `yaml:"session_token"`
	// Addressing is how the bucket is named in requests: AddressingAuto
	// (the default: path style unless the endpoint is AWS), AddressingPath
	// or AddressingVirtual.
	Addressing string `yaml:"addressing"`
	// PartSize is the size of one multipart upload part and of the one
	// buffer a Put of a large or unknown-size body holds: memory per Put is
	// about PartSize whatever the object's size. Between MinPartSize and
	// MaxPartSize; the largest object is 10,000 parts (160 GiB at the 16
	// MiB default). A body shorter than PartSize is stored with one PUT.
	PartSize int64 `yaml:"part_size"`
	// Concurrency is how many parts of one multipart upload are in flight
	// at once, each in a buffer of its own, so a Put holds up to
	// Concurrency × PartSize. 0 or 1: one buffer, the next part is read
	// from the body once the previous one is sent. 2 overlaps reading and
	// sending; more helps on links with latency. At most 64.
	Concurrency int `yaml:"concurrency"`
	// MaxRetries is how many times one request is tried on a network error
	// or a retryable server answer; 0 keeps minio-go's default (10), 1
	// never retries.
	MaxRetries int `yaml:"max_retries"`
	// Timeout bounds each request that carries no object body (Stat,
	// Delete, List, the multipart bookkeeping) and the wait for response
	// headers of every request; a Put or Get streams as long as its
	// context allows. 0 means no timeout.
	Timeout time.Duration `yaml:"timeout"`
	// SSE is server-side encryption of the objects this Store writes.
	SSE SSEConfig `yaml:"sse"`
}

// SSEConfig selects server-side encryption.
type SSEConfig struct {
	// Mode is SSENone (""), SSES3 ("s3"), SSEKMS ("kms") or SSEC ("c").
	Mode string `yaml:"mode"`
	// KMSKeyID is the KMS key of SSEKMS.
	KMSKeyID string `yaml:"kms_key_id"`
	// CustomerKey is the SSE-C key: 32 bytes, standard base64. Every Get
	// and Stat sends it too, so objects written with one key are readable
	// only with it; a signed GET URL cannot carry it (the key travels in
	// headers), so SignedURL refuses GET under SSE-C.
	CustomerKey string `yaml:"customer_key"`
}

// DefaultConfig returns a Config with HTTPS, automatic addressing,
// DefaultPartSize parts and a 30-second request timeout.
func DefaultConfig() Config {
	return Config{Secure: true, Addressing: AddressingAuto, PartSize: DefaultPartSize, Timeout: 30 * time.Second}
}

// Validate reports the first invalid field, named as in the config file
// (s3.bucket, s3.part_size, ...). A secret is never repeated in a message.
func (c Config) Validate() error {
	if _, _, err := c.endpoint(); err != nil {
		return err
	}
	if err := validBucket(c.Bucket); err != nil {
		return err
	}
	switch {
	case c.AccessKey == "" && c.SecretKey != "":
		return errors.New("s3.access_key is empty but s3.secret_key is set; give both or neither")
	case c.AccessKey != "" && c.SecretKey == "":
		return errors.New("s3.secret_key is empty but s3.access_key is set; give both or neither")
	}
	switch c.Addressing {
	case "", AddressingAuto, AddressingPath, AddressingVirtual:
	default:
		return fmt.Errorf("s3.addressing %q is not one of auto, path, virtual", c.Addressing)
	}
	if c.PartSize != 0 && (c.PartSize < MinPartSize || c.PartSize > MaxPartSize) {
		return fmt.Errorf("s3.part_size %d is not within %d (5 MiB) .. %d (5 GiB), S3's part size limits", c.PartSize, MinPartSize, int64(MaxPartSize))
	}
	if c.Concurrency < 0 || c.Concurrency > 64 {
		return fmt.Errorf("s3.concurrency %d is not within 0..64 (parts sent at once; each holds a part_size buffer)", c.Concurrency)
	}
	if c.MaxRetries < 0 {
		return fmt.Errorf("s3.max_retries %d is negative; 1 means no retry, 0 the default", c.MaxRetries)
	}
	if c.Timeout < 0 {
		return fmt.Errorf("s3.timeout %v is negative; 0 means none", c.Timeout)
	}
	return c.SSE.validate()
}

func (s SSEConfig) validate() error {
	switch s.Mode {
	case SSENone, SSES3:
		if s.KMSKeyID != "" || s.CustomerKey != "" {
			return fmt.Errorf("s3.sse.kms_key_id and s3.sse.customer_key need s3.sse.mode kms or c, not %q", s.Mode)
		}
	case SSEKMS:
		if s.KMSKeyID == "" {
			return errors.New("s3.sse.kms_key_id is empty; mode kms needs the KMS key's id")
		}
		if s.CustomerKey != "" {
			return errors.New("s3.sse.customer_key is set with mode kms; it belongs to mode c")
		}
	case SSEC:
		if _, err := s.customerKey(); err != nil {
			return err
		}
		if s.KMSKeyID != "" {
			return errors.New("s3.sse.kms_key_id is set with mode c; it belongs to mode kms")
		}
	default:
		return fmt.Errorf("s3.sse.mode %q is not one of \"\", s3, kms, c", s.Mode)
	}
	return nil
}

// customerKey decodes CustomerKey; its error never quotes the key.
func (s SSEConfig) customerKey() ([]byte, error) {
	if s.CustomerKey == "" {
		return nil, errors.New("s3.sse.customer_key is empty; mode c needs a 32-byte key in standard base64")
	}
	k, err := base64.StdEncoding.DecodeString(s.CustomerKey)
	if err != nil {
		return nil, errors.New("s3.sse.customer_key is not standard base64")
	}
	if len(k) != 32 {
		return nil, fmt.Errorf("s3.sse.customer_key decodes to %d bytes; SSE-C keys are 32 bytes (256 bits)", len(k))
	}
	return k, nil
}

// endpoint returns the host[:port] minio-go is given and whether it is
// reached over HTTPS.
func (c Config) endpoint() (host string, secure bool, err error) {
	e := strings.TrimSpace(c.Endpoint)
	if e == "" {
		return "s3.amazonaws.com", true, nil
	}
	secure = c.Secure
	if strings.Contains(e, "://") {
		u, perr := url.Parse(e)
		if perr != nil {
			return "", false, fmt.Errorf("s3.endpoint %q is not a URL: %v", c.Endpoint, perr)
		}
		switch u.Scheme {
		case "https":
			secure = true
		case "http":
			secure = false
		default:
			return "", false, fmt.Errorf("s3.endpoint %q: scheme %q is not http or https", c.Endpoint, u.Scheme)
		}
		if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			return "", false, fmt.Errorf("s3.endpoint %q must be scheme://host[:port] only (no user, path or query); the bucket goes in s3.bucket", c.Endpoint)
		}
		e = u.Host
	}
	if strings.ContainsAny(e, "/?#@ ") || e == "" {
		return "", false, fmt.Errorf("s3.endpoint %q is not host[:port] or a URL", c.Endpoint)
	}
	if h, p, serr := net.SplitHostPort(e); serr == nil {
		if h == "" || p == "" {
			return "", false, fmt.Errorf("s3.endpoint %q has an empty host or port", c.Endpoint)
		}
	}
	return e, secure, nil
}

// validBucket applies S3's bucket naming rules (the ones that matter for
// addressing): 3 to 63 lower-case letters, digits, '-' and '.', starting
// and ending with a letter or digit.
func validBucket(b string) error {
	if b == "" {
		return errors.New("s3.bucket is empty; name the bucket objects are stored in")
	}
	if len(b) < 3 || len(b) > 63 {
		return fmt.Errorf("s3.bucket %q is %d characters; bucket names are 3 to 63", b, len(b))
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return fmt.Errorf("s3.bucket %q has %q at offset %d; bucket names are lower-case letters, digits, '-' and '.'", b, c, i)
		}
	}
	if !isAlnum(b[0]) || !isAlnum(b[len(b)-1]) {
		return fmt.Errorf("s3.bucket %q must start and end with a letter or digit", b)
	}
	if strings.Contains(b, "..") {
		return fmt.Errorf("s3.bucket %q has two adjacent periods", b)
	}
	return nil
}

func isAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
