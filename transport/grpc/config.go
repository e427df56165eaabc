package grpc

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/goxkit/gox/internal/tlsconf"
)

// Config configures the gRPC server.
type Config struct {
	// Addr is the listen address, host:port. ":0" picks a free port.
	Addr string `yaml:"addr"`
	// Reflection registers the reflection service (grpcurl, grpcui).
	Reflection bool `yaml:"reflection"`
	// MaxRecvMsgBytes is the largest message the server accepts.
	MaxRecvMsgBytes int `yaml:"max_recv_msg_bytes"`
	// MaxSendMsgBytes is the largest message the server sends.
	MaxSendMsgBytes int `yaml:"max_send_msg_bytes"`
	// MaxConcurrentStreams is how many calls one connection may have open
	// at once; a client's further calls wait (grpc-go queues them on the
	// client) until one ends. 0 means the default, 1000: grpc-go's own
	// default is unlimited, and each open stream holds memory: 10,000
	// streams on one connection took +84 MB unbounded, +23 MB at 1000.
	MaxConcurrentStreams uint32 `yaml:"max_concurrent_streams"`
	// InitialWindowBytes is each stream's flow-control window: how much a
	// client may send on a stream before the handler reads it. 0 keeps
	// grpc-go's dynamic window (64 KiB, grown to fit the bandwidth-delay
	// product); a value, at least 64 KiB, fixes it.
	InitialWindowBytes int32 `yaml:"initial_window_bytes"`
	// InitialConnWindowBytes is the same for the whole connection. Setting
	// either window turns grpc-go's dynamic window off for both; the one
	// not set stays at 64 KiB.
	InitialConnWindowBytes int32 `yaml:"initial_conn_window_bytes"`
	// MaxHeaderListBytes is the largest metadata (uncompressed header list)
	// a call may carry. 0 means the default, 1 MiB, as net/http's
	// MaxHeaderBytes (grpc-go's own is 16 MiB).
	MaxHeaderListBytes uint32 `yaml:"max_header_list_bytes"`
	// NumStreamWorkers serves streams on this many long-lived goroutines
	// instead of one new goroutine per stream (0). grpc-go marks it
	// experimental.
	NumStreamWorkers uint32 `yaml:"num_stream_workers"`
	// Keepalive tunes connection keepalive and ageing.
	Keepalive KeepaliveConfig `yaml:"keepalive"`
	// TLS serves over TLS when both files are set.
	TLS TLSConfig `yaml:"tls"`
}

// KeepaliveConfig maps to grpc keepalive.ServerParameters and EnforcementPolicy.
type KeepaliveConfig struct {
	// Time pings an idle client after this long.
	Time time.Duration `yaml:"time"`
	// Timeout closes the connection when a ping is not answered in this long.
	Timeout time.Duration `yaml:"timeout"`
	// MaxConnectionIdle closes connections idle this long (0: never).
	MaxConnectionIdle time.Duration `yaml:"max_connection_idle"`
	// MaxConnectionAge closes connections after this long, so clients rebalance (0: never).
	MaxConnectionAge time.Duration `yaml:"max_connection_age"`
	// MaxConnectionAgeGrace lets calls finish after MaxConnectionAge.
	MaxConnectionAgeGrace time.Duration `yaml:"max_connection_age_grace"`
	// MinTime is the shortest ping interval a client may use.
	MinTime time.Duration `yaml:"min_time"`
	// PermitWithoutStream allows client pings with no active call.
	PermitWithoutStream bool `yaml:"permit_without_stream"`
}

// TLSConfig is the server's certificate and, for mutual TLS, how clients
// prove who they are. The files are PEM, read at start (a missing or
// unreadable file, or a key that does not match its certificate, stops the
// start and names the file) and read again when they change — cert-manager's
// renewals included — at most once a second, on a handshake; a change that
// does not load is logged and the previous files stay in use.
type TLSConfig struct {
	// CertFile is the certificate chain, leaf first (tls.crt). With KeyFile
	// set, the server speaks TLS.
	CertFile string `yaml:"cert_file"`
	// KeyFile is the certificate's private key (tls.key).
	KeyFile string `yaml:"key_file"`
	// ClientCAFile holds the CAs client certificates must chain to (ca.crt).
	// Setting it turns on mutual TLS: client_auth defaults to require_and_verify.
	ClientCAFile string `yaml:"client_ca_file"`
	// ClientAuth is none, request, require_any, verify_if_given or
	// require_and_verify (Go's tls.ClientAuthType). Empty: require_and_verify
	// with client_ca_file, none without.
	ClientAuth string `yaml:"client_auth"`
	// MinVersion is the oldest TLS version accepted: 1.2 (the default) or 1.3.
	MinVersion string `yaml:"min_version"`
}

// server builds the server's TLS, or nil without cert_file and key_file.
func (c TLSConfig) server(prefix string, logger *slog.Logger) (*tls.Config, error) {
	s, err := tlsconf.NewServer(prefix, tlsconf.ServerFiles{
		CertFile: c.CertFile, KeyFile: c.KeyFile, ClientCAFile: c.ClientCAFile,
		ClientAuth: c.ClientAuth, MinVersion: c.MinVersion,
	}, tlsconf.Options{Logger: logger, NextProtos: []string{"h2"}})
	if s == nil || err != nil {
		return nil, err
	}
	return s.Config(), nil
}

// ClientTLSConfig is what a client trusts and, for mutual TLS, the
// certificate it shows (WithTLSFiles). The files are PEM, read by Dial (an
// error names the file) and again when they change, at most once a second,
// when a connection is opened.
type ClientTLSConfig struct {
	// CAFile holds the CAs the server's certificate must chain to; empty:
	// the system's roots.
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are the client's certificate and key, for
	// servers that require one.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ServerName is the name the server's certificate must carry (and the
	// call's authority); empty: the host of the target.
	ServerName string `yaml:"server_name"`
	// MinVersion is 1.2 (the default) or 1.3.
	MinVersion string `yaml:"min_version"`
}

func (c ClientTLSConfig) files() tlsconf.ClientFiles {
	return tlsconf.ClientFiles{CAFile: c.CAFile, CertFile: c.CertFile, KeyFile: c.KeyFile, ServerName: c.ServerName, MinVersion: c.MinVersion}
}

// Defaults of the limits whose zero value means "the default".
const (
	DefaultMaxConcurrentStreams = 1000
	DefaultMaxHeaderListBytes   = 1 << 20
)

// minWindowBytes is the smallest flow-control window grpc-go accepts; it
// ignores a smaller one without a word.
const minWindowBytes = 64 << 10

// DefaultConfig returns :9090, reflection on, 4 MiB messages both ways,
// 1000 concurrent streams a connection, 1 MiB of metadata a call,
// keepalive pings after 2h idle with 20s to answer, clients may ping every 10s.
func DefaultConfig() Config {
	return Config{
		Addr:                 ":9090",
		Reflection:           true,
		MaxRecvMsgBytes:      4 << 20,
		MaxSendMsgBytes:      4 << 20,
		MaxConcurrentStreams: DefaultMaxConcurrentStreams,
		MaxHeaderListBytes:   DefaultMaxHeaderListBytes,
		Keepalive: KeepaliveConfig{
			Time:                2 * time.Hour,
			Timeout:             20 * time.Second,
			MinTime:             10 * time.Second,
			PermitWithoutStream: true,
		},
	}
}

// validate names every key of c that the server cannot honour.
func (c Config) validate() error {
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("grpc: %s: "+format, append([]any{key}, a...)...))
	}
	if c.MaxRecvMsgBytes < 0 {
		bad("max_recv_msg_bytes", "%d is negative", c.MaxRecvMsgBytes)
	}
	if c.MaxSendMsgBytes < 0 {
		bad("max_send_msg_bytes", "%d is negative", c.MaxSendMsgBytes)
	}
	for _, w := range []struct {
		key string
		v   int32
	}{{"initial_window_bytes", c.InitialWindowBytes}, {"initial_conn_window_bytes", c.InitialConnWindowBytes}} {
		if w.v != 0 && w.v < minWindowBytes {
			bad(w.key, "%d is under grpc-go's minimum window of %d bytes (0 keeps the dynamic window)", w.v, minWindowBytes)
		}
	}
	for _, d := range []struct {
		key string
		v   time.Duration
	}{
		{"keepalive.time", c.Keepalive.Time}, {"keepalive.timeout", c.Keepalive.Timeout},
		{"keepalive.max_connection_idle", c.Keepalive.MaxConnectionIdle}, {"keepalive.max_connection_age", c.Keepalive.MaxConnectionAge},
		{"keepalive.max_connection_age_grace", c.Keepalive.MaxConnectionAgeGrace}, {"keepalive.min_time", c.Keepalive.MinTime},
	} {
		if d.v < 0 {
			bad(d.key, "%v is negative", d.v)
		}
	}
	return errors.Join(errs...)
}

// orDefault returns v, or def when v is 0.
func orDefault(v, def uint32) uint32 {
	if v == 0 {
		return def
	}
	return v
}
