package http

import (
	"crypto/tls"
	"log/slog"
	"time"

	"github.com/goxkit/gox/internal/tlsconf"
)

// Config configures the HTTP server.
type Config struct {
	// Addr is the listen address, host:port. ":0" picks a free port.
	Addr string `yaml:"addr"`
	// ReadHeaderTimeout bounds reading request headers (slowloris protection).
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	// ReadTimeout bounds reading a whole request, body included.
	ReadTimeout time.Duration `yaml:"read_timeout"`
	// WriteTimeout bounds writing a response.
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// IdleTimeout bounds how long a keep-alive connection waits for the next request.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// MaxBodyBytes is the largest request body accepted; larger ones get a 413.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// ErrorFormat is envelope ({"code","reason","message","data"}) or problem (RFC 9457).
	ErrorFormat string `yaml:"error_format"`
	// TLS serves HTTPS when both files are set.
	TLS TLSConfig `yaml:"tls"`
	// Pprof mounts /debug/pprof/ behind basic auth when enabled.
	Pprof PprofConfig `yaml:"pprof"`
	// Metrics says where /metrics is served (with WithMetricsHandler) and
	// who may read it; by default it is public, on Addr.
	Metrics MetricsConfig `yaml:"metrics"`
	// CORS answers cross-origin requests; off without allowed origins.
	CORS CORSConfig `yaml:"cors"`
	// Headers are the security headers sent with every response.
	Headers HeadersConfig `yaml:"headers"`
}

// MetricsConfig places and guards /metrics. With no credentials set it is
// public; with basic auth, a bearer token or both set, a scrape must present
// one of them (401 otherwise).
type MetricsConfig struct {
	// Addr serves /metrics on a listener of its own, host:port (":0" picks
	// a free port), with the server's TLS, instead of on Addr — a port
	// kept off the public network. Empty: on Addr with the routes.
	Addr string `yaml:"addr"`
	// Username and Password require HTTP basic auth (Prometheus basic_auth).
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// BearerToken requires "Authorization: Bearer <token>" (Prometheus
	// authorization.credentials).
	BearerToken string `yaml:"bearer_token"`
}

// TLSConfig is the server's certificate and, for mutual TLS, how clients
// prove who they are. The files are PEM, read at start (a missing or
// unreadable file, or a key that does not match its certificate, stops the
// start and names the file) and read again when they change — cert-manager's
// renewals included — at most once a second, on a handshake; a change that
// does not load is logged and the previous files stay in use.
type TLSConfig struct {
	// CertFile is the certificate chain, leaf first (tls.crt). With KeyFile
	// set, the server speaks HTTPS, HTTP/2 included.
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
	}, tlsconf.Options{Logger: logger, NextProtos: []string{"h2", "http/1.1"}})
	if s == nil || err != nil {
		return nil, err
	}
	return s.Config(), nil
}

// ClientTLSConfig is what a client trusts and, for mutual TLS, the
// certificate it shows (WithTLSFiles). The files are PEM, read when the
// client is made (an error names the file) and again when they change, at
// most once a second, when a connection is opened.
type ClientTLSConfig struct {
	// CAFile holds the CAs the server's certificate must chain to; empty:
	// the system's roots.
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are the client's certificate and key, for
	// servers that require one.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ServerName is the name the server's certificate must carry; empty:
	// the host dialled.
	ServerName string `yaml:"server_name"`
	// MinVersion is 1.2 (the default) or 1.3.
	MinVersion string `yaml:"min_version"`
}

func (c ClientTLSConfig) files() tlsconf.ClientFiles {
	return tlsconf.ClientFiles{CAFile: c.CAFile, CertFile: c.CertFile, KeyFile: c.KeyFile, ServerName: c.ServerName, MinVersion: c.MinVersion}
}

// PprofConfig guards the profiling endpoints.
type PprofConfig struct {
	Enabled  bool   `yaml:"enabled"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
}

// DefaultConfig returns :8080, 5s to read headers, 30s to read, 30s to write,
// 120s idle, 4 MiB bodies, the envelope error format, pprof off, /metrics
// public on :8080, CORS off, and the security headers nosniff,
// X-Frame-Options DENY and Referrer-Policy no-referrer.
func DefaultConfig() Config {
	return Config{
		Addr:              ":8080",
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxBodyBytes:      4 << 20,
		ErrorFormat:       "envelope",
		CORS:              CORSConfig{AllowedOrigins: []string{}, AllowedMethods: []string{}, AllowedHeaders: []string{}, ExposedHeaders: []string{}},
		Headers:           HeadersConfig{FrameOptions: "DENY", ReferrerPolicy: "no-referrer"},
	}
}
