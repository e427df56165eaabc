package audit

import (
	"fmt"
	"strings"
	"time"

	"github.com/goxkit/gox/log"
)

// Limits on what a record holds, so that neither config nor callers can
// make one unbounded.
const (
	// MaxResourceFields bounds Config.ResourceFields.
	MaxResourceFields = 32
	// maxPathDepth bounds the segments of a resource field path ("a.b.c").
	maxPathDepth = 8
	// maxValueLen bounds a resource value, the subject and the client, in bytes.
	maxValueLen = 256
	// maxRequestBytesLimit bounds Config.MaxRequestBytes.
	maxRequestBytesLimit = 1 << 20
)

// Config configures the audit log. The zero value audits nothing;
// DefaultConfig fills the defaults.
type Config struct {
	// Operations are audited operations, exactly as the transports name
	// them: "DELETE /users/:id", "/user.v1.User/Delete".
	Operations []string `yaml:"operations"`
	// Prefixes audit every operation that starts with one of them:
	// "/user.v1.User/" for a whole gRPC service, "POST /admin/" for a group.
	Prefixes []string `yaml:"prefixes"`
	// ResourceFields name the resource ids a record carries ("id",
	// "user_id", "order.id"): path parameters of the HTTP route, else fields
	// of the decoded request. At most MaxResourceFields.
	ResourceFields []string `yaml:"resource_fields"`
	// SubjectClaim is the JWT claim that names the caller (default "sub").
	SubjectClaim string `yaml:"subject_claim"`
	// SubjectHeader, when set, names the caller of a call without JWT
	// claims (an "X-User" header a gateway sets). Trust it only behind
	// such a gateway.
	SubjectHeader string `yaml:"subject_header"`
	// Anonymous is the subject of a call with neither (default "anonymous").
	Anonymous string `yaml:"anonymous"`
	// ClientHeader, when set, is read for the client address instead of
	// the connection's ("X-Forwarded-For": its first value). Set it only
	// behind a proxy that sets it.
	ClientHeader string `yaml:"client_header"`
	// Redact adds names to the secrets redacted by default (password,
	// token, authorization, secret, api_key).
	Redact []string `yaml:"redact"`
	// RecordRequest adds a redacted JSON snapshot of the request to each
	// record (default off).
	RecordRequest bool `yaml:"record_request"`
	// MaxRequestBytes bounds the snapshot (default 4096, at most 1 MiB): a
	// larger request is recorded as a note of its size.
	MaxRequestBytes int `yaml:"max_request_bytes"`
	// Topic is the broker topic BrokerSink publishes to (default "audit").
	Topic string `yaml:"topic"`
	// WriteTimeout bounds the writing of one record to each sink (default 5s).
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// Log is the audit log's own logger (OpenLog): a file of its own,
	// rotated, in JSON. Its default writes JSON lines to stdout; a file
	// (log.file.path) is written line by line, unbuffered.
	Log log.Config `yaml:"log"`
}

// DefaultConfig returns a Config that audits nothing until operations or
// prefixes are listed, with the defaults above.
func DefaultConfig() Config {
	lc := log.DefaultConfig()
	lc.Format = "json"
	lc.AsyncAccess = false
	lc.File.BufferBytes = 0 // an audit line reaches the file when it is written
	return Config{SubjectClaim: "sub", Anonymous: "anonymous", MaxRequestBytes: 4096, Topic: "audit",
		WriteTimeout: 5 * time.Second, Log: lc}
}

// withDefaults fills the zero fields a Config built by hand may leave.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.SubjectClaim == "" {
		c.SubjectClaim = d.SubjectClaim
	}
	if c.Anonymous == "" {
		c.Anonymous = d.Anonymous
	}
	if c.MaxRequestBytes == 0 {
		c.MaxRequestBytes = d.MaxRequestBytes
	}
	if c.Topic == "" {
		c.Topic = d.Topic
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = d.WriteTimeout
	}
	return c
}

// Validate reports the first invalid key, named as in the YAML file.
func (c Config) Validate() error {
	for i, op := range c.Operations {
		if strings.TrimSpace(op) == "" {
			return fmt.Errorf("audit: operations[%d] is empty", i)
		}
	}
	for i, p := range c.Prefixes {
		if strings.TrimSpace(p) == "" {
			return fmt.Errorf("audit: prefixes[%d] is empty: it would audit every operation; list them instead", i)
		}
	}
	if n := len(c.ResourceFields); n > MaxResourceFields {
		return fmt.Errorf("audit: resource_fields lists %d fields, more than %d", n, MaxResourceFields)
	}
	for i, f := range c.ResourceFields {
		segs := strings.Split(f, ".")
		if len(segs) > maxPathDepth {
			return fmt.Errorf("audit: resource_fields[%d] %q is deeper than %d fields", i, f, maxPathDepth)
		}
		for _, s := range segs {
			if strings.TrimSpace(s) == "" {
				return fmt.Errorf("audit: resource_fields[%d] %q has an empty field name", i, f)
			}
		}
	}
	for i, r := range c.Redact {
		if normalize(r) == "" {
			return fmt.Errorf("audit: redact[%d] %q names no field", i, r)
		}
	}
	if c.MaxRequestBytes < 0 || c.MaxRequestBytes > maxRequestBytesLimit {
		return fmt.Errorf("audit: max_request_bytes is %d; want 0 (default 4096) to %d", c.MaxRequestBytes, maxRequestBytesLimit)
	}
	if c.WriteTimeout < 0 {
		return fmt.Errorf("audit: write_timeout is %s; want a positive duration", c.WriteTimeout)
	}
	if len(c.Anonymous) > maxValueLen {
		return fmt.Errorf("audit: anonymous is longer than %d bytes", maxValueLen)
	}
	return nil
}

// OpenLog returns the audit log's own logger, from c.Log: hand its Logger
// to LogSink and Close it when the service stops.
func OpenLog(c Config, production bool) (*log.Logger, error) {
	l, err := log.New(c.Log, production)
	if err != nil {
		return nil, fmt.Errorf("audit: log: %w", err)
	}
	return l, nil
}
